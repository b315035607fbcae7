"""ENCORI through `targets-select --source encori` against a real loopback HTTP server."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from encori_server import encori_server

from mirlens.cli import main
from mirlens.errors import MirlensError
from mirlens.io import read_tsv
from mirlens.targets.encori import aggregate, parse_response, query_url

FIX = Path(__file__).parent / "fixtures" / "targets"
TEXT = (FIX / "encori_hsa-miR-21-5p.txt").read_text()


def test_parse_and_aggregate() -> None:
    sites = parse_response(TEXT)
    assert len(sites) == 4
    agg = aggregate(sites).set_index("geneName")
    assert agg.loc["GENEA", "clip_exp_num"] == 5 and agg.loc["GENEA", "n_sites"] == 2
    assert agg.loc["GENEA", "degra_exp_num"] == 1
    assert agg.loc["GENEA", "programs"] == "PITA+miRmap+miRanda+TargetScan"
    assert agg.loc["GENEB", "programs"] == "RNA22"
    with pytest.raises(MirlensError, match="not an ENCORI"):
        parse_response("The miRNA hsa-miR-x is not found.\n")


def test_query_url_parameters() -> None:
    url = query_url("http://h/encori/api/", "hsa-miR-21-5p")
    assert url.startswith("http://h/encori/api/miRNATarget/?assembly=hg38&geneType=mRNA&")
    assert "miRNA=hsa-miR-21-5p" in url and "clipExpNum=1" in url and "program=None" in url


def _select(tmp: Path, base: str, mirnas: Path, *flags: str) -> int:
    return main(
        [
            "targets-select",
            "--source",
            "encori",
            "--mirnas",
            str(mirnas),
            "--base-url",
            base,
            "--cache-dir",
            str(tmp / "cache"),
            "--rate",
            "50",
            "--gene-info",
            str(FIX / "gene_info_small.tsv"),
            "--out",
            str(tmp / "encori.tsv"),
            "--all-out",
            str(tmp / "encori.all.parquet"),
            "--stats",
            str(tmp / "encori.stats.json"),
            *flags,
        ]
    )


def test_select_cache_and_failures(tmp_path) -> None:
    mirnas = tmp_path / "mirnas.tsv"
    mirnas.write_text(
        "mirbase_id\tname\nMIMAT0000076\thsa-miR-21-5p\nMIMAT0000099\thsa-miR-101-3p\n"
    )
    with encori_server({"hsa-miR-21-5p": TEXT}) as (base, log):
        assert _select(tmp_path, base, mirnas) == 0
        assert sorted(r["query"]["miRNA"] for r in log) == ["hsa-miR-101-3p", "hsa-miR-21-5p"]
        assert all(r["query"]["assembly"] == "hg38" for r in log)
        df = read_tsv(tmp_path / "encori.tsv")
        assert df["gene_symbol"].tolist() == ["GENEA", "GENEB"]
        assert df["evidence"].tolist() == ["clip=5", "clip=1"]
        assert df["entrez_id"].tolist() == ["100", "200"]
        st = json.loads((tmp_path / "encori.stats.json").read_text())
        # One miRNA failing (not found) is recorded; the other still yields targets.
        assert list(st["encori"]["failed"]) == ["MIMAT0000099"]
        assert st["genes"]["genes"]["unknown"] == 1  # NOSUCHGENE
        assert st["all_out_is_run_only"] is True
        # Second run: served from the cache for the good miRNA; thresholds applied locally.
        n = len(log)
        assert _select(tmp_path, base, mirnas, "--min-clip-experiments", "2") == 0
        assert [r["query"]["miRNA"] for r in log[n:]] == ["hsa-miR-101-3p"]
        assert read_tsv(tmp_path / "encori.tsv")["gene_symbol"].tolist() == ["GENEA"]
    assert (tmp_path / "cache" / "hg38" / "hsa-miR-21-5p.tsv").read_text() == TEXT
    assert not (tmp_path / "cache" / "hg38" / "hsa-miR-101-3p.tsv").exists()
    all_df = pd.read_parquet(tmp_path / "encori.all.parquet")
    assert all_df["gene_symbol"].tolist() == ["GENEA"]


def test_empty_run(tmp_path) -> None:
    mirnas = tmp_path / "mirnas.tsv"
    mirnas.write_text("mirbase_id\tname\n")
    with encori_server({}) as (base, log):
        assert _select(tmp_path, base, mirnas) == 0
        assert log == []
    df = read_tsv(tmp_path / "encori.tsv")
    assert df.empty and "gene_symbol" in df.columns
