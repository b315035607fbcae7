"""Helpers for real Snakemake runs of the workflow in a temporary folder (e2e, SLURM, faults)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEFILE = REPO / "Snakefile"
SHARD_DOCS = 8  # 60 abstracts in one file: eight shards


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


def write_config(work: Path, mirror: str, paths: list[str], **overrides) -> Path:
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    cfg["mirror"] = mirror
    cfg["literature"]["paths"] = paths
    cfg["literature"]["shard_docs"] = SHARD_DOCS
    cfg["literature"]["pubmed"]["enabled"] = False
    for key, value in overrides.items():
        cfg[key] = value
    path = work / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def snakemake(
    work: Path, *args: str, check: bool = True, **run: object
) -> subprocess.CompletedProcess:
    """Run the workflow in ``work``; ``run`` goes to subprocess.run (env, cwd, timeout)."""
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
    proc = subprocess.run(cmd, capture_output=True, text=True, **{"timeout": 1800, **run})
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
    """sha256 of every table; provenance.json without download dates and file mtimes (a
    forced rerun downloads again, and the date of a download is part of its provenance)."""
    out = {}
    for p in sorted(results.rglob("*")):
        if not (p.is_file() and p.suffix in (".tsv", ".fa", ".jsonl", ".json", ".txt")):
            continue
        data = p.read_bytes()
        if p.name == "provenance.json":
            prov = json.loads(data)
            for entry in prov["sources"]:
                entry.pop("downloaded")
                entry.pop("mtime_ns", None)  # when the file was written, like "downloaded"
            data = json.dumps(prov, sort_keys=True).encode()
        out[str(p.relative_to(results))] = hashlib.sha256(data).hexdigest()
    return out


def workspace(tmp_path_factory, name: str, shared_resources: Path) -> Path:
    work = tmp_path_factory.mktemp(name)
    (work / "resources").symlink_to(shared_resources, target_is_directory=True)
    return work


def jsonl(records: list[dict]) -> str:
    keys = ("doc_id", "pmid", "title", "year", "text")
    return "".join(json.dumps({k: r[k] for k in keys}) + "\n" for r in records)


def hallmark_only() -> dict:
    """The shipped `enrichment` config with the Hallmark library only: a short run."""
    enrichment = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["enrichment"]
    enrichment["libraries"] = {"hallmark": enrichment["libraries"]["hallmark"]}
    for theme in enrichment["themes"].values():
        for library in [k for k in theme if k not in ("hallmark", "vocabulary")]:
            del theme[library]
    return enrichment
