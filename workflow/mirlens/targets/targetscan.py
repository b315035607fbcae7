"""TargetScan (8.0 layout) default predictions -> one row per miRNA x gene.

Inputs are the three release files, recognised by name:
``Predicted_Targets_Context_Scores.*`` (one row per site: context++ scores), ``Summary_Counts.*``
(one row per transcript x family: conserved site counts, aggregate PCT) and
``miR_Family_Info.*`` (family membership, miRBase accession of each member). Sites are
aggregated per TargetScan miRNA x representative transcript (sum of weighted context++,
best weighted percentile, site types, number of sites), joined to the summary row of the
miRNA's family, then mapped to MIMAT and NCBI genes. Isoforms that map to one MIMAT
(``hsa-miR-101-3p.1``/``.2`` when both resolve) and transcripts of one gene keep their
strongest (lowest) score: sums over distinct isoforms or transcripts would double-count.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mirlens.errors import MirlensError
from mirlens.targets import header_of, norm_col, read_delimited
from mirlens.targets.genes import GeneIndex, gene_stats
from mirlens.targets.names import MIRNA_METHODS, MirnaNames, mirna_stats

PathLike = str | os.PathLike

# TargetScan site-type codes in the context-score files.
SITE_TYPES = {1: "7mer-1a", 2: "7mer-m8", 3: "8mer", 6: "6mer"}
SITE_ORDER = ("8mer", "7mer-m8", "7mer-1a", "6mer")

STORE_COLUMNS = [
    "mirbase_id",
    "mirna",
    "gene_symbol",
    "entrez_id",
    "score",
    "context_score",
    "percentile",
    "site_types",
    "n_sites",
    "conserved",
    "n_conserved_sites",
    "pct",
    "family",
    "ts_mirna",
    "transcript_id",
]


def classify_inputs(paths: list[PathLike]) -> dict[str, Path]:
    """Map the three TargetScan files to roles by their (release) file names."""
    roles: dict[str, Path] = {}
    for p in map(Path, paths):
        low = p.name.lower()
        role = (
            "context"
            if "context_scores" in low
            else "summary"
            if "summary_counts" in low
            else "family"
            if "family_info" in low
            else None
        )
        if role is None:
            raise MirlensError(
                f"unrecognised TargetScan file {p.name}: expected names containing "
                "Context_Scores, Summary_Counts or Family_Info"
            )
        if role in roles:
            raise MirlensError(f"two TargetScan {role} files given: {roles[role]} and {p}")
        roles[role] = p
    for needed in ("context", "family"):
        if needed not in roles:
            raise MirlensError(f"TargetScan needs a {needed} file (got {[str(p) for p in paths]})")
    return roles


def _pick(path: Path, wanted: dict[str, tuple[str, ...]], optional: set[str] = frozenset()):
    """Raw header names for normalised candidates: {role: raw_name}."""
    header = header_of(path)
    norm = {norm_col(h): h for h in header}
    out = {}
    for role, cands in wanted.items():
        hit = next((norm[c] for c in cands if c in norm), None)
        if hit is None and role not in optional:
            raise MirlensError(
                f"{path.name}: no column for {role} (looked for {cands}; header {header})"
            )
        if hit is not None:
            out[role] = hit
    return out


def read_family_info(path: PathLike, taxid: int) -> pd.DataFrame:
    """-> DataFrame[ts_mirna, family, seed, accession] for one species."""
    path = Path(path)
    cols = _pick(
        path,
        {
            "family": ("mir_family",),
            "seed": ("seed_m8",),
            "species": ("species_id",),
            "ts_mirna": ("mirbase_id",),
            "accession": ("mirbase_accession",),
        },
    )
    tab = read_delimited(
        path,
        include_columns=list(cols.values()),
        column_types={v: pa.string() for v in cols.values()},
    )
    df = pd.DataFrame({role: tab[raw].cast(pa.string()).to_pandas() for role, raw in cols.items()})
    df = df[df["species"] == str(taxid)].drop(columns="species").fillna("")
    return df.drop_duplicates("ts_mirna").reset_index(drop=True)


def read_context_scores(path: PathLike, taxid: int) -> tuple[pd.DataFrame, int]:
    """Site rows of one species -> (DataFrame, rows read in total)."""
    path = Path(path)
    cols = _pick(
        path,
        {
            "gene_id": ("gene_id",),
            "gene_symbol": ("gene_symbol",),
            "transcript_id": ("transcript_id",),
            "taxid": ("gene_tax_id", "species_id"),
            "ts_mirna": ("mirna",),
            "site_type": ("site_type",),
            "context": ("context_score",),
            "wcontext": ("weighted_context_score",),
            "wpct": ("weighted_context_score_percentile",),
        },
    )
    types = {cols["taxid"]: pa.string(), cols["site_type"]: pa.int16()}
    for role in ("context", "wcontext", "wpct"):
        types[cols[role]] = pa.float64()
    tab = read_delimited(path, include_columns=list(cols.values()), column_types=types)
    n_read = tab.num_rows
    tab = tab.filter(pc.equal(tab[cols["taxid"]], str(taxid)))
    df = tab.rename_columns([{v: k for k, v in cols.items()}[c] for c in tab.column_names])
    df = df.to_pandas()
    for c in ("gene_id", "gene_symbol", "transcript_id", "ts_mirna"):
        if not isinstance(df[c].dtype, pd.CategoricalDtype):
            df[c] = df[c].astype("category")
    return df.drop(columns="taxid"), n_read


def read_summary_counts(path: PathLike, taxid: int) -> pd.DataFrame:
    """-> DataFrame[transcript_id, family_key, n_conserved_sites, pct] for one species."""
    path = Path(path)
    cols = _pick(
        path,
        {
            "transcript_id": ("transcript_id",),
            "family_key": ("mirna_family",),
            "species": ("species_id",),
            "n_conserved_sites": ("total_num_conserved_sites",),
            "pct": ("aggregate_pct",),
        },
    )
    types = {
        cols["species"]: pa.string(),
        cols["n_conserved_sites"]: pa.int32(),
        cols["pct"]: pa.float64(),
    }
    tab = read_delimited(path, include_columns=list(cols.values()), column_types=types)
    tab = tab.filter(pc.equal(tab[cols["species"]], str(taxid)))
    df = pd.DataFrame(
        {role: tab[raw].to_pandas() for role, raw in cols.items() if role != "species"}
    )
    for c in ("transcript_id", "family_key"):
        df[c] = df[c].astype(str)
    return df.drop_duplicates(["transcript_id", "family_key"])


def _site_type_strings(mask: np.ndarray) -> np.ndarray:
    """Bitmask over SITE_ORDER (+ bit 4 for unknown codes) -> '8mer;7mer-m8' strings."""
    labels = np.array(
        [
            ";".join(
                [s for i, s in enumerate(SITE_ORDER) if m & (1 << i)]
                + (["other"] if m & 16 else [])
            )
            for m in range(32)
        ],
        dtype=object,
    )
    return labels[mask]


def aggregate_sites(sites: pd.DataFrame) -> pd.DataFrame:
    """Site rows -> one row per (ts_mirna, transcript_id) with score, percentile, types, n.

    Grouping runs on integer category codes with built-in reductions only: a per-group
    Python function over ~2 M sites is what makes this slow.
    """
    cats = {
        c: sites[c].astype("category")
        for c in ("ts_mirna", "transcript_id", "gene_id", "gene_symbol")
    }
    work = pd.DataFrame({f"{c}_code": v.cat.codes.to_numpy() for c, v in cats.items()})
    codes = sites["site_type"].fillna(-1).to_numpy()
    known = np.isin(codes, list(SITE_TYPES))
    for code, label in SITE_TYPES.items():
        work[f"bit{SITE_ORDER.index(label)}"] = codes == code
    work["bit4"] = ~known
    work["wcontext"] = sites["wcontext"].to_numpy()
    work["context"] = sites["context"].to_numpy()
    work["wpct"] = sites["wpct"].to_numpy()
    g = work.groupby(["ts_mirna_code", "transcript_id_code"], sort=False)
    agg = g.agg(
        score=("wcontext", "sum"),
        context_score=("context", "sum"),
        percentile=("wpct", "max"),
        n_sites=("wcontext", "size"),
        gene_id_code=("gene_id_code", "first"),
        gene_symbol_code=("gene_symbol_code", "first"),
        **{f"bit{i}": (f"bit{i}", "max") for i in range(5)},
    ).reset_index()
    mask = sum(agg[f"bit{i}"].to_numpy().astype(np.int64) << i for i in range(5))
    out = pd.DataFrame(
        {
            c: pd.Categorical.from_codes(agg[f"{c}_code"].to_numpy(), cats[c].cat.categories)
            for c in cats
        }
    )
    for c in ("score", "context_score", "percentile", "n_sites"):
        out[c] = agg[c].to_numpy()
    out["site_types"] = _site_type_strings(np.asarray(mask))
    return out


def parse(
    paths: list[PathLike], names: MirnaNames, genes: GeneIndex, taxid: int
) -> tuple[pd.DataFrame, dict]:
    """Parse a TargetScan release -> (store table sorted by mirbase_id, gene_symbol; stats)."""
    roles = classify_inputs(paths)
    fam = read_family_info(roles["family"], taxid)
    sites, n_read = read_context_scores(roles["context"], taxid)
    stats: dict = {"source": "targetscan", "rows_read": n_read, "rows_species": len(sites)}
    if sites.empty:
        raise MirlensError(f"{roles['context'].name}: no site rows of taxon {taxid}")

    pairs = aggregate_sites(sites)
    del sites
    stats["transcript_pairs"] = len(pairs)

    # miRNA names -> MIMAT, using the family table's accession where it is current.
    counts = pairs["ts_mirna"].astype(str).value_counts()
    ts_names = pd.Series(counts.index)
    acc_of = dict(zip(fam["ts_mirna"], fam["accession"], strict=True))
    resolved = names.resolve(ts_names, ts_names.map(acc_of).fillna(""), counts.to_numpy())
    stats["mirnas"] = mirna_stats(resolved)
    stats["mirnas"]["not_in_family_info"] = int((~ts_names.isin(fam["ts_mirna"])).sum())
    mir = resolved.set_index("in_name")[["mirbase_id", "mirna"]]
    pairs["ts_mirna"] = pairs["ts_mirna"].astype(str)
    pairs = pairs.join(mir, on="ts_mirna")

    # Family of each TargetScan miRNA (by its name, else by its MIMAT: files that use
    # miRBase names instead of TargetScan's isoform names), then the summary row of
    # (transcript, family).
    fam_of = _family_lookup(fam, names)
    by_name = pairs["ts_mirna"].map(fam_of["by_name"])
    by_id = pairs["mirbase_id"].map(fam_of["by_id"])
    fam_idx = by_name.fillna(by_id)
    stats["mirnas"]["family_via_mimat"] = int(
        pairs.loc[by_name.isna() & by_id.notna(), "ts_mirna"].nunique()
    )
    stats["mirnas"]["no_family"] = int(pairs.loc[fam_idx.isna(), "ts_mirna"].nunique())
    fam_rows = fam.reindex(fam_idx.fillna(-1).astype(int).to_numpy())
    pairs["family"] = fam_rows["family"].fillna("").to_numpy()
    pairs["seed"] = fam_rows["seed"].fillna("").to_numpy()
    pairs["n_conserved_sites"] = 0
    pairs["pct"] = np.nan
    if "summary" in roles:
        summ = read_summary_counts(roles["summary"], taxid)
        keys = set(summ["family_key"])
        by_seed = len(keys & set(fam["seed"])) >= len(keys & set(fam["family"]))
        pairs["family_key"] = pairs["seed" if by_seed else "family"]
        pairs["transcript_id"] = pairs["transcript_id"].astype(str)
        pairs = pairs.drop(columns=["n_conserved_sites", "pct"]).merge(
            summ, on=["transcript_id", "family_key"], how="left"
        )
        stats["summary_rows_species"] = len(summ)
        stats["summary_joined_pairs"] = int(pairs["n_conserved_sites"].notna().sum())
        stats["summary_family_key"] = "seed" if by_seed else "family name"
        pairs["n_conserved_sites"] = pairs["n_conserved_sites"].fillna(0).astype("int32")
        pairs = pairs.drop(columns="family_key")
    pairs = pairs.drop(columns="seed")
    pairs["conserved"] = pairs["n_conserved_sites"] > 0

    # Genes: ENSG (versionless, via dbXrefs) first, then the symbol.
    gk = pairs[["gene_symbol", "gene_id"]].astype(str)
    gcount = gk.value_counts(sort=False).reset_index()
    gres = genes.resolve(
        symbols=gcount["gene_symbol"], ensembl=gcount["gene_id"], counts=gcount["count"]
    )
    stats["genes"] = gene_stats(gres)
    gmap = gres.set_index(["in_symbol", "in_ensembl"])[["gene_symbol", "entrez_id"]]
    gkey = pd.MultiIndex.from_frame(gk)
    pairs["gene_symbol"] = gmap["gene_symbol"].reindex(gkey).to_numpy()
    pairs["entrez_id"] = gmap["entrez_id"].reindex(gkey).to_numpy()

    ok = (pairs["mirbase_id"].fillna("") != "") & (pairs["entrez_id"].fillna("") != "")
    stats["pairs_dropped_unmapped_mirna"] = int((pairs["mirbase_id"].fillna("") == "").sum())
    stats["pairs_dropped_unmapped_gene"] = int(
        ((pairs["entrez_id"].fillna("") == "") & (pairs["mirbase_id"].fillna("") != "")).sum()
    )
    pairs = pairs[ok]
    stats["rows_kept"] = int(pairs["n_sites"].sum())  # site rows of mapped pairs
    # Strongest isoform/transcript per (MIMAT, gene); ties broken by name for determinism.
    pairs = pairs.sort_values(
        ["mirbase_id", "entrez_id", "score", "ts_mirna", "transcript_id"], kind="mergesort"
    )
    before = len(pairs)
    pairs = pairs.drop_duplicates(["mirbase_id", "entrez_id"], keep="first")
    stats["pairs_collapsed_isoform_or_transcript"] = before - len(pairs)
    out = pairs[STORE_COLUMNS].astype(
        {
            "mirbase_id": str,
            "mirna": str,
            "gene_symbol": str,
            "entrez_id": str,
            "site_types": str,
            "family": str,
            "ts_mirna": str,
            "transcript_id": str,
            "n_sites": "int32",
            "n_conserved_sites": "int32",
            "conserved": bool,
        }
    )
    out = out.sort_values(["mirbase_id", "gene_symbol", "entrez_id"], kind="mergesort")
    out = out.reset_index(drop=True)
    stats["pairs"] = len(out)
    stats["mirnas_with_targets"] = int(out["mirbase_id"].nunique())
    stats["genes_with_targets"] = int(out["entrez_id"].nunique())
    stats["family_members_resolved"] = _family_stats(fam, names)
    return out, stats


def _family_lookup(fam: pd.DataFrame, names: MirnaNames) -> dict[str, pd.Series]:
    """Row index into ``fam`` by TargetScan name and by MIMAT (accession-resolved first)."""
    res = names.resolve(fam["ts_mirna"], fam["accession"]).set_index(["in_name", "in_accession"])
    key = pd.MultiIndex.from_frame(fam[["ts_mirna", "accession"]])
    ids = pd.Series(res["mirbase_id"].reindex(key).to_numpy(), index=fam.index)
    method = pd.Series(res["mirna_map"].reindex(key).to_numpy(), index=fam.index)
    order = method.map({m: i for i, m in enumerate(MIRNA_METHODS)})
    pref = pd.DataFrame({"mirbase_id": ids, "order": order})
    pref = pref[pref["mirbase_id"].fillna("") != ""].sort_values(["order"], kind="mergesort")
    pref = pref[~pref["mirbase_id"].duplicated()]
    return {
        "by_name": pd.Series(fam.index, index=fam["ts_mirna"]),
        "by_id": pd.Series(pref.index, index=pref["mirbase_id"]),
    }


def _family_stats(fam: pd.DataFrame, names: MirnaNames) -> dict:
    res = names.resolve(fam["ts_mirna"], fam["accession"])
    return {
        "members": len(fam),
        "resolved": int((res["mirbase_id"] != "").sum()),
        "unresolved_examples": res.loc[res["mirbase_id"] == "", "in_name"].head(10).tolist(),
    }


def family_members(fam: pd.DataFrame, names: MirnaNames) -> dict[str, list[str]]:
    """TargetScan family name -> member MIMATs (from miR_Family_Info; for family-level files)."""
    res = names.resolve(fam["ts_mirna"], fam["accession"])
    merged = fam.assign(
        mirbase_id=res.set_index(["in_name", "in_accession"])["mirbase_id"]
        .reindex(pd.MultiIndex.from_frame(fam[["ts_mirna", "accession"]]))
        .to_numpy()
    )
    merged = merged[merged["mirbase_id"].fillna("") != ""]
    return {k: sorted(set(v)) for k, v in merged.groupby("family")["mirbase_id"]}
