"""Enrichment statistics: equal to scipy / gseapy / statsmodels, universe rules, CLI contract."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import gseapy
import numpy as np
import pandas as pd
import pytest
from conftest import shared_path
from scipy import stats
from statsmodels.stats.multitest import multipletests

from mirlens.cli import main
from mirlens.enrichment import (
    COLUMNS,
    count_bins,
    draw_null_sets,
    enrich,
    haldane_odds_ratio,
    hypergeom_tail,
)
from mirlens.errors import MirlensError
from mirlens.genesets import Library, read_library
from mirlens.io import read_tsv

FIX = Path(__file__).parent / "fixtures" / "enrichment"
HALLMARK = "mirror/data.broadinstitute.org/gsea-msigdb/msigdb/release/7.0/h.all.v7.0.symbols.gmt"
CONTEXT = (
    "mirror/www.targetscan.org/vert_80/vert_80_data_download/"
    "Predicted_Targets_Context_Scores.default_predictions.txt.zip"
)
RTOL = 1e-9


def _targetscan_pairs() -> pd.DataFrame:
    """miRNA -> gene pairs of the mirror's TargetScan context-score table (minimal parse)."""
    with zipfile.ZipFile(shared_path(CONTEXT)) as zf:
        with zf.open(zf.namelist()[0]) as fh:
            df = pd.read_csv(fh, sep="\t", usecols=["miRNA", "Gene Symbol"], dtype=str)
    df = df.rename(columns={"miRNA": "mirna", "Gene Symbol": "gene_symbol"})
    return df.drop_duplicates().reset_index(drop=True)


@pytest.fixture(scope="module")
def targetscan() -> pd.DataFrame:
    return _targetscan_pairs()


@pytest.fixture(scope="module")
def hallmark() -> Library:
    return read_library(shared_path(HALLMARK), name="hallmark")


# ---------------------------------------------------------------- p-value primitives


def test_hypergeom_tail_equals_scipy_sf():
    rng = np.random.default_rng(7)
    M = 12000
    m = rng.integers(1, 3000, 40000)
    n = rng.integers(1, M, 40000)
    x = np.clip(rng.binomial(n, m / M) + rng.integers(-8, 40, m.size), 0, np.minimum(m, n))
    # edges of the support
    x[:50], x[50:100] = 0, np.minimum(m, n)[50:100]
    x[100:150] = np.maximum(0, m + n - M)[100:150]
    ours = hypergeom_tail(x, M, m, n)
    ref = stats.hypergeom.sf(x - 1, M, m, n)
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=0)
    assert hypergeom_tail(np.array([5]), 10, np.array([4]), np.array([4]))[0] == 0.0


def test_hypergeom_tail_equals_fisher_exact_greater():
    rng = np.random.default_rng(3)
    for _ in range(60):
        M = int(rng.integers(50, 3000))
        m, n = int(rng.integers(1, M)), int(rng.integers(1, M))
        lo, hi = max(0, m + n - M), min(m, n)
        x = int(rng.integers(lo, hi + 1))
        table = [[x, n - x], [m - x, M - m - n + x]]
        ref = stats.fisher_exact(table, alternative="greater").pvalue
        assert hypergeom_tail(np.array([x]), M, np.array([m]), np.array([n]))[0] == (
            pytest.approx(ref, rel=RTOL)
        )


def test_haldane_odds_ratio():
    # a=2, b=3, c=1, d=4 -> (2.5 * 4.5) / (3.5 * 1.5)
    assert haldane_odds_ratio(2, 10, 5, 3) == pytest.approx(2.5 * 4.5 / (3.5 * 1.5))
    assert np.isfinite(haldane_odds_ratio(0, 10, 5, 3))


# ---------------------------------------------------------------- against gseapy


