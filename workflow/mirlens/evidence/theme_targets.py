"""`mirlens evidence-targets`: the evidence columns that follow from the miRNA set alone.

Validated and predicted theme targets and the gene-set statistics depend on the run's
miRNAs, their targets and the enrichment, not on which papers name them. They are written
once per miRNA set (the workflow reruns this job only when the set changes), so new papers
that name known miRNAs rerun only the document columns of `mirlens evidence`, which joins
this table instead of reading the consensus and the enrichment tables again.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd

from mirlens.evidence.stats import statistics
from mirlens.evidence.targets import predicted_theme_targets, validated_theme_targets
from mirlens.io import named_paths, read_tsv, write_parquet
from mirlens.theme_context import add_context_arguments, context_inputs

log = logging.getLogger(__name__)
KEY = ["mirbase_id", "theme"]


def theme_targets(
    mirtarbase: pd.DataFrame,
    consensus: pd.DataFrame,
    genes: Mapping[str, set[str]],
    statistics_part: pd.DataFrame,
) -> pd.DataFrame:
    """One row per (miRNA, theme) with any of: validated theme targets, predicted theme
    targets, the best gene set's statistics (each part has one row per key at most)."""
    out = validated_theme_targets(mirtarbase, genes)
    for part in (predicted_theme_targets(consensus, genes), statistics_part):
        out = out.merge(part, on=KEY, how="outer")
    return out.sort_values(KEY, kind="mergesort").reset_index(drop=True)


def from_arguments(args: argparse.Namespace, genes, names_to_ids: Mapping[str, str]):
    """:func:`theme_targets` of the files named by :func:`add_target_arguments`."""
    consensus = read_tsv(args.consensus, usecols=["mirbase_id", "gene_symbol", "n_predicted"])
    mirtarbase = read_tsv(args.mirtarbase) if args.mirtarbase else pd.DataFrame()
    stats = statistics(
        named_paths(args.enrichment, "--enrichment"),
        named_paths(args.set_level, "--set-level"),
        names_to_ids,
    )
    return theme_targets(mirtarbase, consensus, genes, stats)


def add_target_arguments(parser: argparse.ArgumentParser, consensus: Any = None) -> None:
    """The target and statistics inputs; --consensus goes into ``consensus`` if given (a
    group of alternatives), else it is required."""
    where = consensus or parser
    where.add_argument("--consensus", required=consensus is None, help="targets/consensus.tsv")
    parser.add_argument("--mirtarbase", help="results/targets/mirtarbase.tsv (validated pairs)")
    parser.add_argument("--enrichment", nargs="*", default=[], metavar="LIB=TSV")
    parser.add_argument("--set-level", nargs="*", default=[], metavar="LIB=TSV")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mirnas", required=True, help="the run's miRNAs: FASTA or mirnas.tsv")
    add_context_arguments(parser)
    add_target_arguments(parser)
    parser.add_argument("--out", required=True, help="Parquet table to write")


def run(args: argparse.Namespace) -> int:
    from mirlens.targets.select import read_run_names

    _themes, genes = context_inputs(args)
    names_to_ids = {name: acc for acc, name in read_run_names(args.mirnas).items()}
    table = from_arguments(args, genes, names_to_ids)
    write_parquet(table, args.out)
    log.info("%d miRNA x theme rows -> %s", len(table), args.out)
    return 0
