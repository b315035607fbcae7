"""The project's own lint gates: ruff over the code and Snakemake's linter over the workflow."""

from __future__ import annotations

import shutil
import subprocess
import sys

from conftest import REPO


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(REPO / ".venv" / "bin" / "ruff")
    proc = subprocess.run([ruff, "check", "."], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_snakemake_lint_is_clean():
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint", "--snakefile", "Snakefile"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "Lints for" not in out, out


def test_bad_config_key_stops_the_run_naming_the_key(tmp_path):
    cfg = (REPO / "config" / "config.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(cfg.replace("    min_score: 80", "    min_score: eighty"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-n",
            "-s",
            str(REPO / "Snakefile"),
            "-d",
            str(tmp_path),
            "--configfile",
            str(bad),
        ],
        capture_output=True,
        text=True,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "config key 'targets.mirdb.min_score'" in out, out
