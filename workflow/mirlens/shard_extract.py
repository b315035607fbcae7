"""`mirlens extract-shard`: the mentions of one shard, re-extracting only its new documents.

Every document's mention records are cached by (doc_id, sha256 of its text) under a key
of everything that decides them: the extraction code, the miRBase and TargetScan files,
and every option (species, arm policy, cluster distance, ...). A shard that gained 1 %
new documents extracts those and copies the rest from the cache, and the miRBase release
is not even loaded when nothing is new. The cache only saves time: the records are the
ones a fresh extraction writes, so the outputs are byte-identical either way.

Outputs per shard: the mention records as Parquet (the columns of ``mentions.tsv``, all
text) and two small summaries that `mirlens mirnas` merges without reading any mention:
miRNA x document counts, and unresolved names.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import pickle
from collections.abc import Iterable, Iterator
from pathlib import Path

from mirlens.io import atomic_open
from mirlens.literature.shards import shard_of

log = logging.getLogger(__name__)

CACHE_VERSION = "1"
PKG = Path(__file__).resolve().parent
# Code that decides a document's mention records (a change invalidates the cache).
CODE = ["mirbase.py", "shard_extract.py", "text", "themes.py"]  # themes: the context column
# Arguments that name outputs or the cache itself, not what is extracted.
NOT_KEYED = {"shard", "shards_table", "out", "mirnas_out", "unresolved_out", "cache_dir"}


def _file_digest(path: Path, h) -> None:
    h.update(str(path.name).encode() + b"\0")
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)


def _tree_digest(path: Path, h) -> None:
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and "__pycache__" not in child.parts:
                _file_digest(child, h)
    elif path.is_file():
        _file_digest(path, h)


def cache_key(args: argparse.Namespace) -> str:
    """sha256 (16 hex) of the code, the release files and every option of the extraction."""
    h = hashlib.sha256(f"mirlens extract-shard {CACHE_VERSION}\n".encode())
    for name in CODE:
        _tree_digest(PKG / name, h)
    for name, value in sorted(vars(args).items()):
        if name in NOT_KEYED:
            continue
        h.update(f"{name}={value}\n".encode())
        if isinstance(value, str) and value and os.path.exists(value):
            _tree_digest(Path(value), h)  # a file or folder option counts by its content
    return h.hexdigest()[:16]


def read_shard(path: str | Path) -> list[tuple[str, str, str]]:
    """(doc_id, text digest, text) of every document of a shard file."""
    docs = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            text = rec["text"]
            docs.append((rec["doc_id"], hashlib.sha256(text.encode("utf-8")).hexdigest(), text))
    return docs


def load_cache(path: Path) -> dict[tuple[str, str], list[dict]]:
    """(doc_id, text digest) -> mention records; an unreadable cache is an empty one."""
    if not path.is_file():
        return {}
    cached = {}
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                entry = json.loads(line)
                cached[(entry["doc_id"], entry["sha256"])] = entry["records"]
    except (OSError, ValueError, KeyError) as exc:
        log.warning("ignoring unreadable extraction cache %s: %s", path, exc)
        return {}
    return cached


def store_cache(path: Path, docs: list[tuple[str, str, str]], records: dict) -> None:
    """The shard's current documents only, so the cache never outgrows the shard."""
    try:
        with atomic_open(path) as fh:
            for doc_id, digest, _text in docs:
                entry = {"doc_id": doc_id, "sha256": digest, "records": records[doc_id]}
                fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
    except OSError as exc:  # a read-only cache must not stop the run
        log.warning("cannot write extraction cache %s: %s", path, exc)


