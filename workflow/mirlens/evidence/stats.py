"""The statistics columns: each miRNA's best themed gene set per theme, from the enrichment.

Reads ``results/enrichment/<library>.tsv`` (per-miRNA rows; ``theme`` names the themes of
a themed set, ';'-joined) and, where present, ``<library>.set_level.tsv``. The best set of
a (miRNA, theme) is the one with the lowest themed FDR, then p-value, over all libraries,
among the sets holding at least one of its targets (none: the columns stay empty).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from mirlens.io import read_tsv, split_list

COMBINED_SCOPES = ("genes_union", "pathways_union")
STATS_COLUMNS = [
    "mirbase_id", "theme", "best_library", "best_gene_set", "overlap", "pvalue", "themed_fdr",
    "set_level_pvalue",
]  # fmt: skip
_WANTED = {"scope", "mirbase_id", "gene_set", "theme", "hypothesis", "overlap", "pvalue", "fdr"}


def themed_rows(table: pd.DataFrame, library: str) -> pd.DataFrame:
    """Per-miRNA rows of themed gene sets, one per theme, with their themed FDR.

    Tables with a ``hypothesis`` column carry the themed FDR in ``fdr`` (BH over all run
    miRNAs x theme sets of the library). Older tables do not; there the themed FDR is
    computed the same way here, from their ``pvalue``.
    """
    rows = table[~table["scope"].isin(COMBINED_SCOPES) & (table["theme"] != "")].copy()
    if "hypothesis" in rows:
        rows = rows[rows["hypothesis"] == "themed"]
    rows["pvalue"] = pd.to_numeric(rows["pvalue"], errors="coerce")
    rows = rows.dropna(subset=["pvalue"])
    if "hypothesis" in rows:
        rows["themed_fdr"] = pd.to_numeric(rows["fdr"], errors="coerce")
    else:  # scipy only for these old tables: its import costs two seconds
        from scipy.stats import false_discovery_control

        fdr = false_discovery_control(rows["pvalue"].to_numpy()) if len(rows) else []
        rows["themed_fdr"] = fdr
    rows["theme"] = rows["theme"].map(split_list)
    rows = rows.explode("theme").assign(best_library=library)
    return rows.rename(columns={"gene_set": "best_gene_set"})


def set_level_pvalues(path: Path, library: str) -> pd.DataFrame:
    """gene set -> the p-value of the literature-wide test of the set, if the table exists."""
    if not path.is_file():
        return levels_empty()
    table = read_tsv(path)
    if "scope" in table:  # the literature's miRNAs vs the background (not genes_union rows)
        table = table[table["scope"] == "literature_mirnas"]
    table = table.drop_duplicates("gene_set")
    return pd.DataFrame(
        {
            "best_library": library,
            "best_gene_set": table["gene_set"],
            "set_level_pvalue": pd.to_numeric(table["pvalue"], errors="coerce"),
        }
    )


def read_enrichment(path: Path) -> pd.DataFrame:
    return read_tsv(path, usecols=lambda c: c in _WANTED)


def best_sets(tables: Mapping[str, pd.DataFrame], names_to_ids: Mapping[str, str]) -> pd.DataFrame:
    """(mirbase_id, theme) -> best library, gene set, overlap, p-value and themed FDR."""
    parts = [themed_rows(t, lib) for lib, t in sorted(tables.items())]
    rows = pd.concat([p for p in parts if not p.empty] or [pd.DataFrame()], ignore_index=True)
    if rows.empty:
        return pd.DataFrame(columns=STATS_COLUMNS[:-1])
    if "mirbase_id" not in rows:
        rows["mirbase_id"] = rows["scope"].map(names_to_ids)
    rows = rows.dropna(subset=["mirbase_id"])
    rows["overlap"] = pd.to_numeric(rows["overlap"], errors="coerce").astype("Int64")
    rows = rows[rows["overlap"] > 0]  # a set the miRNA does not reach is no "best set"
    rows = rows.sort_values(
        ["mirbase_id", "theme", "themed_fdr", "pvalue", "best_library", "best_gene_set"]
    ).drop_duplicates(["mirbase_id", "theme"])
    return rows[STATS_COLUMNS[:-1]].reset_index(drop=True)


def statistics(
    enrichment: Mapping[str, Path],
    set_level: Mapping[str, Path],
    names_to_ids: Mapping[str, str],
) -> pd.DataFrame:
    """The statistics columns of the evidence table, from the per-library result files."""
    tables = {lib: read_enrichment(p) for lib, p in enrichment.items()}
    best = best_sets(tables, names_to_ids)
    levels = [set_level_pvalues(Path(p), lib) for lib, p in sorted(set_level.items())]
    levels = pd.concat([lv for lv in levels if not lv.empty] or [levels_empty()], ignore_index=True)
    return best.merge(levels, on=["best_library", "best_gene_set"], how="left")[STATS_COLUMNS]


def levels_empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["best_library", "best_gene_set", "set_level_pvalue"])
