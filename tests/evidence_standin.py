"""A stand-in for the evidence step, for report tests and the report benchmark only.

Until the evidence table (``results/evidence.tsv``) and the per-run enrichment outputs of the
contracts land, this computes contract-shaped versions from what a results folder already
holds: themed enrichment rows, mentions and consensus targets. The numbers are derived from
the folder's own tables (nothing is invented), with a simple rank rule; the shipped report
only ever reads the contract files.

    python tests/evidence_standin.py SRC_RESULTS DST_RESULTS
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pandas as pd

from mirlens.io import read_tsv, split_list, write_tsv
from mirlens.report.load import EVIDENCE_COLS

VOCABULARY = {
    "EMT": [
        "epithelial-mesenchymal",
        "epithelial to mesenchymal",
        "epithelial-to-mesenchymal",
        "EMT",
        "E-cadherin",
        "vimentin",
        "Snail",
        "ZEB1",
        "ZEB2",
        "Twist",
        "N-cadherin",
        "invasion",
        "metastasis",
    ],
    "angiogenesis": ["angiogen", "VEGF", "vascular", "endothelial", "tube formation", "HIF-1"],
    "immune": [
        "immune",
        "PD-L1",
        "PD-1",
        "T cell",
        "T-cell",
        "macrophage",
        "interferon",
        "inflamm",
        "cytokine",
        "NK cell",
    ],
}
ENR_KEEP = [
    "scope",
    "mirbase_id",
    "gene_set",
    "theme",
    "hypothesis",
    "set_size",
    "overlap",
    "expected",
    "universe_size",
    "odds_ratio",
    "pvalue",
    "pvalue_hypergeom",
    "fdr",
    "genes",
]
COMBINED = {"genes_union", "pathways_union", "weighted"}


def _vocab_pattern(terms: list[str]) -> re.Pattern:
    return re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)


def convert_enrichment(src: Path, ids: dict[str, str], alpha: float = 0.05) -> pd.DataFrame:
    """Old-style enrichment rows -> contract rows: themed, and exploratory at FDR <= alpha."""
    kept = []
    for chunk in read_tsv(src, chunksize=500_000):
        fdr = pd.to_numeric(chunk["fdr"], errors="coerce")
        chunk = chunk[(chunk["theme"] != "") | (fdr <= alpha)].copy()
        kept.append(chunk)
    df = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame(columns=ENR_KEEP)
    if "hypothesis" not in df.columns:
        df["hypothesis"] = ["themed" if t else "exploratory" for t in df["theme"]]
    if "pvalue_hypergeom" not in df.columns:
        df["pvalue_hypergeom"] = df["pvalue"]
    if "mirbase_id" not in df.columns:
        df["mirbase_id"] = [ids.get(s, "") for s in df["scope"]]
    if "expected" not in df.columns:
        n = pd.to_numeric(df["set_size"], errors="coerce")
        u = pd.to_numeric(df["universe_size"], errors="coerce")
        df["expected"] = ""
        if "genes" in df.columns and len(df):
            df["expected"] = (n / u).round(4).astype(str)
    return df[[c for c in ENR_KEEP if c in df.columns]]


def set_level(enr: pd.DataFrame) -> pd.DataFrame:
    """A stand-in set-level table from the old genes_union rows (plain hypergeometric)."""
    rows = enr[(enr["scope"] == "genes_union") & (enr["theme"] != "")]
    return pd.DataFrame(
        {
            "gene_set": rows["gene_set"],
            "theme": rows["theme"],
            "hypothesis": "themed",
            "n_mirnas": "",
            "n_background": "",
            "statistic": rows["overlap"],
            "pvalue": rows["pvalue"],
            "fdr": rows["fdr"],
            "test": "genes_union hypergeometric (stand-in)",
        }
    )


def theme_documents(mentions: pd.DataFrame, themes: list[str]) -> dict[tuple[str, str], list]:
    """(mature name, theme) -> doc_ids whose sentences name the miRNA in the theme's context."""
    out: dict[tuple[str, str], dict[str, int]] = {}
    ok = mentions[mentions["status"].isin(["resolved", "ambiguous"])]
    for theme in themes:
        pat = _vocab_pattern(VOCABULARY.get(theme, [theme]))
        hit = ok[ok["sentence"].str.contains(pat, na=False)]
        for doc, names in zip(hit["doc_id"], hit["mirbase_names"], strict=True):
            for name in split_list(names):
                counts = out.setdefault((name, theme), {})
                counts[doc] = counts.get(doc, 0) + 1
    return {k: sorted(v, key=lambda d: (-v[d], d)) for k, v in out.items()}


def validated_genes(consensus: pd.DataFrame) -> dict[str, list[str]]:
    """miRNA name -> validated genes, strongest evidence first."""
    cons = consensus.copy()
    if "n_validated" in cons.columns:
        val = pd.to_numeric(cons["n_validated"], errors="coerce").fillna(0) > 0
    else:
        val = cons["sources"].str.contains("mirtarbase", na=False)
    cons = cons[val].copy()
    cons["strong"] = cons["evidence"].str.contains("strong|Luciferase|Western", na=False)
    cons["ns"] = pd.to_numeric(cons["n_sources"], errors="coerce").fillna(0)
    cons = cons.sort_values(
        ["mirna", "strong", "ns", "gene_symbol"], ascending=[True, False, False, True]
    )
    return {m: list(g["gene_symbol"]) for m, g in cons.groupby("mirna", sort=False)}


