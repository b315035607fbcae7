"""miRDB (v6.0 layout) predictions -> one row per miRNA x gene.

The release file ``miRDB_v6.0_prediction_result.txt.gz`` is headerless
``miRNA<TAB>RefSeq<TAB>score`` for every species, with versionless RefSeq mRNA accessions
(NM_/XM_). RefSeq -> gene goes through an NCBI GeneID: MANE (one NM per gene) and, when given,
NCBI ``gene2refseq`` (every RefSeq of every gene; the honest full mapping). Accessions found
in neither are counted and reported as the RefSeq mapping rate, never guessed from symbols.
Several RefSeqs of one gene keep the best score.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mirlens.errors import MirlensError
from mirlens.targets import read_delimited
from mirlens.targets.genes import GeneIndex, gene_stats, read_gene2refseq, read_mane_refseq
from mirlens.targets.names import MirnaNames, mirna_stats

PathLike = str | os.PathLike

STORE_COLUMNS = ["mirbase_id", "mirna", "gene_symbol", "entrez_id", "score", "refseq", "n_refseq"]


def read_predictions(path: PathLike, species: str) -> tuple[pa.Table, int]:
    """-> (table[mirna, refseq, score] of one species, rows read in total)."""
    tab = read_delimited(
        path,
        column_names=["mirna", "refseq", "score"],
        column_types={"score": pa.float64()},
    )
    n_read = tab.num_rows
    if n_read and tab["score"].null_count == n_read:
        raise MirlensError(f"{Path(path).name}: no numeric scores in column 3 (not a miRDB file?)")
    names = pc.cast(tab["mirna"], pa.string())
    return tab.filter(pc.starts_with(names, f"{species}-")), n_read


def refseq_map(
    genes: GeneIndex, mane: PathLike | None, gene2refseq: PathLike | None, taxid: int
) -> pd.DataFrame:
    """RefSeq (no version) -> entrez_id, via gene2refseq first (complete), then MANE."""
    parts = []
    if gene2refseq:
        parts.append(read_gene2refseq(gene2refseq, taxid).assign(via="gene2refseq"))
    if mane:
        parts.append(read_mane_refseq(mane)[["refseq", "entrez_id"]].assign(via="mane"))
    if not parts:
        raise MirlensError("miRDB needs --mane and/or --gene2refseq to map RefSeq to genes")
    return pd.concat(parts, ignore_index=True).drop_duplicates("refseq")


def parse(
    path: PathLike,
    names: MirnaNames,
    genes: GeneIndex,
    taxid: int,
    mane: PathLike | None = None,
    gene2refseq: PathLike | None = None,
) -> tuple[pd.DataFrame, dict]:
    tab, n_read = read_predictions(path, names.species)
    stats: dict = {"source": "mirdb", "rows_read": n_read, "rows_species": tab.num_rows}
    refseq = pc.replace_substring_regex(
        pc.cast(tab["refseq"], pa.string()), pattern=r"\.\d+$", replacement=""
    )
    df = pd.DataFrame(
        {
            "db_mirna": tab["mirna"].to_pandas().astype("category"),
            "refseq": refseq.dictionary_encode().to_pandas(),
            "score": tab["score"].to_pandas(),
        }
    )
    del tab

    mcount = df["db_mirna"].astype(str).value_counts()
    mres = names.resolve(mcount.index, counts=mcount.to_numpy())
    stats["mirnas"] = mirna_stats(mres)

    # RefSeq -> GeneID -> current symbol (the GeneID is re-checked against gene_info).
    rcount = df["refseq"].astype(str).value_counts()
    rmap = refseq_map(genes, mane, gene2refseq, taxid).set_index("refseq")
    rs = pd.DataFrame({"refseq": rcount.index, "n": rcount.to_numpy()})
    rs["entrez_in"] = rs["refseq"].map(rmap["entrez_id"]).fillna("")
    rs["via"] = rs["refseq"].map(rmap["via"]).fillna("unmapped")
    hit = rs["entrez_in"] != ""
    stats["refseq"] = {
        "distinct": len(rs),
        "mapped": int(hit.sum()),
        "rate": round(float(hit.mean()), 4) if len(rs) else 0.0,
        "rows_mapped": int(rs.loc[hit, "n"].sum()),
        "row_rate": round(float(rs.loc[hit, "n"].sum() / max(rs["n"].sum(), 1)), 4),
        "via": {k: int(v) for k, v in rs["via"].value_counts().sort_index().items()},
        "prefix_unmapped": {
            k: int(v) for k, v in rs.loc[~hit, "refseq"].str[:3].value_counts().sort_index().items()
        },
        "unmapped_examples": rs.loc[~hit, "refseq"].head(10).tolist(),
    }
    gres = genes.resolve(entrez=rs.loc[hit, "entrez_in"], counts=rs.loc[hit, "n"])
    stats["genes"] = gene_stats(gres)
    gmap = gres.set_index("in_entrez")
    rs["gene_symbol"] = rs["entrez_in"].map(gmap["gene_symbol"]).fillna("")
    rs["entrez_id"] = rs["entrez_in"].map(gmap["entrez_id"]).fillna("")
    rs = rs.set_index("refseq")

    mres = mres.set_index("in_name")
    df["mirbase_id"] = df["db_mirna"].map(mres["mirbase_id"]).astype(str)
    df["mirna"] = df["db_mirna"].map(mres["mirna"]).astype(str)
    df["gene_symbol"] = df["refseq"].map(rs["gene_symbol"]).astype(str)
    df["entrez_id"] = df["refseq"].map(rs["entrez_id"]).astype(str)
    no_mir = df["mirbase_id"] == ""
    no_gene = df["entrez_id"] == ""
    stats["rows_dropped_unmapped_mirna"] = int(no_mir.sum())
    stats["rows_dropped_unmapped_gene"] = int((no_gene & ~no_mir).sum())
    df = df[~no_mir & ~no_gene]
    stats["rows_kept"] = len(df)

    # Best score per (miRNA, gene); RefSeqs of the gene listed.
    df = df.sort_values(["mirbase_id", "entrez_id", "score", "refseq"], ascending=[1, 1, 0, 1])
    g = df.groupby(["mirbase_id", "entrez_id"], sort=False, observed=True)
    out = g.agg(
        mirna=("mirna", "first"),
        gene_symbol=("gene_symbol", "first"),
        score=("score", "first"),
        n_refseq=("refseq", "size"),
    ).reset_index()
    # Most genes have one RefSeq in a pair; join lists only where there are several.
    first = g["refseq"].first().astype(str)
    dup = df.duplicated(["mirbase_id", "entrez_id"], keep=False)
    if dup.any():
        sub = df.loc[dup, ["mirbase_id", "entrez_id", "refseq"]].astype(str)
        sub = sub.sort_values(["mirbase_id", "entrez_id", "refseq"])
        joined = sub.groupby(["mirbase_id", "entrez_id"], sort=False)["refseq"].agg(";".join)
        first.loc[joined.index] = joined
    out["refseq"] = first.to_numpy()
    out["n_refseq"] = out["n_refseq"].astype("int32")
    out = out[STORE_COLUMNS].sort_values(["mirbase_id", "gene_symbol", "entrez_id"])
    out = out.reset_index(drop=True)
    stats["pairs"] = len(out)
    stats["mirnas_with_targets"] = int(out["mirbase_id"].nunique())
    stats["genes_with_targets"] = int(out["entrez_id"].nunique())
    return out, stats
