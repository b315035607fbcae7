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


def test_claims_jobs_claimed_documents_count_what_claimed_pairs_counts(tmp_path):
    """The claims job writes the claims that count per miRNA, gene and document; evidence
    counts documents from them instead of reading every claim: the same counts."""
    from mirlens.evidence.cli import claimed
    from mirlens.text.claims import claimed_documents, write_claimed

    records = [
        {"doc_id": d, "mirbase_ids": ids.split(";"), "mirbase_names": names.split(";"),
         "gene_symbol": gene, "entrez_id": entrez, "negated": neg == "true",
         "asserted": asserted == "true"}
        for d, ids, names, gene, entrez, _rel, neg, asserted, _s in ROWS
    ]  # fmt: skip
    write_claimed(claimed_documents(records[:3]), tmp_path / "a.claimed.parquet")
    write_claimed(claimed_documents(records[3:]), tmp_path / "b.claimed.parquet")
    write_claimed([], tmp_path / "empty.claimed.parquet")
    paths = [str(tmp_path / f"{n}.claimed.parquet") for n in ("a", "empty", "b")]
    counted = claimed(paths)
    expected = claimed_pairs(claims(ROWS))[["mirbase_id", "mirna", "gene_symbol", "entrez_id"]]
    assert counted.drop(columns="n_documents").equals(expected)
    assert list(counted["n_documents"]) == list(claimed_pairs(claims(ROWS))["n_documents"])
