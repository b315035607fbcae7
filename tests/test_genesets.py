"""Gene-set libraries: parsing, normalised GMT, themes (real MSigDB / Enrichr files)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import shared_path
from gseapy.parser import read_gmt as gseapy_read_gmt

from mirlens.cli import main
from mirlens.errors import MirlensError
from mirlens.genesets import (
    check_themes,
    detect_format,
    library_name,
    load_themes,
    parse_library,
    read_library,
    themes_by_set,
    validate_themes,
    write_gmt,
)

FIX = Path(__file__).parent / "fixtures" / "enrichment"
HALLMARK = "mirror/data.broadinstitute.org/gsea-msigdb/msigdb/release/7.0/h.all.v7.0.symbols.gmt"
C5BP = "mirror/data.broadinstitute.org/gsea-msigdb/msigdb/release/7.1/c5.bp.v7.1.symbols.gmt"
ENRICHR = "mirror/maayanlab.cloud/Enrichr/geneSetLibrary__mode=text&libraryName={}"


def test_gmt_normalised_genes_sorted_unique_case_insensitive():
    lib = read_library(FIX / "mini.gmt", name="mini")
    assert sorted(lib.sets) == ["SET_A", "SET_B"]  # empty set and broken line skipped
    # 'gene1' and 'GENE1' are one gene; the first spelling is kept.
    assert lib.sets["SET_B"] == ["gene1", "GENE2", "GENE3"]
    assert lib.sets["SET_A"] == ["GENE2", "GENE4", "GENE5"]
    assert lib.descriptions["SET_B"] == "http://example.org/B"


def test_enrichr_format_detected_and_weights_stripped():
    text = (FIX / "mini_enrichr.txt").read_text()
    assert detect_format(text.splitlines()) == "enrichr"
    assert detect_format((FIX / "mini.gmt").read_text().splitlines()) == "gmt"
    lib = parse_library(text, "mini_enrichr")
    assert lib.sets["Set A term"] == ["GENE2", "GENE4", "GENE5"]
    assert lib.sets["Set B term"] == ["GENE1", "GENE2", "GENE3"]
    # As plain GMT the ',weight' tokens stay, so the format matters.
    assert "GENE2,1.0" in parse_library(text, "x", fmt="gmt").sets["Set A term"]


def test_duplicate_set_with_other_genes_is_an_error():
    text = "S\td\tA\tB\nS\td\tA\tC\n"
    with pytest.raises(MirlensError, match="appears twice"):
        parse_library(text, "dup")
    assert parse_library("S\td\tA\tB\nS\td\tB\tA\n", "same").sets == {"S": ["A", "B"]}


def test_empty_library_is_an_error(tmp_path):
    p = tmp_path / "empty.gmt"
    p.write_text("only\tdesc\n")
    with pytest.raises(MirlensError, match="no gene sets"):
        read_library(p)
    with pytest.raises(MirlensError, match="not found"):
        read_library(tmp_path / "missing.gmt")
    with pytest.raises(MirlensError, match="unknown gene-set format"):
        parse_library("S\td\tA\n", "x", fmt="xml")


def test_library_name_from_file_names():
    assert library_name("resources/genesets/GO_Biological_Process_2021.gmt") == (
        "GO_Biological_Process_2021"
    )
    assert library_name(ENRICHR.format("MSigDB_Hallmark_2020")) == "MSigDB_Hallmark_2020"


def test_write_gmt_deterministic_and_roundtrips(tmp_path):
    lib = read_library(FIX / "mini.gmt", name="mini")
    a, b = tmp_path / "a.gmt", tmp_path / "b.gmt"
    write_gmt(lib, a)
    write_gmt(read_library(a, name="mini"), b)
    assert a.read_bytes() == b.read_bytes()
    lines = a.read_text().splitlines()
    assert [ln.split("\t")[0] for ln in lines] == ["SET_A", "SET_B"]
    assert lines[0] == "SET_A\tdesc A\tGENE2\tGENE4\tGENE5"


@pytest.mark.parametrize(
    "rel, n_sets",
    [
        (HALLMARK, 50),
        (ENRICHR.format("MSigDB_Hallmark_2020"), 50),
        (ENRICHR.format("GO_Biological_Process_2021"), 6036),
    ],
)
def test_real_libraries_match_gseapy_parser(rel, n_sets, tmp_path):
    """Our parser gives the same sets as gseapy's read_gmt on the real release files."""
    raw = shared_path(rel)
    lib = read_library(raw)
    assert len(lib.sets) == n_sets
    copy = tmp_path / "lib.gmt"  # gseapy insists on a .gmt name
    shutil.copyfile(raw, copy)
    theirs = gseapy_read_gmt(str(copy))
    assert set(theirs) == set(lib.sets)
    for name, genes in theirs.items():
        assert sorted(set(g for g in genes if g)) == lib.sets[name], name


