"""The workflow on a real SLURM cluster (munged + slurmctld + slurmd on localhost), through the
shipped profile `workflow/profiles/slurm`, against the loopback mirror.

Debian's slurm-wlm and munge are installed when missing and we are root (as in CI). The run
must go through SLURM (sbatch job ids, jobs known to slurmctld, all COMPLETED), finish within a
bounded time (a job asking for more than the node has would stay PENDING for ever), and give
tables byte-identical to a local `--cores 2` run of the same documents.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import IN_CI
from slurm_cluster import LocalSlurm, install_packages
from workflow_runs import REPO, digests, hallmark_only, jsonl, snakemake, workspace, write_config

pytestmark = [pytest.mark.slurm, pytest.mark.e2e]  # e2e: out of the fast suite

PROFILE = REPO / "workflow" / "profiles" / "slurm"
RUN_TIMEOUT = 900  # s; a job that can never start (PENDING for ever) fails here


def _unavailable(msg: str) -> None:
    if IN_CI:
        pytest.fail(msg)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def slurm(tmp_path_factory):
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        _unavailable("the local SLURM daemons need root (CI runs the tests as root)")
    why = install_packages()
    if why:
        _unavailable(why)
    cluster = LocalSlurm(tmp_path_factory.mktemp("slurm"))
    try:
        try:
            cluster.start()
        except FileExistsError as exc:
            _unavailable(f"not starting a test SLURM: {exc}")
        yield cluster
    finally:
        cluster.stop()


def _run_pair(tmp_path_factory, mirror_url, shared_resources, records, slurm):
    """The same documents, once locally and once through the SLURM profile."""
    works = {}
    for name in ("local", "cluster"):
        work = workspace(tmp_path_factory, f"slurm_{name}", shared_resources)
        (work / "docs").mkdir()
        (work / "docs" / "sample.jsonl").write_text(jsonl(records))
        # relative docs path: the same documents.tsv in both; one library keeps it short
        write_config(work, mirror_url, ["docs"], enrichment=hallmark_only())
        works[name] = work
    snakemake(works["local"])  # also fills the shared downloads and stores
    try:
        proc = snakemake(
            works["cluster"],
            "--profile",
            str(PROFILE),
            env=slurm.env,
            cwd=works["cluster"],
            timeout=RUN_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"SLURM run not done after {RUN_TIMEOUT}s: {slurm.jobs()}\n{slurm.logs()}")
    return works, proc


def test_workflow_through_slurm_equals_local_run(
    slurm, tmp_path_factory, mirror_url, shared_resources, panc_records
):
    works, proc = _run_pair(
        tmp_path_factory, mirror_url, shared_resources, panc_records[:60], slurm
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{out[-8000:]}\n{slurm.logs()}"

    # Jobs went through SLURM: the executor's sbatch ids are slurmctld's jobs, all COMPLETED.
    submitted = set(re.findall(r"submitted with SLURM jobid (\d+)", out))
    jobs = {j["id"]: j for j in slurm.jobs()}
    assert len(submitted) >= 5, out[-4000:]
    assert submitted <= set(jobs), (submitted, jobs)
    assert {jobs[i]["state"] for i in submitted} == {"COMPLETED"}, jobs
    # Groups and local rules kept the job count small: extraction is 8 shards in 2 jobs of
    # four, or in 1 (each DAG update after a checkpoint merges a group's components again,
    # four at a time: `_update_group_components` in Snakemake's dag.py).
    assert len(submitted) <= 8, out[-4000:]
    what = [jobs[i]["comment"] for i in submitted]
    assert 1 <= sum(c.startswith("rule_extract") for c in what) <= 2, what
    local_rules = ("fetch", "report", "tables", "provenance", "themes", "config_json")
    assert not [c for c in what if any(c.startswith(f"rule_{r}") for r in local_rules)], what
    # No job asked for more than the node has (the old profile's enrich=4 hung on 2 CPUs).
    node_cpus = int(slurm.run("sinfo", "-h", "-o", "%c").stdout.strip())
    assert all(int(jobs[i]["cpus"]) <= node_cpus for i in submitted), jobs

    # Same tables, byte for byte (provenance without download dates: see digests()).
    local, cluster = (digests(w / "results") for w in (works["local"], works["cluster"]))
    assert local and cluster == local
    # Each SLURM job's rule wrote its own log where the local run puts it.
    logs = _rule_logs(works["cluster"])
    assert {"logs/literature/collect.log", "logs/mirnas.log"} <= logs <= _rule_logs(works["local"])


def _rule_logs(work: Path) -> set[str]:
    """Every rule's own log file, relative to the workspace (where a user looks first)."""
    return {
        str(p.relative_to(work)) for p in (work / "logs").rglob("*.log") if "slurm" not in p.parts
    }
