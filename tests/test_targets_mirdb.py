"""miRDB: species filter, RefSeq version suffixes, MANE / gene2refseq mapping rate."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mirlens.errors import MirlensError
from mirlens.targets import mirdb
from mirlens.targets.genes import GeneIndex
from mirlens.targets.names import MirnaNames

FIX = Path(__file__).parent / "fixtures" / "targets"
PRED = FIX / "miRDB_v6.0_prediction_result.txt"


@pytest.fixture(scope="module")
def names(mirbase_dir) -> MirnaNames:
    return MirnaNames.from_mirbase(mirbase_dir, "hsa")


@pytest.fixture(scope="module")
def genes() -> GeneIndex:
    return GeneIndex.from_gene_info(FIX / "gene_info_small.tsv", 9606)


def test_mane_only(names, genes) -> None:
    df, st = mirdb.parse(PRED, names, genes, 9606, mane=FIX / "MANE.summary.txt")
    assert st["rows_read"] == 7 and st["rows_species"] == 6 and st["rows_kept"] == 3
    # hsa RefSeqs: NM_000100, NM_000101, XM_999999, NM_000200 (".1" stripped) -> 2 in MANE.
    assert st["refseq"]["distinct"] == 4 and st["refseq"]["mapped"] == 2
    assert st["refseq"]["rate"] == 0.5
    assert st["refseq"]["prefix_unmapped"] == {"NM_": 1, "XM_": 1}
    assert st["rows_dropped_unmapped_mirna"] == 1  # hsa-miR-1254 (deleted)
    r = df[(df["mirna"] == "hsa-miR-21-5p") & (df["gene_symbol"] == "GENEA")].iloc[0]
    assert r["score"] == 95.5 and r["refseq"] == "NM_000100" and r["n_refseq"] == 1
    assert set(zip(df["mirna"], df["gene_symbol"], strict=True)) == {
        ("hsa-miR-21-5p", "GENEA"),
        ("hsa-miR-101-3p", "GENEA"),
        ("hsa-miR-101-3p", "GENEB"),
    }


def test_gene2refseq_adds_all_refseqs(names, genes) -> None:
    df, st = mirdb.parse(
        PRED, names, genes, 9606, mane=FIX / "MANE.summary.txt", gene2refseq=FIX / "gene2refseq.tsv"
    )
    assert st["refseq"]["mapped"] == 3 and st["refseq"]["via"]["gene2refseq"] == 3
    r = df[(df["mirna"] == "hsa-miR-21-5p") & (df["gene_symbol"] == "GENEA")].iloc[0]
    # Two RefSeqs of one gene: best score kept, both listed.
    assert r["score"] == 95.5 and r["refseq"] == "NM_000100;NM_000101" and r["n_refseq"] == 2


def test_needs_a_refseq_map(names, genes) -> None:
    with pytest.raises(MirlensError, match="--mane"):
        mirdb.parse(PRED, names, genes, 9606)


def test_not_a_mirdb_file(tmp_path, names, genes) -> None:
    bad = tmp_path / "x.txt"
    bad.write_text("a\tb\tc\nd\te\tf\n")
    with pytest.raises(MirlensError):
        mirdb.parse(bad, names, genes, 9606, mane=FIX / "MANE.summary.txt")


def test_real_release(mirror_dir, names) -> None:
    genes = GeneIndex.from_gene_info(
        mirror_dir / "ftp.ncbi.nlm.nih.gov/gene/DATA/GENE_INFO/Mammalia/Homo_sapiens.gene_info.gz"
    )
    mane = (
        mirror_dir / "ftp.ncbi.nlm.nih.gov/refseq/MANE/MANE_human/release_1.0/"
        "MANE.GRCh38.v1.0.summary.txt.gz"
    )
    path = mirror_dir / "mirdb.org/download/miRDB_v6.0_prediction_result.txt.gz"
    df, st = mirdb.parse(path, names, genes, 9606, mane=mane)
    peer = pd.read_csv(path, sep="\t", header=None, names=["m", "r", "s"])
    assert st["rows_read"] == len(peer)
    hsa = peer[peer["m"].str.startswith("hsa-")]
    assert st["rows_species"] == len(hsa)
    # The mirror's RefSeqs were chosen from MANE, so all of them map here (README).
    assert st["refseq"]["rate"] == 1.0
    assert st["pairs"] == len(df) == len(hsa.drop_duplicates(["m", "r"]))
    assert df["score"].between(80, 100).all()
    assert df["mirna"].nunique() == hsa["m"].nunique()
