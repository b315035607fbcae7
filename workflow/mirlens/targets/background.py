"""`mirlens background`: the consensus targets of EVERY miRNA, once per release and rule.

The background (all miRNAs of the species under the run's sources, thresholds and consensus
rule) and its genes (the universe: genes that can be targets) depend only on those inputs,
not on the literature, so the workflow builds them once into
``resources/store/background/<key>/`` (key: a hash of exactly those inputs) and every run
reuses them. The rows equal what ``consensus`` gives for the same miRNAs.
"""

from __future__ import annotations

import argparse
import json
import logging

import pandas as pd

from mirlens.errors import MirlensError
from mirlens.io import atomic_open, write_parquet
from mirlens.targets import write_json
from mirlens.targets.consensus import MODES, combine, counted_sources, n_sources_histogram
from mirlens.targets.select import harmonise, threshold_filter
from mirlens.targets.store import read_store, store_source

log = logging.getLogger(__name__)


def background_pairs(stores: list[str], thresholds: dict, mode: str, k: int) -> pd.DataFrame:
    """Every miRNA's pairs passing each source's thresholds, combined by the consensus rule."""
    frames = {}
    for path in stores:
        source = store_source(path)
        if not source:
            raise MirlensError(f"{path}: no source recorded in the store's metadata")
        if source in frames:
            raise MirlensError(f"source {source} given twice (second: {path})")
        table = threshold_filter(read_store(path), source, thresholds.get(source, {}))
        frames[source] = harmonise(table, source)
    counted = counted_sources(sorted(frames), mode, k)
    return combine(pd.concat(frames.values(), ignore_index=True), counted, mode, k)


def select(path: str, mirnas: list[str]) -> pd.DataFrame:
    """The rows of ``mirnas`` (MIMATs): what ``consensus`` gives on the run's per-source
    tables, in the same order (both are sorted by miRNA and gene), without reading them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path, filters=[("mirbase_id", "in", mirnas or [""])])
    except (OSError, pa.ArrowInvalid) as exc:
        raise MirlensError(f"{path}: not a readable background table ({exc})") from None
    return table.to_pandas()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stores", required=True, nargs="+", help="targets-parse stores")
    parser.add_argument(
        "--thresholds", default="{}", help='JSON: {"<source>": {"min_score": 80, ...}, ...}'
    )
    parser.add_argument("--min-sources", type=int, default=1, help="K of the consensus rule")
    parser.add_argument("--mode", choices=MODES, default="any")
    parser.add_argument("--out", required=True, help="background.parquet")
    parser.add_argument("--universe-out", required=True, help="universe.txt (one gene per line)")
    parser.add_argument("--stats", required=True, help="JSON stats")


def run(args: argparse.Namespace) -> int:
    try:
        thresholds = json.loads(args.thresholds)
    except json.JSONDecodeError as exc:
        raise MirlensError(f"--thresholds is not JSON: {exc}") from None
    back = background_pairs(args.stores, thresholds, args.mode, args.min_sources)
    universe = sorted(set(back["gene_symbol"]))
    write_parquet(back, args.out)
    with atomic_open(args.universe_out) as fh:
        fh.writelines(g + "\n" for g in universe)
    write_json(
        {
            "mode": args.mode,
            "min_sources": args.min_sources,
            "thresholds": thresholds,
            "background_pairs": len(back),
            "background_mirnas": int(back["mirbase_id"].nunique()),
            "background_pairs_by_n_sources": n_sources_histogram(back),
            "universe_size": len(universe),
        },
        args.stats,
    )
    log.info("background: %d pairs, %d genes", len(back), len(universe))
    return 0
