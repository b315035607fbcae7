"""End-to-end: real Snakemake runs of the whole workflow against the loopback mirror.

(a) the two seed documents (they name no specific miRNA: the run must still complete and say
so), (b) a sample of real pancreatic-cancer abstracts. Asserts on content, reruns, growth
without recomputation, and downloads cut short.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import REPO, shared_path

pytestmark = pytest.mark.e2e
SNAKEFILE = REPO / "Snakefile"
N_SHARDS = 8


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


def write_config(work: Path, mirror: str, paths: list[str], **overrides) -> Path:
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    cfg["mirror"] = mirror
    cfg["literature"]["paths"] = paths
    cfg["literature"]["n_shards"] = N_SHARDS
    cfg["literature"]["pubmed"]["enabled"] = False
    cfg["enrichment"]["empirical_null"]["n"] = 200
    for key, value in overrides.items():
        cfg[key] = value
    path = work / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def snakemake(work: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(SNAKEFILE),
        "-d",
        str(work),
        "--configfile",
        str(work / "config.yaml"),
        "--cores",
        "2",
        *args,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if check and proc.returncode != 0:
        logs = (
            "\n".join(
                f"== {p}\n{p.read_text()[-3000:]}" for p in sorted((work / "logs").rglob("*.log"))
            )
            if (work / "logs").exists()
            else ""
        )
        pytest.fail(f"snakemake {' '.join(args)} failed:\n{proc.stderr[-6000:]}\n{logs}")
    return proc


def digests(results: Path) -> dict[str, str]:
    """sha256 of every table; provenance.json without download dates (a forced rerun
    downloads again, and the date of a download is part of its provenance)."""
    out = {}
    for p in sorted(results.rglob("*")):
        if not (p.is_file() and p.suffix in (".tsv", ".fa", ".jsonl", ".json", ".txt")):
            continue
        data = p.read_bytes()
        if p.name == "provenance.json":
            prov = json.loads(data)
            for entry in prov["sources"]:
                entry.pop("downloaded")
            data = json.dumps(prov, sort_keys=True).encode()
        out[str(p.relative_to(results))] = hashlib.sha256(data).hexdigest()
    return out


@pytest.fixture(scope="module")
def shared_resources(tmp_path_factory) -> Path:
    """One resources/ folder (downloads + parsed stores) shared by the runs of this module."""
    return tmp_path_factory.mktemp("resources")


def workspace(tmp_path_factory, name: str, shared_resources: Path) -> Path:
    work = tmp_path_factory.mktemp(name)
    (work / "resources").symlink_to(shared_resources, target_is_directory=True)
    return work


# ---------------------------------------------------------------- (a) the seed documents


@pytest.fixture(scope="module")
def seeds_run(tmp_path_factory, mirror_url, shared_resources) -> Path:
    work = workspace(tmp_path_factory, "seeds", shared_resources)
    write_config(work, mirror_url, [str(shared_path("seeds"))])
    snakemake(work)
    return work


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


@pytest.fixture(scope="module")
def panc_records() -> list[dict]:
    path = shared_path("data/literature/miretrieve_panc.abstracts.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def jsonl(records: list[dict]) -> str:
    keys = ("doc_id", "pmid", "title", "year", "text")
    return "".join(json.dumps({k: r[k] for k in keys}) + "\n" for r in records)


@pytest.fixture(scope="module")
def panc_run(tmp_path_factory, mirror_url, shared_resources, panc_records) -> Path:
    work = workspace(tmp_path_factory, "panc", shared_resources)
    docs = work / "docs"
    docs.mkdir()
    (docs / "sample.jsonl").write_text(jsonl(panc_records[:60]))
    write_config(work, mirror_url, [str(docs)])
    snakemake(work)
    return work


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
        for _scope, grp in table.groupby("scope"):
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
    snakemake(panc_run, "--forceall")
    after = digests(panc_run / "results")
    assert before == after


def test_new_documents_rerun_only_their_shards(panc_run, panc_records):
    shards_tsv = panc_run / "results/literature/shards.tsv"
    before = read(shards_tsv).set_index("shard")["sha256"]
    more = panc_records[60:63]
    (panc_run / "docs" / "more.jsonl").write_text(jsonl(more))
    snakemake(panc_run, "--until", "collect")
    after = read(shards_tsv).set_index("shard")["sha256"]
    changed = {s for s in after.index if after[s] != before[s]}
    assert 1 <= len(changed) <= len(more) < N_SHARDS
    # Snakemake's own summary of what would rerun
    summary = snakemake(panc_run, "--summary").stdout
    pending = set()
    for line in summary.splitlines():
        cols = line.split("\t")
        if cols[0].startswith("results/mentions/") and cols[0].endswith(".jsonl"):
            if "update pending" in line:
                pending.add(Path(cols[0]).stem)
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


def test_download_cut_short_leaves_no_file(tmp_path):
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


def test_snakemake_report_builds(panc_run):
    out = panc_run / "snakemake-report.html"
    snakemake(panc_run, "--report", str(out))
    html = out.read_text(errors="replace")
    assert out.stat().st_size > 10_000
    assert "mirnas.tsv" in html and "consensus.tsv" in html


def test_report_traces_mir21_to_its_sentences_and_pubmed(panc_run):
    mentions = read(panc_run / "results/mentions.tsv")
    docs = read(panc_run / "results/literature/documents.tsv").set_index("doc_id")
    hit = mentions[mentions["mirbase_names"].str.contains("hsa-miR-21-5p")].iloc[0]
    html = (panc_run / "results/report/index.html").read_text()
    assert f"https://pubmed.ncbi.nlm.nih.gov/{docs.loc[hit['doc_id'], 'pmid']}/" in html
    assert "hsa-miR-21-5p" in html and "MIMAT0000076" in html


def test_every_result_table_follows_its_contract(panc_run):
    from mirlens import contracts

    res = panc_run / "results"
    tables = dict(contracts.BY_PATH)
    tables.update({f"targets/{s}.tsv": contracts.TARGETS for s in ("targetscan", "mirdb")})
    tables["targets/mirtarbase.tsv"] = contracts.TARGETS
    tables.update({f"enrichment/{lib}.tsv": contracts.ENRICHMENT for lib in ("hallmark", "go_bp")})
    for rel, columns in tables.items():
        header = (res / rel).read_text().split("\n", 1)[0].split("\t")
        missing = [c for c in columns if c not in header]
        assert not missing, f"{rel} lacks contract columns {missing}"
