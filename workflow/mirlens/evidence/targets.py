"""Targets of a miRNA inside a theme's gene sets: validated (miRTarBase) and predicted."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from mirlens.io import join_list

VALIDATED_COLUMNS = ["mirbase_id", "theme", "validated_theme_targets", "n_validated_theme_targets"]
PREDICTED_COLUMNS = ["mirbase_id", "theme", "n_predicted_theme_targets"]
TIER_ORDER = {"strong": 0, "weak": 1}  # miRTarBase evidence tiers, strongest first


def _in_themes(pairs: pd.DataFrame, genes: Mapping[str, set[str]]) -> pd.DataFrame:
    """The pairs whose gene is in a theme's sets, one row per (pair, theme)."""
    members = pd.DataFrame(
        [(t, g) for t, gs in genes.items() for g in sorted(gs)], columns=["theme", "gene_key"]
    )
    keyed = pairs.assign(gene_key=pairs["gene_symbol"].str.upper())
    return keyed.merge(members, on="gene_key", how="inner")


def _number(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").fillna(0)


def validated_theme_targets(
    mirtarbase: pd.DataFrame, genes: Mapping[str, set[str]]
) -> pd.DataFrame:
    """miRTarBase genes in each theme's sets, strongest evidence first.

    Strongest = evidence tier (strong before weak), then more supporting papers (n_pmids),
    then more experiments (n_evidence), then the gene symbol.
    """
    if mirtarbase.empty:
        return pd.DataFrame(columns=VALIDATED_COLUMNS)
    hits = _in_themes(mirtarbase, genes)
    hits = hits.assign(
        tier=hits.get("evidence", pd.Series("", index=hits.index)).map(TIER_ORDER).fillna(2),
        n_pmids=_number(hits.get("n_pmids", pd.Series(0, index=hits.index))),
        n_evidence=_number(hits.get("n_evidence", pd.Series(0, index=hits.index))),
    )
    hits = hits.sort_values(
        ["mirbase_id", "theme", "tier", "n_pmids", "n_evidence", "gene_symbol"],
        ascending=[True, True, True, False, False, True],
    ).drop_duplicates(["mirbase_id", "theme", "gene_key"])
    out = hits.groupby(["mirbase_id", "theme"], sort=True)["gene_symbol"].agg(
        validated_theme_targets=join_list, n_validated_theme_targets="size"
    )
    return out.reset_index()[VALIDATED_COLUMNS]


def predicted_theme_targets(consensus: pd.DataFrame, genes: Mapping[str, set[str]]) -> pd.DataFrame:
    """Number of consensus targets a prediction source reports, inside each theme's sets."""
    predicted = consensus[_number(consensus["n_predicted"]) > 0]
    if predicted.empty:
        return pd.DataFrame(columns=PREDICTED_COLUMNS)
    hits = _in_themes(predicted, genes).drop_duplicates(["mirbase_id", "theme", "gene_key"])
    out = hits.groupby(["mirbase_id", "theme"], sort=True).size()
    return out.rename("n_predicted_theme_targets").reset_index()[PREDICTED_COLUMNS]
