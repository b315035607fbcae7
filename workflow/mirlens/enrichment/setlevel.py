"""Set-level answer: do the literature's miRNAs target a gene set more than other miRNAs?

Per gene set, a one-sided Mann-Whitney U test (normal approximation with tie correction)
of the per-miRNA statistic ``z`` (overlap minus its bias-corrected expectation, over its
standard deviation: null mean 0 whatever a miRNA's target count) of the literature's
miRNAs against every other background miRNA. Unlike a union of targets (which covers most
of the universe at a few hundred miRNAs) or Fisher's combination of dependent p-values,
it stays meaningful at any number of miRNAs. ``statistic`` is U / (n1 n2): the chance
that a literature miRNA's z exceeds a background miRNA's.

The random-miRNA empirical null of earlier versions is gone: per miRNA its floor (one over
the ~250 miRNAs of a target-count bin) kept every FDR above 0.05 whatever the data, and at
set level this rank test against all ~2,500 background miRNAs answers the same question
without a Monte-Carlo floor.

``genes_union`` (the bias-corrected test on the union of the literature's targets) is
added only while the union covers less than half of the universe.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse, stats

from mirlens.enrichment.bias import BiasModel, corrected_pvalues, expected_from, strata_margins

UNION_MAX_COVERAGE = 0.5
SET_LEVEL_COLUMNS = [
    "gene_set",
    "theme",
    "hypothesis",
    "n_mirnas",
    "n_background",
    "statistic",
    "pvalue",
    "fdr",
    "test",
    "scope",
]


def rank_test(z_lit: np.ndarray, z_bg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(U / (n1 n2), one-sided p) per column: literature (rows of z_lit) > background.

    Equals ``scipy.stats.mannwhitneyu(z_lit, z_bg, axis=0, alternative="greater",
    method="asymptotic")`` (tie-corrected normal approximation with continuity correction),
    computed from one sort of each column instead of full rank matrices.
    """
    n1, n2, K = z_lit.shape[0], z_bg.shape[0], z_lit.shape[1]
    if n1 == 0 or n2 == 0:
        return np.full(K, np.nan), np.full(K, np.nan)
    N = n1 + n2
    rank_sum, ties = np.empty(K), np.empty(K)
    for a in range(0, K, RANK_BLOCK):  # blocks of sets: vectorised, memory bounded
        b = min(a + RANK_BLOCK, K)
        rank_sum[a:b], ties[a:b] = _rank_sums(np.vstack([z_lit[:, a:b], z_bg[:, a:b]]).T, n1)
    u = rank_sum - n1 * (n1 + 1) / 2.0
    mu = n1 * n2 / 2.0
    var = n1 * n2 / 12.0 * ((N + 1) - ties / (N * (N - 1)))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (u - mu - 0.5) / np.sqrt(var)
    p = np.where(var > 0, stats.norm.sf(z), 1.0)
    return u / (n1 * n2), p


RANK_BLOCK = 256  # sets ranked at once


def _rank_sums(values: np.ndarray, n1: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``values`` (sets x miRNAs, the first n1 the literature's): the sum of the
    literature's average ranks (1-based) and the tie term sum(t^3 - t) over tie groups."""
    rows, n = values.shape
    # ties share their average rank, so their order is free: quicksort, 3x a stable sort
    order = np.argsort(values, axis=1)
    col = np.take_along_axis(values, order, axis=1)
    new = np.ones((rows, n), dtype=bool)
    new[:, 1:] = col[:, 1:] != col[:, :-1]  # a tie group starts here
    idx = np.broadcast_to(np.arange(n), (rows, n))
    start = np.maximum.accumulate(np.where(new, idx, 0), axis=1)  # first index of the group
    last = np.ones((rows, n), dtype=bool)
    last[:, :-1] = new[:, 1:]
    end = np.minimum.accumulate(np.where(last, idx, n)[:, ::-1], axis=1)[:, ::-1] + 1
    twice_rank = start + end + 1  # twice the average 1-based rank of the group
    rank_sum = np.where(order < n1, twice_rank, 0).sum(axis=1) / 2.0
    t = (end - start).astype(np.float64)  # each member adds t^2 - 1: sum(t^3 - t) per group
    return rank_sum, (t * t - 1.0).sum(axis=1)


def genes_union(T_run: sparse.csr_array, S: sparse.csc_array, model: BiasModel):
    """(coverage, overlap, expected, p) of the union of the run's targets, or None when the
    union covers at least UNION_MAX_COVERAGE of the universe (a test of nothing)."""
    G = T_run.shape[1]
    union = sparse.csr_array((np.asarray(T_run.sum(axis=0)).reshape(1, -1) > 0).astype(float))
    coverage = union.sum() / max(G, 1)
    if coverage >= UNION_MAX_COVERAGE or union.sum() == 0:
        return None
    Nb, Mb = strata_margins(union, S, model)
    E = expected_from(Nb, Mb, model.stratum_sizes())
    X = (union @ S).astype(np.int64).toarray()
    m = np.asarray(S.sum(axis=0)).ravel().astype(np.int64)
    p = corrected_pvalues(X, E, G, m, np.array([int(union.sum())]))
    return float(coverage), X[0], E[0], p[0]


def set_level_table(
    names: list[str],
    theme_of: dict[str, str],
    auc: np.ndarray,
    p: np.ndarray,
    n_lit: int,
    n_bg: int,
    union: tuple | None,
) -> pd.DataFrame:
    """One row per set for the rank test (themed first, then by p), then genes_union rows."""
    from mirlens.enrichment.tables import fdr_by_hypothesis

    theme = np.asarray([theme_of.get(n, "") for n in names], dtype=object)
    hyp = np.where(theme != "", "themed", "exploratory")
    frames = [
        pd.DataFrame(
            {
                "gene_set": names,
                "theme": theme,
                "hypothesis": hyp,
                "n_mirnas": n_lit,
                "n_background": n_bg,
                "statistic": auc,
                "pvalue": p,
                "test": "mann_whitney_z_vs_background",
                "scope": "literature_mirnas",
            }
        )
    ]
    if union is not None:
        coverage, X, E, pu = union
        frames.append(
            frames[0].assign(
                n_background=0,
                statistic=X / np.maximum(E, 1e-12),
                pvalue=pu,
                test=f"corrected_hypergeometric_union (covers {coverage:.0%})",
                scope="genes_union",
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out = out[out["pvalue"].notna()].copy()
    out["fdr"] = fdr_by_hypothesis(out["pvalue"].to_numpy(), out["hypothesis"] + out["scope"])
    order = np.lexsort(
        (
            out["gene_set"],
            out["pvalue"],
            out["hypothesis"] != "themed",
            out["scope"] != "literature_mirnas",
        )
    )
    return out.iloc[order][SET_LEVEL_COLUMNS].reset_index(drop=True)
