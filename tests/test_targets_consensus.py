"""Consensus: k-of-n over sources, modes, background over all miRNAs, universe, empty runs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from mirlens.cli import main
from mirlens.errors import MirlensError
from mirlens.io import read_tsv, write_parquet, write_tsv
from mirlens.targets.consensus import combine, counted_sources

ROWS = {
    # source: [(mirbase_id, mirna, gene, entrez, score, evidence)]
    "targetscan": [
        ("M1", "hsa-miR-a", "G1", "1", -0.5, "8mer"),
        ("M1", "hsa-miR-a", "G2", "2", -0.3, "7mer-m8"),
        ("M2", "hsa-miR-b", "G3", "3", -0.4, "8mer"),
    ],
    "mirdb": [
        ("M1", "hsa-miR-a", "G1", "1", 95.0, "predicted"),
        ("M2", "hsa-miR-b", "G3", "3", 85.0, "predicted"),
        ("M2", "hsa-miR-b", "G4", "4", 81.0, "predicted"),
    ],
    "mirtarbase": [
        ("M1", "hsa-miR-a", "G2", "2", 3.0, "strong"),
        ("M2", "hsa-miR-b", "G3", "3", 1.0, "weak"),
    ],
}


def _frame(source: str, mirnas: set[str] | None = None) -> pd.DataFrame:
    df = pd.DataFrame(
        ROWS[source],
        columns=["mirbase_id", "mirna", "gene_symbol", "entrez_id", "score", "evidence"],
    )
    df.insert(4, "source", source)
    return df if mirnas is None else df[df["mirbase_id"].isin(mirnas)]


def _long() -> pd.DataFrame:
    return pd.concat([_frame(s) for s in ROWS], ignore_index=True)


def _pairs(df: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(df["mirbase_id"], df["gene_symbol"], strict=True))


def test_modes() -> None:
    all3 = sorted(ROWS)
    assert _pairs(combine(_long(), all3, "any", 1)) == {
        ("M1", "G1"),
        ("M1", "G2"),
        ("M2", "G3"),
        ("M2", "G4"),
    }
    two = combine(_long(), all3, "any", 2)
    assert _pairs(two) == {("M1", "G1"), ("M1", "G2"), ("M2", "G3")}
    r = two[two["gene_symbol"] == "G3"].iloc[0]
    assert r["sources"] == "mirdb;mirtarbase;targetscan" and r["n_sources"] == 3
    assert r["scores"] == "mirdb:85;mirtarbase:1;targetscan:-0.4"
    assert r["evidence"] == "mirdb:predicted;mirtarbase:weak;targetscan:8mer"
    assert (r["n_predicted"], r["n_validated"]) == (2, 1)
    pred = combine(_long(), ["mirdb", "targetscan"], "predicted", 2)
    assert _pairs(pred) == {("M1", "G1"), ("M2", "G3")}
    assert "score_mirtarbase" not in pred.columns
    # both: >= K predicted AND >= 1 validated.
    assert _pairs(combine(_long(), all3, "both", 1)) == {("M1", "G2"), ("M2", "G3")}
    assert _pairs(combine(_long(), all3, "both", 2)) == {("M2", "G3")}
    val = combine(_long(), ["mirtarbase"], "validated", 1)
    assert _pairs(val) == {("M1", "G2"), ("M2", "G3")}


def test_counted_sources_checks() -> None:
    assert counted_sources(["mirdb", "mirtarbase", "targetscan"], "predicted", 2) == [
        "mirdb",
        "targetscan",
    ]
    with pytest.raises(MirlensError, match="only 2 predicted"):
        counted_sources(["mirdb", "mirtarbase", "targetscan"], "both", 3)
    with pytest.raises(MirlensError, match="validated source"):
        counted_sources(["mirdb", "targetscan"], "both", 1)
    with pytest.raises(MirlensError, match="unknown target source"):
        counted_sources(["pictar"], "any", 1)


def _write_inputs(tmp: Path, run_mirnas: set[str]) -> tuple[list[str], list[str]]:
    runs, alls = [], []
    for s in ROWS:
        write_tsv(_frame(s, run_mirnas), tmp / f"{s}.tsv")
        write_parquet(_frame(s), tmp / f"{s}.all.parquet")
        runs.append(str(tmp / f"{s}.tsv"))
        alls.append(str(tmp / f"{s}.all.parquet"))
    return runs, alls


def _run(tmp: Path, runs, alls, mode: str, k: int) -> int:
    return main(
        [
            "consensus",
            "--inputs",
            *runs,
            "--all-inputs",
            *alls,
            "--min-sources",
            str(k),
            "--mode",
            mode,
            "--out",
            str(tmp / "consensus.tsv"),
            "--background-out",
            str(tmp / "background.parquet"),
            "--universe-out",
            str(tmp / "universe.txt"),
            "--stats",
            str(tmp / "consensus.json"),
        ]
    )


def test_cli_background_and_universe(tmp_path) -> None:
    runs, alls = _write_inputs(tmp_path, {"M1"})
    assert _run(tmp_path, runs, alls, "any", 2) == 0
    cons = read_tsv(tmp_path / "consensus.tsv")
    assert _pairs(cons) == {("M1", "G1"), ("M1", "G2")}
    assert list(cons["gene_symbol"]) == ["G1", "G2"]  # sorted by mirna, gene
    back = pd.read_parquet(tmp_path / "background.parquet")
    assert _pairs(back) == {("M1", "G1"), ("M1", "G2"), ("M2", "G3")}
    # Universe: genes that are consensus targets of ANY miRNA (G4 has one source only).
    assert (tmp_path / "universe.txt").read_text() == "G1\nG2\nG3\n"
    st = json.loads((tmp_path / "consensus.json").read_text())
    assert st["pairs"] == 2 and st["background_pairs"] == 3 and st["universe_size"] == 3
    assert st["per_source"]["mirdb"]["all_pairs"] == 3
    assert st["per_source"]["mirdb"]["run_pairs"] == 1
    first = (tmp_path / "consensus.tsv").read_bytes()
    assert _run(tmp_path, runs, alls, "any", 2) == 0
    assert (tmp_path / "consensus.tsv").read_bytes() == first


def test_cli_empty_run_writes_everything(tmp_path) -> None:
    runs, alls = _write_inputs(tmp_path, set())
    assert _run(tmp_path, runs, alls, "both", 1) == 0
    cons = read_tsv(tmp_path / "consensus.tsv")
    assert cons.empty and {"mirbase_id", "sources", "n_sources", "scores"} <= set(cons.columns)
    assert (tmp_path / "universe.txt").read_text() == "G2\nG3\n"


def test_cli_errors(tmp_path) -> None:
    runs, alls = _write_inputs(tmp_path, {"M1"})
    assert _run(tmp_path, runs, alls[:2], "any", 1) == 1  # sources differ
    assert _run(tmp_path, runs, alls, "any", 4) == 1  # K > sources
    assert not (tmp_path / "consensus.tsv").exists()


@pytest.mark.parametrize("mode,k", [("any", 1), ("any", 2), ("predicted", 1), ("both", 1)])
def test_cli_selection_from_the_background_equals_combining_the_run(tmp_path, mode, k) -> None:
    """The workflow selects the run's consensus from the per-release background: the same
    bytes as combining the run's per-source tables, for any run (none, some, all miRNAs)."""
    for run in (set(), {"M1"}, {"M2"}, {"M1", "M2"}):
        tmp = tmp_path / f"{mode}{k}{''.join(sorted(run))}"
        tmp.mkdir()
        runs, alls = _write_inputs(tmp, run)
        assert _run(tmp, runs, alls, mode, k) == 0
        (tmp / "mirnas.tsv").write_text("mirbase_id\tname\n" + "".join(f"{m}\tx\n" for m in run))
        args = ["consensus", "--background", str(tmp / "background.parquet")]
        args += ["--mirnas", str(tmp / "mirnas.tsv"), "--min-sources", str(k), "--mode", mode]
        args += ["--out", str(tmp / "selected.tsv"), "--stats", str(tmp / "selected.json")]
        assert main(args) == 0
        assert (tmp / "selected.tsv").read_bytes() == (tmp / "consensus.tsv").read_bytes()
        combined = json.loads((tmp / "consensus.json").read_text())
        selected = json.loads((tmp / "selected.json").read_text())
        for key in ("pairs", "mirnas", "genes", "pairs_by_n_sources", "mode", "min_sources"):
            assert selected[key] == combined[key], key
        if run:
            assert selected["counted_sources"] == combined["counted_sources"]


def test_cli_selection_needs_the_run_mirnas_and_a_readable_background(tmp_path) -> None:
    runs, alls = _write_inputs(tmp_path, {"M1"})
    assert _run(tmp_path, runs, alls, "any", 1) == 0
    out = ["--out", str(tmp_path / "s.tsv"), "--stats", str(tmp_path / "s.json")]
    assert main(["consensus", "--background", str(tmp_path / "background.parquet"), *out]) == 1
    (tmp_path / "m.tsv").write_text("mirbase_id\nM1\n")
    bad = ["consensus", "--background", str(tmp_path / "universe.txt"), "--mirnas"]
    assert main([*bad, str(tmp_path / "m.tsv"), *out]) == 1
    assert not (tmp_path / "s.tsv").exists()
