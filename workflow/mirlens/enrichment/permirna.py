"""Per-miRNA statistics against every gene set: overlap, bias-corrected and plain tests."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from mirlens.enrichment.bias import (
    BiasModel,
    corrected_pvalues,
    expected_from,
    strata_margins,
    variance_from,
)
from mirlens.enrichment.matrices import overlaps, query_sizes
from mirlens.enrichment.tails import haldane_odds_ratio, hypergeom_tail

# Columns of the statistics, in the store and in the per-run tables.
STAT_COLUMNS = (
    "n_targets", "overlap", "expected", "expected_plain", "odds_ratio", "z", "pvalue",
    "pvalue_hypergeom",
)  # fmt: skip


def mirna_statistics(
    T: sparse.csr_array, S: sparse.csc_array, model: BiasModel
) -> dict[str, np.ndarray]:
    """(R, K) matrices for miRNAs (rows of T) x sets (columns of S); see :func:`derived`.

    ``pvalue``: the bias-corrected test (:mod:`mirlens.enrichment.bias`);
    ``pvalue_hypergeom``: the plain hypergeometric test.
    """
    G = T.shape[1]
    Nb, Mb = strata_margins(T, S, model)
    out = derived(overlaps(T, S), Nb, Mb, model.stratum_sizes(), G)
    n, m = query_sizes(T), np.asarray(S.sum(axis=0)).ravel().astype(np.int64)
    out["pvalue"] = corrected_pvalues(out["overlap"], out["expected"], G, m, n)
    out["pvalue_hypergeom"] = hypergeom_tail(out["overlap"], G, m[None, :], n[:, None])
    return out


def derived(X: np.ndarray, Nb: np.ndarray, Mb: np.ndarray, Gb: np.ndarray, G: int) -> dict:
    """What follows from overlaps and strata margins: ``expected`` (the overlap expected
    from the targetability strata), ``z`` = (overlap - expected) / its stratified standard
    deviation (the per-miRNA statistic of the set-level rank test), ``expected_plain``,
    ``odds_ratio`` (Haldane) and ``n_targets``."""
    n = np.rint(Nb.sum(axis=1)).astype(np.int64)
    m = np.rint(Mb.sum(axis=0)).astype(np.int64)
    E = expected_from(Nb, Mb, Gb)
    return {
        "n_targets": np.broadcast_to(n[:, None], X.shape),
        "overlap": X,
        "expected": E,
        "expected_plain": np.multiply(n[:, None], m[None, :], dtype=np.float64) / max(G, 1),
        "odds_ratio": haldane_odds_ratio(X, G, m[None, :], n[:, None]),
        "z": standardised(X, Nb, Mb, Gb, E),
    }


def standardised(X, Nb, Mb, Gb, E: np.ndarray | None = None) -> np.ndarray:
    """(overlap - expected) / its stratified standard deviation (0 where it has none)."""
    E = expected_from(Nb, Mb, Gb) if E is None else E
    V = variance_from(Nb, Mb, Gb)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(V > 0, (X - E) / np.sqrt(V), 0.0)
