"""Per-run enrichment tables: themed hypotheses, exploratory rest, each with its own FDR.

The user's themes (EMT, angiogenesis, immune ...) are the hypotheses: ``fdr`` of a themed
row is Benjamini-Hochberg over every run miRNA x every theme set of the library. Every
other set is ``exploratory`` with a separate BH over its own rows, and the readable TSV
keeps exploratory rows only when that FDR passes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from mirlens.enrichment.tails import bh

COLUMNS = [
    "scope", "mirbase_id", "gene_set", "theme", "hypothesis", "set_size", "overlap",
    "expected", "universe_size", "odds_ratio", "pvalue", "pvalue_hypergeom", "fdr", "genes",
    # extras
    "library", "n_targets", "expected_plain", "z",
]  # fmt: skip


def fdr_by_hypothesis(p: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """BH within each group of rows (e.g. themed / exploratory)."""
    out = np.empty(len(p))
    groups = np.asarray(groups)
    for g in np.unique(groups):
        sel = groups == g
        out[sel] = bh(np.asarray(p)[sel], axis=None)
    return out


def run_table(
    mirnas: list[str],
    mirbase_ids: list[str],
    set_names: list[str],
    set_sizes: np.ndarray,
    theme_of: dict[str, str],
    stats: dict[str, np.ndarray],
    genes: Callable[[np.ndarray], np.ndarray],
    universe_size: int,
    library: str,
    readable_fdr: float | None = None,
) -> pd.DataFrame:
    """Every (miRNA, set) row; themed first, then by p-value, miRNA and set name. With
    ``readable_fdr``, only the rows :func:`readable` keeps, in the same order (the FDRs are
    still over every row; millions of rows for GO are never built). ``genes(cells)``: the
    overlap genes of flat cells r*K+k, asked for the built rows only."""
    R, K = len(mirnas), len(set_names)
    set_theme = np.asarray([theme_of.get(n, "") for n in set_names], dtype=object)
    themed_set = set_theme != ""
    r = np.repeat(np.arange(R), K)
    k = np.tile(np.arange(K), R)
    p = np.asarray(stats["pvalue"], dtype=np.float64).ravel()
    fdr = fdr_by_hypothesis(p, themed_set[k])
    rows = np.arange(R * K)
    if readable_fdr is not None:
        rows = np.flatnonzero(themed_set[k] | (fdr <= readable_fdr))
    order = rows[np.lexsort((k[rows], r[rows], p[rows], ~themed_set[k[rows]]))]
    r, k = r[order], k[order]
    n = len(order)

    # Repeated strings as categoricals: millions of rows for GO libraries.
    cols = {
        "scope": pd.Categorical.from_codes(r, mirnas),
        "mirbase_id": _categorical(np.asarray(mirbase_ids, dtype=object), r),
        "gene_set": pd.Categorical.from_codes(k, set_names),
        "theme": _categorical(set_theme, k),
        "hypothesis": _categorical(np.where(themed_set, "themed", "exploratory"), k),
        "set_size": np.asarray(set_sizes, dtype=np.int64)[k],
        "universe_size": np.full(n, universe_size, dtype=np.int64),
        "fdr": fdr[order],
        "genes": np.asarray(genes(order), dtype=object),
        "library": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [library]),
    }
    for c in ("overlap", "expected", "odds_ratio", "pvalue", "pvalue_hypergeom"):
        cols[c] = np.asarray(stats[c]).ravel()[order]
    for c in ("n_targets", "expected_plain", "z"):
        cols[c] = np.asarray(stats[c]).ravel()[order]
    return pd.DataFrame(cols)[COLUMNS]


def _categorical(values: np.ndarray, codes: np.ndarray) -> pd.Categorical:
    """values[codes] as a categorical (categories: the distinct values, sorted)."""
    cats, inv = np.unique(np.asarray(values, dtype=str), return_inverse=True)
    return pd.Categorical.from_codes(inv[codes], pd.Index(cats.astype(object), dtype=object))


def readable(table: pd.DataFrame, exploratory_fdr: float) -> pd.DataFrame:
    """Themed rows, plus exploratory rows whose own FDR is at most ``exploratory_fdr``."""
    keep = (table["hypothesis"] == "themed") | (table["fdr"] <= exploratory_fdr)
    return table[keep.to_numpy()]
