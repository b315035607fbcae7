"""Overlap scoring of predicted mention spans against gold spans (test helper).

A gold span counts as found when any predicted span of the same document overlaps it; a
predicted span counts as correct when it overlaps any gold span. Spans are half-open
``[start, end)`` character offsets.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SpanScore:
    gold: int
    found: int
    predicted: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 0.0


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) overlaps any span of ``spans`` (sorted by start)."""
    i = bisect.bisect_left(spans, (end, end))
    return any(s < end and start < e for s, e in spans[:i])


def score_spans(
    gold: dict[str, list[tuple[int, int]]], pred: dict[str, list[tuple[int, int]]]
) -> SpanScore:
    n_gold = n_found = n_pred = n_correct = 0
    for doc_id in gold.keys() | pred.keys():
        g = sorted(gold.get(doc_id, []))
        p = sorted(pred.get(doc_id, []))
        n_gold += len(g)
        n_pred += len(p)
        n_found += sum(_overlaps(p, s, e) for s, e in g)
        n_correct += sum(_overlaps(g, s, e) for s, e in p)
    return SpanScore(n_gold, n_found, n_pred, n_correct)


def load_gold(path: str | Path, key: str = "mirna_mentions") -> tuple[dict, dict]:
    """Documents ``{doc_id: text}`` and gold spans ``{doc_id: [(start, end)]}``."""
    texts, spans = {}, {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                texts[str(d["doc_id"])] = d["text"]
                spans[str(d["doc_id"])] = [(m["start"], m["end"]) for m in d.get(key, [])]
    return texts, spans


def spans_of(records: Iterable[dict], skip_kinds: tuple[str, ...] = ("host_gene",)) -> dict:
    out: dict[str, list[tuple[int, int]]] = {}
    for r in records:
        if r.get("kind") not in skip_kinds:
            out.setdefault(str(r["doc_id"]), []).append((r["start"], r["end"]))
    return out


_RELEASES: dict = {}
FAMILY_INFO = "mirror/www.targetscan.org/vert_80/vert_80_data_download/miR_Family_Info.txt.zip"


def release_for(mirbase_dir: Path, family_info: Path | None = None, distance: int = 10_000):
    """A MirbaseRelease per (folder, family info, distance), read once per test session."""
    from mirlens.mirbase import MirbaseRelease

    key = (str(mirbase_dir), str(family_info), distance)
    if key not in _RELEASES:
        _RELEASES[key] = MirbaseRelease(mirbase_dir, family_info, distance)
    return _RELEASES[key]


def release_with_families(mirbase_dir: Path):
    """The release with TargetScan's seed families (shared mirror), read once."""
    from conftest import shared_path

    return release_for(mirbase_dir, shared_path(FAMILY_INFO))


def gold_in_release(gold_path: str | Path, out_path: str | Path, release, species: str = "hsa"):
    """Copy of a document-level gold file whose precursor labels are renamed to the miRBase
    release's current names where miRBase's name history says so (``hsa-mir-203`` ->
    ``hsa-mir-203a``). Curated labels predate miRBase 22, so comparing stems across releases
    would count correct normalisations as errors. Returns (labels, labels renamed)."""
    from mirlens.mirbase import name_key

    idx = release.species(species)
    n = renamed = 0
    with open(gold_path, encoding="utf-8") as fin, open(out_path, "w", encoding="utf-8") as fout:
        for line in fin:
            if not line.strip():
                continue
            d = json.loads(line)
            labels = []
            for label in d.get("mirna_labels", []):
                key = name_key(label)
                n += 1
                accs = idx.hairpin_keys.get(key) or idx.hairpin_old.get(key)
                if accs and key not in idx.hairpin_keys:
                    labels.extend(sorted(idx.hairpin_name[a] for a in accs))
                    renamed += 1
                else:
                    labels.append(label)
            d["mirna_labels"] = labels
            fout.write(json.dumps(d) + "\n")
    return n, renamed