def test_per_mirna_and_union_equal_gseapy_enrich_given_same_universe(targetscan, hallmark):
    mirnas = sorted(targetscan["mirna"].unique())[::40][:5]
    query = targetscan[targetscan["mirna"].isin(mirnas)]
    res = enrich(
        query, hallmark, background=targetscan, n_null=0, scopes=["per_mirna", "genes_union"]
    )
    table = res.table
    universe = set(res.universe)
    assert len(universe) == table["universe_size"].iloc[0]
    lists = {mi: set(query.loc[query["mirna"] == mi, "gene_symbol"]) for mi in mirnas}
    lists["genes_union"] = set(query["gene_symbol"])
    compared = 0
    for scope, genes in lists.items():
        ours = table[table["scope"] == scope].set_index("gene_set")
        assert len(ours) == 50  # every tested set has a row, zero overlaps included
        enr = gseapy.enrich(
            gene_list=sorted(genes & universe),
            gene_sets=hallmark.sets,
            background=sorted(universe),
            outdir=None,
            no_plot=True,
        )
        theirs = enr.results.set_index("Term")
        # gseapy leaves out sets without a hit; ours gives them p = 1.
        assert set(theirs.index) == set(ours.index[ours["overlap"] > 0])
        assert (ours.loc[ours["overlap"] == 0, "pvalue"] == 1.0).all()
        common = theirs.index
        np.testing.assert_allclose(ours.loc[common, "pvalue"], theirs["P-value"], rtol=RTOL)
        np.testing.assert_allclose(ours.loc[common, "odds_ratio"], theirs["Odds Ratio"], rtol=RTOL)
        sizes = theirs["Overlap"].str.split("/", expand=True).astype(int)
        assert (ours.loc[common, "overlap"].to_numpy() == sizes[0].to_numpy()).all()
        assert (ours.loc[common, "set_size"].to_numpy() == sizes[1].to_numpy()).all()
        for term in common:
            assert sorted(theirs.loc[term, "Genes"].split(";")) == sorted(
                ours.loc[term, "genes"].split(";")
            )
        compared += len(common)
    assert compared > 100
    # gseapy's default background is every gene of the library, not the targetable genes:
    assert len(hallmark.genes) != len(universe)


# ---------------------------------------------------------------- scopes


def test_fdr_is_bh_per_scope_over_every_tested_set(targetscan, hallmark):
    query = targetscan[targetscan["mirna"].isin(["hsa-miR-21-5p", "hsa-miR-200c-3p"])]
    table = enrich(query, hallmark, background=targetscan, n_null=0).table
    assert set(table["scope"]) == {
        "hsa-miR-21-5p",
        "hsa-miR-200c-3p",
        "genes_union",
        "pathways_union",
        "weighted",
    }
    for _, part in table.groupby("scope"):
        assert len(part) == 50
        ref = multipletests(part["pvalue"], method="fdr_bh")[1]
        np.testing.assert_allclose(part["fdr"], ref, rtol=1e-12)
        assert list(part["pvalue"]) == sorted(part["pvalue"])  # sorted within scope


def test_pathways_union_is_fisher_combination(targetscan, hallmark):
    mirnas = ["hsa-miR-21-5p", "hsa-miR-200c-3p", "hsa-let-7a-5p"]
    query = targetscan[targetscan["mirna"].isin(mirnas)]
    table = enrich(query, hallmark, background=targetscan, n_null=0).table
    per = table[table["scope"].isin(mirnas)].pivot(
        index="gene_set", columns="scope", values="pvalue"
    )
    comb = table[table["scope"] == "pathways_union"].set_index("gene_set")
    for gs, row in per.iterrows():
        ref = stats.combine_pvalues(row.to_numpy(dtype=float), method="fisher").pvalue
        assert comb.loc[gs, "pvalue"] == pytest.approx(ref, rel=1e-9)
        assert comb.loc[gs, "n_mirnas"] == 3


def test_weighted_is_one_sided_mann_whitney(targetscan, hallmark):
    mirnas = ["hsa-miR-21-5p", "hsa-miR-200c-3p", "hsa-let-7a-5p", "hsa-miR-155-5p"]
    query = targetscan[targetscan["mirna"].isin(mirnas)]
    res = enrich(query, hallmark, background=targetscan, n_null=0, scopes=["weighted"])
    universe = [g.upper() for g in res.universe]
    counts = query.assign(k=query["gene_symbol"].str.upper()).groupby("k")["mirna"].nunique()
    weight = pd.Series(0, index=universe).add(counts, fill_value=0).loc[universe]
    table = res.table.set_index("gene_set")
    for name in ["HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION", "HALLMARK_HYPOXIA"]:
        members = {g.upper() for g in hallmark.sets[name]} & set(universe)
        inside = weight[weight.index.isin(members)]
        outside = weight[~weight.index.isin(members)]
        ref = stats.mannwhitneyu(inside, outside, alternative="greater", method="asymptotic")
        assert table.loc[name, "pvalue"] == pytest.approx(ref.pvalue, rel=1e-9)
        assert table.loc[name, "test"] == "mann_whitney"