def cached_release(folder: Path, args: argparse.Namespace):
    """The miRBase release with the run's species indexed, unpickled from the cache folder
    (~0.5 s) or parsed (~5-10 s) and pickled there. The folder's key covers the release
    files, the code and the options, so a pickle never outlives what it was built from;
    the cache folder is the workflow's own, never a user's file."""
    from mirlens.text.extract import load_release, resolve_family_info

    path = folder / "release.pickle"
    if path.is_file():
        try:
            with open(path, "rb") as fh:
                return pickle.load(fh)
        except Exception as exc:  # a damaged pickle only costs a parse
            log.warning("ignoring unreadable release cache %s: %s", path, exc)
    release = load_release(
        args.mirbase, resolve_family_info(args.family_info), args.cluster_distance
    )
    release.species(args.species)
    try:
        with atomic_open(path, "wb") as fh:
            pickle.dump(release, fh, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError as exc:
        log.warning("cannot write release cache %s: %s", path, exc)
    return release


def extract_new(
    docs: list[tuple[str, str, str]], args: argparse.Namespace, folder: Path
) -> Iterator[dict]:
    """Mention records of the given documents."""
    from mirlens.text.extract import Normaliser, extract_documents, theme_hits

    norm = Normaliser(cached_release(folder, args), args.species, args.arm_policy)
    themes = theme_hits(getattr(args, "themes", None))
    return extract_documents(((doc_id, text) for doc_id, _d, text in docs), norm, themes)


def cached_elsewhere(folder: Path, n_shards: int, missing: list[str]) -> dict:
    """Records of documents that lived in another shard under another shard count.

    Cache files are named ``<n_shards>-<shard>.jsonl``; a document's shard under an earlier
    count is its jump hash for that count, so only those files are read, and only when the
    folder holds files of another count (after the shard count changed)."""
    counts = {int(p.name.split("-")[0]) for p in folder.glob("*-*.jsonl")} - {n_shards}
    found: dict = {}
    loaded: dict[Path, dict] = {}
    for doc_id in missing:
        for n in sorted(counts):
            path = folder / f"{n}-{shard_of(doc_id, n)}.jsonl"
            if path not in loaded:
                loaded[path] = load_cache(path)
            found.update({k: v for k, v in loaded[path].items() if k[0] == doc_id})
    return found


def shard_records(docs: list[tuple[str, str, str]], args: argparse.Namespace) -> dict:
    """doc_id -> mention records for every document of the shard, through the cache."""
    number = int(Path(args.shard).name.split(".")[0])
    with open(args.shards_table, encoding="utf-8") as fh:
        n_shards = sum(1 for _ in fh) - 1
    folder = Path(args.cache_dir) / cache_key(args)
    cache_path = folder / f"{n_shards}-{number}.jsonl"
    cached = load_cache(cache_path)
    missing = [doc_id for doc_id, digest, _t in docs if (doc_id, digest) not in cached]
    if missing and folder.is_dir():
        cached.update(cached_elsewhere(folder, n_shards, missing))
    records = {doc_id: cached.get((doc_id, digest)) for doc_id, digest, _t in docs}
    new = [d for d in docs if records[d[0]] is None]
    for doc_id, _d, _t in new:
        records[doc_id] = []
    if new:
        for rec in extract_new(new, args, folder):
            records[rec["doc_id"]].append(rec)
    log.info(
        "shard %s: %d documents, %d extracted, %d from the cache (%s)",
        number, len(docs), len(new), len(docs) - len(new), folder,
    )  # fmt: skip
    if missing or len(cached) != len(docs):
        store_cache(cache_path, docs, records)
    return records


def ordered(docs: list[tuple[str, str, str]], records: dict) -> Iterable[dict]:
    """Records sorted as `extract` sorts them: (doc_id, start, end), stable within."""
    rows = [rec for doc_id, _d, _t in docs for rec in records[doc_id]]
    rows.sort(key=lambda r: (r["doc_id"], r["start"], r["end"]))
    return rows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shard", help="shard JSONL written by `mirlens collect`")
    parser.add_argument("--out", required=True, help="mention records of the shard (Parquet)")
    parser.add_argument("--mirnas-out", required=True, help="miRNA x document counts (Parquet)")
    parser.add_argument("--unresolved-out", required=True, help="unresolved names (Parquet)")
    parser.add_argument("--cache-dir", required=True, help="per-document extraction cache")
    # Not a Snakemake param: a new shard count must not rerun the shards that kept their
    # documents; the job reads the count from the table `collect` wrote.
    parser.add_argument("--shards-table", required=True, help="shards.tsv of the run")
    parser.add_argument("--mirbase", required=True, help="miRBase download folder")
    parser.add_argument("--family-info", default=None, help="TargetScan miR_Family_Info")
    parser.add_argument("--species", default="hsa", help="species when the text gives none")
    parser.add_argument("--arm-policy", default="both", choices=["both", "dominant"])
    parser.add_argument("--cluster-distance", type=int, default=10_000)
    parser.add_argument("--themes", default=None, help="themes JSON: fills the 'themes' column")


def run(args: argparse.Namespace) -> int:
    from mirlens.mirnas import shard_summaries, write_parquet

    docs = read_shard(args.shard)
    rows = ordered(docs, shard_records(docs, args))
    mentions, mirnas, unresolved = shard_summaries(rows)
    write_parquet(mentions, args.out)
    write_parquet(mirnas, args.mirnas_out)
    write_parquet(unresolved, args.unresolved_out)
    log.info("wrote %d mentions of %d documents to %s", len(rows), len(docs), args.out)
    return 0
