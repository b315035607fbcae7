"""kill -9 anywhere, then ONE rerun command; and where a file comes from is not what it is.

A real Snakemake run (its own resources/, a few real abstracts) is killed with SIGKILL to
its whole process group (as a crash or a lost node would) during downloads, release
parsing, extraction, enrichment and the report. After each kill the documented command
``snakemake --cores N --rerun-incomplete`` resumes it; the finished tables must be
byte-identical to an uninterrupted run's, with no leftovers. The same finished workspace
then shows that changing ``mirror:`` or pinning a sha256 reruns nothing and deletes
nothing, and that a downloaded file edited afterwards is found and repaired.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import shared_path
from workflow_runs import SNAKEFILE, digests, jsonl, snakemake, workspace, write_config

pytestmark = pytest.mark.e2e

RERUN = ("--rerun-incomplete",)  # README, "Interrupted runs"
N_DOCS = 12
STORE = "resources/store/mirdb/6.0/targets.parquet"
# (stage, target of the run to kill, file whose appearance means the stage is running,
#  its output that must not exist yet). Targets keep each stage out of the runs before it.
KILL_POINTS = [
    ("downloads", None, "resources/db/**/.*.part", None),
    ("release parsing", STORE, "logs/targets/parse_mirdb_6.0.log", STORE),
    ("extraction", "results/mentions.tsv", "logs/mentions/*.log", "results/mentions.tsv"),
    (
        "enrichment",
        "results/enrichment/hallmark.tsv",
        "logs/enrichment/enrich_hallmark.log",
        "results/enrichment/hallmark.tsv",
    ),
    # the page is written once the report job has read and rendered everything: killed
    # before it, the job was unfinished
    ("report", None, "logs/report/report.log", "results/report/index.html"),
]

# seconds from the pattern to the kill: downloads and the report are quick
DELAY = {"downloads": 0.3, "report": 0.2}


def _setup(work: Path, mirror: str, records: list[dict]) -> None:
    docs = work / "docs"
    docs.mkdir()
    (docs / "sample.jsonl").write_text(jsonl(records))
    path = write_config(work, mirror, ["docs"])  # relative: documents.tsv is comparable
    cfg = yaml.safe_load(path.read_text())
    cfg["literature"]["shard_docs"] = 6  # small: two sources, one library, two shards
    cfg["targets"]["use"] = ["mirdb", "mirtarbase"]
    enrichment = cfg["enrichment"]
    enrichment["libraries"] = {"hallmark": enrichment["libraries"]["hallmark"]}
    enrichment["themes"] = {t: {"hallmark": v["hallmark"]} for t, v in enrichment["themes"].items()}
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))


def _kill_when(work: Path, target: str | None, pattern: str, delay: float) -> int:
    """Start the run; SIGKILL its process group once ``pattern`` exists (+ delay)."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "-d", str(work)]
    cmd += ["--configfile", str(work / "config.yaml"), "--cores", "2", *RERUN]
    cmd += [target] if target else []
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 900
    while proc.poll() is None and time.monotonic() < deadline:
        if glob.glob(str(work / pattern), recursive=True):
            time.sleep(delay)
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.02)
    return proc.wait()


@pytest.fixture(scope="module")
def runs(tmp_path_factory, mirror_url, shared_resources, panc_records):
    records = panc_records[100 : 100 + N_DOCS]
    reference = workspace(tmp_path_factory, "reference", shared_resources)
    _setup(reference, mirror_url, records)
    snakemake(reference)
    killed = tmp_path_factory.mktemp("killed")  # its own resources/: downloads are killed too
    _setup(killed, mirror_url, records)
    codes = {}
    for stage, target, pattern, unfinished in KILL_POINTS:
        codes[stage] = _kill_when(killed, target, pattern, DELAY.get(stage, 1.0))
        if unfinished:
            assert not (killed / unfinished).exists(), f"{stage}: killed too late"
    snakemake(killed, *RERUN)
    return reference, killed, codes


def test_every_kill_point_was_hit(runs):
    _, _, codes = runs
    assert codes == {stage: -signal.SIGKILL for stage, *_ in KILL_POINTS}


def test_resumed_tables_are_byte_identical_to_an_uninterrupted_run(runs):
    reference, killed, _ = runs
    expected, got = digests(reference / "results"), digests(killed / "results")
    assert len(expected) >= 20 and "enrichment/hallmark.tsv" in expected
    assert got == expected
    # the reference shares its resources/ with the suite's other runs, so its lock may hold
    # more sources; every source the resumed run locked must be locked identically there
    got_lock = _lock(killed / "resources/sources.lock.json")
    expected_lock = _lock(reference / "resources/sources.lock.json")
    assert len(got_lock) >= 5
    assert got_lock == {url: expected_lock.get(url) for url in got_lock}