# ---------------------------------------------------------------- universe + size bounds


def _toy_library() -> Library:
    sets = {
        "BIG": [f"G{i}" for i in range(1, 9)],  # 8 genes, 6 in the universe below
        "SMALL": ["G1", "G2", "G3", "G4", "G5", "X1"],  # 6 genes, 5 in the universe
        "NOHIT": ["G20", "G21", "G22", "G23", "G24", "G25"],
    }
    return Library("toy", sets)


def test_universe_override_and_size_bounds_within_universe():
    lib = _toy_library()
    targets = pd.DataFrame({"mirna": ["m1"] * 3, "gene_symbol": ["g1", "G2", "NOTINLIB"]})
    universe = ["G1", "G2", "G3", "G4", "G5", "G6", "G20", "G21", "G22", "G23", "G24", "G25", "Z"]
    res = enrich(targets, lib, universe_genes=universe, n_null=0, min_size=5, max_size=5)
    # Z is not in the library, G7/G8/X1 are not in the list -> 12 genes; only SMALL has 5.
    assert res.meta["universe_size"] == 12
    per = res.table[res.table["scope"] == "m1"]
    assert list(per["gene_set"]) == ["SMALL"]
    assert per["set_size"].iloc[0] == 5 and per["overlap"].iloc[0] == 2
    assert per["n_query"].iloc[0] == 2  # NOTINLIB is outside the universe
    assert per["pvalue"].iloc[0] == pytest.approx(stats.hypergeom.sf(1, 12, 5, 2), rel=RTOL)
    assert per["genes"].iloc[0] == "G1;G2"
    res2 = enrich(targets, lib, universe_genes=universe, n_null=0, min_size=5, max_size=6)
    assert set(res2.table.loc[res2.table["scope"] == "m1", "gene_set"]) == {"BIG", "NOHIT", "SMALL"}
    nohit = res2.table[(res2.table["scope"] == "m1") & (res2.table["gene_set"] == "NOHIT")]
    assert nohit["overlap"].iloc[0] == 0 and nohit["pvalue"].iloc[0] == 1.0


def test_default_universe_is_background_then_targets():
    lib = _toy_library()
    targets = pd.DataFrame({"mirna": ["m1", "m1"], "gene_symbol": ["G1", "G2"]})
    bg = pd.DataFrame(
        {"mirna": ["m2"] * 7, "gene_symbol": ["G1", "G2", "G3", "G4", "G5", "G6", "Q"]}
    )
    with_bg = enrich(targets, lib, background=bg, n_null=0, min_size=1)
    assert with_bg.meta["universe_size"] == 6 and "background" in with_bg.meta["universe_source"]
    alone = enrich(targets, lib, n_null=0, min_size=1)
    assert alone.meta["universe_size"] == 2 and "query" in alone.meta["universe_source"]


def test_no_mirnas_gives_empty_table():
    res = enrich(pd.DataFrame({"mirna": [], "gene_symbol": []}), _toy_library(), n_null=0)
    assert res.table.empty and list(res.table.columns) == COLUMNS


def test_bad_scope_is_an_error():
    with pytest.raises(MirlensError, match="unknown scope"):
        enrich(pd.DataFrame({"mirna": ["a"], "gene_symbol": ["G1"]}), _toy_library(), scopes=["x"])


# ---------------------------------------------------------------- empirical null


def test_null_sets_are_matched_distinct_and_seeded():
    rng_counts = np.random.default_rng(0).integers(1, 1000, 300).astype(float)
    query_counts = np.array([5.0, 500.0, 990.0, 995.0])
    edges, pool_bin, query_bin = count_bins(rng_counts, query_counts, 10)
    R1 = draw_null_sets(pool_bin, query_bin, 200, np.random.default_rng(42))
    R2 = draw_null_sets(pool_bin, query_bin, 200, np.random.default_rng(42))
    assert (R1 != R2).nnz == 0
    assert (R1.sum(axis=1) == 4).all()  # distinct miRNAs: 4 ones per row
    want = np.bincount(query_bin, minlength=len(edges) - 1)
    for row in range(R1.shape[0]):
        members = R1.indices[R1.indptr[row] : R1.indptr[row + 1]]
        assert (np.bincount(pool_bin[members], minlength=len(want)) == want).all()


