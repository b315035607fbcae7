"""Direction of miRNA mentions against curated up/down labels (test helper and script).

Gold: ``mircancer_nonlung.titles.jsonl`` ``profiles`` (per miRNA label, up/down in the
cancer) and the ``_up``/``_down`` endings of the HMDD ``evidence`` categories (labels with
both directions in one document are left out). Labels and predictions compare on miRNA
stems (``hsa-mir-21``, ``hsa-miR-21-5p`` -> ``mir-21``). A document counts when its text
states a direction for a labelled miRNA: some mention of that stem gets ``up`` or ``down``
(the majority over its mentions). Accuracy is over those (document, miRNA) pairs.

Script: ``python tests/context_scoring.py MIRBASE_DIR [CORPORA_DIR]`` prints one JSON line.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

_STEM = re.compile(r"(?:[a-z]{3}-)?(mir-\d+[a-z]?|let-7[a-z]?)")


def stem(name: str) -> str:
    m = _STEM.match(name.lower())
    return m.group(1) if m else name.lower()


def gold_directions(rec: dict) -> dict[str, str]:
    if "profiles" in rec:
        pairs = zip(rec["mirna_labels"], rec["profiles"], strict=True)
        found: dict[str, set[str]] = {}
        for label, direction in pairs:
            found.setdefault(stem(label), set()).add(direction)
    else:
        found = {}
        for ev in rec.get("evidence", []):
            for direction in ("up", "down"):
                if ev["category"].endswith("_" + direction):
                    found.setdefault(stem(ev["mir"]), set()).add(direction)
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1}


def score_directions(records: list[dict], extract) -> dict:
    """``extract(doc_id, text)`` -> annotated mention records; counts and accuracy."""
    docs = stated = right = wrong = 0
    for rec in records:
        gold = gold_directions(rec)
        if not gold:
            continue
        docs += 1
        said: dict[str, Counter] = {}
        for m in extract(rec["doc_id"], rec["text"]):
            if m["direction"] in ("up", "down"):
                for name in m["mirbase_names"]:
                    said.setdefault(stem(name), Counter())[m["direction"]] += 1
        hits = [(said[k].most_common(1)[0][0], g) for k, g in gold.items() if k in said]
        stated += bool(hits)
        right += sum(p == g for p, g in hits)
        wrong += sum(p != g for p, g in hits)
    total = right + wrong
    return {"documents_with_gold": docs, "documents_stating": stated, "pairs": total,
            "accuracy": round(right / total, 3) if total else 0.0}  # fmt: skip


def extractor(mirbase_dir: Path):
    from mirlens.mirbase import MirbaseRelease
    from mirlens.text import Extractor, Normaliser
    from mirlens.text.context import annotate

    ex = Extractor(Normaliser(MirbaseRelease(mirbase_dir, None, 10_000), "hsa", "both"))
    return lambda doc_id, text: annotate(ex.extract(doc_id, text))


def main(argv: list[str]) -> None:
    shared = Path(os.environ.get("MIRLENS_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    corpora = Path(argv[2]) if len(argv) > 2 else shared / "data/corpora"
    extract = extractor(Path(argv[1]))
    out = {}
    for name in ("mircancer_nonlung.titles.jsonl", "hmdd_nonlung.doclevel.jsonl"):
        lines = (corpora / name).read_text(encoding="utf-8").splitlines()
        out[name] = score_directions([json.loads(x) for x in lines], extract)
    print(json.dumps(out))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))
    main(sys.argv)
