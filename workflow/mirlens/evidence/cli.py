"""`mirlens evidence`: build results/evidence.tsv from the run's tables."""

from __future__ import annotations

import argparse
import logging

import pandas as pd

from mirlens.evidence.context import (
    PER_DOCUMENT,
    mention_themes,
    read_mentions,
    sentences_per_document,
    theme_documents,
)
from mirlens.evidence.table import evidence_table
from mirlens.evidence.theme_targets import add_target_arguments, from_arguments
from mirlens.io import read_columns, read_tsv, write_tsv
from mirlens.theme_context import add_context_arguments, context_inputs
from mirlens.themes import Themes

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    found = parser.add_mutually_exclusive_group(required=True)
    found.add_argument(
        "--context",
        nargs="+",
        help="per-shard theme-context summaries (extract-shard --context-out, Parquet)",
    )
    found.add_argument("--mentions", nargs="+", help="mention tables (Parquet or TSV) instead")
    parser.add_argument("--mirnas", required=True, help="results/mirnas.tsv")
    targets = parser.add_mutually_exclusive_group(required=True)
    targets.add_argument(
        "--theme-targets",
        help="`mirlens evidence-targets` Parquet, instead of the target and enrichment tables",
    )
    add_target_arguments(parser, targets)
    add_context_arguments(parser)
    parser.add_argument(
        "--sentence-themes",
        choices=["column", "match"],
        default="column",
        help="with --mentions: their themes column (extract-shard --themes with the "
        "theme-context file), or match every sentence here (mentions extracted without it)",
    )
    parser.add_argument("--species", default="hsa", help="miRBase species code of the rows")
    parser.add_argument("--alpha", type=float, default=0.05, help="themed FDR of 'enriched'")
    parser.add_argument(
        "--claims",
        nargs="+",
        help="per-shard claimed pairs (claims --claimed-out, Parquet), or results/claims.tsv: "
        "fills claimed_theme_genes",
    )
    parser.add_argument("--out", required=True, help="evidence table (TSV) to write")


def theme_context(args: argparse.Namespace, themes: Themes) -> pd.DataFrame:
    """Sentences in theme context per (miRNA, theme, document): the per-shard summaries,
    or found in mention tables."""
    if args.context:
        return read_columns(args.context, PER_DOCUMENT)
    matched = themes if args.sentence_themes == "match" else None
    return sentences_per_document(mention_themes(read_mentions(args.mentions), matched))


def claimed(paths: list[str]) -> pd.DataFrame:
    """Claimed (miRNA, gene) pairs with their number of documents: counted from the claims
    jobs' per-shard Parquet (``claims --claimed-out``), or from ``claims.tsv``."""
    from mirlens.targets import KEY_COLUMNS
    from mirlens.targets.literature import NEEDED, claimed_pairs

    if all(str(p).endswith(".parquet") for p in paths):
        rows = read_columns(paths, [*KEY_COLUMNS, "doc_id"])
        return rows.groupby(KEY_COLUMNS, sort=True).size().rename("n_documents").reset_index()
    return claimed_pairs(pd.concat([read_tsv(p, usecols=lambda c: c in NEEDED) for p in paths]))


def run(args: argparse.Namespace) -> int:
    themes, genes = context_inputs(args)
    mirnas = read_tsv(args.mirnas)
    if "species" in mirnas:
        mirnas = mirnas[mirnas["species"] == args.species]
    if args.theme_targets:
        targets = pd.read_parquet(args.theme_targets)
    else:
        names_to_ids = dict(zip(mirnas["name"], mirnas["mirbase_id"], strict=True))
        targets = from_arguments(args, genes, names_to_ids)
    parts = [theme_documents(theme_context(args, themes)), targets]
    if args.claims:
        from mirlens.targets.literature import claimed_theme_genes

        parts.append(claimed_theme_genes(claimed(args.claims), genes))
    table = evidence_table(mirnas, themes.names, parts, args.alpha)
    write_tsv(table, args.out)
    log.info("%d miRNAs x %d themes -> %s", len(mirnas), len(themes.names), args.out)
    return 0
