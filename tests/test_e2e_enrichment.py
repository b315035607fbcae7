"""End-to-end: the bias-corrected, themed enrichment finds miR-29 -> EMT in a real run, and
the per-release stores are built once and reused by the next literature set."""

from __future__ import annotations

import json

import pytest
from workflow_runs import jsonl, read, snakemake, workspace, write_config

from mirlens import contracts

pytestmark = pytest.mark.e2e
EMT = "HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION"
MIR29 = ["hsa-miR-29a-3p", "hsa-miR-29b-3p", "hsa-miR-29c-3p"]
# A self-written abstract in the style of the miR-29 fibrosis / EMT literature.
MIR29_DOC = {
    "doc_id": "selfwritten-mir29",
    "pmid": "",
    "title": "The miR-29 family restrains collagen production and mesenchymal transition",
    "year": "2024",
    "text": (
        "The miR-29 family restrains collagen production and mesenchymal transition. "
        "In lung fibroblasts and carcinoma cells, miR-29a, miR-29b and miR-29c were reduced "
        "during TGF-beta induced epithelial-mesenchymal transition. Restoring miR-29a-3p, "
        "miR-29b-3p or miR-29c-3p lowered COL1A1, COL3A1, FBN1 and SPARC, whereas miR-21 "
        "and miR-155 were unchanged."
    ),
}


@pytest.fixture(scope="module")
def mir29_run(tmp_path_factory, mirror_url, shared_resources, panc_records):
    work = workspace(tmp_path_factory, "mir29", shared_resources)
    docs = work / "docs"
    docs.mkdir()
    (docs / "sample.jsonl").write_text(jsonl([MIR29_DOC, *panc_records[60:72]]))
    write_config(work, mirror_url, [str(docs)])
    snakemake(work, "--omit-from", "report")
    return work


def test_mir29_reaches_themed_fdr_on_emt(mir29_run):
    table = read(mir29_run / "results/enrichment/hallmark.tsv")
    emt = table[(table["gene_set"] == EMT)].set_index("scope")
    for mirna in MIR29:
        row = emt.loc[mirna]
        assert row["hypothesis"] == "themed" and row["theme"] == "EMT"
        assert float(row["fdr"]) <= 1e-4, (mirna, row["pvalue"], row["fdr"])
        assert float(row["pvalue"]) >= float(row["pvalue_hypergeom"])  # bias removed, not added
        assert {"COL1A1", "COL3A1"} <= set(row["genes"].split(";"))
    themed = table[table["hypothesis"] == "themed"]
    meta = json.loads((mir29_run / "results/enrichment/hallmark.meta.json").read_text())
    n_mirnas = meta["query_mirnas"]
    given = read(mir29_run / "results/targets/consensus.tsv")["mirna"].nunique()
    assert n_mirnas == given - len(meta["query_mirnas_without_targets_in_universe"])
    assert themed["scope"].nunique() == n_mirnas
    assert len(themed) == n_mirnas * len(meta["themed_sets"])  # every run miRNA x theme set
    assert meta["mirnas_from_store"] + meta["mirnas_computed"] == n_mirnas
    # every tested row only when asked (enrichment.every_row)
    assert not (mir29_run / "results/enrichment/hallmark.parquet").exists()


def test_set_level_table_follows_contract(mir29_run):
    for lib in ("hallmark", "go_bp"):
        sl = read(mir29_run / f"results/enrichment/{lib}.set_level.tsv")
        assert list(sl.columns[: len(contracts.ENRICHMENT_SET_LEVEL)]) == list(
            contracts.ENRICHMENT_SET_LEVEL
        )
        rank = sl[sl["scope"] == "literature_mirnas"]
        assert rank["hypothesis"].iloc[0] == "themed" and rank["gene_set"].is_unique
        assert (rank["n_background"].astype(int) > 1000).all()


def test_next_literature_set_reuses_the_per_release_stores(
    tmp_path_factory, mirror_url, shared_resources, mir29_run
):
    stores = sorted((shared_resources / "store" / "enrichment").glob("*/*.parquet"))
    assert {p.name for p in stores} >= {"hallmark.parquet", "go_bp.parquet"}
    work = workspace(tmp_path_factory, "next", shared_resources)
    docs = work / "docs"
    docs.mkdir()
    (docs / "other.txt").write_text("miR-200c and miR-141 repress ZEB1 and ZEB2.\n")
    write_config(work, mirror_url, [str(docs)])
    dry = snakemake(work, "-n", "--omit-from", "report")
    jobs = planned_jobs(dry.stdout + dry.stderr)
    assert "enrich" in jobs and "consensus" in jobs
    assert "background" not in jobs and "enrich_store" not in jobs, jobs


def planned_jobs(text: str) -> set[str]:
    """Rule names of a dry run's "Job stats" table."""
    lines = text.split("Job stats:", 1)[1].splitlines()[3:]
    names = set()
    for line in lines:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        names.add(parts[0])
    return names
