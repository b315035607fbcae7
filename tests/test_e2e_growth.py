"""Growth: an incremental run gives the tables of a from-scratch run, byte for byte; new
documents are extracted once (the rest come from the per-document cache); bigger shards
move few documents and extract none again. Real Snakemake runs on real abstracts."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
import yaml
from workflow_runs import (
    digests,
    hallmark_only,
    jsonl,
    read,
    snakemake,
    workspace,
    write_config,
)

pytestmark = pytest.mark.e2e

TARGETS = ["results/mirnas.tsv", "results/mentions.tsv", "results/unresolved.tsv"]


def fresh_workspace(root: Path, downloads: Path | None = None) -> Path:
    """A workspace with its own caches; the downloads of another one, if given."""
    res = root / "resources"
    res.mkdir(parents=True)
    for entry in downloads.iterdir() if downloads else []:
        if entry.name != "cache":
            (res / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    (root / "docs").mkdir()
    return root


def tables(work: Path) -> dict[str, str]:
    """sha256 of every result file (TSV, FASTA, Parquet, shard JSONL)."""
    out = {}
    for path in sorted((work / "results").rglob("*")):
        if path.is_file():
            out[str(path.relative_to(work))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def extracted(work: Path) -> tuple[int, int]:
    """(documents extracted, documents from the cache) in the shard logs of the last run."""
    new = cached = 0
    for log in (work / "logs/mentions").glob("*.log"):
        m = re.search(r"(\d+) extracted, (\d+) from the cache", log.read_text())
        if m:
            new, cached = new + int(m.group(1)), cached + int(m.group(2))
    return new, cached


def test_incremental_run_equals_scratch_run(tmp_path, mirror_url, panc_records):
    first, added = panc_records[:40], panc_records[40:60]
    richer = dict(first[0], text=first[0]["text"] + " A longer copy of the same paper.")

    grow = fresh_workspace(tmp_path / "grow")
    write_config(grow, mirror_url, ["docs"])
    (grow / "docs/a.jsonl").write_text(jsonl(first))
    snakemake(grow, *TARGETS)
    assert extracted(grow) == (40, 0)
    before = read(grow / "results/literature/shards.tsv").set_index("shard")["sha256"]

    (grow / "docs/b.jsonl").write_text(jsonl(added + [richer]))
    for log in (grow / "logs/mentions").glob("*.log"):
        log.unlink()
    snakemake(grow, *TARGETS)
    # only the 20 new documents and the one whose richer copy replaced it are extracted
    new, cached = extracted(grow)
    assert new == 21
    shards = read(grow / "results/literature/shards.tsv").set_index("shard")
    changed = [s for s in shards.index if shards.loc[s, "sha256"] != before.get(s)]
    n_changed = len(changed)
    assert cached == shards.loc[changed, "n_documents"].astype(int).sum() - 21
    collect_log = (grow / "logs/literature/collect.log").read_text()
    summary = "20 documents added, 1 changed, 0 moved, 0 removed"
    assert f"{n_changed} of {len(shards)} shard files changed ({summary})" in collect_log
    # the new file made its own shards; of the first file's, only the one that lost its
    # copy of the duplicate changed
    assert n_changed == len(shards) - len(before) + 1
    docs = read(grow / "results/literature/documents.tsv")
    dup = docs[docs["doc_id"] == richer["doc_id"]].set_index("path")["status"]
    assert dup["docs/b.jsonl"] == "ok"
    assert dup["docs/a.jsonl"].startswith("skipped: duplicate doc_id, shorter text")

    scratch = fresh_workspace(tmp_path / "scratch", grow / "resources")
    write_config(scratch, mirror_url, ["docs"])
    for name in ("a.jsonl", "b.jsonl"):
        (scratch / "docs" / name).write_bytes((grow / "docs" / name).read_bytes())
    snakemake(scratch, *TARGETS)
    assert extracted(scratch) == (60, 0)
    assert tables(grow) == tables(scratch)

    # Bigger shards: documents move, none is extracted again, the answer is the same.
    cfg = yaml.safe_load((grow / "config.yaml").read_text())
    cfg["literature"]["shard_docs"] = 11
    (grow / "config.yaml").write_text(yaml.safe_dump(cfg))
    for log in (grow / "logs/mentions").glob("*.log"):
        log.unlink()
    snakemake(grow, *TARGETS)
    grown = read(grow / "results/literature/documents.tsv")
    both = docs.merge(grown, on=["doc_id", "path", "status"], suffixes=("_8", "_11"))
    both = both[both["status"] == "ok"]
    assert len(both) == 60
    assert int((both["shard_8"] != both["shard_11"]).sum()) > 0
    assert extracted(grow)[0] == 0
    # only the shards whose documents changed reran
    eleven = read(grow / "results/literature/shards.tsv").set_index("shard")["sha256"]
    rerun = {p.stem for p in (grow / "logs/mentions").glob("*.log")}
    assert rerun == {s for s in eleven.index if eleven[s] != shards["sha256"].get(s)}
    for name in TARGETS:
        assert (grow / name).read_bytes() == (scratch / name).read_bytes(), name


def ran(proc) -> set[str]:
    """Rules Snakemake ran, from its log."""
    return set(re.findall(r"^(?:local)?(?:rule|checkpoint) (\w+):", proc.stderr, re.M))


def test_new_papers_naming_known_mirnas_rerun_no_target_or_enrichment_job(
    tmp_path_factory, mirror_url, shared_resources, panc_records
):
    """New papers that name only miRNAs already named: their shard, the per-run tables, the
    evidence, the report and its workbook rerun; target selection, consensus, enrichment,
    the evidence's target columns and the report's targets summary (the miRNA set did not
    change) do not, and every table
    equals a from-scratch run's."""
    first = panc_records[:30]
    again = [dict(r, doc_id=f"again-{r['doc_id']}", pmid="") for r in first[:3]]
    grow = workspace(tmp_path_factory, "grow", shared_resources)
    (grow / "docs").mkdir()
    write_config(grow, mirror_url, ["docs"], enrichment=hallmark_only())
    (grow / "docs/a.jsonl").write_text(jsonl(first))
    snakemake(grow)
    (grow / "docs/b.jsonl").write_text(jsonl(again))
    proc = snakemake(grow)
    done = ran(proc)
    assert {"collect", "extract", "claims", "mirnas", "evidence", "report", "tables"} <= done, done
    kept = {"targets_select", "consensus", "enrich", "background", "report_targets"}
    kept |= {"evidence_targets"}
    assert not done & kept, done

    scratch = workspace(tmp_path_factory, "scratch", shared_resources)
    (scratch / "docs").mkdir()
    write_config(scratch, mirror_url, ["docs"], enrichment=hallmark_only())
    for name in ("a.jsonl", "b.jsonl"):
        (scratch / "docs" / name).write_bytes((grow / "docs" / name).read_bytes())
    snakemake(scratch)
    assert digests(grow / "results") == digests(scratch / "results")


def test_consensus_combines_the_run_tables_only_with_a_run_only_source(
    tmp_path_factory, mirror_url, shared_resources
):
    """With the per-release sources alone the run's consensus is selected from the
    background (no per-source table before it); with the literature's claims as a source
    it combines the run's per-source tables."""
    work = workspace(tmp_path_factory, "sources", shared_resources)
    (work / "docs").mkdir()
    (work / "docs/a.txt").write_text("miR-200c represses ZEB1.\n")
    cfg = yaml.safe_load((write_config(work, mirror_url, ["docs"])).read_text())
    for use, reads in ((cfg["targets"]["use"], "background.parquet"), (
        [*cfg["targets"]["use"], "literature"], "results/targets/literature.tsv"
    )):  # fmt: skip
        targets = dict(cfg["targets"], use=use)
        write_config(work, mirror_url, ["docs"], targets=targets)
        dry = snakemake(work, "-n", "-p", "results/targets/consensus.tsv").stdout
        job = dry[dry.index("rule consensus:") :].split("\n\n")[0]
        inputs = next(line for line in job.splitlines() if line.strip().startswith("input:"))
        assert reads in inputs and ("targets/mirdb.tsv" in inputs) == (
            reads != "background.parquet"
        )
