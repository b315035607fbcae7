"""Calibration on real target pairs: the bias-corrected test is uniform on random gene sets
that keep a Hallmark set's targetability (bias kept, biology gone); the plain
hypergeometric test is not.

The mirror's TargetScan context-score table (real miRNA -> gene pairs) is parsed minimally
here, independent of the targets stage. Each Hallmark set gets random sets whose genes have
the targetability of its own genes (200 fine quantile bins, ten times finer than the test's
strata). Discrete tests are checked with randomised p-values, P(X > x) + U P(X = x), which
are exactly uniform under a test's null, so what is tested is the null law, not its
discreteness (the p-values reported are the ordinary, conservative ones).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import shared_path
from test_enrichment import targetscan_pairs

from mirlens.enrichment.calibration import matched_random_sets, null_pvalues, summary
from mirlens.enrichment.context import prepare
from mirlens.genesets import read_library

HALLMARK = "mirror/data.broadinstitute.org/gsea-msigdb/msigdb/release/7.0/h.all.v7.0.symbols.gmt"
N_DRAWS = 4


@pytest.fixture(scope="module")
def null_runs():
    ctx = prepare(read_library(shared_path(HALLMARK), name="hallmark"), targetscan_pairs())
    rng = np.random.default_rng(11)
    R, _ = matched_random_sets(ctx.sets.matrix, ctx.model.targetability, N_DRAWS, rng)
    return null_pvalues(ctx.targets, R, ctx.model, rng)


def test_corrected_pvalues_uniform_on_matched_random_sets(null_runs):
    s = summary(null_runs["corrected_randomised"], np.random.default_rng(1))
    assert s["n_cells"] > 50_000
    assert s["ks_pvalue"] > 0.05, s
    assert 0.035 <= s["share_below_0.05"] <= 0.065, s
    # the ordinary (discrete) p-values are conservative, never inflated
    assert summary(null_runs["corrected"], np.random.default_rng(1))["share_below_0.05"] <= 0.065


def test_plain_hypergeometric_inflated_on_the_same_sets(null_runs):
    plain = summary(null_runs["hypergeom_randomised"], np.random.default_rng(1))
    corrected = summary(null_runs["corrected_randomised"], np.random.default_rng(1))
    assert plain["share_below_0.05"] > 0.065, plain
    assert plain["share_below_0.05"] > 1.3 * corrected["share_below_0.05"]
    assert plain["ks_pvalue"] < 1e-3, plain
