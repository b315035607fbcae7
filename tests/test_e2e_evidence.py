"""End to end: the real workflow on 60 pancreatic-cancer abstracts writes evidence.tsv."""

from __future__ import annotations

import pandas as pd
import pytest
from workflow_runs import read

from mirlens.evidence.table import COLUMNS, rank

pytestmark = pytest.mark.e2e


def test_evidence_table_follows_contract_and_rank_rule(panc_run):
    results = panc_run / "results"
    table = read(results / "evidence.tsv")
    assert list(table.columns) == COLUMNS
    mirnas = read(results / "mirnas.tsv")
    hsa = set(mirnas.loc[mirnas["species"] == "hsa", "mirbase_id"])
    themes = ["EMT", "angiogenesis", "immune"]
    assert sorted(set(table["theme"])) == themes
    assert len(table) == 3 * len(hsa) and set(table["mirbase_id"]) == hsa
    for theme in themes:
        ranks = table.loc[table["theme"] == theme, "rank"].astype(int)
        assert list(ranks) == list(range(1, len(ranks) + 1))
    # Ranked by the documented rule: re-ranking the table changes nothing
    typed = table.assign(
        n_theme_documents=table["n_theme_documents"].astype(int),
        n_validated_theme_targets=table["n_validated_theme_targets"].astype(int),
        themed_fdr=pd.to_numeric(table["themed_fdr"]),
        pvalue=pd.to_numeric(table["pvalue"]),
    ).drop(columns=["rank", "tier"])
    again = rank(typed, alpha=0.05)
    assert list(again["mirbase_id"]) == list(table["mirbase_id"])
    assert list(again["tier"]) == list(table["tier"])
    # Every listed theme document names the miRNA, and the counts agree with the lists
    docs = dict(zip(mirnas["mirbase_id"], mirnas["documents"].str.split(";"), strict=True))
    for row in table[table["theme_documents"] != ""].itertuples():
        listed = row.theme_documents.split(";")
        assert set(listed) <= set(docs[row.mirbase_id])
        assert len(listed) == min(int(row.n_theme_documents), 20)
    assert (table["n_theme_documents"].astype(int) > 0).any()
    assert (table["validated_theme_targets"] != "").any()
    # claimed_theme_genes: checked against results/claims.tsv in test_e2e_claims.py


def test_theme_context_from_extraction_matches_matching_every_sentence(panc_run, tmp_path):
    """The run counts theme documents from the per-shard summaries that extraction wrote
    (its themes column, one matching per sentence): evidence from mentions.tsv with every
    sentence matched again against the same theme-context file is the same table."""
    from mirlens.cli import main

    results = panc_run / "results"
    libraries = sorted(p.name.removesuffix(".set_level.tsv")
                       for p in (results / "enrichment").glob("*.set_level.tsv"))  # fmt: skip
    out = tmp_path / "evidence.tsv"
    argv = ["evidence", "--mentions", str(results / "mentions.tsv"), "--sentence-themes", "match"]
    argv += ["--themes", str(results / "enrichment/theme_context.json")]
    argv += ["--mirnas", str(results / "mirnas.tsv"), "--claims", str(results / "claims.tsv")]
    argv += ["--consensus", str(results / "targets/consensus.tsv")]
    argv += ["--mirtarbase", str(results / "targets/mirtarbase.tsv")]
    argv += ["--enrichment"] + [f"{lib}={results}/enrichment/{lib}.tsv" for lib in libraries]
    argv += ["--set-level"] + [
        f"{lib}={results}/enrichment/{lib}.set_level.tsv" for lib in libraries
    ]
    assert main([*argv, "--out", str(out)]) == 0
    assert out.read_bytes() == (results / "evidence.tsv").read_bytes()
    assert (read(out)["n_theme_documents"].astype(int) > 0).any()
