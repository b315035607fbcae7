"""Benchmark: per-release enrichment store vs computing every run's miRNAs from scratch.

1. Build: the statistics of EVERY background miRNA against every set of Hallmark and GO BP
   (``mirlens enrich-store``'s work: bias model, corrected and plain tests; 2 processes),
   once per release. Budget: <= 120 s for both libraries on 2 cores.
2. Select: the statistics of 700 random miRNAs from each store (each run's work).
   Budget: <= 5 s for both libraries.
3. Peer: the per-run path without a store: the same 700 miRNAs computed from their targets
   (bias model included), as every run did before. The selected statistics must be equal.

Run: ``python bench/enrichment_store.py [--quick] [--background background.parquet]``
(default pairs: the mirror's miRDB >= 80 + TargetScan). Last stdout line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))
sys.path.insert(0, str(REPO / "bench"))

from mirror_data import GOBP, HALLMARK, load_background  # noqa: E402

from mirlens.enrichment import store  # noqa: E402
from mirlens.enrichment.context import prepare  # noqa: E402
from mirlens.enrichment.matrices import target_matrix  # noqa: E402
from mirlens.enrichment.permirna import mirna_statistics  # noqa: E402
from mirlens.genesets import read_library  # noqa: E402


def one_library(pairs, library, n_select: int, rng, folder: Path) -> dict:
    t0 = time.perf_counter()
    ctx = prepare(library, pairs)
    path = folder / f"{library.name}.parquet"
    store.build(ctx, path, workers=2)  # the rule's threads: 2
    build_s = time.perf_counter() - t0
    chosen = sorted(rng.choice(ctx.background, min(n_select, len(ctx.background)), replace=False))
    t0 = time.perf_counter()
    found, selected, _ = store.select(path, chosen)
    select_s = time.perf_counter() - t0
    # the per-run path: the run's targets -> the same statistics, bias model included
    t0 = time.perf_counter()
    run_ctx = prepare(library, pairs)
    _, T = target_matrix(pairs[pairs["mirna"].isin(chosen)], run_ctx.universe)
    fresh = mirna_statistics(T, run_ctx.sets.matrix, run_ctx.model)
    fresh_s = time.perf_counter() - t0
    equal = all(np.array_equal(np.asarray(fresh[c]), selected[c]) for c in fresh)
    print(
        f"{library.name}: build {build_s:.1f} s ({len(ctx.background)} miRNAs x "
        f"{len(ctx.sets.names)} sets, {path.stat().st_size / 1e6:.0f} MB); select "
        f"{len(found)} miRNAs {select_s:.2f} s; per-run path {fresh_s:.2f} s; equal {equal}"
    )
    return {
        "build_s": round(build_s, 2),
        "select_s": round(select_s, 3),
        "per_run_path_s": round(fresh_s, 2),
        "selected": len(found),
        "background_mirnas": len(ctx.background),
        "sets": len(ctx.sets.names),
        "store_mb": round(path.stat().st_size / 1e6, 1),
        "equal": bool(equal),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="Hallmark only")
    ap.add_argument("--background", help="a workflow background.parquet (default: mirror pairs)")
    ap.add_argument("--select", type=int, default=700)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    pairs, source = load_background(args.background)
    libraries = [read_library(HALLMARK, name="hallmark", fmt="gmt")]
    if not args.quick:
        libraries.append(read_library(GOBP, name="go_bp", fmt="enrichr"))
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        per = {lib.name: one_library(pairs, lib, args.select, rng, Path(tmp)) for lib in libraries}
    build = sum(v["build_s"] for v in per.values())
    select = sum(v["select_s"] for v in per.values())
    fresh = sum(v["per_run_path_s"] for v in per.values())
    result = {
        "benchmark": "enrichment_store",
        "quick": args.quick,
        "pairs": source,
        "cores": os.cpu_count(),
        "libraries": per,
        "build_s": round(build, 2),
        "select_s": round(select, 3),
        "per_run_path_s": round(fresh, 2),
        "speedup_select_vs_per_run": round(fresh / select, 1) if select else None,
        "build_ok_120s": bool(build <= 120),
        "select_ok_5s": bool(select <= 5),
        "equal": all(v["equal"] for v in per.values()),
    }
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
