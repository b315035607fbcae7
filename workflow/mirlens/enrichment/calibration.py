"""Calibration of the per-miRNA tests: random gene sets with a real set's targetability.

Each random set replaces every gene of a real gene set by a random universe gene of nearly
the same targetability (the same one of ``fine`` quantile bins, much finer than the test's
strata), so the bias is kept and the biology gone. Every p-value of a calibrated test is
then uniform; the plain hypergeometric one is not. Used by the calibration test and
``bench/enrichment_calibration.py``.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse, stats

from mirlens.enrichment.bias import (
    BiasModel,
    cmh_pvalues,
    corrected_pvalues,
    stratified_expected,
    stratified_variance,
)
from mirlens.enrichment.matrices import overlaps, query_sizes
from mirlens.enrichment.tails import hypergeom_tail


def matched_random_sets(
    S: sparse.csc_array, targetability: np.ndarray, n_draws: int, rng, fine: int = 200
) -> tuple[sparse.csc_array, np.ndarray]:
    """(G, K * n_draws) random sets, ``n_draws`` per column of S, and each one's source set."""
    G = targetability.size
    order = np.lexsort((rng.random(G), targetability))
    fine_bin = np.empty(G, dtype=np.int64)
    fine_bin[order] = np.arange(G) * fine // G
    members = [np.flatnonzero(fine_bin == b) for b in range(fine)]
    rows, cols, source = [], [], []
    S = sparse.csc_array(S)
    col = 0
    for k in range(S.shape[1]):
        genes = S.indices[S.indptr[k] : S.indptr[k + 1]]
        need = np.bincount(fine_bin[genes], minlength=fine)
        for _ in range(n_draws):
            pick = [rng.choice(members[b], need[b], replace=False) for b in np.flatnonzero(need)]
            g = np.concatenate(pick)
            rows.append(g)
            cols.append(np.full(g.size, col))
            source.append(k)
            col += 1
    r, c = np.concatenate(rows), np.concatenate(cols)
    R = sparse.csc_array((np.ones(r.size), (r, c)), shape=(G, col))
    return R, np.asarray(source)


def null_pvalues(T: sparse.csr_array, R: sparse.csc_array, model: BiasModel, rng) -> dict:
    """Every test's (miRNAs x random sets) p-values: corrected, CMH and plain, each also
    randomised."""
    G = T.shape[1]
    X, n = overlaps(T, R), query_sizes(T)
    m = np.asarray(R.sum(axis=0)).ravel().astype(np.int64)
    E = stratified_expected(T, R, model)
    V = stratified_variance(T, R, model)
    # Randomised p-values P(X > x) + U P(X = x) of a discrete test are exactly uniform
    # under its null: they check the null law itself, not the test's discreteness.
    u = rng.random(X.shape)
    out = {"overlap": X, "expected": E}
    for name, tail in (
        ("corrected", lambda x: corrected_pvalues(x, E, G, m, n)),
        ("hypergeom", lambda x: hypergeom_tail(x, G, m[None, :], n[:, None])),
    ):
        p, p_next = tail(X), tail(X + 1)
        out[name] = p
        out[name + "_randomised"] = p_next + u * (p - p_next)
    out["cmh"] = cmh_pvalues(X, E, V)
    out["cmh_randomised"] = cmh_pvalues(X, E, V, continuity=0.0)  # mid-p analogue
    return out


def summary(p: np.ndarray, rng, n_ks: int = 2000) -> dict:
    """Share of p < 0.05 over all cells, KS against uniform on ``n_ks`` random cells."""
    flat = np.asarray(p).ravel()
    sample = rng.choice(flat.size, min(n_ks, flat.size), replace=False)
    return {
        "share_below_0.05": float(np.mean(flat < 0.05)),
        "ks_pvalue": float(stats.kstest(flat[sample], "uniform").pvalue),
        "n_cells": int(flat.size),
        "n_ks": int(sample.size),
    }
