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

import pandas as pd

from mirlens.errors import MirlensError
from mirlens.io import read_tsv
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
    g = long.groupby(keys, sort=True)
    sentences = long.drop_duplicates(keys + ["doc_id", "sentence"]).groupby(keys).size()
    docs = long.drop_duplicates(keys + ["doc_id"]).sort_values("doc_id", kind="mergesort")
    out = pd.DataFrame(
        {
            "n_documents": g["doc_id"].nunique(),
            "n_sentences": sentences,
            "relations": g["relation"].agg(lambda s: ";".join(sorted(set(s)))),
            "documents": docs.groupby(keys)["doc_id"].agg(
                lambda s: ";".join(s.iloc[:MAX_DOCUMENTS])
            ),
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
