"""Enrichment: exact p-values, universe rules, themed / exploratory FDR, set level, store,
CLI contract (``mirlens enrich`` on one target table)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import shared_path
from scipy import stats

from mirlens.cli import main
from mirlens.enrichment import COLUMNS, enrich, haldane_odds_ratio, hypergeom_tail
from mirlens.enrichment import store as stats_store
from mirlens.enrichment.context import prepare
from mirlens.enrichment.permirna import mirna_statistics
from mirlens.enrichment.setlevel import SET_LEVEL_COLUMNS, rank_test
from mirlens.enrichment.tails import bh, log_factorials
from mirlens.genesets import Library, read_library
from mirlens.io import read_tsv

HALLMARK = "mirror/data.broadinstitute.org/gsea-msigdb/msigdb/release/7.0/h.all.v7.0.symbols.gmt"
CONTEXT = (
    "mirror/www.targetscan.org/vert_80/vert_80_data_download/"
    "Predicted_Targets_Context_Scores.default_predictions.txt.zip"
)
RTOL = 1e-9
EMT = "HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION"


def targetscan_pairs() -> pd.DataFrame:
    """miRNA -> gene pairs of the mirror's TargetScan context-score table (minimal parse)."""
    with zipfile.ZipFile(shared_path(CONTEXT)) as zf:
        with zf.open(zf.namelist()[0]) as fh:
            df = pd.read_csv(fh, sep="\t", usecols=["miRNA", "Gene Symbol"], dtype=str)
    df = df.rename(columns={"miRNA": "mirna", "Gene Symbol": "gene_symbol"})
    return df.drop_duplicates().reset_index(drop=True)


@pytest.fixture(scope="module")
def targetscan() -> pd.DataFrame:
    return targetscan_pairs()


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


def test_log_factorial_table_matches_gammaln():
    from scipy import special

    lf = log_factorials(30000).astype(np.float64)
    ref = special.gammaln(np.arange(30001) + 1.0)
    np.testing.assert_allclose(lf[2:], ref[2:], rtol=1e-13)
    assert lf[0] == 0 and lf[1] == 0


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
    res = enrich(targets, lib, universe_genes=universe, min_size=5, max_size=5)
    # Z is not in the library, G7/G8/X1 are not in the list -> 12 genes; only SMALL has 5.
    assert res.meta["universe_size"] == 12
    per = res.table
    assert list(per["gene_set"]) == ["SMALL"]
    assert per["set_size"].iloc[0] == 5 and per["overlap"].iloc[0] == 2
    assert per["n_targets"].iloc[0] == 2  # NOTINLIB is outside the universe
    ref = stats.hypergeom.sf(1, 12, 5, 2)
    assert per["pvalue_hypergeom"].iloc[0] == pytest.approx(ref, rel=RTOL)
    assert per["genes"].iloc[0] == "G1;G2"
    res2 = enrich(targets, lib, universe_genes=universe, min_size=5, max_size=6)
    assert set(res2.table["gene_set"]) == {"BIG", "NOHIT", "SMALL"}
    nohit = res2.table[res2.table["gene_set"] == "NOHIT"]
    assert nohit["overlap"].iloc[0] == 0 and nohit["pvalue"].iloc[0] == 1.0


def test_default_universe_is_background_then_targets():
    lib = _toy_library()
    targets = pd.DataFrame({"mirna": ["m1", "m1"], "gene_symbol": ["G1", "G2"]})
    bg = pd.DataFrame(
        {"mirna": ["m2"] * 7, "gene_symbol": ["G1", "G2", "G3", "G4", "G5", "G6", "Q"]}
    )
    with_bg = enrich(targets, lib, background=bg, min_size=1)
    assert with_bg.meta["universe_size"] == 6 and with_bg.meta["universe_source"] == "background"
    alone = enrich(targets, lib, min_size=1)
    assert alone.meta["universe_size"] == 2


