"""`mirlens targets-select`: one source's thresholds applied to a store, run's miRNAs selected.

The rows of the run's miRNAs (``mirnas.tsv`` column mirbase_id, or its FASTA) are read from
the store alone (a Parquet filter) and go to the TSV, sorted by mirna, gene_symbol; the
thresholds over ALL miRNAs (``--all-out``) are optional: the workflow builds the background
once per release (`mirlens background`). ENCORI has no store: its API is queried per run
miRNA, so its ``--all-out`` holds only the run's rows (see :mod:`mirlens.targets.encori`).

Output columns: mirbase_id, mirna, gene_symbol, entrez_id, source, score, evidence, then the
source's own columns (see ``EXTRA_COLUMNS``).
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mirlens.errors import MirlensError
from mirlens.io import read_tsv, write_parquet, write_tsv
from mirlens.targets import KEY_COLUMNS, write_json
from mirlens.targets.store import read_store, store_source

log = logging.getLogger(__name__)
PathLike = str | os.PathLike

SOURCES = ("targetscan", "mirdb", "mirtarbase", "encori", "literature")
OUT_COLUMNS = KEY_COLUMNS + ["source", "score", "evidence"]
EXTRA_COLUMNS = {
    "targetscan": [
        "context_score",
        "percentile",
        "site_types",
        "n_sites",
        "conserved",
        "n_conserved_sites",
        "pct",
        "family",
        "ts_mirna",
    ],
    "mirdb": ["refseq"],
    "mirtarbase": [
        "evidence_tier",
        "support_type",
        "experiments",
        "pmids",
        "n_evidence",
        "n_pmids",
    ],
    "encori": ["clip_exp_num", "degra_exp_num", "n_sites", "programs"],
    "literature": ["n_documents", "n_sentences", "relations", "documents"],
}
EVIDENCE_LEVELS = {
    "strong": ("strong",),
    "weak": ("strong", "weak"),
    "any": ("strong", "weak", "nonfunctional"),
}

# Defaults, also in the --help text; the workflow config mirrors them.
DEFAULTS = {
    "max_context_score": -0.2,
    "min_percentile": 0.0,
    "min_pct": 0.0,
    "conserved_only": False,
    "min_score": 80.0,
    "evidence": "weak",
    "min_pmids": 1,
    "min_clip_exp": 1,
    "min_documents": 1,
}


def threshold_filter(table: pa.Table, source: str, opts: dict) -> pa.Table:
    """Keep the rows of a store that pass ``source``'s thresholds (pyarrow, no pandas)."""
    o = {**DEFAULTS, **{k: v for k, v in opts.items() if v is not None}}
    mask = None

    def both(m, new):
        return new if m is None else pc.and_(m, new)

    if source == "targetscan":
        mask = both(mask, pc.less_equal(table["score"], o["max_context_score"]))
        if o["min_percentile"] > 0:
            mask = both(mask, pc.greater_equal(table["percentile"], o["min_percentile"]))
        if o["min_pct"] > 0:
            mask = both(mask, pc.greater_equal(pc.fill_null(table["pct"], 0.0), o["min_pct"]))
        if o["conserved_only"]:
            mask = both(mask, table["conserved"])
    elif source == "mirdb":
        mask = pc.greater_equal(table["score"], o["min_score"])
    elif source == "mirtarbase":
        if o["evidence"] not in EVIDENCE_LEVELS:
            raise MirlensError(f"--evidence must be one of {', '.join(EVIDENCE_LEVELS)}")
        tiers = pa.array(EVIDENCE_LEVELS[o["evidence"]])
        mask = pc.is_in(pc.cast(table["evidence_tier"], pa.string()), value_set=tiers)
        if o["min_pmids"] > 1:
            mask = both(mask, pc.greater_equal(table["n_pmids"], o["min_pmids"]))
    elif source == "encori":
        mask = pc.greater_equal(table["clip_exp_num"], o["min_clip_exp"])
    else:
        raise MirlensError(f"unknown source {source!r}")
    return table.filter(pc.fill_null(mask, False))


def evidence_strings(df: pd.DataFrame, source: str) -> pd.Series:
    """Short per-pair evidence label without ';' (consensus joins sources with ';')."""
    if df.empty:
        return pd.Series([], dtype=object, index=df.index)
    if source == "targetscan":
        types = df["site_types"].astype(str).str.replace(";", "+", regex=False)
        return types + np.where(df["conserved"].astype(bool), ",conserved", "")
    if source == "mirdb":
        return pd.Series("predicted", index=df.index)
    if source == "mirtarbase":
        return df["evidence_tier"].astype(str)
    if source == "encori":
        return "clip=" + df["clip_exp_num"].astype(str)
    raise MirlensError(f"unknown source {source!r}")


