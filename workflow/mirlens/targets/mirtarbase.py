"""miRTarBase (``hsa_MTI.csv`` / ``.xlsx``, releases 6.1 to 10.0) -> one row per miRNA x gene.

A release has one row per piece of evidence (interaction, experiments, support type, PMID).
Rows of the requested species (both the miRNA's and the target's) are collapsed to pairs,
keeping the union of experiments, support types and PMIDs. Evidence tiers follow
miRTarBase's own definition: *strong* = a ``Functional MTI`` row whose experiments include a
reporter assay, western blot or qPCR; *weak* = any other functional row; *nonfunctional* =
``Non-Functional MTI`` rows only. A pair's tier is its best row's.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from mirlens.errors import MirlensError
from mirlens.targets import join_groups, norm_col, read_delimited
from mirlens.targets.genes import SPECIES_NAME, GeneIndex, gene_stats
from mirlens.targets.names import MirnaNames, mirna_stats

PathLike = str | os.PathLike

TIERS = ("strong", "weak", "nonfunctional")
STRONG_ASSAY = re.compile(r"reporter|western|qpcr|q-pcr|qrt-pcr|real-time", re.IGNORECASE)
EXPERIMENT_SEP = re.compile(r"//|;")

# Normalised header names across releases (6.1 ... 10.0) -> our column names.
COLUMN_ALIASES = {
    "mirtarbase_id": ("mirtarbase_id",),
    "db_mirna": ("mirna",),
    "species_mirna": ("species_mirna",),
    "target_symbol": ("target_gene", "target_gene_symbol"),
    "target_entrez": (
        "target_gene_entrez_id",
        "target_gene_entrez_gene_id",
        "target_gene_entrezid",
        "entrez_id",
    ),
    "species_target": ("species_target_gene", "species_target"),
    "experiments": ("experiments",),
    "support_type": ("support_type",),
    "pmid": ("references_pmid", "references", "pmid"),
}

STORE_COLUMNS = [
    "mirbase_id",
    "mirna",
    "gene_symbol",
    "entrez_id",
    "score",
    "evidence_tier",
    "support_type",
    "experiments",
    "pmids",
    "n_evidence",
    "n_pmids",
    "mirtarbase_ids",
]


def _rename(columns: list[str], path: Path) -> dict[str, str]:
    norm = {norm_col(c): c for c in columns}
    out = {}
    for role, cands in COLUMN_ALIASES.items():
        hit = next((norm[c] for c in cands if c in norm), None)
        if hit is None and role != "mirtarbase_id":
            raise MirlensError(
                f"{path.name}: no miRTarBase column for {role} (looked for {cands}; "
                f"header {columns})"
            )
        if hit is not None:
            out[hit] = role
    return out


def read_release(path: PathLike) -> pd.DataFrame:
    """CSV or XLSX release -> DataFrame with our column names, all as strings."""
    path = Path(path)
    if not path.is_file():
        raise MirlensError(f"miRTarBase file not found: {path}")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic.startswith(b"PK"):
        try:
            df = pd.read_excel(path, dtype=str, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many types on a corrupt workbook
            raise MirlensError(f"{path.name}: cannot read as an Excel workbook ({exc})") from None
        df = df.rename(columns=_rename([str(c) for c in df.columns], path))
        df = df.fillna("")
    else:
        from mirlens.targets import header_of

        header = header_of(path, delimiter=",")
        rename = _rename(header, path)
        tab = read_delimited(
            path,
            delimiter=",",
            quote=True,
            column_types={c: pa.string() for c in header},
            include_columns=list(rename),
        )
        df = tab.rename_columns([rename[c] for c in tab.column_names]).to_pandas()
        df = df.fillna("")
    for c in ("target_entrez", "pmid"):
        df[c] = df[c].astype(str).str.replace(r"\.0$", "", regex=True).str.strip()
    return df


def evidence_tier(support_type: pd.Series, experiments: pd.Series) -> pd.Series:
    """Per evidence row: 'strong', 'weak' or 'nonfunctional' (see module docstring)."""
    st = support_type.astype(str).str.strip()
    nonfunc = st.str.startswith("Non-Functional")
    strong = (st == "Functional MTI") & experiments.astype(str).str.contains(STRONG_ASSAY)
    return pd.Series(
        np.select([strong, nonfunc], ["strong", "nonfunctional"], default="weak"),
        index=support_type.index,
    )


def _split_explode(group: np.ndarray, values: pd.Series, sep: re.Pattern) -> tuple:
    """Split list-valued cells -> (group id per item, items); splits each distinct cell once.

    Experiment strings repeat across a million rows, so splitting the few thousand
    distinct ones and expanding by index is much cheaper than splitting every row.
    """
    values = values.astype(str)
    if not values.str.contains(sep).any():  # e.g. one PMID per row: nothing to split
        return np.asarray(group), values.str.strip()
    codes, uniques = pd.factorize(values)
    parts = [[p.strip() for p in sep.split(u)] for u in uniques]
    lens = np.array([len(p) for p in parts], dtype=np.int64)
    flat = np.array([x for p in parts for x in p], dtype=object)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]]) if len(lens) else lens
    row_len = lens[codes] if len(codes) else np.zeros(0, dtype=np.int64)
    within = np.arange(row_len.sum()) - np.repeat(np.cumsum(row_len) - row_len, row_len)
    idx = np.repeat(starts[codes], row_len) + within if len(codes) else within
    return np.repeat(group, row_len), pd.Series(flat[idx] if len(flat) else [], dtype=object)


def parse(
    path: PathLike, names: MirnaNames, genes: GeneIndex, species: str = "hsa"
) -> tuple[pd.DataFrame, dict]:
    df = read_release(path)
    stats: dict = {"source": "mirtarbase", "rows_read": len(df)}
    sp = SPECIES_NAME.get(species)
    if sp is None:
        raise MirlensError(f"miRTarBase: no species name known for {species!r}")
    df = df[(df["species_mirna"] == sp) & (df["species_target"] == sp)]
    stats["rows_species"] = len(df)
    # The same evidence listed twice (same interaction, experiments, support, PMID) counts once.
    ev_cols = ["db_mirna", "target_symbol", "target_entrez", "experiments", "support_type", "pmid"]
    before = len(df)
    df = df.drop_duplicates(ev_cols)
    stats["duplicate_evidence_rows"] = before - len(df)

    mcount = df["db_mirna"].value_counts()
    mres = names.resolve(mcount.index, counts=mcount.to_numpy())
    stats["mirnas"] = mirna_stats(mres)
    gcount = df[["target_symbol", "target_entrez"]].value_counts(sort=False).reset_index()
    gres = genes.resolve(
        symbols=gcount["target_symbol"], entrez=gcount["target_entrez"], counts=gcount["count"]
    )
    stats["genes"] = gene_stats(gres)
    stats["genes"]["entrez_given_not_in_gene_info"] = int(
        ((gres["in_entrez"] != "") & (gres["gene_map"] != "entrez")).sum()
    )

    mres = mres.set_index("in_name")
    df = df.assign(
        mirbase_id=df["db_mirna"].map(mres["mirbase_id"]).fillna(""),
        mirna=df["db_mirna"].map(mres["mirna"]).fillna(""),
    )
    gmap = gres.set_index(["in_symbol", "in_entrez"])
    gkey = pd.MultiIndex.from_frame(df[["target_symbol", "target_entrez"]])
    df = df.assign(
        gene_symbol=gmap["gene_symbol"].reindex(gkey).fillna("").to_numpy(),
        entrez_id=gmap["entrez_id"].reindex(gkey).fillna("").to_numpy(),
    )
    no_mir = df["mirbase_id"] == ""
    no_gene = df["entrez_id"] == ""
    stats["rows_dropped_unmapped_mirna"] = int(no_mir.sum())
    stats["rows_dropped_unmapped_gene"] = int((no_gene & ~no_mir).sum())
    df = df[~no_mir & ~no_gene].copy()
    stats["rows_kept"] = len(df)
    df["tier"] = evidence_tier(df["support_type"], df["experiments"])
    stats["evidence_rows_by_tier"] = {t: int((df["tier"] == t).sum()) for t in TIERS}

    keys = ["mirbase_id", "entrez_id"]
    df["tier_rank"] = df["tier"].map({t: i for i, t in enumerate(TIERS)}).astype("int8")
    pid = df.groupby(keys, sort=True).ngroup().to_numpy()
    n = int(pid.max()) + 1 if len(pid) else 0
    firsts = ~pd.Series(pid).duplicated().to_numpy()
    out = df.loc[firsts, keys + ["mirna", "gene_symbol"]].set_axis(pid[firsts]).sort_index()
    tier = np.full(n, len(TIERS), dtype=np.int8)
    np.minimum.at(tier, pid, df["tier_rank"].to_numpy())
    out["tier_rank"] = tier
    # n_evidence: distinct (experiments, support type, PMID) rows after gene/miRNA mapping.
    ev = pd.DataFrame(
        {
            "p": pid,
            "e": df["experiments"].to_numpy(),
            "s": df["support_type"].to_numpy(),
            "m": df["pmid"].to_numpy(),
        }
    ).drop_duplicates()
    out["n_evidence"] = np.bincount(ev["p"].to_numpy(), minlength=n)
    out["experiments"], _ = join_groups(*_split_explode(pid, df["experiments"], EXPERIMENT_SEP), n)
    out["support_type"], _ = join_groups(pid, df["support_type"].str.strip(), n)
    pm_group, pm_values = _split_explode(pid, df["pmid"], re.compile(r"[;,]"))
    out["pmids"], out["n_pmids"] = join_groups(pm_group, pm_values, n, numeric=True)
    if "mirtarbase_id" in df:
        out["mirtarbase_ids"], _ = join_groups(pid, df["mirtarbase_id"], n)
    else:
        out["mirtarbase_ids"] = ""
    out = out.reset_index(drop=True)
    out["evidence_tier"] = np.array(TIERS, dtype=object)[out["tier_rank"].to_numpy()]
    for c in ("experiments", "support_type", "pmids", "mirtarbase_ids"):
        out[c] = out[c].fillna("").astype(str)
    out["n_pmids"] = out["n_pmids"].fillna(0).astype("int32")
    out["n_evidence"] = out["n_evidence"].fillna(0).astype("int32")
    # Score: distinct publications supporting the pair (more studies = more confidence).
    out["score"] = out["n_pmids"].astype("float64")
    out = out[STORE_COLUMNS].sort_values(["mirbase_id", "gene_symbol", "entrez_id"])
    out = out.reset_index(drop=True)
    stats["pairs"] = len(out)
    stats["pairs_by_tier"] = {t: int((out["evidence_tier"] == t).sum()) for t in TIERS}
    stats["mirnas_with_targets"] = int(out["mirbase_id"].nunique())
    stats["genes_with_targets"] = int(out["entrez_id"].nunique())
    return out, stats
