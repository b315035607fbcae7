"""TargetScan: site aggregation, family join, isoform collapse; fixtures and real files."""

from __future__ import annotations

import math
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from mirlens.errors import MirlensError
from mirlens.targets import targetscan
from mirlens.targets.genes import GeneIndex
from mirlens.targets.names import MirnaNames

FIX = Path(__file__).parent / "fixtures" / "targets"
TS_FILES = [
    FIX / "Predicted_Targets_Context_Scores.default_predictions.txt",
    FIX / "Summary_Counts.default_predictions.txt",
    FIX / "miR_Family_Info.txt",
]
TS_DIR = "www.targetscan.org/vert_80/vert_80_data_download"


@pytest.fixture(scope="module")
def names(mirbase_dir) -> MirnaNames:
    return MirnaNames.from_mirbase(mirbase_dir, "hsa")


@pytest.fixture(scope="module")
def small_genes() -> GeneIndex:
    return GeneIndex.from_gene_info(FIX / "gene_info_small.tsv", 9606)


def _row(df: pd.DataFrame, mirna: str, gene: str) -> pd.Series:
    sub = df[(df["mirna"] == mirna) & (df["gene_symbol"] == gene)]
    assert len(sub) == 1, sub
    return sub.iloc[0]


def test_fixture_aggregation(names, small_genes) -> None:
    df, st = targetscan.parse(TS_FILES, names, small_genes, 9606)
    assert list(df.columns) == targetscan.STORE_COLUMNS
    # Two sites of miR-21-5p in GENEA: weighted sum, raw sum, best percentile, both types.
    r = _row(df, "hsa-miR-21-5p", "GENEA")
    assert r["score"] == pytest.approx(-0.4 + -0.1)
    assert r["context_score"] == pytest.approx(-0.5 + -0.2)
    assert r["percentile"] == 88 and r["n_sites"] == 2
    assert r["site_types"] == "8mer;7mer-1a"
    assert bool(r["conserved"]) and r["n_conserved_sites"] == 1 and r["pct"] == pytest.approx(0.81)
    assert r["entrez_id"] == "100" and r["family"] == "miR-21-5p/590-5p"
    # Isoforms .1 and .2 resolve to one MIMAT: the stronger (.2, -0.5) is kept, not summed.
    r = _row(df, "hsa-miR-101-3p", "GENEA")
    assert r["ts_mirna"] == "hsa-miR-101-3p.2" and r["score"] == pytest.approx(-0.5)
    assert not r["conserved"] and math.isnan(r["pct"])
    assert st["pairs_collapsed_isoform_or_transcript"] == 1
    # Alias symbol OLDB (unknown ENSG) -> GENEB.
    assert _row(df, "hsa-miR-21-5p", "GENEB")["entrez_id"] == "200"
    # Dropped: ambiguous alias SHARED, deleted miRNA hsa-miR-1254, the mouse rows.
    assert len(df) == 3
    assert st["rows_read"] == 8 and st["rows_species"] == 7 and st["rows_kept"] == 5
    assert st["genes"]["genes"]["ambiguous"] == 1
    assert st["pairs_dropped_unmapped_gene"] == 1
    assert st["mirnas"]["names"]["unmapped"] == 1
    assert st["pairs_dropped_unmapped_mirna"] == 1
    assert st["summary_family_key"] == "seed"
    assert df.equals(df.sort_values(["mirbase_id", "gene_symbol"]).reset_index(drop=True))


def test_zipped_inputs_and_file_roles(tmp_path, names, small_genes) -> None:
    zips = []
    for f in TS_FILES:
        z = tmp_path / (f.name + ".zip")
        with zipfile.ZipFile(z, "w") as zf:
            zf.write(f, f.name)
        zips.append(z)
    a, _ = targetscan.parse(zips, names, small_genes, 9606)
    b, _ = targetscan.parse(TS_FILES, names, small_genes, 9606)
    pd.testing.assert_frame_equal(a, b)
    other = tmp_path / "Gene_info.txt"
    shutil.copy(TS_FILES[0], other)
    with pytest.raises(MirlensError, match="unrecognised TargetScan file"):
        targetscan.classify_inputs([*TS_FILES, other])
    with pytest.raises(MirlensError, match="family file"):
        targetscan.classify_inputs(TS_FILES[:2])


def test_without_summary_counts(names, small_genes) -> None:
    df, st = targetscan.parse([TS_FILES[0], TS_FILES[2]], names, small_genes, 9606)
    assert not df["conserved"].any() and df["pct"].isna().all()
    assert "summary_joined_pairs" not in st


def test_real_release(mirror_dir, names) -> None:
    genes = GeneIndex.from_gene_info(
        mirror_dir / "ftp.ncbi.nlm.nih.gov/gene/DATA/GENE_INFO/Mammalia/Homo_sapiens.gene_info.gz"
    )
    d = mirror_dir / TS_DIR
    files = [
        d / "Predicted_Targets_Context_Scores.default_predictions.txt.zip",
        d / "Summary_Counts.default_predictions.txt.zip",
        d / "miR_Family_Info.txt.zip",
    ]
    df, st = targetscan.parse(files, names, genes, 9606)
    # Peer: plain pandas over the same file for the site and pair counts.
    raw = pd.read_csv(files[0], sep="\t", usecols=["miRNA", "Transcript ID", "Gene Tax ID"])
    assert st["rows_read"] == len(raw)
    assert st["transcript_pairs"] == len(raw.drop_duplicates(["miRNA", "Transcript ID"]))
    assert st["mirnas"]["unmapped"] == 0
    # Almost every pair finds its family's summary row (seed join); weighted >= raw context++.
    assert st["summary_joined_pairs"] / st["transcript_pairs"] > 0.95
    assert (df["score"] >= df["context_score"] - 1e-9).all()
    assert (df["n_sites"] >= 1).all() and df["mirbase_id"].str.startswith("MIMAT").all()
    assert not df.duplicated(["mirbase_id", "entrez_id"]).any()
    assert st["pairs"] == len(df) > 150_000
    # Family info: members with deleted accessions/names are reported, not mapped.
    assert "hsa-miR-1254" in st["family_members_resolved"]["unresolved_examples"]


def test_family_names_to_members(mirror_dir, names) -> None:
    """TargetScan family names -> MIMATs: the family table agrees with name-based expansion."""
    fam = targetscan.read_family_info(mirror_dir / TS_DIR / "miR_Family_Info.txt.zip", 9606)
    members = targetscan.family_members(fam, names)
    fam_name = next(f for f in members if f.startswith("miR-15-5p/16-5p/195-5p"))
    assert set(names.expand_family("miR-15-5p/16-5p/195-5p")) <= set(members[fam_name])
    let7 = members["let-7-5p/98-5p"]
    assert set(names.expand_family("let-7-5p/98-5p")) <= set(let7)
    assert names.by_name["hsa-miR-4458"] in let7  # a member whose name is not in the family name
    # Isoform families resolve to the same mature accession.
    assert members["miR-101-3p.1"] == members["miR-101-3p.2"] == [names.by_name["hsa-miR-101-3p"]]
