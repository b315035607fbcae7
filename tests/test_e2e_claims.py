"""Claims and mention context in a real workflow run (60 pancreatic-cancer abstracts), and the
``literature`` target source taking part in consensus."""

from __future__ import annotations

import pytest
from workflow_runs import read

from mirlens.cli import main

pytestmark = pytest.mark.e2e


def test_claims_table_and_mention_context(panc_run):
    claims = read(panc_run / "results/claims.tsv")
    assert list(claims.columns[:5]) == [
        "doc_id",
        "mirna_start",
        "mirna_end",
        "gene_start",
        "gene_end",
    ]
    assert {"asserted", "negated", "relation", "direction", "sentence"} <= set(claims.columns)
    asserted = claims[claims["asserted"] == "true"]
    assert len(asserted) >= 10 and len(asserted) < len(claims)
    assert set(asserted["relation"]) <= {"targets", "binds 3'UTR", "regulates"}
    assert (claims["entrez_id"].str.isdigit()).all()
    mentions = read(panc_run / "results/mentions.tsv")
    assert {"direction", "role", "sample", "themes"} <= set(mentions.columns)
    assert {"up", "down"} <= set(mentions["direction"])
    assert set(mentions["sample"]) >= {"tissue", "unknown"}
    assert (mentions["themes"] != "").any()  # the default themes' vocabulary is read


def test_literature_source_in_consensus(panc_run, tmp_path):
    res = panc_run / "results"
    out, all_out = tmp_path / "literature.tsv", tmp_path / "literature.all.parquet"
    argv = ["targets-select", "--source", "literature", "--claims", str(res / "claims.tsv"),
            "--mirnas", str(res / "mirnas.tsv"), "--out", str(out), "--all-out", str(all_out),
            "--stats", str(tmp_path / "literature.stats.json")]  # fmt: skip
    assert main(argv) == 0
    lit = read(out)
    assert len(lit) >= 5
    assert (lit["source"] == "literature").all()
    assert (lit["n_documents"].astype(int) >= 1).all()
    run_mirnas = set(read(res / "mirnas.tsv")["mirbase_id"])
    assert set(lit["mirbase_id"]) <= run_mirnas
    sources = ["targetscan", "mirdb", "mirtarbase"]
    inputs = [str(res / f"targets/{s}.tsv") for s in sources] + [str(out)]
    cons = tmp_path / "consensus.tsv"
    argv = ["consensus", "--inputs", *inputs, "--min-sources", "1", "--mode", "validated",
            "--out", str(cons), "--stats", str(tmp_path / "consensus.stats.json")]  # fmt: skip
    assert main(argv) == 0
    table = read(cons)
    claimed = set(zip(lit["mirbase_id"], lit["gene_symbol"], strict=True))
    kept = set(zip(table["mirbase_id"], table["gene_symbol"], strict=True))
    assert claimed <= kept
    assert "score_literature" in table.columns or "sources" in table.columns


def test_evidence_claimed_theme_genes_come_from_claims(panc_run):
    res = panc_run / "results"
    claims = read(res / "claims.tsv")
    ok = claims[(claims["asserted"] == "true") & (claims["negated"] == "false")]
    claimed = {
        (mid, gene)
        for ids, gene in zip(ok["mirbase_ids"], ok["gene_symbol"], strict=True)
        for mid in ids.split(";")
    }
    evidence = read(res / "evidence.tsv")
    rows = evidence[evidence["claimed_theme_genes"] != ""]
    assert len(rows) >= 1
    for row in rows.itertuples():
        for gene in row.claimed_theme_genes.split(";"):
            assert (row.mirbase_id, gene) in claimed
