"""The ``literature`` target source: miRNA -> gene pairs that the run's own documents claim.

Rows come from ``results/claims.tsv`` (``mirlens claims``): pairs a sentence asserts
(``asserted`` true) and does not negate. A claim on a miRNA named without an arm counts
for each mature the mention resolved to (as its mention does). Evidence per pair: the
number of documents and of sentences, the relations read ("targets", "binds 3'UTR",
"regulates") and up to :data:`MAX_DOCUMENTS` document ids. ``score`` is the number of
documents, so consensus and reports can rank by it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import pandas as pd

from mirlens.errors import MirlensError
from mirlens.io import join_by, read_tsv
from mirlens.targets import KEY_COLUMNS

PathLike = str | os.PathLike
MAX_DOCUMENTS = 20
EXTRA = ["n_documents", "n_sentences", "relations", "documents"]
NEEDED = ["doc_id", "mirbase_ids", "mirbase_names", "gene_symbol", "entrez_id", "relation",
          "negated", "asserted", "sentence"]  # fmt: skip


def claimed_pairs(claims: pd.DataFrame) -> pd.DataFrame:
    """Asserted, not negated claims -> one row per (mature, gene) with evidence counts."""
    missing = [c for c in NEEDED if c not in claims.columns]
    if missing:
        raise MirlensError(f"claims table lacks columns {missing}")
    ok = claims[(claims["asserted"] == "true") & (claims["negated"] == "false")]
    ok = ok[(ok["mirbase_ids"] != "") & (ok["gene_symbol"] != "")]
    ids = ok["mirbase_ids"].str.split(";")
    names = ok["mirbase_names"].str.split(";")
    long = ok.assign(mirbase_id=ids, mirna=names).explode(["mirbase_id", "mirna"])
    keys = KEY_COLUMNS
    if long.empty:
        return pd.DataFrame(columns=keys + EXTRA)
    sentences = long.drop_duplicates(keys + ["doc_id", "sentence"]).groupby(keys).size()
    docs = long.drop_duplicates(keys + ["doc_id"]).sort_values("doc_id", kind="mergesort")
    relations = long.drop_duplicates(keys + ["relation"]).sort_values("relation", kind="mergesort")
    out = pd.DataFrame(
        {
            "n_documents": docs.groupby(keys, sort=True).size(),
            "n_sentences": sentences,
            "relations": join_by(relations, keys, "relation"),
            "documents": join_by(docs.groupby(keys).head(MAX_DOCUMENTS), keys, "doc_id"),
        }
    ).reset_index()
    return out


def select(claims_path: PathLike, mirnas: list[str], min_documents: int = 1) -> pd.DataFrame:
    """The run's literature targets: claimed pairs with >= min_documents documents."""
    claims = read_tsv(claims_path)
    pairs = claimed_pairs(claims)
    pairs = pairs[pairs["n_documents"] >= min_documents]
    if mirnas:
        pairs = pairs[pairs["mirbase_id"].isin(mirnas)]
    pairs = pairs.assign(
        source="literature",
        score=pairs["n_documents"].astype(float),
        evidence=pairs["n_documents"].astype(str)
        + " doc/"
        + pairs["n_sentences"].astype(str)
        + " sent",
    )
    cols = KEY_COLUMNS + ["source", "score", "evidence"] + EXTRA
    return pairs[cols].sort_values(["mirna", "gene_symbol", "entrez_id"], kind="mergesort")


def claimed_theme_genes(pairs: pd.DataFrame, genes: Mapping[str, set[str]]) -> pd.DataFrame:
    """Per (mirbase_id, theme): the claimed genes in the theme's sets, most documents first
    (then by symbol), ';'-joined. ``pairs`` is :func:`claimed_pairs` output; ``genes`` maps a
    theme to its gene symbols. Columns: mirbase_id, theme, claimed_theme_genes."""
    cols = ["mirbase_id", "theme", "claimed_theme_genes"]
    rows = [
        pairs[pairs["gene_symbol"].isin(symbols)].assign(theme=theme)
        for theme, symbols in sorted(genes.items())
    ]
    hits = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if hits.empty:
        return pd.DataFrame(columns=cols)
    hits = hits.assign(n=-pd.to_numeric(hits["n_documents"]))
    hits = hits.sort_values(["mirbase_id", "theme", "n", "gene_symbol"], kind="mergesort")
    hits = hits.drop_duplicates(["mirbase_id", "theme", "gene_symbol"])
    out = join_by(hits, ["mirbase_id", "theme"], "gene_symbol")
    return out.rename("claimed_theme_genes").reset_index()[cols]
