"""Shared test fixtures: the ../shared data folder and a loopback HTTP mirror over it.

Tests never reach the internet. Data that is not ours to commit is read from
``../shared`` (override with MIRLENS_SHARED). Where it is missing, a test fails in CI
(CI=true) and skips with the reason elsewhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from workflow_runs import jsonl, snakemake, workspace, write_config

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MIRLENS_SHARED", REPO.parent / "shared")).resolve()
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def shared_path(rel: str) -> Path:
    """Path of a file or folder under ../shared, or skip (fail in CI) when missing."""
    path = SHARED / rel
    if not path.exists():
        msg = f"shared data missing: {path} (set MIRLENS_SHARED or put ../shared beside the repo)"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def shared() -> Path:
    return shared_path(".")


@pytest.fixture(scope="session")
def mirror_dir() -> Path:
    return shared_path("mirror")


@pytest.fixture(scope="session")
def mirror_url(mirror_dir: Path) -> Iterator[str]:
    """Base URL of a real HTTP server on 127.0.0.1 serving ../shared/mirror."""
    proc = subprocess.Popen(
        [sys.executable, str(mirror_dir / "serve.py"), "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if "http://127.0.0.1:" not in line:
            pytest.fail(f"mirror server did not start: {line!r}")
        yield line.rsplit(" ", 1)[-1].strip().rstrip("/")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def mirbase_dir(mirror_dir: Path) -> Path:
    """The miRBase 22.1 download folder as laid out in the mirror."""
    return mirror_dir / "mirbase.org" / "download_version_files" / "22.1"


# ---------------------------------------------------------------- shared workflow runs
# Session-scoped so every test module (e2e, report, faults, SLURM) reuses the same runs.


@pytest.fixture(scope="session")
def shared_resources(tmp_path_factory) -> Path:
    """One resources/ folder (downloads + parsed stores) shared by all workflow runs."""
    return tmp_path_factory.mktemp("resources")


@pytest.fixture(scope="session")
def seeds_run(tmp_path_factory, mirror_url, shared_resources) -> Path:
    work = workspace(tmp_path_factory, "seeds", shared_resources)
    write_config(work, mirror_url, [str(shared_path("seeds"))])
    snakemake(work)
    return work


@pytest.fixture(scope="session")
def panc_records() -> list[dict]:
    path = shared_path("data/literature/miretrieve_panc.abstracts.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def panc_run(tmp_path_factory, mirror_url, shared_resources, panc_records) -> Path:
    work = workspace(tmp_path_factory, "panc", shared_resources)
    docs = work / "docs"
    docs.mkdir()
    (docs / "sample.jsonl").write_text(jsonl(panc_records[:60]))
    path = write_config(work, mirror_url, [str(docs)])
    # this run also writes every tested row (enrichment.every_row), which the e2e tests check
    cfg = yaml.safe_load(path.read_text())
    cfg["enrichment"]["every_row"] = True
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    snakemake(work)
    return work