def test_no_leftovers_after_resuming(runs):
    _, killed, _ = runs
    parts = [p for p in killed.rglob("*.part")] + [p for p in killed.rglob(".*.part")]
    assert parts == []
    assert list((killed / ".snakemake" / "incomplete").glob("*")) == []
    assert list((killed / ".snakemake" / "locks").glob("*")) == []
    dry = snakemake(killed, "-n")
    assert "Nothing to be done" in dry.stdout + dry.stderr


def _lock(path: Path) -> dict[str, dict]:
    """A lock's sources without what differs between two honest downloads of one file."""
    sources = json.loads(path.read_text())["sources"]
    for entry in sources.values():
        for key in ("downloaded", "fetched_from", "mtime_ns", "path"):
            entry.pop(key, None)
    return sources


def _set_config(work: Path, **changes) -> None:
    path = work / "config.yaml"
    cfg = yaml.safe_load(path.read_text())
    for key, value in changes.items():
        if key == "pins":
            cfg["sources"]["sha256"] = value
        else:
            cfg[key] = value
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))


def _db_state(work: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(work)): (p.stat().st_mtime_ns, p.stat().st_size)
        for p in (work / "resources/db").rglob("*")
        if p.is_file()
    }


def test_changing_the_mirror_or_pinning_reruns_and_deletes_nothing(runs, mirror_dir):
    _, work, _ = runs
    before = _db_state(work)
    lock = (work / "resources/sources.lock.json").read_bytes()
    # real hosts -> a mirror folder, then -> a mirror that does not answer at all
    for mirror in (str(mirror_dir), "http://127.0.0.1:9"):
        _set_config(work, mirror=mirror)
        proc = snakemake(work)
        assert "Nothing to be done" in proc.stdout + proc.stderr, mirror
    # a pin that agrees with the lock changes nothing either
    locked = json.loads((work / "resources/sources.lock.json").read_text())["sources"]
    url = next(u for u in locked if u.endswith("/mature.fa"))
    _set_config(work, pins={url: locked[url]["sha256"].upper()})
    proc = snakemake(work)
    assert "Nothing to be done" in proc.stdout + proc.stderr
    assert _db_state(work) == before
    assert (work / "resources/sources.lock.json").read_bytes() == lock
    # a pin that disagrees stops the run before any job, and keeps the verified file
    _set_config(work, pins={url: "0" * 64})
    proc = snakemake(work, "-n", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "sources.sha256" in out and url in out
    assert _db_state(work) == before


def test_a_downloaded_file_edited_afterwards_is_found_and_repaired(runs, mirror_url):
    _, work, _ = runs
    _set_config(work, mirror=mirror_url, pins={})
    locked = json.loads((work / "resources/sources.lock.json").read_text())["sources"]
    url = next(u for u in locked if u.endswith("h.all.v7.0.symbols.gmt"))
    path = work / locked[url]["path"]
    text = path.read_text()
    path.write_text(text.replace("HALLMARK_HYPOXIA", "HALLMARK_HYPOXIC", 1))
    dry = snakemake(work, "-n")
    assert f"{locked[url]['path']} changed after its download" in dry.stdout + dry.stderr
    assert path.read_text() != text  # a dry run only reports
    proc = snakemake(work)  # repaired at the start; its old mtime back: nothing reruns
    assert "changed after its download" in proc.stdout + proc.stderr
    assert "Nothing to be done" in proc.stdout + proc.stderr
    assert path.read_text() == text
    assert path.stat().st_mtime_ns == locked[url]["mtime_ns"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == locked[url]["sha256"]


def test_no_network_and_no_mirror_ends_in_one_short_message(tmp_path):
    shared_path("mirror")
    write_config(tmp_path, "", [])
    cfg = yaml.safe_load((tmp_path / "config.yaml").read_text())
    # hosts under .invalid never resolve (RFC 6761): "no network" without leaving the machine
    text = yaml.safe_dump(cfg, sort_keys=False).replace(".org/", ".invalid/")
    text = text.replace(".gov/", ".invalid/").replace(".cn/", ".invalid/")
    text = text.replace(".cloud/", ".invalid/").replace(".org/", ".invalid/")
    (tmp_path / "config.yaml").write_text(text)
    proc = snakemake(tmp_path, check=False)
    assert proc.returncode != 0
    out = (proc.stdout + proc.stderr).strip()
    assert "mirror:" in out and "README, Offline" in out
    assert len(out.splitlines()) <= 12, out
    assert not (tmp_path / "logs").exists()  # no job ran
