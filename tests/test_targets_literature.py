"""The literature target source from claims tables, and claimed genes per theme."""

from __future__ import annotations

import pandas as pd

from mirlens.targets.literature import claimed_pairs, claimed_theme_genes


def claims(rows: list[tuple]) -> pd.DataFrame:
    cols = ["doc_id", "mirbase_ids", "mirbase_names", "gene_symbol", "entrez_id", "relation",
            "negated", "asserted", "sentence"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols, dtype=str)


ROWS = [
    ("d1", "M1;M2", "m-5p;m-3p", "ZEB1", "6935", "targets", "false", "true", "s1"),
    ("d1", "M1;M2", "m-5p;m-3p", "ZEB1", "6935", "targets", "false", "true", "s1"),
    ("d2", "M2", "m-3p", "ZEB1", "6935", "binds 3'UTR", "false", "true", "s2"),
    ("d2", "M2", "m-3p", "VIM", "7431", "regulates", "false", "true", "s2"),
    ("d3", "M2", "m-3p", "PTEN", "5728", "regulates", "true", "true", "s3"),  # negated
    ("d3", "M2", "m-3p", "KRAS", "3845", "co-mention", "false", "false", "s3"),  # co-mention
]


def test_claimed_pairs_count_documents_and_sentences():
    pairs = claimed_pairs(claims(ROWS))
    got = {(r.mirbase_id, r.gene_symbol): (r.n_documents, r.n_sentences, r.relations, r.documents)
           for r in pairs.itertuples()}  # fmt: skip
    assert got == {
        ("M1", "ZEB1"): (1, 1, "targets", "d1"),
        ("M2", "VIM"): (1, 1, "regulates", "d2"),
        ("M2", "ZEB1"): (2, 2, "binds 3'UTR;targets", "d1;d2"),
    }
    assert set(pairs["mirna"]) == {"m-5p", "m-3p"}


def test_claimed_theme_genes_most_documents_first():
    pairs = claimed_pairs(claims(ROWS))
    out = claimed_theme_genes(pairs, {"EMT": {"VIM", "ZEB1", "CDH1"}, "immune": {"CD274"}})
    assert out.to_dict("records") == [
        {"mirbase_id": "M1", "theme": "EMT", "claimed_theme_genes": "ZEB1"},
        {"mirbase_id": "M2", "theme": "EMT", "claimed_theme_genes": "ZEB1;VIM"},
    ]
    assert claimed_theme_genes(pairs.iloc[0:0], {"EMT": {"VIM"}}).empty