def test_hallmark_known_sizes():
    lib = read_library(shared_path(HALLMARK))
    assert len(lib.sets["HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION"]) == 200
    assert len(lib.sets["HALLMARK_ANGIOGENESIS"]) == 36


def test_themes_missing_set_names_theme_library_and_suggestion():
    themes = load_themes(FIX / "themes_bad.json")
    lib = read_library(FIX / "mini.gmt", name="mini")
    with pytest.raises(MirlensError) as err:
        check_themes(themes, "mini", lib.sets)
    msg = str(err.value)
    assert "'angiogenesis'" in msg and "'SET_AA'" in msg and "mini" in msg
    assert "close matches: SET_A" in msg
    assert "SET_B'" not in msg  # present sets are not reported


def test_themes_ok_and_labels():
    themes = load_themes(FIX / "themes.json")
    check_themes(themes, "mini", ["SET_A", "SET_B"])  # other_lib entries are not checked here
    assert themes_by_set(themes, "mini") == {"SET_A": "EMT;immune", "SET_B": "immune"}
    with pytest.raises(MirlensError, match="expected a list"):
        validate_themes({"EMT": {"mini": "SET_A"}})
    with pytest.raises(MirlensError, match="must map library names"):
        validate_themes({"EMT": ["SET_A"]})


def test_default_themes_exist_in_real_libraries():
    """The suggested default theme sets are real names in the real library files."""
    themes = load_themes(FIX / "default_themes.json")
    hallmark = read_library(shared_path(HALLMARK))
    gobp = read_library(shared_path(ENRICHR.format("GO_Biological_Process_2021")))
    check_themes(themes, "hallmark", hallmark.sets)
    check_themes(themes, "GO_Biological_Process_2021", gobp.sets)
    hallmark2020 = read_library(shared_path(ENRICHR.format("MSigDB_Hallmark_2020")))
    check_themes(themes, "MSigDB_Hallmark_2020", hallmark2020.sets)
    c5 = read_library(shared_path(C5BP))
    check_themes(themes, "c5.bp.v7.1", c5.sets)
    assert set(themes) == {"EMT", "angiogenesis", "immune"}
    # PROVENANCE: GO:0001525 angiogenesis is not in this library; a clear error says so.
    bad = {"angiogenesis": {"GO_Biological_Process_2021": ["angiogenesis (GO:0001525)"]}}
    with pytest.raises(MirlensError, match="close matches"):
        check_themes(bad, "GO_Biological_Process_2021", gobp.sets)


def test_cli_genesets_enrichr_to_gmt_with_themes(tmp_path):
    raw = shared_path(ENRICHR.format("GO_Biological_Process_2021"))
    out = tmp_path / "GO_Biological_Process_2021.gmt"
    argv = ["genesets", "--input", str(raw), "--format", "auto", "--name"]
    argv += ["GO_Biological_Process_2021", "--out", str(out)]
    argv += ["--themes", str(FIX / "default_themes.json")]
    assert main(argv) == 0
    first = out.read_bytes()
    assert main(argv) == 0
    assert out.read_bytes() == first
    lines = first.decode().splitlines()
    assert len(lines) == 6036
    assert lines == sorted(lines, key=lambda ln: ln.split("\t")[0])
    assert all(ln.split("\t")[1] == "" for ln in lines)


def test_cli_genesets_missing_theme_exits_1(tmp_path):
    out = tmp_path / "mini.gmt"
    argv = ["genesets", "--input", str(FIX / "mini.gmt"), "--name", "mini", "--out", str(out)]
    assert main([*argv, "--themes", str(FIX / "themes_bad.json")]) == 1
    assert not out.exists()
