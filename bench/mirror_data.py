"""Real data of the loopback mirror (../shared/mirror) shared by the enrichment benchmarks."""

from __future__ import annotations

import gzip
import os
import zipfile
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MIRLENS_SHARED", REPO.parent / "shared")).resolve()
MIRROR = SHARED / "mirror"
MIRDB = MIRROR / "mirdb.org/download/miRDB_v6.0_prediction_result.txt.gz"
MANE = (
    MIRROR
    / "ftp.ncbi.nlm.nih.gov/refseq/MANE/MANE_human/release_1.0/MANE.GRCh38.v1.0.summary.txt.gz"
)
TARGETSCAN = (
    MIRROR / "www.targetscan.org/vert_80/vert_80_data_download/"
    "Predicted_Targets_Context_Scores.default_predictions.txt.zip"
)
HALLMARK = MIRROR / "data.broadinstitute.org/gsea-msigdb/msigdb/release/7.0/h.all.v7.0.symbols.gmt"
GOBP = (
    MIRROR
    / "maayanlab.cloud/Enrichr/geneSetLibrary__mode=text&libraryName=GO_Biological_Process_2021"
)


def load_mirdb_pairs(min_score: float = 0.0) -> pd.DataFrame:
    """(mirna, gene_symbol) from miRDB, human, via MANE NM -> symbol."""
    with gzip.open(MIRDB, "rt") as fh:
        mirdb = pd.read_csv(fh, sep="\t", header=None, names=["mirna", "nm", "score"], dtype=str)
    mirdb = mirdb[mirdb["mirna"].str.startswith("hsa-")]
    mirdb = mirdb[mirdb["score"].astype(float) >= min_score]
    with gzip.open(MANE, "rt") as fh:
        mane = pd.read_csv(fh, sep="\t", usecols=["symbol", "RefSeq_nuc"], dtype=str)
    nm_to_symbol = dict(zip(mane["RefSeq_nuc"].str.split(".").str[0], mane["symbol"], strict=True))
    mirdb["gene_symbol"] = mirdb["nm"].map(nm_to_symbol)
    pairs = mirdb.dropna(subset=["gene_symbol"])[["mirna", "gene_symbol"]].drop_duplicates()
    return pairs.reset_index(drop=True)


def load_targetscan_pairs() -> pd.DataFrame:
    """(mirna, gene_symbol) of the TargetScan context-score table (minimal parse)."""
    with zipfile.ZipFile(TARGETSCAN) as zf, zf.open(zf.namelist()[0]) as fh:
        df = pd.read_csv(fh, sep="\t", usecols=["miRNA", "Gene Symbol"], dtype=str)
    df = df.rename(columns={"miRNA": "mirna", "Gene Symbol": "gene_symbol"})
    return df[df["mirna"].str.startswith("hsa-")].drop_duplicates().reset_index(drop=True)


def load_background(path: str | None) -> tuple[pd.DataFrame, str]:
    """A workflow background.parquet when given, else miRDB (score >= 80) + TargetScan pairs
    (the shipped 'any source' rule without miRTarBase, parsed minimally)."""
    if path:
        return pd.read_parquet(path, columns=["mirna", "gene_symbol"]), str(path)
    pairs = pd.concat([load_mirdb_pairs(80.0), load_targetscan_pairs()], ignore_index=True)
    return pairs.drop_duplicates().reset_index(drop=True), "mirror miRDB>=80 + TargetScan"
