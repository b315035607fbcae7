"""The bias-corrected per-miRNA test: exact tails, the stratified null, its calibration."""

from __future__ import annotations

import numpy as np
from scipy import sparse, stats

from mirlens.enrichment.bias import (
    BiasModel,
    corrected_pvalues,
    stratified_expected,
    targetability_strata,
)
from mirlens.enrichment.tails import fnch_tail, hypergeom_tail, odds_for_mean


def test_fnch_tail_equals_scipy_nchypergeom_fisher():
    rng = np.random.default_rng(1)
    M, k = 4159, 300
    m, n = rng.integers(5, 400, k), rng.integers(1, 2000, k)
    w = np.exp(rng.normal(0, 1, k))
    x = np.array([rng.integers(0, min(a, b) + 1) for a, b in zip(m, n, strict=True)])
    x[:40] = np.minimum(m[:40], n[:40])  # the far end of the support
    got = fnch_tail(x, M, m, n, w)
    ref = np.array(
        [stats.nchypergeom_fisher.sf(*a) for a in zip(x - 1, [M] * k, m, n, w, strict=True)]
    )
    assert np.allclose(got, ref, rtol=1e-9, atol=1e-11)
    # odds 1 is the central law
    assert np.allclose(fnch_tail(x, M, m, n, np.ones(k)), hypergeom_tail(x, M, m, n), rtol=1e-9)


def test_odds_for_mean_gives_that_mean():
    M, m, n = 4000, np.array([50, 200]), np.array([300, 1000])
    for mean in (np.array([5.0, 60.0]), np.array([1.0, 40.0])):
        w = odds_for_mean(M, m, n, mean)
        got = [stats.nchypergeom_fisher.mean(M, a, b, c) for a, b, c in zip(m, n, w, strict=True)]
        assert np.allclose(got, mean, rtol=0.02)


def test_strata_keep_ties_together_and_increase():
    t = np.array([0, 0, 0, 1, 1, 2, 3, 5, 8, 8, 8, 40])
    s = targetability_strata(t, 4)
    assert all(len(set(s[t == v])) == 1 for v in np.unique(t))
    assert np.all(np.diff(s[np.argsort(t, kind="stable")]) >= 0)


def test_corrected_test_removes_the_bias_of_a_targetable_set():
    """A set of the most targetable genes: plain p is tiny for a random-like miRNA, the
    corrected one is not; the stratified expectation is the sum over strata."""
    rng = np.random.default_rng(3)
    G, N = 2000, 400
    t_gene = np.linspace(0.01, 0.5, G)  # targeting probability rises along the genes
    Tbg = sparse.csr_array((rng.random((N, G)) < t_gene).astype(float))
    model = BiasModel.from_background(Tbg, 10)
    S = sparse.csc_array(np.eye(G)[:, -100:].sum(axis=1, keepdims=True))  # top 100 genes
    E = stratified_expected(Tbg, S, model)
    Z = model.indicator().toarray()
    nb, mb = Tbg @ Z, S.T @ Z
    assert np.allclose(E[:, 0], (nb / Z.sum(axis=0)) @ mb[0])
    X = (Tbg @ S).toarray().astype(np.int64)
    n = np.asarray(Tbg.sum(axis=1)).astype(np.int64)
    p_plain = hypergeom_tail(X[:, 0], G, 100, n)
    p_corr = corrected_pvalues(X, E, G, np.array([100]), n)[:, 0]
    assert np.mean(p_plain < 0.05) > 0.5
    assert 0.0 < np.mean(p_corr < 0.05) < 0.08
