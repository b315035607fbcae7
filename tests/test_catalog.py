"""Snakemake workflow catalog conventions: layout, formatting, test scenarios, pinned software."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib

import pytest
import yaml
from conftest import IN_CI, REPO, shared_path

SCENARIOS = sorted(p.parent.name for p in (REPO / ".test").glob("*/config.yaml"))
# conda-forge name -> name in pyproject.toml, where they differ
CONDA_TO_PIP = {"matplotlib-base": "matplotlib"}


def _snakemake(*args: str, cwd=REPO) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_snakefmt_is_clean():
    exe = shutil.which("snakefmt") or str(REPO / ".venv" / "bin" / "snakefmt")
    if not shutil.which(exe):
        msg = "snakefmt is not installed (pip install -e '.[test]')"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    proc = subprocess.run(
        [exe, "--check", "Snakefile", "workflow"], cwd=REPO, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_catalog_layout():
    usage = yaml.safe_load((REPO / ".snakemake-workflow-catalog.yml").read_text())["usage"]
    assert usage["software-stack-deployment"]["conda"] is True
    assert (REPO / "config" / "README.md").is_file()
    assert (REPO / ".github" / "workflows").glob("*.yml")
    ci = "\n".join(p.read_text() for p in (REPO / ".github" / "workflows").glob("*.yml"))
    run = (REPO / ".ci" / "run").read_text()
    assert ".ci/run" in ci and "pytest" in run
    assert set(SCENARIOS) >= {"seeds", "abstracts", "slurm"}


@pytest.mark.parametrize("snakefile", ["Snakefile", "workflow/Snakefile"])
def test_both_snakefiles_plan_the_whole_run_with_the_default_profile(snakefile):
    """`snakemake` from the root (top-level include) and `-s workflow/Snakefile` (snakedeploy)
    plan the same jobs, and the workflow profile profiles/default is loaded."""
    proc = _snakemake("-n", "-s", snakefile, "--cores", "1")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "workflow specific profile profiles/default" in out, out[:2000]
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", out, flags=re.M))
    assert counts.get("report") == "1" and int(counts["total"]) > 20, out[-3000:]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_test_scenario_configs_validate_and_plan(scenario, tmp_path):
    # The scenarios name ../shared relative to the working directory: give it one there.
    (tmp_path / "shared").symlink_to(shared_path("."), target_is_directory=True)
    (tmp_path / "work").mkdir()
    cfg = [str(REPO / "config/config.yaml"), str(REPO / ".test" / scenario / "config.yaml")]
    proc = _snakemake(
        "-n", "-s", str(REPO / "Snakefile"), "-d", str(tmp_path / "work"), "--cores", "1",
        "--configfile", *cfg, "--config", "mirror=http://127.0.0.1:9",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_job_environment_is_pinned_at_or_above_the_package_bounds():
    env = yaml.safe_load((REPO / "workflow" / "envs" / "mirlens.yaml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        name, _, version = dep.partition("=")
        assert re.fullmatch(r"\d+(\.\d+)*", version), f"not pinned: {dep}"
        pins[CONDA_TO_PIP.get(name, name)] = version
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for req in project["dependencies"]:
        name, lower = re.fullmatch(r"([\w.-]+)>=([\d.]+)", req).groups()
        if name == "snakemake":  # runs the jobs; not inside their environment
            continue
        assert name in pins, f"{name} missing from workflow/envs/mirlens.yaml"
        assert _version(pins[name]) >= _version(lower), (name, pins[name], lower)
    container = (REPO / "workflow" / "envs" / "mirlens.def").read_text()
    assert "workflow/envs/mirlens.yaml" in container


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


def test_container_image_builds_where_apptainer_exists(tmp_path):
    exe = shutil.which("apptainer")
    if exe is None:
        pytest.skip("apptainer is not installed; the image is built only where it is")
    image = tmp_path / "mirlens.sif"
    proc = subprocess.run(
        [exe, "build", str(image), "workflow/envs/mirlens.def"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert proc.returncode == 0 and image.is_file(), proc.stderr[-3000:]