def harmonise(table: pa.Table | pd.DataFrame, source: str) -> pd.DataFrame:
    """Store rows -> output columns (OUT_COLUMNS + the source's extras)."""
    df = table.to_pandas() if isinstance(table, pa.Table) else table.copy()
    for c in KEY_COLUMNS:
        df[c] = df[c].astype(str) if len(df) else pd.Series([], dtype=object)
    df["source"] = source
    df["evidence"] = evidence_strings(df, source)
    cols = OUT_COLUMNS + [c for c in EXTRA_COLUMNS[source] if c in df.columns]
    return df[cols].reset_index(drop=True)


def read_run_names(path: PathLike) -> dict[str, str | None]:
    """MIMAT -> name of the run's miRNAs (None where the input gives no name), from its FASTA
    (``>name MIMAT``; the workflow passes it: it changes only with the set) or from
    mirnas.tsv (column mirbase_id, and name if present)."""
    path = Path(path)
    if not path.is_file():
        raise MirlensError(f"miRNA table not found: {path}")
    if path.stat().st_size == 0:
        return {}
    with open(path, encoding="utf-8") as fh:
        is_fasta = fh.read(1) == ">"
    if is_fasta:
        from mirlens.mirbase import read_mature

        fasta = read_mature(path)
        return dict(zip(fasta["mirbase_id"], fasta["name"], strict=True))
    df = read_tsv(path)
    if "mirbase_id" not in df.columns:
        raise MirlensError(f"{path}: no column 'mirbase_id' (columns: {list(df.columns)})")
    names = df["name"] if "name" in df.columns else [None] * len(df)
    return {m: n for m, n in zip(df["mirbase_id"], names, strict=True) if m}


def read_run_mirnas(path: PathLike) -> list[str]:
    return sorted(read_run_names(path))