def test_no_mirnas_gives_empty_tables():
    res = enrich(pd.DataFrame({"mirna": [], "gene_symbol": []}), _toy_library())
    assert res.table.empty and list(res.table.columns) == COLUMNS
    assert list(res.set_level.columns) == SET_LEVEL_COLUMNS


def test_recorded_skip_for_untargeted_mirna():
    targets = pd.DataFrame(
        {"mirna": ["m1", "m1", "m2", "m3"], "gene_symbol": ["G1", "G2", "NOPE", "G3"]}
    )
    universe = ["G1", "G2", "G3", "G4", "G5", "G6", "G20"]
    res = enrich(targets, _toy_library(), universe_genes=universe, min_size=2)
    assert res.meta["query_mirnas_without_targets_in_universe"] == ["m2"]
    assert "m2" not in set(res.table["scope"]) and "m1" in set(res.table["scope"])


# ---------------------------------------------------------------- real pairs


@pytest.fixture(scope="module")
def real_run(targetscan, hallmark):
    mirnas = ["hsa-miR-21-5p", "hsa-miR-200c-3p", "hsa-miR-29a-3p", "hsa-let-7a-5p"]
    themes = {
        "EMT": {"hallmark": [EMT, "HALLMARK_TGF_BETA_SIGNALING"]},
        "angiogenesis": {"hallmark": ["HALLMARK_ANGIOGENESIS", "HALLMARK_HYPOXIA"]},
    }
    query = targetscan[targetscan["mirna"].isin(mirnas)]
    return enrich(query, hallmark, background=targetscan, themes=themes, exploratory_fdr=0.2)


