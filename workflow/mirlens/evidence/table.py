"""The evidence table: one row per miRNA x theme, ranked by one rule a reader can follow.

Rank rule (within each theme; also in config/README.md):

1. the tier in ``tier``, in this order: ``documents+enriched`` (the run's own papers
   discuss the miRNA in the theme's terms, n_theme_documents >= 1, AND its targets are
   over-represented in a theme set, themed_fdr <= alpha), ``documents`` (papers only),
   ``enriched`` (statistics only), ``none``;
2. then more theme documents, 3. then more validated theme targets (miRTarBase),
4. then lower themed FDR, 5. then lower p-value (missing last), 6. then the miRNA name.

Papers come before statistics: a sentence of the user's literature that puts the miRNA in
the theme is direct evidence; an enriched target set says only that it could act there.
Validated targets break ties rather than form a tier: miRTarBase follows how much a miRNA
has been studied (miR-210, the hypoxia miRNA of 10 angiogenesis documents in 2,052 real
lung-cancer papers, has no strong miRTarBase target in the theme's sets).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mirlens.contracts import EVIDENCE

COLUMNS = list(EVIDENCE)
COUNTS = ["n_theme_documents", "n_validated_theme_targets", "n_predicted_theme_targets"]
TIERS = ("documents+enriched", "documents", "enriched", "none")


def tier(table: pd.DataFrame, alpha: float) -> pd.Series:
    """The tier of each row (see the module's rank rule)."""
    documents = table["n_theme_documents"] >= 1
    enriched = table["themed_fdr"].le(alpha)
    return pd.Series(
        np.select([documents & enriched, documents, enriched], list(TIERS[:3]), default=TIERS[3]),
        index=table.index,
    )


def rank(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Sort by theme then the rank rule, number the rows 1.. within each theme."""
    table = table.assign(tier=tier(table, alpha))
    keys = table.assign(
        _tier=table["tier"].map(TIERS.index),
        _docs=-table["n_theme_documents"],
        _valid=-table["n_validated_theme_targets"],
        _fdr=table["themed_fdr"].fillna(np.inf),
        _p=table["pvalue"].fillna(np.inf),
    )
    order = ["theme", "_tier", "_docs", "_valid", "_fdr", "_p", "mirna"]
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
    if "claimed_theme_genes" not in grid:
        grid["claimed_theme_genes"] = ""  # no claims table given
    for col in ("theme_documents", "validated_theme_targets", "best_library", "best_gene_set",
                "claimed_theme_genes"):  # fmt: skip
        grid[col] = grid[col].fillna("")
    for col in ("pvalue", "themed_fdr", "set_level_pvalue"):
        grid[col] = pd.to_numeric(grid[col]).astype(float)
    return rank(grid, alpha)[COLUMNS]
