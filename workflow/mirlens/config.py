"""Config checks and the list of files the configured sources need.

Shared by the Snakefile (rules/common.smk) and `mirlens prefetch`, so that the workflow and
an air-gapped mirror agree on what is downloaded and where it lands.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from mirlens.download import url_relpath
from mirlens.errors import MirlensError
from mirlens.themes import VOCABULARY

DB_DIR = "resources/db"


def check_config(config: dict[str, Any], schema_path: str | Path) -> None:
    """Raise one clear error naming every wrong key (dotted path), before anything runs."""
    schema = yaml.safe_load(Path(schema_path).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for err in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.path))):
        key = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        problems.append(f"config key '{key}': {err.message}")
    if problems:
        raise MirlensError("invalid configuration:\n  " + "\n  ".join(problems))
    libs = set(config.get("enrichment", {}).get("libraries", {}))
    for theme, per_lib in config.get("enrichment", {}).get("themes", {}).items():
        for lib in per_lib:
            if lib != VOCABULARY and lib not in libs:
                raise MirlensError(
                    f"config key 'enrichment.themes.{theme}.{lib}': no library '{lib}' in "
                    f"enrichment.libraries (have: {', '.join(sorted(libs))})"
                )


@dataclass(frozen=True)
class Download:
    key: str  # e.g. "mirbase.mature" or "library.hallmark"
    url: str
    release: str
    sha256: str
    path: str  # destination, relative to the workflow directory


def downloads(config: dict[str, Any], db_dir: str = DB_DIR) -> dict[str, Download]:
    """Every file the run downloads, keyed by ``<source>.<name>``."""
    pins = {u: s.lower() for u, s in config["sources"].get("sha256", {}).items()}
    out: dict[str, Download] = {}

    def add(key: str, url: str, release: str) -> None:
        out[key] = Download(key, url, release, pins.get(url, ""), f"{db_dir}/{url_relpath(url)}")

    for source, spec in config["sources"].items():
        if source == "sha256":
            continue
        for name, url in spec["urls"].items():
            add(f"{source}.{name}", url, spec["release"])
    for lib, spec in config["enrichment"]["libraries"].items():
        if "url" in spec:
            add(f"library.{lib}", spec["url"], spec.get("release", ""))
    return out


def mirbase_dir(config: dict[str, Any], db_dir: str = DB_DIR) -> str:
    """The miRBase download folder; all miRBase files must come from the same release folder."""
    files = downloads(config, db_dir)
    folder = str(Path(files["mirbase.mature"].path).parent)
    expected = {"aliases": "aliases.txt", "hairpin": "hairpin.fa", "families": "miFam.dat"}
    for name, fname in expected.items():
        d = files.get(f"mirbase.{name}")
        if d and d.path != f"{folder}/{fname}":
            raise MirlensError(
                f"config key 'sources.mirbase.urls.{name}': must be {fname} in the same "
                f"miRBase folder as mature.fa ({folder}), got {d.url}"
            )
    genome = files.get("mirbase.genome")
    if genome and not genome.path.startswith(f"{folder}/genomes/"):
        raise MirlensError(
            "config key 'sources.mirbase.urls.genome': must be genomes/<species>.gff3 in "
            f"the miRBase folder of mature.fa ({folder})"
        )
    return folder