def select_run(store: PathLike, source: str, mirnas: list[str], opts: dict) -> pd.DataFrame:
    """The run's rows only: read with a Parquet filter (fast), thresholds, harmonised, sorted."""
    filters = [("mirbase_id", "in", mirnas)] if mirnas else None
    table = read_store(store, filters=filters)
    if not mirnas:
        table = table.slice(0, 0)
    df = harmonise(threshold_filter(table, source, opts), source)
    return df.sort_values(["mirna", "gene_symbol", "entrez_id"], kind="mergesort").reset_index(
        drop=True
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", required=True, choices=SOURCES)
    parser.add_argument("--store", help="Parquet store from `targets-parse` (not for encori)")
    parser.add_argument("--mirnas", required=True, help="run miRNAs: mirnas.tsv or its FASTA")
    parser.add_argument("--out", required=True, help="TSV of the run's miRNAs' targets")
    parser.add_argument("--all-out", default=None,
                        help="Parquet: thresholds over ALL miRNAs (optional; the workflow "
                        "builds the background per release with `mirlens background`)")  # fmt: skip
    parser.add_argument("--stats", required=True, help="JSON stats")
    ts = parser.add_argument_group("targetscan")
    ts.add_argument(
        "--max-context-score",
        type=float,
        default=DEFAULTS["max_context_score"],
        help="keep pairs whose summed weighted context++ score is <= this (default: %(default)s)",
    )
    ts.add_argument(
        "--min-percentile",
        type=float,
        default=DEFAULTS["min_percentile"],
        help="best weighted context++ percentile >= this, 0-100 (default: %(default)s = off)",
    )
    ts.add_argument(
        "--min-pct",
        type=float,
        default=DEFAULTS["min_pct"],
        help="aggregate PCT >= this, 0-1 (default: %(default)s = off)",
    )
    ts.add_argument(
        "--conserved-only", action="store_true", help="only pairs with a conserved site"
    )
    md = parser.add_argument_group("mirdb")
    md.add_argument(
        "--min-score",
        type=float,
        default=DEFAULTS["min_score"],
        help="miRDB target score >= this, 50-100 (default: %(default)s)",
    )
    mt = parser.add_argument_group("mirtarbase")
    mt.add_argument(
        "--evidence",
        choices=list(EVIDENCE_LEVELS),
        default=DEFAULTS["evidence"],
        help="strong: reporter/western/qPCR functional MTI; weak: strong + weak functional; "
        "any: also non-functional (default: %(default)s)",
    )
    mt.add_argument(
        "--min-pmids",
        type=int,
        default=DEFAULTS["min_pmids"],
        help="at least this many distinct publications (default: %(default)s)",
    )
    en = parser.add_argument_group("encori")
    en.add_argument(
        "--min-clip-exp",
        "--min-clip-experiments",
        dest="min_clip_exp",
        type=int,
        default=DEFAULTS["min_clip_exp"],
        help="ENCORI clipExpNum >= this (default: %(default)s)",
    )
    en.add_argument("--base-url", help="ENCORI API base, e.g. https://rnasysu.com/encori/api")
    en.add_argument("--cache-dir", help="per-miRNA cache of ENCORI responses")
    en.add_argument("--assembly", default="hg38", help="ENCORI assembly (default: %(default)s)")
    en.add_argument(
        "--rate", type=float, default=1.0, help="ENCORI requests per second (default: 1)"
    )
    en.add_argument("--mirbase", help="miRBase folder, to name the run's miRNAs for ENCORI queries")
    en.add_argument("--gene-info", help="NCBI <Species>.gene_info.gz (needed for encori)")
    en.add_argument("--species", default="hsa", help="miRBase species code (default: hsa)")
    li = parser.add_argument_group("literature")
    li.add_argument("--claims", help="claims.tsv from `mirlens claims-table`")
    li.add_argument(
        "--min-documents",
        type=int,
        default=DEFAULTS["min_documents"],
        help="a claimed pair needs this many documents (default: %(default)s)",
    )


SOURCE_OPTIONS = {
    "targetscan": ("max_context_score", "min_percentile", "min_pct", "conserved_only"),
    "mirdb": ("min_score",),
    "mirtarbase": ("evidence", "min_pmids"),
    "encori": ("min_clip_exp",),
    "literature": ("min_documents",),
}


def _from_store(
    args: argparse.Namespace, mirnas: list[str], opts: dict, stats: dict
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(run's rows, every miRNA's rows or None): the thresholds over the whole store only
    when ``--all-out`` asks for it; otherwise the run's miRNAs are read alone (a Parquet
    filter), which gives the same rows in the same order."""
    if not args.store:
        raise MirlensError(f"--store is required for source {args.source}")
    found = store_source(args.store)
    if found and found != args.source:
        raise MirlensError(f"{args.store} is a {found} store, not {args.source}")
    if not args.all_out:
        return select_run(args.store, args.source, mirnas, opts), None
    store = read_store(args.store)
    stats["store_rows"] = store.num_rows
    kept = threshold_filter(store, args.source, opts)
    del store
    all_df = harmonise(kept, args.source)
    stats["all_rows_kept"] = len(all_df)
    stats["all_mirnas"] = int(all_df["mirbase_id"].nunique())
    stats["all_genes"] = int(all_df["gene_symbol"].nunique())
    run_df = all_df[all_df["mirbase_id"].isin(mirnas)]
    run_df = run_df.sort_values(["mirna", "gene_symbol", "entrez_id"], kind="mergesort")
    return run_df, all_df


def _opts(args: argparse.Namespace) -> dict:
    """The thresholds that apply to ``args.source`` (recorded in the stats)."""
    return {k: getattr(args, k, DEFAULTS[k]) for k in SOURCE_OPTIONS[args.source]}


def run(args: argparse.Namespace) -> int:
    mirnas = read_run_mirnas(args.mirnas)
    opts = _opts(args)
    stats: dict = {"source": args.source, "thresholds": opts, "run_mirnas": len(mirnas)}
    if args.source == "encori":
        from mirlens.targets import encori

        run_df, enc_stats = encori.select(args, mirnas, opts)
        all_df = run_df
        stats.update(enc_stats)
        stats["all_out_is_run_only"] = True
    elif args.source == "literature":
        from mirlens.targets import literature

        if not args.claims:
            raise MirlensError("--claims is required for source literature")
        run_df = literature.select(args.claims, mirnas, opts["min_documents"])
        all_df = run_df
        stats["all_out_is_run_only"] = True
    else:
        run_df, all_df = _from_store(args, mirnas, opts, stats)
    run_df = run_df.reset_index(drop=True)
    with_targets = set(run_df["mirbase_id"])
    stats["rows_kept"] = len(run_df)
    stats["run_genes"] = int(run_df["gene_symbol"].nunique())
    stats["run_mirnas_with_targets"] = len(with_targets)
    stats["run_mirnas_without_targets"] = [m for m in mirnas if m not in with_targets]
    write_tsv(run_df, args.out)
    if args.all_out:
        write_parquet(all_df, args.all_out)
    write_json(stats, args.stats)
    log.info("%s: %d pairs for %d miRNAs", args.source, len(run_df), len(with_targets))
    return 0
