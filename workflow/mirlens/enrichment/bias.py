"""The target-set bias model and the per-miRNA test that corrects for it.

Genes differ in how many miRNAs target them (long, conserved 3'UTRs): a gene's
*targetability* is the number of background miRNAs (all miRNAs of the species under the
same sources and thresholds) that target it. Gene sets rich in targetable genes look
"enriched" for any miRNA under the plain hypergeometric test.

The corrected test is conditional on targetability: genes are cut into strata of equal
targetability (quantiles), and under the null a miRNA's targets within a stratum are a
random draw from that stratum's genes. The overlap with a set is then a sum of independent
hypergeometric counts, one per stratum, with mean
``expected = sum_b n_b m_b / G_b`` (n_b: the miRNA's targets in stratum b, m_b: the set's
genes in it, G_b: its genes). Its upper tail is taken from Fisher's non-central
hypergeometric law on the whole universe whose mean is that stratified expectation (odds
from Cornfield's mean equation): exact arithmetic, no Monte-Carlo floor, the discrete and
skewed shape of small overlaps kept (a normal approximation, as in the
Cochran-Mantel-Haenszel statistic, is anti-conservative there), and the non-central law's
variance is about that of the stratified sum, slightly above (conservative).

Chosen by measurement (``bench/enrichment_calibration.py``, the mirror's pairs under the
shipped consensus: 2,480 miRNAs x 10 random sets per Hallmark set with its targetability,
1.24 M cells; randomised p, share < 0.05 / KS p):

- this test: 0.048 / 0.64 (5, 10, 20, 40 strata: 0.047-0.048, KS 0.39-0.73); miR-29a/b/c-3p
  -> Hallmark EMT p 2.8e-8 / 9.4e-8 / 1.6e-8; ~1 us per p-value, vectorised.
- CMH z-test over the same strata: 0.072 / 3e-29 (anti-conservative: normal tails).
- goseq's Wallenius test (one odds per set, gene weight = targetability): 0.055 / 0.15 on
  1,500 cells; p 5.8e-9 / 2.2e-8 / 2.8e-9, but 3-10 ms per p-value in scipy (15 M GO BP
  cells ~ a day) and one odds per set ignores each miRNA's own targetability profile.
- plain hypergeometric: 0.065 / 0.03 (inflated), p 2e-10 / 9e-10 / 9e-11.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse, stats

from mirlens.enrichment.tails import fnch_tail, odds_for_mean

N_STRATA = 20


@dataclass(frozen=True)
class BiasModel:
    """Targetability of every universe gene and its stratum."""

    targetability: np.ndarray  # (G,) background miRNAs targeting the gene
    stratum: np.ndarray  # (G,) stratum code 0..B-1 (increasing targetability)
    n_background: int

    @property
    def n_strata(self) -> int:
        return int(self.stratum.max()) + 1 if self.stratum.size else 0

    @classmethod
    def from_background(cls, Tbg: sparse.csr_array, n_strata: int = N_STRATA) -> BiasModel:
        t = np.asarray(Tbg.sum(axis=0)).ravel().astype(np.int64)
        return cls(t, targetability_strata(t, n_strata), int(Tbg.shape[0]))

    def indicator(self) -> sparse.csr_array:
        """(G, B) 0/1 matrix: gene -> its stratum."""
        G = self.stratum.size
        return sparse.csr_array(
            (np.ones(G), (np.arange(G), self.stratum)), shape=(G, max(self.n_strata, 1))
        )

    def stratum_sizes(self) -> np.ndarray:
        return np.bincount(self.stratum, minlength=max(self.n_strata, 1)).astype(np.float64)


def targetability_strata(t: np.ndarray, n_strata: int) -> np.ndarray:
    """Quantile strata of targetability; equal values always share a stratum."""
    if t.size == 0:
        return np.zeros(0, dtype=np.int64)
    edges = np.unique(np.quantile(t, np.linspace(0, 1, n_strata + 1)[1:-1], method="lower"))
    return np.searchsorted(edges, t, side="right").astype(np.int64)


def strata_margins(T: sparse.csr_array, S: sparse.csc_array, model: BiasModel):
    """(Nb, Mb): (R, B) targets of each miRNA per stratum, (B, K) genes of each set per
    stratum. With the stratum sizes they determine the null's mean and variance."""
    Z = model.indicator()
    Nb = np.asarray((T @ Z).todense(), dtype=np.float64)
    # C order on both paths (fresh and stored): einsum's summation follows the strides.
    Mb = np.ascontiguousarray(np.asarray((S.T @ Z).todense(), dtype=np.float64).T)
    return np.ascontiguousarray(Nb), Mb


def expected_from(Nb: np.ndarray, Mb: np.ndarray, Gb: np.ndarray) -> np.ndarray:
    """(R, K) expected overlaps under the stratified null: sum_b n_b m_b / G_b."""
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.nan_to_num(Nb / Gb[None, :])
    return _outer_sum(share, Mb)


def variance_from(Nb: np.ndarray, Mb: np.ndarray, Gb: np.ndarray) -> np.ndarray:
    """(R, K) variance of the stratified overlap (sum of hypergeometric variances)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        fn = np.nan_to_num(Nb * (Gb - Nb) / (Gb**2 * (Gb - 1.0)))
    return _outer_sum(fn, Mb * (Gb[:, None] - Mb))


def _outer_sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b with einsum's own loop: the same bits whatever the number of rows (BLAS
    kernels differ in the last bit), so stored and fresh statistics agree exactly."""
    return np.einsum("rb,bk->rk", a, b, optimize=False)


def stratified_expected(T: sparse.csr_array, S: sparse.csc_array, model: BiasModel) -> np.ndarray:
    return expected_from(*strata_margins(T, S, model), model.stratum_sizes())


def stratified_variance(T: sparse.csr_array, S: sparse.csc_array, model: BiasModel) -> np.ndarray:
    return variance_from(*strata_margins(T, S, model), model.stratum_sizes())


def corrected_pvalues(X: np.ndarray, E: np.ndarray, G: int, m: np.ndarray, n: np.ndarray):
    """P(overlap >= X) under the stratified null (see the module docstring).

    X, E: (R, K) overlaps and stratified expectations; m: (K,) set sizes; n: (R,) query
    sizes. Cells with X = 0 have p = 1 and cost nothing.
    """
    out = np.ones(X.shape)
    cells = np.flatnonzero(X > 0)
    if not cells.size:
        return out
    r, k = np.unravel_index(cells, X.shape)
    mm, nn, e = m[k], n[r], E.ravel()[cells]
    omega = odds_for_mean(G, mm, nn, e)
    # E at the top of the support (the set lies in strata the miRNA saturates): p = 1.
    top = e >= np.minimum(mm, nn) - 1e-12
    omega = np.where(top, np.inf, np.where(e <= 0, 0.0, omega))
    p = fnch_tail(X.ravel()[cells], G, mm, nn, omega)
    p[top] = 1.0
    out.ravel()[cells] = p
    return out


def cmh_pvalues(X: np.ndarray, E: np.ndarray, V: np.ndarray, continuity: float = 0.5):
    """One-sided Cochran-Mantel-Haenszel z-test with continuity correction (for comparison)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (X - E - continuity) / np.sqrt(V)
    return np.where(V > 0, stats.norm.sf(z), 1.0)
