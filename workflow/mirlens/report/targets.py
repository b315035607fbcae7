"""`mirlens report-targets`: the report's parts that follow from the miRNA set and the release.

Each miRNA's targets in evidence order and its gene-set statistics depend only on the
consensus targets, the enrichment tables and the miRNA set, none of which a rerun rewrites
when new papers name no new miRNA. Computed by a job of their own, they are then not
recomputed (Snakemake skips the job); `report` and `tables` read them:

- ``targets.json.gz``: the page's per-miRNA top targets (``t``), gene-set statistics
  (``st``) and theme targets (``tt``), for the FDR cut-off they were made with;
- a TSV of every miRNA's first :data:`MAX_TABLE_TARGETS` targets, for the workbook.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import pandas as pd

from mirlens.errors import MirlensError
from mirlens.io import atomic_open, write_tsv
from mirlens.report import data
from mirlens.report.load import CONS_COLS, ENR_NUMERIC, enrichment_rows, numeric, table

MAX_TABLE_TARGETS = 100  # targets per reported miRNA in the workbook (all in consensus.tsv)
TIERS = {2: "validated strong", 1: "validated", 0: "predicted"}
TARGET_COLS = ["mirna", "gene_symbol", "n_sources", "sources", "evidence"]


def summarise(
    ordered: pd.DataFrame, enrichment: pd.DataFrame, names: set[str], alpha: float
) -> dict:
    """The payload parts of :mod:`data` for the miRNAs ``names`` (``ordered``:
    :func:`data.target_order` of the consensus)."""
    tops, keys = data.targets_payload(ordered, names)
    stats, theme_targets = data.stats_payload(enrichment, keys, alpha)
    return {"alpha": alpha, "t": tops, "st": stats, "tt": theme_targets, "notes": []}


def top_targets(consensus: pd.DataFrame, ordered: pd.DataFrame) -> pd.DataFrame:
    """Every miRNA's first MAX_TABLE_TARGETS consensus rows in evidence order, with a tier."""
    order = ordered[ordered.groupby("mirna").cumcount() < MAX_TABLE_TARGETS]
    out = consensus.loc[order.index, TARGET_COLS].copy()
    out.insert(2, "evidence_tier", order["tier"].map(TIERS))
    return out


def write_summary(summary: dict, path: Path) -> None:
    raw = json.dumps(summary, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    with atomic_open(path, "wb") as fh:  # fixed mtime: byte-identical reruns
        fh.write(gzip.compress(raw.encode("utf-8"), 6, mtime=0))


def read_summary(path: Path, alpha: float) -> dict:
    """A summary written by :func:`write_summary`, checked to be for the FDR cut-off ``alpha``."""
    try:
        summary = json.loads(gzip.decompress(Path(path).read_bytes()).decode("utf-8"))
    except (OSError, EOFError, ValueError) as exc:
        raise MirlensError(f"cannot read the targets summary {path}: {exc}") from exc
    if summary.get("alpha") != alpha:
        raise MirlensError(f"{path} was made for FDR {summary.get('alpha')}, not {alpha}")
    return summary


def read_top_targets(path: Path) -> pd.DataFrame:
    cols = [*TARGET_COLS[:2], "evidence_tier", *TARGET_COLS[2:]]
    return table(Path(path), cols, [], required=True)


def mirna_names(fasta: Path) -> set[str]:
    from mirlens.mirbase import read_mature

    return set(read_mature(fasta)["name"])


def build(results_dir: Path, fasta: Path, alpha: float, out: Path, tables_out: Path) -> None:
    notes: list[str] = []
    root = Path(results_dir)
    consensus = table(root / "targets" / "consensus.tsv", CONS_COLS, notes)
    enrichment = numeric(enrichment_rows(root / "enrichment", notes), ENR_NUMERIC)
    ordered = data.target_order(consensus)
    summary = summarise(ordered, enrichment, mirna_names(fasta), alpha)
    write_summary({**summary, "notes": notes}, out)
    write_tsv(top_targets(consensus, ordered), tables_out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--results-dir", type=Path, default=Path("results"))
    parser.add_argument(
        "--mirnas", type=Path, required=True, help="the run's miRNA set (sequences/mirnas.fa)"
    )
    parser.add_argument(
        "--alpha", type=float, default=0.05, help="themed FDR at which a result is a finding"
    )
    parser.add_argument("--out", type=Path, required=True, help="the page's part (.json.gz)")
    parser.add_argument("--tables-out", type=Path, required=True, help="the workbook's part (TSV)")


def run(args: argparse.Namespace) -> int:
    build(args.results_dir, args.mirnas, args.alpha, args.out, args.tables_out)
    return 0
