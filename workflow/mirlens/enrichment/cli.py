"""`mirlens enrich` (one run's tables) and `mirlens enrich-store` (per-release statistics)."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mirlens.enrichment import store as stats_store
from mirlens.enrichment.analysis import enrich
from mirlens.enrichment.bias import N_STRATA
from mirlens.enrichment.context import prepare
from mirlens.enrichment.matrices import read_gene_list, read_pairs
from mirlens.errors import MirlensError
from mirlens.genesets import FORMATS, check_themes, load_themes, read_gmt, read_library
from mirlens.io import atomic_open, write_tsv

log = logging.getLogger(__name__)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gmt", required=True, help="gene-set library (normalised GMT)")
    parser.add_argument(
        "--universe", help="gene list (one symbol per line); universe = it ∩ library"
    )
    parser.add_argument("--library", help="library name (default: the GMT file name stem)")
    parser.add_argument("--min-size", type=int, default=5, help="smallest set size in universe")
    parser.add_argument("--max-size", type=int, default=2000, help="largest set size in universe")
    parser.add_argument(
        "--threads", type=int, default=1, help="processes for enrich-store (enrich: one)"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--targets", required=True, help="TSV/Parquet with columns mirna, gene_symbol"
    )
    parser.add_argument("--out", required=True, help="readable TSV (themed + passing exploratory)")
    _common(parser)
    parser.add_argument("--background", help="all miRNAs' targets: bias model, set-level test")
    parser.add_argument("--store", help="per-release statistics (`mirlens enrich-store`)")
    parser.add_argument("--themes", help="THEMES.json: the themed gene sets (hypotheses)")
    parser.add_argument(
        "--exploratory-fdr", type=float, default=0.05, help="exploratory rows kept in --out"
    )
    parser.add_argument(
        "--parquet", help="also write every tested row (millions for GO) to this Parquet file"
    )
    parser.add_argument("--set-level", help="set-level TSV (default: OUT with .set_level.tsv)")
    parser.add_argument("--meta", help="JSON details (default: OUT with .meta.json)")


def _sizes(args: argparse.Namespace) -> None:
    if args.min_size < 1 or args.max_size < args.min_size:
        raise MirlensError("need 1 <= --min-size <= --max-size")


def write_json(data: dict, path: Path) -> None:
    with atomic_open(path, "w") as fh:
        json.dump(data, fh, indent=2, sort_keys=True, ensure_ascii=False)
        fh.write("\n")


# Left out of the every-row Parquet (millions of rows for GO, < 200 MB at 100k documents):
# expected_plain = n_targets * set_size / universe_size, and z, the rank test's internal
# statistic; the readable TSV carries both for its rows.
PARQUET_LEFT_OUT = ("expected_plain", "z")
SPLIT_FLOATS = ["expected"]  # distinct doubles: byte-stream split compresses them better


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(df.drop(columns=list(PARQUET_LEFT_OUT)), preserve_index=False)
    dictionary = [c for c in table.column_names if c not in SPLIT_FLOATS]
    with atomic_open(path, "wb") as fh:
        pq.write_table(
            table,
            fh,
            compression="zstd",
            use_dictionary=dictionary,
            use_byte_stream_split=[c for c in SPLIT_FLOATS if c in table.column_names],
        )


def run(args: argparse.Namespace) -> int:
    _sizes(args)
    library = read_gmt(args.gmt, name=args.library)
    themes = load_themes(args.themes) if args.themes else None
    if themes:
        check_themes(themes, library.name, library.sets)
    out = Path(args.out)
    result = enrich(
        read_pairs(args.targets),
        library,
        background=read_pairs(args.background) if args.background else None,
        universe_genes=read_gene_list(args.universe) if args.universe else None,
        store=Path(args.store) if args.store else None,
        themes=themes,
        min_size=args.min_size,
        max_size=args.max_size,
        exploratory_fdr=args.exploratory_fdr,
        every_row=bool(args.parquet),
    )
    write_tsv(result.readable, out)
    if args.parquet:
        write_parquet(result.table, Path(args.parquet))
    write_tsv(result.set_level, Path(args.set_level or out.with_suffix(".set_level.tsv")))
    write_json(result.meta, Path(args.meta or out.with_suffix(".meta.json")))
    log.info(
        "%s: %d readable rows -> %s%s",
        library.name,
        len(result.readable),
        out,
        f"; every tested row ({len(result.table)}) -> {args.parquet}" if args.parquet else "",
    )
    return 0


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--background", required=True, help="background.parquet (all miRNAs)")
    parser.add_argument("--out", required=True, help="store Parquet to write")
    parser.add_argument("--strata", type=int, default=N_STRATA, help="targetability strata")
    parser.add_argument("--key", default="", help="the store key (recorded)")
    parser.add_argument(
        "--format", choices=FORMATS, default="auto", help="library format (raw downloads too)"
    )
    _common(parser)


def run_store(args: argparse.Namespace) -> int:
    _sizes(args)
    library = read_library(args.gmt, name=args.library, fmt=args.format)
    background = read_pairs(args.background)
    universe = read_gene_list(args.universe) if args.universe else None
    ctx = prepare(library, background, universe, args.min_size, args.max_size, args.strata)
    info = stats_store.build(ctx, args.out, {"key": args.key}, workers=args.threads)
    log.info(
        "%s: store of %d miRNAs x %d sets -> %s",
        library.name,
        len(info["mirnas"]),
        len(info["sets"]),
        args.out,
    )
    return 0