def test_readable_rows_without_every_row_equal_the_readable_part_of_every_row(
    real_run, targetscan, hallmark
):
    """A run builds only the readable rows: the same rows, order, values and FDRs."""
    mirnas = sorted(real_run.table["scope"].unique())
    themes = {
        "EMT": {"hallmark": [EMT, "HALLMARK_TGF_BETA_SIGNALING"]},
        "angiogenesis": {"hallmark": ["HALLMARK_ANGIOGENESIS", "HALLMARK_HYPOXIA"]},
    }
    query = targetscan[targetscan["mirna"].isin(mirnas)]
    lean = enrich(query, hallmark, background=targetscan, themes=themes,
                  exploratory_fdr=0.2, every_row=False)  # fmt: skip
    assert len(lean.table) < len(real_run.table)
    assert (lean.table["hypothesis"] == "exploratory").any()  # the FDR threshold applied
    pd.testing.assert_frame_equal(
        lean.readable.reset_index(drop=True), real_run.readable.reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(lean.set_level, real_run.set_level)


def test_plain_pvalue_is_scipy_hypergeometric(real_run):
    t = real_run.table
    ref = stats.hypergeom.sf(t["overlap"] - 1, t["universe_size"], t["set_size"], t["n_targets"])
    np.testing.assert_allclose(t["pvalue_hypergeom"], ref, rtol=RTOL)
    assert (t["expected_plain"] == t["n_targets"] * t["set_size"] / t["universe_size"]).all()


def test_themed_fdr_over_themed_rows_exploratory_separate(real_run):
    t = real_run.table
    themed = t["hypothesis"] == "themed"
    assert set(t.loc[themed, "gene_set"]) == {
        EMT,
        "HALLMARK_TGF_BETA_SIGNALING",
        "HALLMARK_ANGIOGENESIS",
        "HALLMARK_HYPOXIA",
    }
    assert themed.sum() == 4 * 4 and (t.loc[themed, "theme"] != "").all()
    assert (t.loc[~themed, "theme"] == "").all()
    for sel in (themed, ~themed):
        np.testing.assert_allclose(t.loc[sel, "fdr"], bh(t.loc[sel, "pvalue"].to_numpy()))
    # readable: every themed row first, then exploratory rows passing their own FDR
    r = real_run.readable
    assert (r["hypothesis"] == "themed").sum() == 16
    assert list(r["hypothesis"]) == sorted(r["hypothesis"], key=lambda h: h != "themed")
    assert (r.loc[r["hypothesis"] == "exploratory", "fdr"] <= 0.2).all()
    assert len(r[r["hypothesis"] == "exploratory"]) == ((~themed) & (t["fdr"] <= 0.2)).sum()


def test_corrected_pvalue_larger_than_plain_for_targetable_sets(real_run):
    """The bias correction raises p where the set's genes are more targetable than average."""
    t = real_run.table
    biased = t["expected"] > t["expected_plain"] * 1.1
    assert biased.sum() > 10
    hit = biased & (t["overlap"] > t["expected"])
    assert (t.loc[hit, "pvalue"] > t.loc[hit, "pvalue_hypergeom"]).mean() > 0.9


def test_set_level_is_mann_whitney_of_z(targetscan, hallmark, real_run):
    sl = real_run.set_level
    assert list(sl.columns) == SET_LEVEL_COLUMNS
    rank = sl[sl["scope"] == "literature_mirnas"].set_index("gene_set")
    assert (
        rank["n_mirnas"].eq(4).all()
        and rank["n_background"].eq(targetscan["mirna"].nunique() - 4).all()
    )
    ctx = prepare(hallmark, targetscan)
    lit = [ctx.background.index(m) for m in sorted(real_run.table["scope"].unique())]
    rest = [i for i in range(len(ctx.background)) if i not in lit]
    z = mirna_statistics(ctx.targets, ctx.sets.matrix, ctx.model)["z"]
    k = ctx.sets.names.index(EMT)
    ref = stats.mannwhitneyu(z[lit, k], z[rest, k], alternative="greater", method="asymptotic")
    assert rank.loc[EMT, "pvalue"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert rank.loc[EMT, "statistic"] == pytest.approx(ref.statistic / (4 * len(rest)))
    # themed sets first; the union of 4 miRNAs' targets is small: tested, after the rank rows
    assert list(sl["hypothesis"][:4]) == ["themed"] * 4
    assert set(sl.loc[sl["scope"] == "genes_union", "gene_set"]) == set(ctx.sets.names)
    auc, p = rank_test(np.zeros((0, 3)), np.ones((5, 3)))
    assert np.isnan(p).all()


def test_rank_test_equals_scipy_with_many_ties():
    rng = np.random.default_rng(5)
    z_lit, z_bg = rng.integers(0, 4, (30, 6)) / 2.0, rng.integers(0, 4, (400, 6)) / 2.0
    z_bg[:, 5] = 1.0  # one column tied throughout the background
    auc, p = rank_test(z_lit, z_bg)
    for k in range(6):
        ref = stats.mannwhitneyu(
            z_lit[:, k], z_bg[:, k], alternative="greater", method="asymptotic"
        )
        assert p[k] == pytest.approx(ref.pvalue, rel=1e-9)
        assert auc[k] == pytest.approx(ref.statistic / (30 * 400), rel=1e-12)


def test_overlap_genes_of_chosen_cells_equal_those_of_every_cell():
    from scipy import sparse

    from mirlens.enrichment.matrices import overlap_genes

    rng = np.random.default_rng(3)
    T = sparse.csr_array((rng.random((7, 40)) < 0.3).astype(float))
    S = sparse.csc_array((rng.random((40, 9)) < 0.25).astype(float))
    display = np.asarray([f"G{i}" for i in range(40)], dtype=object)
    every = overlap_genes(T, S, display)
    assert every.shape == (63,) and (every != "").any() and (every == "").any()
    cells = np.asarray([62, 0, 17, 17, 40, 5])  # any order, repeats, empty overlaps
    assert list(overlap_genes(T, S, display, cells)) == list(every[cells])
    assert list(overlap_genes(T, S, display, np.zeros(0, dtype=np.int64))) == []


def test_genes_union_left_out_when_it_covers_half_the_universe(targetscan, hallmark):
    many = sorted(targetscan["mirna"].unique())[:120]
    res = enrich(targetscan[targetscan["mirna"].isin(many)], hallmark, background=targetscan)
    assert "genes_union" not in set(res.set_level["scope"])
    assert res.meta["genes_union"].startswith("left out")


def test_store_selection_equals_fresh_statistics(targetscan, hallmark, tmp_path):
    ctx = prepare(hallmark, targetscan)
    path = tmp_path / "store.parquet"
    info = stats_store.build(ctx, path, {"key": "test"})
    stats_store.build(ctx, tmp_path / "two.parquet", {"key": "test"}, workers=2)
    assert (tmp_path / "two.parquet").read_bytes() == path.read_bytes()
    assert info["key"] == "test" and len(info["mirnas"]) == len(ctx.background)
    pick = ctx.background[::7] + ["not-a-mirna"]
    found, got, _ = stats_store.select(path, pick)
    assert found == sorted(ctx.background[::7])
    rows = [ctx.background.index(m) for m in found]
    fresh = mirna_statistics(ctx.targets[rows], ctx.sets.matrix, ctx.model)
    for c, v in fresh.items():
        assert np.array_equal(np.asarray(v), got[c]), c
    # rows with overlap 0 are not stored (p = 1 there)
    assert pq.read_metadata(path).num_rows == int(
        (mirna_statistics(ctx.targets, ctx.sets.matrix, ctx.model)["overlap"] > 0).sum()
    )


def test_run_from_store_equals_run_without(targetscan, hallmark, tmp_path):
    ctx = prepare(hallmark, targetscan)
    stats_store.build(ctx, tmp_path / "s.parquet")
    q = targetscan[targetscan["mirna"].isin(["hsa-miR-21-5p", "hsa-miR-29a-3p"])]
    a = enrich(q, hallmark, background=targetscan, store=tmp_path / "s.parquet")
    b = enrich(q, hallmark, background=targetscan)
    assert a.meta["mirnas_from_store"] == 2 and b.meta["mirnas_computed"] == 2
    pd.testing.assert_frame_equal(a.table, b.table)
    # a miRNA whose run targets differ from the store's is computed, not selected
    fewer = q.drop(q.index[q["mirna"] == "hsa-miR-21-5p"][:5])
    c = enrich(fewer, hallmark, background=targetscan, store=tmp_path / "s.parquet")
    assert c.meta["mirnas_computed"] == 1


# ---------------------------------------------------------------- CLI


@pytest.fixture(scope="module")
def cli_inputs(tmp_path_factory, targetscan):
    d = tmp_path_factory.mktemp("enrich_cli")
    bg = targetscan.assign(mirbase_id="MIMAT" + targetscan["mirna"].str.len().astype(str))
    bg.to_parquet(d / "background.parquet", index=False)
    q = bg[bg["mirna"].isin(["hsa-miR-21-5p", "hsa-miR-200c-3p"])]
    q.to_csv(d / "targets.tsv", sep="\t", index=False)
    themes = {
        "EMT": {"hallmark": [EMT]},
        "angiogenesis": {"hallmark": ["HALLMARK_ANGIOGENESIS", "HALLMARK_HYPOXIA"]},
        "immune": {"hallmark": ["HALLMARK_HYPOXIA"]},
    }
    (d / "themes.json").write_text(json.dumps(themes))
    return d


def _run(d: Path, out: str, *extra: str) -> int:
    argv = ["enrich", "--targets", str(d / "targets.tsv"), "--gmt", str(shared_path(HALLMARK))]
    argv += ["--out", str(d / out), "--library", "hallmark", *extra]
    return main(argv)


def test_cli_one_target_table(cli_inputs):
    """`mirlens enrich --targets --gmt --out`: the documented outputs, plain p = scipy."""
    d = cli_inputs
    assert _run(d, "one.tsv", "--parquet", str(d / "one.parquet")) == 0
    t = read_tsv(d / "one.tsv")
    assert list(t.columns) == COLUMNS and set(t["hypothesis"]) <= {"exploratory"}
    full = pd.read_parquet(d / "one.parquet")
    meta = json.loads((d / "one.meta.json").read_text())
    assert meta["universe_source"] == "background"  # the table is its own background
    assert len(full) == 2 * meta["sets_tested"]
    assert list(full.columns) == [c for c in COLUMNS if c not in ("expected_plain", "z")]
    ref = stats.hypergeom.sf(
        full["overlap"] - 1, full["universe_size"], full["set_size"], full["n_targets"]
    )
    np.testing.assert_allclose(full["pvalue_hypergeom"], ref, rtol=RTOL)
    assert list(read_tsv(d / "one.set_level.tsv").columns) == SET_LEVEL_COLUMNS


def test_cli_contract_deterministic(cli_inputs):
    d = cli_inputs
    extra = ["--background", str(d / "background.parquet"), "--themes", str(d / "themes.json")]
    assert _run(d, "a.tsv", *extra, "--parquet", str(d / "a.parquet")) == 0
    assert _run(d, "b.tsv", *extra, "--parquet", str(d / "b.parquet")) == 0
    assert _run(d, "c.tsv", *extra) == 0  # without --parquet: no every-row table
    assert not (d / "c.parquet").exists()
    for suffix in (".tsv", ".parquet", ".set_level.tsv", ".meta.json"):
        assert (d / f"a{suffix}").read_bytes() == (d / f"b{suffix}").read_bytes(), suffix
    for suffix in (".tsv", ".set_level.tsv", ".meta.json"):
        assert (d / f"a{suffix}").read_bytes() == (d / f"c{suffix}").read_bytes(), suffix
    t = read_tsv(d / "a.tsv")
    assert list(t.columns[:14]) == [
        "scope", "mirbase_id", "gene_set", "theme", "hypothesis", "set_size", "overlap",
        "expected", "universe_size", "odds_ratio", "pvalue", "pvalue_hypergeom", "fdr", "genes",
    ]  # fmt: skip
    assert set(t.loc[t["gene_set"] == "HALLMARK_HYPOXIA", "theme"]) == {"angiogenesis;immune"}
    assert (t["mirbase_id"].str.startswith("MIMAT")).all()
    themed = t[t["hypothesis"] == "themed"]
    assert len(themed) == 2 * 3 and t["hypothesis"].iloc[0] == "themed"
    meta = json.loads((d / "a.meta.json").read_text())
    assert meta["universe_size"] == int(t["universe_size"].iloc[0]) and "universe" in meta["note"]


def test_cli_no_mirnas_header_only(tmp_path):
    (tmp_path / "targets.tsv").write_text("mirbase_id\tmirna\tgene_symbol\n")
    argv = ["enrich", "--targets", str(tmp_path / "targets.tsv")]
    argv += ["--gmt", str(shared_path(HALLMARK)), "--out", str(tmp_path / "out.tsv")]
    assert main(argv) == 0
    assert (tmp_path / "out.tsv").read_text() == "\t".join(COLUMNS) + "\n"


def test_cli_errors(cli_inputs, tmp_path):
    d = cli_inputs
    bad_themes = tmp_path / "t.json"
    bad_themes.write_text(json.dumps({"EMT": {"hallmark": ["HALLMARK_EMT"]}}))
    assert _run(d, "x.tsv", "--themes", str(bad_themes)) == 1
    bad = tmp_path / "bad.tsv"
    bad.write_text("mirna\tgene\nm\tG\n")
    argv = ["enrich", "--targets", str(bad), "--gmt", str(shared_path(HALLMARK))]
    assert main([*argv, "--out", str(tmp_path / "o.tsv")]) == 1
    assert not (tmp_path / "o.tsv").exists()
    assert _run(d, "y.tsv", "--store", str(tmp_path / "missing.parquet")) == 1
