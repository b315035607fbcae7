"""Evidence table: theme context, theme targets, best themed set, the rank rule, the CLI."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mirlens.cli import main
from mirlens.errors import MirlensError
from mirlens.evidence.context import (
    mention_themes,
    sentences_per_document,
    theme_documents,
    theme_genes,
)
from mirlens.evidence.stats import best_sets, themed_rows
from mirlens.evidence.table import COLUMNS, rank
from mirlens.evidence.targets import predicted_theme_targets, validated_theme_targets
from mirlens.genesets import Library
from mirlens.io import read_tsv
from mirlens.theme_context import load_context
from mirlens.themes import context_genes, load_themes

THEMES = {
    "EMT": {
        "hall": ["H_EMT"],
        "go": ["emt (GO:1)", "negative regulation of emt (GO:2)"],
        "vocabulary": ["epithelial-mesenchymal", "EMT", "E-cadherin"],
    },
    "immune": {"hall": ["H_INFL"], "vocabulary": ["immune", "macrophage"]},
}
LIBRARIES = {
    "hall": Library("hall", {"H_EMT": ["COL1A1", "SNAI2", "ZEB1"], "H_INFL": ["IL6", "SOCS1"]}),
    "go": Library(
        "go", {"emt (GO:1)": ["SNAI2", "ZEB1"], "negative regulation of emt (GO:2)": ["PTEN"]}
    ),
}
SETS = {name: lib.sets for name, lib in LIBRARIES.items()}
# Real sentences (PubMed abstracts on miR-200c, miR-21, miR-155), ids shortened
MENTIONS = pd.DataFrame(
    [
        ("d1", "miR-200c inhibits epithelial–mesenchymal transition by targeting ZEB1.", "M200"),
        ("d1", "miR-200c restores E-cadherin.", "M200"),
        ("d2", "Loss of miR-200c drives EMT in NSCLC.", "M200"),
        ("d3", "miR-21 targets PTEN in lung cancer cells.", "M21"),
        ("d3", "miR-21 and SNAI2 are co-expressed.", "M21"),
        ("d4", "miR-155 shapes the immune response of macrophages via SOCS1.", "M155;M155s"),
        ("d5", "miR-155 levels were measured.", "M155"),
    ],
    columns=["doc_id", "sentence", "mirbase_ids"],
).assign(status="resolved")


@pytest.fixture(scope="module")
def themes():
    base = load_themes(THEMES)
    return base.with_genes(context_genes(base, SETS))


def test_context_genes_need_every_library_to_agree():
    base = load_themes(THEMES)
    assert context_genes(base, SETS) == {"EMT": {"SNAI2", "ZEB1"}, "immune": {"IL6", "SOCS1"}}
    union = theme_genes(base, LIBRARIES)
    assert union["EMT"] == {"COL1A1", "SNAI2", "ZEB1", "PTEN"}


def test_theme_documents_count_documents_most_sentences_first(themes):
    mentions = pd.concat(
        [MENTIONS, MENTIONS.iloc[[0]].assign(status="unresolved", mirbase_ids="M21")]
    )
    docs = theme_documents(sentences_per_document(mention_themes(mentions, themes)))
    rows = {(r.mirbase_id, r.theme): r for r in docs.itertuples()}
    assert rows["M200", "EMT"].n_theme_documents == 2
    assert rows["M200", "EMT"].theme_documents == "d1;d2"  # d1 has two EMT sentences
    # "SNAI2" counts (both libraries put it in EMT); "PTEN" does not (GO only)
    assert rows["M21", "EMT"].theme_documents == "d3"
    assert rows["M155", "immune"].theme_documents == "d4"
    assert rows["M155s", "immune"].n_theme_documents == 1  # every id of a mention counts
    assert ("M155", "EMT") not in rows and ("M200", "immune") not in rows
    assert len(docs) == 4


def test_theme_context_file_gives_the_same_themes_and_genes(tmp_path):
    """`mirlens theme-context` writes what evidence and extraction read instead of the
    libraries: the context genes (every library agrees) and the union of the sets."""
    (tmp_path / "themes.json").write_text(json.dumps(THEMES))
    gmts = []
    for name, lib in LIBRARIES.items():
        lines = ["\t".join([s, "", *g]) for s, g in lib.sets.items()]
        (tmp_path / f"{name}.gmt").write_text("\n".join(lines) + "\n")
        gmts.append(f"{name}={tmp_path / f'{name}.gmt'}")
    out = tmp_path / "context.json"
    assert main(["theme-context", "--themes", str(tmp_path / "themes.json"), "--gmt", *gmts,
                 "--out", str(out)]) == 0  # fmt: skip
    themes, genes = load_context(out)
    assert genes == theme_genes(load_themes(THEMES), LIBRARIES)
    assert themes.hits("miR-21 and SNAI2 are co-expressed.") == ["EMT"]  # a context gene
    assert themes.hits("miR-21 targets PTEN in lung cancer cells.") == []  # GO only
    assert load_themes(out).hits("IL6 rose") == ["immune"]  # extraction reads it the same way
    with pytest.raises(MirlensError, match="not a theme-context file"):
        load_context(tmp_path / "themes.json")
    # a theme naming a set its library lacks stops here, before extraction uses the genes
    wrong = dict(THEMES, EMT=dict(THEMES["EMT"], hall=["H_EMTT"]))
    (tmp_path / "wrong.json").write_text(json.dumps(wrong))
    args = ["theme-context", "--themes", str(tmp_path / "wrong.json"), "--gmt", *gmts]
    assert main([*args, "--out", str(tmp_path / "wrong_context.json")]) == 1
    assert not (tmp_path / "wrong_context.json").exists()


def test_mentions_themes_column_counts_as_matching_the_sentences(themes):
    """Evidence reads the themes extraction wrote per mention (one matching per sentence,
    at extraction); the result is the one of matching every sentence again."""
    with_column = MENTIONS.assign(themes=[";".join(themes.hits(s)) for s in MENTIONS["sentence"]])
    from_column = mention_themes(with_column)
    assert from_column.equals(mention_themes(MENTIONS, themes))
    assert len(from_column) == 6


def test_validated_targets_strongest_first_and_predicted_counts():
    genes = theme_genes(load_themes(THEMES), LIBRARIES)
    mtb = pd.DataFrame(
        [
            ("M200", "ZEB1", "strong", "5", "9"),
            ("M200", "SNAI2", "weak", "9", "9"),
            ("M200", "Col1a1", "strong", "7", "1"),
            ("M200", "GAPDH", "strong", "50", "50"),
            ("M155", "SOCS1", "strong", "12", "3"),
        ],
        columns=["mirbase_id", "gene_symbol", "evidence", "n_pmids", "n_evidence"],
    )
    out = validated_theme_targets(mtb, genes).set_index(["mirbase_id", "theme"])
    assert out.loc[("M200", "EMT"), "validated_theme_targets"] == "Col1a1;ZEB1;SNAI2"
    assert out.loc[("M200", "EMT"), "n_validated_theme_targets"] == 3
    assert out.loc[("M155", "immune"), "validated_theme_targets"] == "SOCS1"
    assert len(out) == 2
    consensus = pd.DataFrame(
        {"mirbase_id": ["M21", "M21", "M21"], "gene_symbol": ["PTEN", "ZEB1", "IL6"]}
    ).assign(n_predicted=["1", "2", "0"])
    pred = predicted_theme_targets(consensus, genes)
    assert pred.to_dict("records") == [
        {"mirbase_id": "M21", "theme": "EMT", "n_predicted_theme_targets": 2}
    ]


def test_best_set_lowest_themed_fdr_over_libraries():
    hall = pd.DataFrame(
        {
            "scope": ["hsa-miR-29a-3p", "hsa-miR-29a-3p", "genes_union", "hsa-miR-29a-3p"],
            "gene_set": ["H_EMT", "H_INFL", "H_EMT", "H_OTHER"],
            "theme": ["EMT", "immune", "EMT", ""],
            "overlap": ["38", "2", "90", "50"],
            "pvalue": ["1e-10", "0.5", "1e-30", "1e-40"],
        }
    )
    go = hall.iloc[[0]].assign(gene_set="emt (GO:1)", theme="EMT;immune", pvalue="1e-3")
    # a set without any of the miRNA's targets is never its best set, however its p ties
    go = pd.concat([go, go.assign(gene_set="emt (GO:2)", overlap="0", pvalue="1e-4")])
    # Tables without a hypothesis column: the themed FDR is BH over their themed rows
    rows = themed_rows(hall, "hall")
    assert sorted(rows["themed_fdr"]) == pytest.approx([2e-10, 0.5])
    best = best_sets({"hall": hall, "go": go}, {"hsa-miR-29a-3p": "M29"})
    got = {(r.theme): (r.best_library, r.best_gene_set, r.overlap) for r in best.itertuples()}
    assert got == {"EMT": ("hall", "H_EMT", 38), "immune": ("go", "emt (GO:1)", 38)}
    # Tables with a hypothesis column carry the themed FDR in `fdr`
    new = hall.assign(hypothesis=["themed", "themed", "themed", "exploratory"], fdr="0.01")
    new["mirbase_id"] = "M29"
    assert set(themed_rows(new, "hall")["themed_fdr"]) == {0.01}


def test_rank_rule_tier_then_documents_then_validated_then_fdr():
    table = pd.DataFrame(
        [
            # mirna, docs, validated, fdr, p
            ("a", 9, 0, 0.5, 0.1),  # documents
            ("b", 1, 0, 0.01, 0.001),  # documents+enriched
            ("c", 0, 30, 1e-9, 1e-12),  # enriched only: after every documented miRNA
            ("d", 1, 9, 0.3, 0.02),  # documents, fewer than a
            ("e", 1, 9, 0.3, 0.01),  # as d, lower p
            ("g", 1, 10, 0.9, 0.5),  # as d, more validated targets
            ("f", 0, 0, None, None),  # nothing
        ],
        columns=["mirna", "n_theme_documents", "n_validated_theme_targets", "themed_fdr", "pvalue"],
    ).assign(theme="EMT")
    out = rank(table, alpha=0.05)
    assert list(out["mirna"]) == ["b", "a", "g", "e", "d", "c", "f"]
    assert list(out["rank"]) == [1, 2, 3, 4, 5, 6, 7]
    assert list(out["tier"]) == ["documents+enriched", *["documents"] * 4, "enriched", "none"]
    two = rank(pd.concat([table, table.assign(theme="immune")]), alpha=1e-10)
    assert list(two["theme"]) == ["EMT"] * 7 + ["immune"] * 7
    assert two.loc[two["mirna"] == "b", "tier"].tolist() == ["documents", "documents"]


def test_cli_writes_the_contract_table(tmp_path):
    (tmp_path / "themes.json").write_text(json.dumps(THEMES))
    for name, lib in LIBRARIES.items():
        lines = ["\t".join([s, "", *g]) for s, g in lib.sets.items()]
        (tmp_path / f"{name}.gmt").write_text("\n".join(lines) + "\n")
    MENTIONS.to_csv(tmp_path / "mentions.tsv", sep="\t", index=False)
    mirnas = pd.DataFrame(
        {
            "mirbase_id": ["M200", "M21", "M155", "M155s", "CEL1"],
            "name": ["hsa-miR-200c-3p", "hsa-miR-21-5p", "hsa-miR-155-5p", "hsa-miR-155-3p", "c"],
            "n_documents": ["2", "1", "2", "1", "1"],
            "species": ["hsa", "hsa", "hsa", "hsa", "cel"],
        }
    )
    mirnas.to_csv(tmp_path / "mirnas.tsv", sep="\t", index=False)
    pd.DataFrame({"mirbase_id": ["M21"], "gene_symbol": ["SNAI2"], "n_predicted": ["1"]}).to_csv(
        tmp_path / "consensus.tsv", sep="\t", index=False
    )
    pd.DataFrame({"scope": ["hsa-miR-21-5p"], "gene_set": ["H_EMT"], "theme": ["EMT"]}).assign(
        overlap="3", pvalue="0.001"
    ).to_csv(tmp_path / "hall.tsv", sep="\t", index=False)
    out = tmp_path / "evidence.tsv"
    argv = ["evidence", "--out", str(out), "--themes", str(tmp_path / "themes.json")]
    argv += ["--sentence-themes", "match"]  # the TSV has no themes column
    for key in ("mentions", "mirnas", "consensus"):
        argv += [f"--{key}", str(tmp_path / f"{key}.tsv")]
    argv += ["--gmt", f"hall={tmp_path / 'hall.gmt'}", f"go={tmp_path / 'go.gmt'}"]
    argv += ["--enrichment", f"hall={tmp_path / 'hall.tsv'}"]
    pd.DataFrame(
        {"gene_set": ["H_EMT", "H_EMT"], "scope": ["genes_union", "literature_mirnas"]}
    ).assign(pvalue=["0.9", "0.02"]).to_csv(tmp_path / "hall.set_level.tsv", sep="\t", index=False)
    argv += ["--set-level", f"hall={tmp_path / 'hall.set_level.tsv'}"]
    assert main(argv) == 0
    first = out.read_bytes()
    table = read_tsv(out)
    assert list(table.columns) == COLUMNS
    assert len(table) == 8  # 4 hsa miRNAs x 2 themes; the cel- miRNA is left out
    emt = table[table["theme"] == "EMT"]
    assert list(emt["mirna"][:2]) == ["hsa-miR-21-5p", "hsa-miR-200c-3p"]
    top = emt.iloc[0]
    assert (top["tier"], top["best_gene_set"], top["themed_fdr"]) == (
        "documents+enriched",
        "H_EMT",
        "0.001",
    )
    assert top["n_predicted_theme_targets"] == "1" and top["claimed_theme_genes"] == ""
    assert top["set_level_pvalue"] == "0.02"
    assert main(argv) == 0 and out.read_bytes() == first  # byte-identical rerun
    assert main([*argv[:-1], "hall"]) == 1  # LIB=PATH is required

    # the same table when the miRNA set's columns come from `evidence-targets` (the workflow)
    part = tmp_path / "theme_targets.parquet"
    targets_args = argv[argv.index("--consensus") : argv.index("--consensus") + 2]
    targets_args += argv[argv.index("--enrichment") :]
    themes_args = argv[argv.index("--themes") : argv.index("--themes") + 2]
    themes_args += argv[argv.index("--gmt") : argv.index("--gmt") + 3]
    mirnas_args = ["--mirnas", str(tmp_path / "mirnas.tsv")]
    write = ["evidence-targets", *mirnas_args, *themes_args, *targets_args, "--out", str(part)]
    assert main(write) == 0 and part.is_file()
    split = [a for a in argv if a not in targets_args] + ["--theme-targets", str(part)]
    assert main(split) == 0 and out.read_bytes() == first
    with pytest.raises(SystemExit):  # one of the two, not both
        main([*argv, "--theme-targets", str(part)])
