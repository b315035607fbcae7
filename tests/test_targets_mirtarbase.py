"""miRTarBase: header variants (6.1 vs 10.0), duplicate evidence, tiers, CSV == XLSX."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import shared_path

from mirlens.errors import MirlensError
from mirlens.targets import mirtarbase
from mirlens.targets.genes import GeneIndex
from mirlens.targets.names import MirnaNames

FIX = Path(__file__).parent / "fixtures" / "targets"
MTB_DIR = "mirror/mirtarbase.cuhk.edu.cn/~miRTarBase/miRTarBase_2025/cache/download/10.0"
GENE_INFO = "mirror/ftp.ncbi.nlm.nih.gov/gene/DATA/GENE_INFO/Mammalia/Homo_sapiens.gene_info.gz"


@pytest.fixture(scope="module")
def names(mirbase_dir) -> MirnaNames:
    return MirnaNames.from_mirbase(mirbase_dir, "hsa")


@pytest.fixture(scope="module")
def real_genes() -> GeneIndex:
    return GeneIndex.from_gene_info(shared_path(GENE_INFO))


def _pair(df, mirna, gene):
    sub = df[(df["mirna"] == mirna) & (df["gene_symbol"] == gene)]
    assert len(sub) == 1
    return sub.iloc[0]


def test_fixture_old_header(names) -> None:
    genes = GeneIndex.from_gene_info(FIX / "gene_info_small.tsv")
    df, st = mirtarbase.parse(FIX / "mtb_old_header.csv", names, genes, "hsa")
    assert st["rows_read"] == 9 and st["rows_species"] == 8
    assert st["duplicate_evidence_rows"] == 1
    assert st["rows_kept"] == 5  # minus the ambiguous gene SHARED and miRNA hsa-miR-34b
    r = _pair(df, "hsa-miR-21-5p", "GENEA")
    assert r["evidence_tier"] == "strong" and r["n_evidence"] == 2 and r["pmids"] == "111;222"
    assert r["experiments"] == "Luciferase reporter assay;Microarray;Western blot"
    assert r["support_type"] == "Functional MTI;Functional MTI (Weak)"
    assert r["score"] == 2
    # Pre-arm miRNA name + dead Entrez ID with an alias symbol -> current names.
    r = _pair(df, "hsa-miR-21-5p", "GENEB")
    assert r["evidence_tier"] == "weak" and r["experiments"] == "HITS-CLIP;Microarray"
    # Quoted comma stays one experiment; Non-Functional -> nonfunctional tier.
    r = _pair(df, "hsa-miR-101-3p", "GENEB")
    assert r["evidence_tier"] == "nonfunctional" and r["experiments"] == "Reporter assay, qPCR"
    # A western blot under "Functional MTI (Weak)" stays weak.
    assert _pair(df, "hsa-miR-101-3p", "GENEA")["evidence_tier"] == "weak"
    assert len(df) == 4
    assert st["genes"]["genes"]["ambiguous"] == 1  # SHARED
    assert st["mirnas"]["names"]["ambiguous"] == 1  # hsa-miR-34b
    assert st["genes"]["entrez_given_not_in_gene_info"] == 1


def test_real_61_xlsx(names, real_genes) -> None:
    path = shared_path("data/mirtarbase/test_mirtarbase.xlsx")
    df, st = mirtarbase.parse(path, names, real_genes, "hsa")
    raw = pd.read_excel(path)
    assert "Target Gene (Entrez Gene ID)" in raw.columns  # the 6.1 header variant
    hsa = raw[raw["Species (miRNA)"] == "Homo sapiens"]
    assert st["rows_species"] == len(hsa)
    assert len(df) == len(hsa.drop_duplicates(["miRNA", "Target Gene"]))
    r = _pair(df, "hsa-miR-20a-5p", "HIF1A")
    assert r["entrez_id"] == "3091" and r["evidence_tier"] == "strong"
    assert r["n_pmids"] == hsa[hsa["Target Gene"] == "HIF1A"]["References (PMID)"].nunique()


def test_real_10_csv_equals_xlsx(mirror_dir, names, real_genes) -> None:
    d = mirror_dir / MTB_DIR.removeprefix("mirror/")
    a, sa = mirtarbase.parse(d / "hsa_MTI.csv", names, real_genes, "hsa")
    b, sb = mirtarbase.parse(d / "hsa_MTI.xlsx", names, real_genes, "hsa")
    pd.testing.assert_frame_equal(a, b)
    peer = pd.read_csv(d / "hsa_MTI.csv")
    assert sa["rows_read"] == len(peer)
    hsa = peer[(peer["Species (miRNA)"] == "Homo sapiens")]
    assert sa["rows_species"] == len(hsa)
    strong_rows = (hsa["Support Type"] == "Functional MTI") & hsa["Experiments"].str.contains(
        "reporter|western|qRT-PCR|qPCR", case=False
    )
    assert sa["evidence_rows_by_tier"]["strong"] == int(strong_rows.sum())
    assert sum(sa["pairs_by_tier"].values()) == len(a)
    assert not a.duplicated(["mirbase_id", "entrez_id"]).any()


def test_missing_column(tmp_path, names, real_genes) -> None:
    bad = tmp_path / "x.csv"
    bad.write_text("miRNA,Target Gene\nhsa-miR-21-5p,PTEN\n")
    with pytest.raises(MirlensError, match="no miRTarBase column"):
        mirtarbase.parse(bad, names, real_genes, "hsa")
