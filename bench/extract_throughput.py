"""Extraction throughput of `mirlens extract` against a bare regex scan of the same text.

Builds a large text from the real documents of the shared corpora (records joined into
abstract-sized documents, the corpora interleaved in proportion so that any prefix is
representative, then replicated to >= 20 MB; ``--quick`` 2 MB) and times, in the same run
and on the same documents:

- peer: ``re.finditer`` with a simple miRNA pattern (``miR-\\d+[a-z]?|let-7[a-z]?``) over
  every document, collecting the spans;
- mirlens: what the CLI does between reading and writing: ``extract_documents`` with a
  fresh ``Normaliser`` per timed run (so every cache -- spellings, resolutions -- is
  rebuilt inside the timing), producing the very records the CLI writes; then, timed
  apart, writing them as JSON lines the CLI's way (``write_records``). The miRBase
  release and its per-species indexes are loaded once, outside the timing (reported as
  ``mirbase_load_s``).

Two texts by default: ``abstracts`` (the SCAI PubMed abstracts, ~2 mentions per KB, what
users feed the workflow) and ``dense`` (all four corpora: curated evidence sentences and
titles, ~10 miRNA mentions per KB, so the per-mention cost dominates; for information);
``--corpus`` measures one chosen set instead. Prints one JSON object on the last line;
``ratio`` is the abstracts figure (goal >= 0.5).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MIRLENS_SHARED", REPO.parent / "shared"))
MIRBASE = SHARED / "mirror/mirbase.org/download_version_files/22.1"
FAMILY = SHARED / "mirror/www.targetscan.org/vert_80/vert_80_data_download/miR_Family_Info.txt.zip"
CORPORA = [
    "scai_mirna.train.jsonl",
    "hmdd_nonlung.doclevel.jsonl",
    "mircancer_nonlung.titles.jsonl",
    "mirna_mrna_bioc.train.jsonl",
]
ABSTRACTS = ["scai_mirna.train.jsonl"]
BARE = re.compile(r"miR-\d+[a-z]?|let-7[a-z]?", re.IGNORECASE)


def load_texts(name: str) -> list[str]:
    path = SHARED / "data" / "corpora" / name
    if not path.is_file():
        return []
    texts = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                t = json.loads(line).get("text") or ""
                if t:
                    texts.append(t)
    return texts


def documents(texts: list[str]) -> list[str]:
    """Short records joined into documents of abstract size (> 1500 characters)."""
    docs, buf = [], []
    for t in texts:
        buf.append(t)
        if sum(map(len, buf)) > 1500:
            docs.append(" ".join(buf))
            buf = []
    if buf:
        docs.append(" ".join(buf))
    return docs


def build(names: list[str], target_mb: float) -> list[str]:
    """Documents of the corpora interleaved in proportion (the k-th of n documents of a
    corpus sits at (k + 0.5) / n), replicated until ``target_mb`` of UTF-8."""
    keyed = []
    for ci, name in enumerate(names):
        docs = documents(load_texts(name))
        keyed += [((k + 0.5) / len(docs), ci, d) for k, d in enumerate(docs)]
    if not keyed:
        sys.exit(f"no corpus texts under {SHARED}/data/corpora (set MIRLENS_SHARED)")
    order = [d for _, _, d in sorted(keyed, key=lambda x: x[:2])]
    out, size, target = [], 0, target_mb * 1e6
    while size < target:
        for d in order:
            out.append(d)
            size += len(d.encode("utf-8"))
            if size >= target:
                break
    return out


def bench_bare(docs: list[str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = 0
    for d in docs:
        for m in BARE.finditer(d):
            n += m.end() > m.start()
    return time.perf_counter() - t0, n


def bench_mirlens(pairs: list[tuple[str, str]], release) -> tuple[float, list[dict]]:
    from mirlens.text import Normaliser, extract_documents

    t0 = time.perf_counter()
    records = list(extract_documents(pairs, Normaliser(release, "hsa", "both")))
    return time.perf_counter() - t0, records


def bench_jsonl(records: list[dict]) -> float:
    from mirlens.text import write_records

    t0 = time.perf_counter()
    write_records(io.StringIO(), records)
    return time.perf_counter() - t0


def measure(names: list[str], mb: float, repeat: int, release) -> dict:
    docs = build(names, mb)
    pairs = [(str(i), d) for i, d in enumerate(docs)]
    size_mb = sum(len(d.encode("utf-8")) for d in docs) / 1e6
    bare, ours, jsonl = [], [], []
    records: list[dict] = []
    for _ in range(repeat):  # interleaved, so load changes on the machine hit both
        bare.append(bench_bare(docs))
        t, records = bench_mirlens(pairs, release)
        ours.append(t)
        jsonl.append(bench_jsonl(records))
    b, o, j = min(t for t, _ in bare), min(ours), min(jsonl)
    return {
        "corpora": names,
        "corpus_mb": round(size_mb, 2),
        "documents": len(docs),
        "bare_regex_mb_s": round(size_mb / b, 2),
        "mirlens_mb_s": round(size_mb / o, 2),
        "ratio": round(b / o, 3),
        "mirlens_with_jsonl_mb_s": round(size_mb / (o + j), 2),
        "ratio_with_jsonl": round(b / (o + j), 3),
        "bare_matches": bare[0][1],
        "mirlens_mentions": len(records),
        "mentions_per_kb": round(len(records) / (size_mb * 1e3), 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 MB instead of >= 20 MB")
    ap.add_argument("--mb", type=float, default=None, help="corpus size in MB")
    ap.add_argument(
        "--corpus",
        action="append",
        choices=CORPORA,
        help="corpus file(s) to replicate (default: the abstracts and dense sets)",
    )
    ap.add_argument("--repeat", type=int, default=3, help="best of N timings")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO / "workflow"))
    from mirlens.mirbase import MirbaseRelease
    from mirlens.text import Extractor, Normaliser

    mb = args.mb or (2.0 if args.quick else 20.0)
    t0 = time.perf_counter()
    release = MirbaseRelease(MIRBASE, FAMILY if FAMILY.is_file() else None)
    Extractor(Normaliser(release, "hsa", "both")).extract("warm", "miR-21 and miR-9999")
    load_s = time.perf_counter() - t0  # release, hsa index, other-species name index

    sets = {"selected": args.corpus} if args.corpus else {"abstracts": ABSTRACTS, "dense": CORPORA}
    results = {name: measure(names, mb, args.repeat, release) for name, names in sets.items()}
    for name, r in results.items():
        print(
            f"{name}: bare regex {r['bare_regex_mb_s']} MB/s; mirlens {r['mirlens_mb_s']} MB/s"
            f" (ratio {r['ratio']}); with JSONL {r['mirlens_with_jsonl_mb_s']} MB/s"
            f" (ratio {r['ratio_with_jsonl']}); {r['mentions_per_kb']} mentions/KB"
        )
    head = next(iter(results.values()))
    result = {
        "benchmark": "extract_throughput",
        "ratio": head["ratio"],
        "goal_ratio": 0.5,
        **{f"ratio_{name}": r["ratio"] for name, r in results.items()},
        "sets": results,
        "mirbase_load_s": round(load_s, 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
