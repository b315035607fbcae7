"""targets-parse -> targets-select through the CLI: thresholds, all-miRNA table, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from mirlens.cli import main
from mirlens.io import read_tsv
from mirlens.targets import read_delimited
from mirlens.targets.select import OUT_COLUMNS

FIX = Path(__file__).parent / "fixtures" / "targets"
TS = [
    FIX / "Predicted_Targets_Context_Scores.default_predictions.txt",
    FIX / "Summary_Counts.default_predictions.txt",
    FIX / "miR_Family_Info.txt",
]


def _parse(tmp: Path, mirbase_dir: Path, source: str, inputs: list[Path], *extra: str) -> Path:
    out = tmp / f"{source}.parquet"
    argv = ["targets-parse", "--source", source, "--input", *map(str, inputs)]
    argv += ["--mirbase", str(mirbase_dir), "--gene-info", str(FIX / "gene_info_small.tsv")]
    argv += ["--out", str(out), "--stats", str(tmp / f"{source}.parse.json"), *extra]
    assert main(argv) == 0
    return out


def _select(tmp: Path, source: str, store: Path, mirnas: Path, *flags: str) -> pd.DataFrame:
    argv = ["targets-select", "--source", source, "--store", str(store), "--mirnas", str(mirnas)]
    argv += ["--out", str(tmp / f"{source}.tsv"), "--all-out", str(tmp / f"{source}.all.parquet")]
    argv += ["--stats", str(tmp / f"{source}.stats.json"), *flags]
    assert main(argv) == 0
    return read_tsv(tmp / f"{source}.tsv")


@pytest.fixture()
def run_mirnas(tmp_path: Path) -> Path:
    p = tmp_path / "mirnas.tsv"
    p.write_text("mirbase_id\tname\nMIMAT0000076\thsa-miR-21-5p\nMIMAT0000000\tnot-real\n")
    return p


def test_targetscan_thresholds(tmp_path, mirbase_dir, run_mirnas) -> None:
    store = _parse(tmp_path, mirbase_dir, "targetscan", TS)
    assert pq.read_schema(store).metadata[b"mirlens.source"] == b"targetscan"
    df = _select(tmp_path, "targetscan", store, run_mirnas)
    assert list(df.columns[: len(OUT_COLUMNS)]) == OUT_COLUMNS
    # Default max context score -0.2: GENEA (-0.5) and GENEB (-0.2) kept for miR-21-5p.
    assert list(df["gene_symbol"]) == ["GENEA", "GENEB"]
    assert df["evidence"].tolist() == ["8mer+7mer-1a,conserved", "7mer-m8"]
    df = _select(tmp_path, "targetscan", store, run_mirnas, "--conserved-only")
    assert list(df["gene_symbol"]) == ["GENEA"]
    df = _select(tmp_path, "targetscan", store, run_mirnas, "--max-context-score", "-0.3")
    assert list(df["gene_symbol"]) == ["GENEA"]
    # The all-miRNA table ignores the run's miRNA list (miR-101-3p is not in the run).
    all_df = pd.read_parquet(tmp_path / "targetscan.all.parquet")
    assert set(all_df["mirna"]) == {"hsa-miR-21-5p", "hsa-miR-101-3p"}
    stats = json.loads((tmp_path / "targetscan.stats.json").read_text())
    assert stats["run_mirnas_without_targets"] == ["MIMAT0000000"]
    assert stats["thresholds"]["max_context_score"] == -0.3


def test_mirdb_and_mirtarbase(tmp_path, mirbase_dir, run_mirnas) -> None:
    store = _parse(
        tmp_path,
        mirbase_dir,
        "mirdb",
        [FIX / "miRDB_v6.0_prediction_result.txt"],
        "--mane",
        str(FIX / "MANE.summary.txt"),
    )
    df = _select(tmp_path, "mirdb", store, run_mirnas)
    assert df[["gene_symbol", "score"]].values.tolist() == [["GENEA", "95.5"]]
    all_df = pd.read_parquet(tmp_path / "mirdb.all.parquet")
    assert (all_df["score"] >= 80).all() and len(all_df) == 2  # 60 is below the default
    assert len(pd.read_parquet(tmp_path.joinpath("mirdb.all.parquet"))) == 2
    _select(tmp_path, "mirdb", store, run_mirnas, "--min-score", "50")
    assert len(pd.read_parquet(tmp_path / "mirdb.all.parquet")) == 3

    store = _parse(tmp_path, mirbase_dir, "mirtarbase", [FIX / "mtb_old_header.csv"])
    df = _select(tmp_path, "mirtarbase", store, run_mirnas)
    assert df["gene_symbol"].tolist() == ["GENEA", "GENEB"]
    assert df["evidence"].tolist() == ["strong", "weak"]
    df = _select(tmp_path, "mirtarbase", store, run_mirnas, "--evidence", "strong")
    assert df["gene_symbol"].tolist() == ["GENEA"]
    _select(tmp_path, "mirtarbase", store, run_mirnas, "--evidence", "any")
    tiers = pd.read_parquet(tmp_path / "mirtarbase.all.parquet")["evidence_tier"]
    assert "nonfunctional" in set(tiers)


def test_empty_run_and_determinism(tmp_path, mirbase_dir) -> None:
    store = _parse(tmp_path, mirbase_dir, "targetscan", TS)
    empty = tmp_path / "empty.tsv"
    empty.write_text("mirbase_id\tname\n")
    df = _select(tmp_path, "targetscan", store, empty)
    assert df.empty and list(df.columns[: len(OUT_COLUMNS)]) == OUT_COLUMNS
    assert len(pd.read_parquet(tmp_path / "targetscan.all.parquet")) == 3
    first = (tmp_path / "targetscan.all.parquet").read_bytes()
    store2 = _parse(tmp_path / "again", mirbase_dir, "targetscan", TS)
    assert store2.read_bytes() == store.read_bytes()
    _select(tmp_path, "targetscan", store2, empty)
    assert (tmp_path / "targetscan.all.parquet").read_bytes() == first


def test_errors(tmp_path, mirbase_dir, run_mirnas) -> None:
    store = _parse(tmp_path, mirbase_dir, "targetscan", TS)
    bad = tmp_path / "bad.tsv"
    bad.write_text("name\nhsa-miR-21-5p\n")
    assert (
        main(
            [
                "targets-select",
                "--source",
                "targetscan",
                "--store",
                str(store),
                "--mirnas",
                str(bad),
                "--out",
                str(tmp_path / "o.tsv"),
                "--all-out",
                str(tmp_path / "o.parquet"),
                "--stats",
                str(tmp_path / "s.json"),
            ]
        )
        == 1
    )
    # A store of another source is refused.
    assert (
        main(
            [
                "targets-select",
                "--source",
                "mirdb",
                "--store",
                str(store),
                "--mirnas",
                str(run_mirnas),
                "--out",
                str(tmp_path / "o.tsv"),
                "--all-out",
                str(tmp_path / "o.parquet"),
                "--stats",
                str(tmp_path / "s.json"),
            ]
        )
        == 1
    )
    assert not (tmp_path / "o.tsv").exists()


def test_real_store_select(tmp_path, mirror_dir, mirbase_dir) -> None:
    """Real miRDB release through the CLI; the run rows equal a plain filter of the store."""
    gi = mirror_dir / "ftp.ncbi.nlm.nih.gov/gene/DATA/GENE_INFO/Mammalia/Homo_sapiens.gene_info.gz"
    mane = (
        mirror_dir / "ftp.ncbi.nlm.nih.gov/refseq/MANE/MANE_human/release_1.0/"
        "MANE.GRCh38.v1.0.summary.txt.gz"
    )
    pred = mirror_dir / "mirdb.org/download/miRDB_v6.0_prediction_result.txt.gz"
    out = tmp_path / "mirdb.parquet"
    assert (
        main(
            [
                "targets-parse",
                "--source",
                "mirdb",
                "--input",
                str(pred),
                "--mirbase",
                str(mirbase_dir),
                "--gene-info",
                str(gi),
                "--mane",
                str(mane),
                "--out",
                str(out),
                "--stats",
                str(tmp_path / "p.json"),
            ]
        )
        == 0
    )
    mirnas = tmp_path / "mirnas.tsv"
    mirnas.write_text("mirbase_id\nMIMAT0000076\nMIMAT0000062\n")
    df = _select(tmp_path, "mirdb", out, mirnas, "--min-score", "90")
    store = pd.read_parquet(out)
    want = store[
        store["mirbase_id"].isin(["MIMAT0000076", "MIMAT0000062"]) & (store["score"] >= 90)
    ]
    assert len(df) == len(want) > 0
    assert df["mirna"].is_monotonic_increasing
    raw = read_delimited(pred, column_names=["m", "r", "s"])
    assert raw.num_rows == json.loads((tmp_path / "p.json").read_text())["rows_read"]
