"""`mirlens evidence`: build results/evidence.tsv from the run's tables."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pandas as pd

from mirlens.errors import MirlensError
from mirlens.evidence.context import mention_themes, read_mentions, theme_documents, theme_genes
from mirlens.evidence.stats import statistics
from mirlens.evidence.table import evidence_table
from mirlens.evidence.targets import predicted_theme_targets, validated_theme_targets
from mirlens.genesets import read_gmt
from mirlens.io import read_tsv, write_tsv
from mirlens.themes import context_genes, load_themes

log = logging.getLogger(__name__)


def _by_library(values: list[str] | None, flag: str) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for value in values or []:
        library, sep, path = value.partition("=")
        if not sep or not library or not path:
            raise MirlensError(f"{flag} expects LIBRARY=PATH, got {value!r}")
        out[library] = Path(path)
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--mentions", nargs="+", required=True, help="per-shard mention Parquet files (or TSV)"
    )
    parser.add_argument("--mirnas", required=True, help="results/mirnas.tsv")
    parser.add_argument("--consensus", required=True, help="results/targets/consensus.tsv")
    parser.add_argument("--mirtarbase", help="results/targets/mirtarbase.tsv (validated pairs)")
    parser.add_argument("--themes", required=True, help="THEMES.json (enrichment.themes)")
    parser.add_argument("--gmt", nargs="+", required=True, metavar="LIB=GMT")
    parser.add_argument("--enrichment", nargs="*", default=[], metavar="LIB=TSV")
    parser.add_argument("--set-level", nargs="*", default=[], metavar="LIB=TSV")
    parser.add_argument("--species", default="hsa", help="miRBase species code of the rows")
    parser.add_argument("--alpha", type=float, default=0.05, help="themed FDR of 'enriched'")
    parser.add_argument("--claims", help="results/claims.tsv: fills claimed_theme_genes")
    parser.add_argument("--out", required=True, help="evidence table (TSV) to write")


def run(args: argparse.Namespace) -> int:
    libraries = {lib: read_gmt(p, name=lib) for lib, p in _by_library(args.gmt, "--gmt").items()}
    themes = load_themes(args.themes)
    genes = theme_genes(themes, libraries)
    sets = {name: library.sets for name, library in libraries.items()}
    themes = themes.with_genes(context_genes(themes, sets))
    mirnas = read_tsv(args.mirnas)
    if "species" in mirnas:
        mirnas = mirnas[mirnas["species"] == args.species]
    mentions = read_mentions(args.mentions)
    consensus = read_tsv(args.consensus, usecols=["mirbase_id", "gene_symbol", "n_predicted"])
    mirtarbase = read_tsv(args.mirtarbase) if args.mirtarbase else pd.DataFrame()
    names_to_ids = dict(zip(mirnas["name"], mirnas["mirbase_id"], strict=True))
    parts = [
        theme_documents(mention_themes(mentions, themes)),
        validated_theme_targets(mirtarbase, genes),
        predicted_theme_targets(consensus, genes),
        statistics(
            _by_library(args.enrichment, "--enrichment"),
            _by_library(args.set_level, "--set-level"),
            names_to_ids,
        ),
    ]
    if args.claims:
        from mirlens.targets.literature import NEEDED, claimed_pairs, claimed_theme_genes

        claims = read_tsv(args.claims, usecols=lambda c: c in NEEDED)
        parts.append(claimed_theme_genes(claimed_pairs(claims), genes))
    table = evidence_table(mirnas, themes.names, parts, args.alpha)
    write_tsv(table, args.out)
    log.info("%d miRNAs x %d themes -> %s", len(mirnas), len(themes.names), args.out)
    return 0
