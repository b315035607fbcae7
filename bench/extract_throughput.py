"""Extraction throughput of `mirlens extract` against a bare regex scan of the same text.

Builds a large corpus by replicating the real abstracts/evidence sentences of the shared
corpora (>= 20 MB; ``--quick`` ~2 MB), then times, in the same run:

- peer: ``re.finditer`` with a simple miRNA pattern (``miR-\\d+[a-z]?|let-7[a-z]?``) over
  every document, collecting the spans;
- mirlens: ``Extractor.extract`` (recognition, normalisation, sentences) on the same
  documents, with the miRBase release already loaded (load time reported separately).

Prints one JSON object on the last line: MB/s of both and their ratio (goal >= 0.5).
"""

from __future__ import annotations

import argparse
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
BARE = re.compile(r"miR-\d+[a-z]?|let-7[a-z]?", re.IGNORECASE)


def load_texts(names: list[str] = CORPORA) -> list[str]:
    texts = []
    for name in names:
        path = SHARED / "data" / "corpora" / name
        if not path.is_file():
            continue
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    t = json.loads(line).get("text") or ""
                    if t:
                        texts.append(t)
    if not texts:
        sys.exit(f"no corpus texts under {SHARED}/data/corpora (set MIRLENS_SHARED)")
    return texts


def build(texts: list[str], target_mb: float) -> list[str]:
    # join short records into documents of abstract size, then replicate to the target
    docs, buf = [], []
    for t in texts:
        buf.append(t)
        if sum(map(len, buf)) > 1500:
            docs.append(" ".join(buf))
            buf = []
    if buf:
        docs.append(" ".join(buf))
    out, size, target = [], 0, target_mb * 1e6
    while size < target:
        for d in docs:
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


def bench_mirlens(docs: list[str], extractor) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = 0
    for i, d in enumerate(docs):
        n += len(extractor.extract(str(i), d))
    return time.perf_counter() - t0, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="~2 MB instead of >= 20 MB")
    ap.add_argument("--mb", type=float, default=None, help="corpus size in MB")
    ap.add_argument("--corpus", action="append", choices=CORPORA,
                    help="corpus file(s) to replicate (default: all four)")  # fmt: skip
    ap.add_argument("--repeat", type=int, default=3, help="best of N timings")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO / "workflow"))
    from mirlens.mentions import Extractor, Normaliser
    from mirlens.mirbase import MirbaseRelease

    mb = args.mb or (2.0 if args.quick else 20.0)
    corpora = args.corpus or CORPORA
    docs = build(load_texts(corpora), mb)
    size_mb = sum(len(d.encode("utf-8")) for d in docs) / 1e6
    t0 = time.perf_counter()
    release = MirbaseRelease(MIRBASE, FAMILY if FAMILY.is_file() else None)
    norm = Normaliser(release, "hsa", "both")
    extractor = Extractor(norm)
    extractor.extract("warm", "miR-21")  # builds the hsa index
    load_s = time.perf_counter() - t0
    bare = min(bench_bare(docs) for _ in range(args.repeat))
    ours = min(bench_mirlens(docs, extractor) for _ in range(args.repeat))
    result = {
        "benchmark": "extract_throughput",
        "corpora": corpora,
        "corpus_mb": round(size_mb, 2),
        "documents": len(docs),
        "bare_regex_mb_s": round(size_mb / bare[0], 2),
        "mirlens_mb_s": round(size_mb / ours[0], 2),
        "ratio": round(bare[0] / ours[0], 3),
        "goal_ratio": 0.5,
        "bare_matches": bare[1],
        "mirlens_mentions": ours[1],
        "mirbase_load_s": round(load_s, 2),
    }
    print(f"bare regex: {result['bare_regex_mb_s']} MB/s; mirlens: {result['mirlens_mb_s']} MB/s")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
