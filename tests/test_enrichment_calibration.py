"""Calibration on the real target table: random miRNA sets give uniform empirical p-values.

The mirror's TargetScan context-score table (real miRNA -> gene pairs, TargetScan 6.1
predictions) is parsed minimally here, independent of the targets stage. Query sets are
random miRNAs of the background, so no gene set is truly enriched: every p-value should
be uniform. The naive p-values are not (target genes are shared and biased); the
empirical ones against the matched null are.
"""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest
from conftest import shared_path
from scipy import stats

from mirlens.enrichment import enrich
from mirlens.genesets import read_library

HALLMARK = "mirror/data.broadinstitute.org/gsea-msigdb/msigdb/release/7.0/h.all.v7.0.symbols.gmt"
CONTEXT = (
    "mirror/www.targetscan.org/vert_80/vert_80_data_download/"
    "Predicted_Targets_Context_Scores.default_predictions.txt.zip"
)
UNION_SCOPES = ["genes_union", "pathways_union", "weighted"]
N_REPS, SET_SIZE, N_NULL = 40, 5, 199


@pytest.fixture(scope="module")
def targetscan() -> pd.DataFrame:
    with zipfile.ZipFile(shared_path(CONTEXT)) as zf:
        with zf.open(zf.namelist()[0]) as fh:
            df = pd.read_csv(fh, sep="\t", usecols=["miRNA", "Gene Symbol"], dtype=str)
    df = df.rename(columns={"miRNA": "mirna", "Gene Symbol": "gene_symbol"})
    return df.drop_duplicates().reset_index(drop=True)


@pytest.fixture(scope="module")
def hallmark():
    return read_library(shared_path(HALLMARK), name="hallmark")


@pytest.fixture(scope="module")
def random_set_runs(targetscan, hallmark) -> pd.DataFrame:
    """N_REPS independent random query sets, each with its own seeded null."""
    pool = sorted(targetscan["mirna"].unique())
    rng = np.random.default_rng(2024)
    runs = []
    for rep in range(N_REPS):
        mirnas = rng.choice(pool, SET_SIZE, replace=False)
        query = targetscan[targetscan["mirna"].isin(mirnas)]
        table = enrich(
            query, hallmark, background=targetscan, n_null=N_NULL, seed=rep, scopes=UNION_SCOPES
        ).table
        runs.append(table.assign(rep=rep))
    return pd.concat(runs, ignore_index=True)


@pytest.mark.parametrize("scope", UNION_SCOPES)
def test_random_sets_uniform_empirical_inflated_naive(random_set_runs, hallmark, scope):
    runs = random_set_runs[random_set_runs["scope"] == scope]
    assert runs["n_null"].eq(N_NULL).all()
    # One gene set per replicate (a different one each time) -> independent p-values.
    names = sorted(hallmark.sets)
    one = runs[runs["gene_set"] == runs["rep"].map(lambda r: names[r % len(names)])]
    assert len(one) == N_REPS
    ks_emp = stats.kstest(one["empirical_pvalue"], "uniform").pvalue
    assert ks_emp > 0.01, f"{scope}: empirical p-values not uniform (KS p={ks_emp:.3g})"
    # Over every gene set: empirical p < 0.05 at about the nominal rate ...
    emp_rate = (runs["empirical_pvalue"] < 0.05).mean()
    naive_rate = (runs["pvalue"] < 0.05).mean()
    assert 0.02 <= emp_rate <= 0.08, f"{scope}: empirical rate {emp_rate:.3f}"
    # ... while the naive p-values call far more sets "enriched" for random miRNAs.
    assert naive_rate >= 1.6 * 0.05 and naive_rate >= 1.6 * emp_rate, (
        f"{scope}: naive rate {naive_rate:.3f} vs empirical {emp_rate:.3f}"
    )
    assert stats.kstest(runs["pvalue"], "uniform").pvalue < 1e-6


def test_per_mirna_empirical_is_valid(targetscan, hallmark):
    """Every background miRNA against its own target-count bin: P(emp <= a) <= a.

    Single miRNAs with few targets give many tied p-values (no overlap -> p = 1), and ties
    count against the query, so the per-miRNA empirical p is conservative, never liberal.
    """
    table = enrich(targetscan, hallmark, background=targetscan, n_null=1, scopes=["per_mirna"])
    emp = table.table["empirical_pvalue"].to_numpy()
    assert len(emp) == 275 * 50
    for alpha in (0.05, 0.1, 0.2):
        assert (emp <= alpha).mean() <= alpha + 0.01, alpha
    assert (table.table["pvalue"] <= 0.05).mean() > (emp <= 0.05).mean()