def test_bins_merge_when_a_bin_cannot_supply_its_queries():
    pool = np.array([1, 2, 3, 10, 11, 12, 13, 14, 15, 16], dtype=float)
    query = np.array([1, 2, 3, 3], dtype=float)  # 4 queries among the 3 smallest
    edges, pool_bin, query_bin = count_bins(pool, query, 3)
    have = np.bincount(pool_bin)
    need = np.bincount(query_bin, minlength=have.size)
    assert (have >= need).all()


def test_empirical_pvalues_seeded_and_plus_one(targetscan, hallmark):
    mirnas = ["hsa-miR-21-5p", "hsa-miR-200c-3p", "hsa-let-7a-5p"]
    query = targetscan[targetscan["mirna"].isin(mirnas)]
    a = enrich(query, hallmark, background=targetscan, n_null=99, seed=5).table
    b = enrich(query, hallmark, background=targetscan, n_null=99, seed=5).table
    c = enrich(query, hallmark, background=targetscan, n_null=99, seed=6).table
    pd.testing.assert_frame_equal(a, b)
    union = a["scope"].isin(["genes_union", "pathways_union", "weighted"])
    assert not np.allclose(a.loc[union, "empirical_pvalue"], c.loc[union, "empirical_pvalue"])
    # +1 correction: multiples of 1/(N+1), never 0
    e = a.loc[union, "empirical_pvalue"].to_numpy() * 100
    np.testing.assert_allclose(e, np.round(e), atol=1e-9)
    assert (a["empirical_pvalue"] >= 0.01 - 1e-12).all() and (a["empirical_pvalue"] <= 1).all()
    per = a[a["scope"].isin(mirnas)]
    # per miRNA: against every background miRNA of its bin, itself left out
    n = per["n_null"].to_numpy()
    assert (n > 10).all()
    np.testing.assert_allclose(
        per["empirical_pvalue"] * (n + 1), np.round(per["empirical_pvalue"] * (n + 1)), atol=1e-9
    )
    for _, part in a.groupby("scope"):
        ref = multipletests(part["empirical_pvalue"], method="fdr_bh")[1]
        np.testing.assert_allclose(part["empirical_fdr"], ref, rtol=1e-12)


def test_per_mirna_empirical_equals_rank_among_bin(targetscan, hallmark):
    """Recompute one miRNA's empirical p from the background miRNAs' own p-values."""
    mi = "hsa-miR-21-5p"
    query = targetscan[targetscan["mirna"] == mi]
    res = enrich(query, hallmark, background=targetscan, n_null=10, scopes=["per_mirna"])
    row = res.table.set_index("gene_set").loc["HALLMARK_HYPOXIA"]
    pool = enrich(targetscan, hallmark, background=targetscan, n_null=0, scopes=["per_mirna"]).table
    pool = pool[pool["gene_set"] == "HALLMARK_HYPOXIA"].set_index("scope")
    edges = np.array([-np.inf, *res.meta["null_bins"], np.inf])
    binof = np.searchsorted(edges[1:-1], pool["n_query"].to_numpy(float), side="left")
    mine = binof[pool.index.get_loc(mi)]
    others = pool[(binof == mine) & (pool.index != mi)]
    assert len(others) == row["n_null"]
    expect = (1 + (others["pvalue"] <= row["pvalue"] * (1 + 1e-12)).sum()) / (len(others) + 1)
    assert row["empirical_pvalue"] == pytest.approx(expect, rel=1e-12)


# ---------------------------------------------------------------- CLI contract


@pytest.fixture(scope="module")
def cli_inputs(tmp_path_factory, targetscan):
    d = tmp_path_factory.mktemp("enrich_cli")
    bg = targetscan.assign(mirbase_id="", entrez_id="", sources="targetscan", n_sources="1")
    bg = bg[["mirbase_id", "mirna", "gene_symbol", "entrez_id", "sources", "n_sources"]]
    bg.to_csv(d / "background.tsv", sep="\t", index=False)
    bg.to_parquet(d / "background.parquet", index=False)
    q = bg[bg["mirna"].isin(["hsa-miR-21-5p", "hsa-miR-200c-3p"])]
    q.to_csv(d / "targets.tsv", sep="\t", index=False)
    themes = {
        "EMT": {"hallmark": ["HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION"]},
        "angiogenesis": {"hallmark": ["HALLMARK_ANGIOGENESIS", "HALLMARK_HYPOXIA"]},
        "immune": {"hallmark": ["HALLMARK_HYPOXIA"]},
    }
    (d / "themes.json").write_text(json.dumps(themes))
    return d


