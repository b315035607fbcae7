"""Config checks and the list of files the configured sources need.

Shared by the Snakefile (rules/common.smk) and `mirlens prefetch`, so that the workflow and
an air-gapped mirror agree on what is downloaded and where it lands.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from mirlens.download import url_relpath
from mirlens.errors import MirlensError
from mirlens.themes import VOCABULARY

DB_DIR = "resources/db"


RESERVED_THEME_KEYS = (VOCABULARY,)  # words, not gene sets (contracts.md)


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read one YAML config file; a syntax error names the file, line and column."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise MirlensError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}, column {mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        raise MirlensError(
            f"{where}: YAML syntax error: {problem}" + (f" ({context})" if context else "")
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise MirlensError(
            f"{path}: a config file must be a mapping of keys, not {type(data).__name__}"
        )
    return data


def check_config(config: dict[str, Any], schema_path: str | Path) -> None:
    """Raise one clear error naming every wrong key (dotted path), before anything runs."""
    schema = yaml.safe_load(Path(schema_path).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for err in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.path))):
        problems.extend(_explain(err))
    problems.extend(_theme_problems(config))
    if problems:
        raise MirlensError("invalid configuration:\n  " + "\n  ".join(problems))


# Keys of earlier versions: what replaced them, said instead of "unknown key".
RETIRED = {
    "literature.n_shards": "no longer used: shards follow the input files; set"
    " 'literature.shard_docs' (documents per shard, default 1000) instead",
}


def _explain(err: jsonschema.ValidationError) -> list[str]:
    """Messages for one schema error: unknown keys get a 'did you mean'."""
    key = ".".join(str(p) for p in err.absolute_path)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        known = list(err.schema.get("properties", {}))
        out = []
        for extra in sorted(set(err.instance) - set(known)):
            if _join(key, extra) in RETIRED:
                out.append(f"config key '{_join(key, extra)}': {RETIRED[_join(key, extra)]}")
                continue
            close = difflib.get_close_matches(str(extra), known, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else f" (known: {', '.join(known)})"
            out.append(f"config key '{_join(key, extra)}': unknown key{hint}")
        return out
    if err.validator == "enum" and isinstance(err.instance, str):
        options = [str(o) for o in err.validator_value]
        close = difflib.get_close_matches(err.instance, options, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return [f"config key '{key}': {err.instance!r} is not one of {options}{hint}"]
    if err.validator == "propertyNames":
        return [f"config key '{key}': {err.message}"]
    return [f"config key '{key or '(top level)'}': {err.message}"]


def _join(key: str, extra: Any) -> str:
    return f"{key}.{extra}" if key else str(extra)


def _theme_problems(config: dict[str, Any]) -> list[str]:
    enrichment = config.get("enrichment")
    if not isinstance(enrichment, dict) or not isinstance(enrichment.get("themes"), dict):
        return []
    libs = set(enrichment.get("libraries") or {})
    out = []
    for theme, per_lib in enrichment["themes"].items():
        if not isinstance(per_lib, dict):
            continue
        named = [lib for lib in per_lib if lib not in RESERVED_THEME_KEYS]
        if not named:
            out.append(
                f"config key 'enrichment.themes.{theme}': names no gene sets (give at least "
                f"one library: [set, ...]; libraries: {', '.join(sorted(libs))})"
            )
        for lib in named:
            if lib not in libs:
                close = difflib.get_close_matches(lib, sorted(libs), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                out.append(
                    f"config key 'enrichment.themes.{theme}.{lib}': no library '{lib}' in "
                    f"enrichment.libraries (have: {', '.join(sorted(libs))}){hint}"
                )
    return out


def check_paths(config: dict[str, Any]) -> None:
    """Every literature path must exist (checked before any job, dry runs included)."""
    missing = [
        f"config key 'literature.paths[{i}]': no such file or folder: {p} "
        f"(relative paths are read from {Path.cwd()})"
        for i, p in enumerate(config["literature"]["paths"])
        if not os.path.lexists(p)
    ]
    for lib, spec in sorted(config["enrichment"]["libraries"].items()):
        if "path" in spec and not os.path.isfile(spec["path"]):
            missing.append(
                f"config key 'enrichment.libraries.{lib}.path': no such file: {spec['path']}"
            )
    if missing:
        raise MirlensError("invalid configuration:\n  " + "\n  ".join(missing))


def library_set_names(path: str | Path) -> list[str]:
    """Gene-set names of a GMT / Enrichr text file (first field of each line), cheaply."""
    names = []
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        for line in fh:
            name = line.split("\t", 1)[0].strip()
            if name and not name.startswith("#") and "\t" in line:
                names.append(name)
    return names


def check_theme_sets(config: dict[str, Any], library_files: dict[str, str]) -> None:
    """Theme gene-set names missing from a library file that is already on disk.

    ``library_files`` maps library name -> local file (downloaded and verified, or a
    ``path``); a library not yet downloaded is checked by the ``theme_context`` job instead.
    """
    problems = []
    for lib, path in sorted(library_files.items()):
        if not os.path.isfile(path):
            continue
        available = library_set_names(path)
        present = set(available)
        for theme, per_lib in sorted(config["enrichment"]["themes"].items()):
            for wanted in per_lib.get(lib, []):
                if wanted not in present:
                    close = difflib.get_close_matches(wanted, available, n=1, cutoff=0.6)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    problems.append(
                        f"config key 'enrichment.themes.{theme}.{lib}': gene set {wanted!r} "
                        f"is not in library {lib} ({path}){hint}"
                    )
    if problems:
        raise MirlensError("invalid configuration:\n  " + "\n  ".join(problems))


def recorded_config(config: dict[str, Any]) -> dict[str, Any]:
    """The config as results/config.json records it: without ``mirror`` and the sha256 pins.

    Where files come from and the pins that assert them are not results; the lock file's
    sha256 (in provenance.json) says what each file is. Leaving them out means changing
    them reruns neither provenance nor the report.
    """
    out = {k: v for k, v in config.items() if k != "mirror"}
    if isinstance(out.get("sources"), dict):
        out["sources"] = {k: v for k, v in out["sources"].items() if k != "sha256"}
    return out


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


# ---------------------------------------------------------------- CLI: mirlens check-config

SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Layer ``over`` on ``base`` the way Snakemake layers --configfile files."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def add_arguments(parser) -> None:
    parser.add_argument(
        "files",
        nargs="+",
        help="config files, layered in order (e.g. config/config.yaml mine.yaml)",
    )


def run(args) -> int:
    config: dict[str, Any] = {}
    for path in args.files:
        config = merge(config, load_yaml(path))
    check_config(config, SCHEMA)
    print(f"config OK: {' + '.join(args.files)}")
    return 0
