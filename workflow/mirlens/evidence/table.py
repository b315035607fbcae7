"""The evidence table: one row per miRNA x theme, ranked by one rule a reader can follow.

Rank rule (within each theme; also in config/README.md):

1. more lines of evidence first, counting three yes/no lines shown in ``support``:
   ``documents`` (n_theme_documents >= 1: the run's own papers discuss the miRNA in the
   theme's terms), ``validated`` (n_validated_theme_targets >= 1: miRTarBase has a
   validated target in the theme's sets), ``enriched`` (themed_fdr <= alpha: its targets
   are over-represented in a theme set);
2. then more theme documents, 3. then more validated theme targets,
4. then lower themed FDR, 5. then lower p-value (missing last), 6. then the miRNA name.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mirlens.io import join_list

COLUMNS = [
    "theme", "rank", "mirna", "mirbase_id", "support", "n_documents", "n_theme_documents",
    "theme_documents", "validated_theme_targets", "n_validated_theme_targets",
    "n_predicted_theme_targets", "best_library", "best_gene_set", "overlap", "pvalue",
    "themed_fdr", "set_level_pvalue", "claimed_theme_genes",
]  # fmt: skip
COUNTS = ["n_theme_documents", "n_validated_theme_targets", "n_predicted_theme_targets"]
LINES = ("documents", "validated", "enriched")


def support(table: pd.DataFrame, alpha: float) -> pd.Series:
    """The ';'-joined lines of evidence each row has (see the module's rank rule)."""
    has = pd.DataFrame(
        {
            "documents": table["n_theme_documents"] >= 1,
            "validated": table["n_validated_theme_targets"] >= 1,
            "enriched": table["themed_fdr"].le(alpha),
        }
    )
    return has.apply(lambda r: join_list(line for line in LINES if r[line]), axis=1)


def rank(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Sort by theme then the rank rule, number the rows 1.. within each theme."""
    table = table.assign(support=support(table, alpha) if len(table) else "")
    n_lines = table["support"].map(lambda s: len(s.split(";")) if s else 0)
    keys = table.assign(
        _lines=-n_lines,
        _docs=-table["n_theme_documents"],
        _valid=-table["n_validated_theme_targets"],
        _fdr=table["themed_fdr"].fillna(np.inf),
        _p=table["pvalue"].fillna(np.inf),
    )
    order = ["theme", "_lines", "_docs", "_valid", "_fdr", "_p", "mirna"]
    table = keys.sort_values(order, kind="mergesort").drop(columns=order[1:-1])
    table["rank"] = table.groupby("theme", sort=False).cumcount() + 1
    return table.reset_index(drop=True)


def evidence_table(
    mirnas: pd.DataFrame,
    themes: list[str],
    parts: list[pd.DataFrame],
    alpha: float,
) -> pd.DataFrame:
    """Every miRNA x theme, joined with each part (keyed by mirbase_id, theme), ranked."""
    grid = mirnas[["mirbase_id", "name", "n_documents"]].rename(columns={"name": "mirna"})
    grid = grid.merge(pd.DataFrame({"theme": themes}), how="cross")
    for part in parts:
        grid = grid.merge(part, on=["mirbase_id", "theme"], how="left")
    for col in COUNTS:
        grid[col] = pd.to_numeric(grid[col]).fillna(0).astype(int)
    grid["n_documents"] = pd.to_numeric(grid["n_documents"]).astype(int)
    grid["overlap"] = pd.to_numeric(grid["overlap"]).astype("Int64")
    for col in ("theme_documents", "validated_theme_targets", "best_library", "best_gene_set"):
        grid[col] = grid[col].fillna("")
    for col in ("pvalue", "themed_fdr", "set_level_pvalue"):
        grid[col] = pd.to_numeric(grid[col]).astype(float)
    if "claimed_theme_genes" not in grid:
        grid["claimed_theme_genes"] = ""  # filled by the literature-claims step (later)
    return rank(grid, alpha)[COLUMNS]