def _run(d: Path, out: str, *extra: str) -> int:
    argv = ["enrich", "--targets", str(d / "targets.tsv"), "--gmt", str(shared_path(HALLMARK))]
    argv += ["--out", str(d / out), "--library", "hallmark", *extra]
    return main(argv)


def test_cli_contract_deterministic(cli_inputs):
    d = cli_inputs
    extra = ["--background", str(d / "background.parquet"), "--null", "50", "--seed", "3"]
    extra += ["--themes", str(d / "themes.json")]
    assert _run(d, "a.tsv", *extra) == 0
    assert _run(d, "b.tsv", *extra) == 0
    assert (d / "a.tsv").read_bytes() == (d / "b.tsv").read_bytes()
    t = read_tsv(d / "a.tsv")
    assert list(t.columns) == COLUMNS
    assert list(t.columns[:11]) == [
        "scope", "gene_set", "theme", "set_size", "overlap", "universe_size", "odds_ratio",
        "pvalue", "fdr", "empirical_pvalue", "genes",
    ]  # fmt: skip
    assert t["scope"].tolist() == sorted(t["scope"])
    hyp = t[t["gene_set"] == "HALLMARK_HYPOXIA"]
    assert set(hyp["theme"]) == {"angiogenesis;immune"}
    assert set(t.loc[t["gene_set"] == "HALLMARK_APOPTOSIS", "theme"]) == {""}
    meta = json.loads((d / "a.meta.json").read_text())
    assert meta["universe_size"] == int(t["universe_size"].iloc[0])
    assert "universe" in meta["note"]
    # TSV background gives the same table as Parquet
    extra_tsv = [x if not x.endswith(".parquet") else str(d / "background.tsv") for x in extra]
    assert _run(d, "c.tsv", *extra_tsv) == 0
    assert (d / "c.tsv").read_bytes() == (d / "a.tsv").read_bytes()


def test_cli_no_mirnas_header_only(cli_inputs, tmp_path):
    (tmp_path / "targets.tsv").write_text("mirbase_id\tmirna\tgene_symbol\n")
    argv = [
        "enrich",
        "--targets",
        str(tmp_path / "targets.tsv"),
        "--gmt",
        str(shared_path(HALLMARK)),
    ]
    argv += ["--out", str(tmp_path / "out.tsv"), "--null", "0"]
    assert main(argv) == 0
    assert (tmp_path / "out.tsv").read_text() == "\t".join(COLUMNS) + "\n"


def test_cli_errors(cli_inputs, tmp_path):
    d = cli_inputs
    bad_themes = tmp_path / "t.json"
    bad_themes.write_text(json.dumps({"EMT": {"hallmark": ["HALLMARK_EMT"]}}))
    assert _run(d, "x.tsv", "--themes", str(bad_themes), "--null", "0") == 1
    bad = tmp_path / "bad.tsv"
    bad.write_text("mirna\tgene\nm\tG\n")
    argv = ["enrich", "--targets", str(bad), "--gmt", str(shared_path(HALLMARK))]
    assert main([*argv, "--out", str(tmp_path / "o.tsv")]) == 1
    assert not (tmp_path / "o.tsv").exists()


def test_recorded_skips_for_untargeted_mirna_and_small_background():
    lib = _toy_library()
    targets = pd.DataFrame(
        {"mirna": ["m1", "m1", "m2", "m3"], "gene_symbol": ["G1", "G2", "NOPE", "G3"]}
    )
    bg = pd.DataFrame({"mirna": ["b1", "b1"], "gene_symbol": ["G1", "G4"]})
    universe = ["G1", "G2", "G3", "G4", "G5", "G6", "G20"]
    res = enrich(targets, lib, background=bg, universe_genes=universe, n_null=20, min_size=2)
    assert res.meta["query_mirnas_without_targets_in_universe"] == ["m2"]
    assert "m2" not in set(res.table["scope"]) and "m1" in set(res.table["scope"])
    assert "fewer than the 2 query miRNAs" in res.meta["null_skipped"]
    assert res.table["empirical_pvalue"].isna().all()


def test_log_factorial_table_matches_gammaln():
    from scipy import special

    from mirlens.enrichment import _log_factorials

    lf = _log_factorials(30000).astype(np.float64)
    ref = special.gammaln(np.arange(30001) + 1.0)
    np.testing.assert_allclose(lf[2:], ref[2:], rtol=1e-13)
    assert lf[0] == 0 and lf[1] == 0
