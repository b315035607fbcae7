"""`mirlens provenance`: write results/provenance.json.

One JSON file answers "what exactly went into this run": every downloaded release (URL,
release label, size, sha256, download date from the lock file), the software versions,
the validated config, a digest of the document list and the per-source target statistics.
It carries no timestamp of its own and sorts every key, so a rerun over the same inputs
writes the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from mirlens.config import downloads
from mirlens.errors import MirlensError
from mirlens.io import atomic_open, unescape_cell

SOFTWARE = (
    "mirlens",
    "snakemake",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "gseapy",
    "pyarrow",
    "biopython",
    "matplotlib",
    "jinja2",
    "openpyxl",
    "requests",
)
LOCK_FIELDS = ("key", "release", "url", "source_url", "path", "size", "sha256", "downloaded")


def software_versions(packages: tuple[str, ...] = SOFTWARE) -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise MirlensError(f"{what} not found: {path}") from exc
    except json.JSONDecodeError as exc:
        raise MirlensError(f"{what} {path} is not valid JSON: {exc}") from exc


# Lock keys about this machine's copy, not the source: mtime_ns only spares rehashing.
LOCAL_ONLY = {"mtime_ns"}


def sources_from_lock(lock: dict, urls: set[str] | None = None) -> list[dict]:
    """One record per locked file (only ``urls`` when given), known fields first, extra lock
    keys kept as they are."""
    if not isinstance(lock, dict) or not isinstance(lock.get("sources", {}), dict):
        raise MirlensError("lock file must be a JSON object with a 'sources' object")
    out = []
    for url, entry in lock.get("sources", {}).items():
        if urls is not None and url not in urls:
            continue
        entry = dict(entry) if isinstance(entry, dict) else {}
        entry.setdefault("url", url)
        record = {k: entry.get(k) for k in LOCK_FIELDS if k in entry}
        record.update({k: v for k, v in entry.items() if k not in record and k not in LOCAL_ONLY})
        out.append(record)
    return sorted(out, key=lambda r: (str(r.get("key") or ""), str(r.get("url"))))


def _tsv_columns(path: Path, names: tuple[str, ...]) -> dict[str, list[str]]:
    """The named columns of a result TSV (unescaped), those it has; no pandas (its import
    alone is most of this step's time)."""
    with open(path, encoding="utf-8", newline="\n") as fh:
        header = fh.readline().rstrip("\n").split("\t")
        where = {n: header.index(n) for n in names if n in header}
        rows = [line.rstrip("\n").split("\t") for line in fh if line.strip("\n")]
    bad = [i for i, r in enumerate(rows, start=2) if len(r) != len(header)]
    if bad:
        raise MirlensError(f"{path} line {bad[0]}: expected {len(header)} fields")
    return {n: [unescape_cell(r[i]) for r in rows] for n, i in where.items()}


def document_digest(documents_tsv: Path) -> dict[str, Any]:
    """sha256 over the sorted ``doc_id\\tsha256`` lines: changes iff the document set does."""
    docs = _tsv_columns(documents_tsv, ("doc_id", "sha256", "status"))
    missing = {"doc_id", "sha256"} - set(docs)
    if missing:
        raise MirlensError(f"{documents_tsv} lacks column(s) {sorted(missing)}")
    lines = sorted(f"{d}\t{s}" for d, s in zip(docs["doc_id"], docs["sha256"], strict=True))
    n_docs = len(docs["doc_id"])
    n_ok = docs["status"].count("ok") if "status" in docs else n_docs
    return {
        "n_documents": n_docs,
        "n_ok": n_ok,
        "n_skipped": n_docs - n_ok,
        "sha256": hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest(),
        "method": "sha256 over sorted lines 'doc_id<TAB>sha256' joined by newlines",
    }


def target_stats(paths: list[Path]) -> dict[str, Any]:
    """Per-source stats keyed by file stem (``targetscan.stats.json`` -> ``targetscan``)."""
    stats = {}
    for path in sorted(Path(p) for p in paths):
        stats[path.name.removesuffix(".json").removesuffix(".stats")] = _read_json(
            path, "target stats"
        )
    return stats


def build_provenance(
    lock: Path | None,
    config: Path | None,
    documents: Path | None,
    stats: list[Path] | None = None,
) -> dict[str, Any]:
    lock_data = _read_json(lock, "lock file") if lock else {"sources": {}}
    cfg = _read_json(config, "config") if config else None
    # A resources/ folder shared by several runs locks every run's files: list this run's only.
    urls = {d.url for d in downloads(cfg).values()} if cfg and "sources" in cfg else None
    return {
        "mirlens_provenance_version": 1,
        "sources": sources_from_lock(lock_data, urls),
        "software": software_versions(),
        "config": cfg,
        "documents": document_digest(documents) if documents else None,
        "target_stats": target_stats(stats or []),
    }


def write_provenance(data: dict, out: Path) -> None:
    with atomic_open(out) as fh:
        json.dump(data, fh, indent=2, sort_keys=True, ensure_ascii=False)
        fh.write("\n")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lock", type=Path, help="resources/sources.lock.json")
    parser.add_argument("--config", type=Path, help="the validated config (results/config.json)")
    parser.add_argument("--documents", type=Path, help="results/literature/documents.tsv")
    parser.add_argument(
        "--stats", type=Path, nargs="*", default=[], help="targets/<source>.stats.json files"
    )
    parser.add_argument("--out", type=Path, required=True, help="results/provenance.json")


def run(args: argparse.Namespace) -> int:
    write_provenance(build_provenance(args.lock, args.config, args.documents, args.stats), args.out)
    return 0
