"""End-to-end: real Snakemake runs of the whole workflow against the loopback mirror.

(a) the two seed documents (they name no specific miRNA: the run must still complete and say
so), (b) a sample of real pancreatic-cancer abstracts. Asserts on content, reruns, growth
without recomputation, and downloads cut short.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
from workflow_runs import digests, jsonl, read, snakemake, write_config

pytestmark = pytest.mark.e2e


# ---------------------------------------------------------------- (a) the seed documents


def test_seeds_run_completes_and_says_no_mirna(seeds_run):
    res = seeds_run / "results"
    docs = read(res / "literature/documents.tsv")
    assert len(docs) == 2 and set(docs["status"]) == {"ok"}
    assert read(res / "mirnas.tsv").empty
    html = (res / "report/index.html").read_text()
    assert "no specific mirna" in html.lower()
    prov = json.loads((res / "provenance.json").read_text())
    assert "mature.fa" in json.dumps(prov)


# ---------------------------------------------------------------- (b) real abstracts


def test_mir21_found_with_its_real_sequence(panc_run):
    mirnas = read(panc_run / "results/mirnas.tsv").set_index("name")
    row = mirnas.loc["hsa-miR-21-5p"]
    assert row["mirbase_id"] == "MIMAT0000076"
    assert row["sequence"] == "UAGCUUAUCAGACUGAUGUUGA"
    assert row["seed"] == "AGCUUAU"
    fasta = (panc_run / "results/sequences/mirnas.fa").read_text()
    assert ">hsa-miR-21-5p MIMAT0000076\nUAGCUUAUCAGACUGAUGUUGA\n" in fasta
    mentions = read(panc_run / "results/mentions.tsv")
    hits = mentions[mentions["mirbase_names"].str.contains("hsa-miR-21-5p")]
    assert len(hits) > 0 and (hits["sentence"].str.len() > 0).all()


def test_mirtarbase_pairs_of_the_release_reach_the_targets(panc_run, mirror_dir):
    csv = next((mirror_dir / "mirtarbase.cuhk.edu.cn").rglob("hsa_MTI.csv"))
    release = pd.read_csv(csv, dtype=str)
    strong = release[
        (release["Support Type"] == "Functional MTI")
        & release["Experiments"].str.contains("Luciferase|Western|qRT-PCR|Reporter", case=False)
    ]
    mirnas = set(read(panc_run / "results/mirnas.tsv")["name"])
    expected = strong[strong["miRNA"].isin(mirnas)][["miRNA", "Target Gene"]].drop_duplicates()
    assert len(expected) > 0
    got = read(panc_run / "results/targets/mirtarbase.tsv")
    pairs = set(zip(got["mirna"], got["gene_symbol"], strict=True))
    found = sum((m, g) in pairs for m, g in expected.itertuples(index=False))
    # gene symbols are harmonised to current NCBI symbols, so a few may be renamed
    assert found / len(expected) > 0.95
    consensus = read(panc_run / "results/targets/consensus.tsv")
    assert {"mirbase_id", "mirna", "gene_symbol", "entrez_id", "n_sources"} <= set(consensus)


def test_enrichment_fdr_is_monotone_in_p(panc_run):
    for lib in ("hallmark", "go_bp"):
        table = read(panc_run / f"results/enrichment/{lib}.tsv")
        assert not table.empty
        every = pd.read_parquet(panc_run / f"results/enrichment/{lib}.parquet")  # every_row
        kept = every[(every["hypothesis"] == "themed") | (every["fdr"] <= 0.05)]
        # the readable table: the same rows, in order, though a run builds only those
        assert kept["scope"].astype(str).tolist() == table["scope"].tolist()
        assert kept["gene_set"].astype(str).tolist() == table["gene_set"].tolist()
        for _hypothesis, grp in every.groupby("hypothesis"):  # themed / exploratory
            g = grp.astype({"pvalue": float, "fdr": float}).sort_values("pvalue")
            assert (g["fdr"] >= g["pvalue"] - 1e-12).all()
            assert g["fdr"].is_monotonic_increasing
        emt = table[table["gene_set"] == "HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION"]
        if lib == "hallmark":
            assert "EMT" in set(emt["theme"])


def test_rerun_changes_nothing_and_forced_rerun_is_byte_identical(panc_run):
    dry = snakemake(panc_run, "-n")
    assert "Nothing to be done" in dry.stdout + dry.stderr
    before = digests(panc_run / "results")
    prov_before = (panc_run / "results/provenance.json").read_text()
    snakemake(panc_run, "--forceall")
    after = digests(panc_run / "results")
    prov_after = (panc_run / "results/provenance.json").read_text()
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, (changed, _json_diff(prov_before, prov_after))


def _json_diff(a: str, b: str) -> list[str]:
    import difflib

    return list(difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=1))[:80]


def test_new_documents_rerun_only_their_shards(panc_run, panc_records):
    shards_tsv = panc_run / "results/literature/shards.tsv"
    before = read(shards_tsv).set_index("shard")["sha256"]
    more = panc_records[60:63]
    (panc_run / "docs" / "more.jsonl").write_text(jsonl(more))
    snakemake(panc_run, "--until", "collect")
    after = read(shards_tsv).set_index("shard")["sha256"]
    changed = {s for s in after.index if after[s] != before.get(s)}
    # a new file makes a new shard; every shard of the earlier files is untouched
    assert len(changed) == 1 and set(before.index) < set(after.index)
    # Snakemake's own summary of what would rerun
    summary = snakemake(panc_run, "--summary").stdout
    pending = set()
    for line in summary.splitlines():
        cols = line.split("\t")
        name = Path(cols[0]).name
        if cols[0].startswith("results/mentions/") and name.split(".")[1:] == ["parquet"]:
            if "update pending" in line:
                pending.add(name.split(".")[0])
    assert pending == changed
    snakemake(panc_run)
    docs = read(panc_run / "results/literature/documents.tsv")
    assert set(r["doc_id"] for r in more) <= set(docs["doc_id"])


# ---------------------------------------------------------------- downloads cut short


class _CutShort(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 (http.server API)
        self.send_response(200)
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        self.wfile.write(b">hsa-miR-21-5p MIMAT0000076\nUAGC")
        self.close_connection = True


def test_download_cut_short_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MIRLENS_DOWNLOAD_ATTEMPTS", "2")  # each fetch retries; keep it short
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _CutShort)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        write_config(tmp_path, f"http://127.0.0.1:{httpd.server_address[1]}", [])
        proc = snakemake(tmp_path, "--until", "fetch", "--keep-going", check=False)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert proc.returncode != 0
    files = [p for p in (tmp_path / "resources").rglob("*") if p.is_file()]
    assert [p.name for p in files if not p.name.startswith("sources.lock")] == []
    log = next((tmp_path / "logs" / "fetch").rglob("mature.fa.log")).read_text()
    errors = [line for line in log.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and "download cut short" in errors[0] and "mirror:" in errors[0]
    assert "Traceback" not in log


def test_snakemake_report_builds(panc_run):
    out = panc_run / "snakemake-report.html"
    snakemake(panc_run, "--report", str(out))
    html = out.read_text(errors="replace")
    assert out.stat().st_size > 10_000
    assert "mirnas.tsv" in html and "consensus.tsv" in html


def test_report_traces_mir21_to_its_sentences_and_pubmed(panc_run):
    import re

    from mirlens.report.data import unpack

    mentions = read(panc_run / "results/mentions.tsv")
    docs = read(panc_run / "results/literature/documents.tsv").set_index("doc_id")
    html = (panc_run / "results/report/index.html").read_text()
    data = unpack(re.search(r'id="mirlens-data">([^<]*)<', html).group(1))
    assert data["m"]["hsa-miR-21-5p"][:2] == ["hsa-miR-21", "MIMAT0000076"]
    quoted = data["g"]["hsa-miR-21"]["s"]
    naming = set(mentions.loc[mentions["mirbase_names"].str.contains("hsa-miR-21-"), "doc_id"])
    assert quoted and {data["docs"][q[0]][0] for q in quoted} <= naming
    for i, text, spans in quoted:
        doc_id, pmid = data["docs"][i][0], data["docs"][i][3]
        assert pmid == docs.loc[doc_id, "pmid"]  # the page links it to PubMed
        marked = {text[a:b] for a, b in zip(spans[::2], spans[1::2], strict=True)}
        named = set(mentions.loc[mentions["doc_id"] == doc_id, "text"])
        assert marked and marked <= named  # e.g. "miRNA-21-5p" and the "3p" of ".../3p"


def test_every_result_table_follows_its_contract(panc_run):
    from mirlens import contracts

    res = panc_run / "results"
    tables = dict(contracts.BY_PATH)
    tables.update({f"targets/{s}.tsv": contracts.TARGETS for s in ("targetscan", "mirdb")})
    tables["targets/mirtarbase.tsv"] = contracts.TARGETS
    for lib in ("hallmark", "go_bp"):
        tables[f"enrichment/{lib}.tsv"] = contracts.ENRICHMENT
        tables[f"enrichment/{lib}.set_level.tsv"] = contracts.ENRICHMENT_SET_LEVEL
    for rel, columns in tables.items():
        header = (res / rel).read_text().split("\n", 1)[0].split("\t")
        missing = [c for c in columns if c not in header]
        assert not missing, f"{rel} lacks contract columns {missing}"