def evidence_table(
    mirnas: pd.DataFrame,
    mentions: pd.DataFrame,
    consensus: pd.DataFrame,
    enr: pd.DataFrame,
    sl: pd.DataFrame,
    themes: list[str],
    alpha: float = 0.05,
) -> pd.DataFrame:
    names = mirnas[mirnas["name"].str.startswith("hsa-")]
    tdocs = theme_documents(mentions, themes)
    valid = validated_genes(consensus)
    themed = enr[(enr["hypothesis"] == "themed") & ~enr["scope"].isin(COMBINED)].copy()
    themed["p"] = pd.to_numeric(themed["pvalue"], errors="coerce")
    themed["q"] = pd.to_numeric(themed["fdr"], errors="coerce")
    themed = themed.sort_values(["q", "p", "gene_set"], kind="mergesort")
    rows = []
    for theme in themes:
        mine = themed.loc[themed["theme"].map(lambda t, th=theme: th in split_list(t)).astype(bool)]
        best = mine.drop_duplicates("scope").set_index("scope")
        overlap_genes = mine.groupby("scope")["genes"].agg(lambda g: set(";".join(g).split(";")))
        sl_theme = sl.loc[sl["theme"].map(lambda t, th=theme: th in split_list(t)).astype(bool)]
        sl_p = pd.to_numeric(sl_theme["pvalue"], errors="coerce").min()
        for r in names.itertuples(index=False):
            b = best.loc[r.name] if r.name in best.index else None
            genes = overlap_genes.get(r.name, set())
            val = [g for g in valid.get(r.name, []) if g in genes]
            docs = tdocs.get((r.name, theme), [])
            rows.append(
                {
                    "theme": theme,
                    "mirna": r.name,
                    "mirbase_id": r.mirbase_id,
                    "n_documents": r.n_documents,
                    "n_theme_documents": len(docs),
                    "theme_documents": ";".join(docs[:20]),
                    "validated_theme_targets": ";".join(val),
                    "n_validated_theme_targets": len(val),
                    "n_predicted_theme_targets": len(genes - {""}) - len(val),
                    "best_library": "" if b is None else b.get("library", ""),
                    "best_gene_set": "" if b is None else b["gene_set"],
                    "overlap": "" if b is None else b["overlap"],
                    "pvalue": "" if b is None else b["pvalue"],
                    "themed_fdr": "" if b is None else b["fdr"],
                    "set_level_pvalue": "" if sl_p != sl_p else f"{sl_p:.3g}",
                    "claimed_theme_genes": "",
                }
            )
    if not rows:
        return pd.DataFrame(columns=EVIDENCE_COLS)
    ev = pd.DataFrame(rows)
    q = pd.to_numeric(ev["themed_fdr"], errors="coerce").fillna(1.0)
    ev["_sig"] = q <= alpha
    ev["_q"] = q
    ev["_nd"] = pd.to_numeric(ev["n_documents"], errors="coerce").fillna(0)
    ev = ev.sort_values(
        ["theme", "_sig", "n_theme_documents", "n_validated_theme_targets", "_q", "_nd", "mirna"],
        ascending=[True, False, False, False, True, False, True],
        kind="mergesort",
    )
    ev.insert(1, "rank", ev.groupby("theme").cumcount() + 1)
    return ev.drop(columns=["_sig", "_q", "_nd"])


def copy_table(src: Path, dst: Path) -> None:
    """Copy a file; a TSV written before cells were escaped (quoted cells) is re-encoded."""
    if src.suffix != ".tsv":
        shutil.copyfile(src, dst)
        return
    try:
        read_tsv(src, nrows=None)
        shutil.copyfile(src, dst)
    except pd.errors.ParserError:
        write_tsv(pd.read_csv(src, sep="\t", dtype=str, keep_default_na=False), dst)


def build(src: Path, dst: Path) -> Path:
    """Copy what the report reads from ``src`` to ``dst`` with contract-shaped stand-ins."""
    src, dst = Path(src), Path(dst)
    for rel in [
        "literature/documents.tsv",
        "mentions.tsv",
        "mirnas.tsv",
        "unresolved.tsv",
        "targets/consensus.tsv",
        "config.json",
        "provenance.json",
    ]:
        if (src / rel).is_file() and not (dst / rel).exists():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            copy_table(src / rel, dst / rel)
    for p in (src / "targets").glob("*.stats.json"):
        shutil.copyfile(p, dst / "targets" / p.name)
    mirnas = read_tsv(dst / "mirnas.tsv")
    ids = dict(zip(mirnas["name"], mirnas["mirbase_id"], strict=True))
    frames, levels = [], []
    for path in sorted((src / "enrichment").glob("*.tsv")):
        if path.name.endswith(".set_level.tsv"):
            continue
        enr = convert_enrichment(path, ids)
        enr["library"] = path.stem
        sl = set_level(enr)
        out = dst / "enrichment" / path.name
        write_tsv(enr[~enr["scope"].isin(COMBINED)].drop(columns="library"), out)
        write_tsv(sl, out.with_suffix(".set_level.tsv"))
        frames.append(enr)
        levels.append(sl)
    enr = pd.concat(frames, ignore_index=True)
    sl = pd.concat(levels, ignore_index=True)
    themes_file = src / "enrichment" / "themes.json"
    if themes_file.is_file():
        themes = sorted(json.loads(themes_file.read_text()))
    else:
        themes = sorted({t for ts in enr["theme"] for t in split_list(ts)})
    mentions = read_tsv(dst / "mentions.tsv")
    consensus = read_tsv(dst / "targets" / "consensus.tsv")
    ev = evidence_table(mirnas, mentions, consensus, enr, sl, themes)
    write_tsv(ev, dst / "evidence.tsv")
    return dst


if __name__ == "__main__":
    build(Path(sys.argv[1]), Path(sys.argv[2]))
