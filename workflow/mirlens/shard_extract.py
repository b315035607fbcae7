"""`mirlens extract-shard`: the mentions of one shard, re-extracting only its new documents.

Every document's mention records are cached by (doc_id, sha256 of its text) under a key
of everything that decides them: the extraction code, the miRBase and TargetScan files,
and every option (species, arm policy, cluster distance, ...). The cache is kept per
piece of an input file (`literature/shards.py`), so a document that moves to another
shard (its group of small files was cut anew, or its file grew) is still found: in its
piece's file, or else in another piece of the same input file. A changed shard extracts
only its new documents, and the miRBase release is not even loaded when nothing is new.
The cache only saves time: the records are the ones a fresh extraction writes, so the
outputs are byte-identical either way.

Outputs per shard: the mention records as Parquet (the columns of ``mentions.tsv``, all
text) and small summaries merged without reading any mention: miRNA x document counts and
unresolved names (`mirlens mirnas`), sentences in theme context per miRNA, theme and
document (`mirlens evidence`), and the sentences the report may quote (`mirlens report`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from mirlens.io import atomic_open
from mirlens.memo import memo_key

log = logging.getLogger(__name__)

CACHE_VERSION = "1"
PKG = Path(__file__).resolve().parent
# Code that decides a document's mention records (a change invalidates the cache).
CODE = ["mirbase.py", "shard_extract.py", "text", "themes.py"]  # themes: the context column
# Arguments that name outputs or the cache itself, not what is extracted.
NOT_KEYED = {"shard", "out", "mirnas_out", "unresolved_out", "context_out", "quotes_out",
             "cache_dir"}  # fmt: skip


def cache_key(args: argparse.Namespace) -> str:
    """sha256 (16 hex) of the code, the release files and every option of the extraction."""
    # name, then value: a file or folder option counts by its content
    parts = [x for k, v in sorted(vars(args).items()) if k not in NOT_KEYED for x in (k, v)]
    return memo_key(f"extract-shard {CACHE_VERSION}", CODE, parts)


Doc = tuple[str, str, str, str]  # doc_id, sha256 of the text, text, cache piece


def read_shard(path: str | Path) -> list[Doc]:
    """(doc_id, text digest, text, piece) of every document of a shard file."""
    docs = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            text = rec["text"]
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            docs.append((rec["doc_id"], digest, text, rec.get("piece", "")))
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


def store_cache(path: Path, entries: dict[tuple[str, str], list[dict]]) -> None:
    """Write one piece's cache file: (doc_id, text digest) -> records."""
    try:
        with atomic_open(path) as fh:
            for (doc_id, digest), records in entries.items():
                entry = {"doc_id": doc_id, "sha256": digest, "records": records}
                fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
    except OSError as exc:  # a read-only cache must not stop the run
        log.warning("cannot write extraction cache %s: %s", path, exc)


def extract_new(docs: list[Doc], args: argparse.Namespace, folder: Path) -> Iterator[dict]:
    """Mention records of the given documents."""
    from mirlens.text.extract import (
        cached_release,
        extract_documents,
        resolve_family_info,
        theme_hits,
    )
    from mirlens.text.normalise import Normaliser

    # the folder's key covers the release files, the code and the options
    release = cached_release(
        folder / "release.pickle", args.mirbase, resolve_family_info(args.family_info),
        args.cluster_distance, [args.species],
    )  # fmt: skip
    norm = Normaliser(release, args.species, args.arm_policy)
    themes = theme_hits(getattr(args, "themes", None))
    return extract_documents(((doc[0], doc[2]) for doc in docs), norm, themes)


def lookup(folder: Path, pieces: dict[str, list[Doc]]) -> tuple[dict, dict[str, dict]]:
    """Cached records of the shard's documents: from each piece's own cache file, then, for
    documents not found there, from the other pieces of the same input file. Also what each
    piece's own file holds."""
    cached: dict = {}
    own: dict[str, dict] = {}
    for piece in pieces:
        own[piece] = load_cache(folder / f"{piece}.jsonl")
        cached.update(own[piece])
    wanted = {(d[0], d[1]) for docs in pieces.values() for d in docs}
    missing_files = {d[3].split("-")[0] for docs in pieces.values() for d in docs
                     if (d[0], d[1]) not in cached}  # fmt: skip
    for fid in sorted(missing_files):
        for path in sorted(folder.glob(f"{fid}-*.jsonl")):
            if path.stem not in pieces:
                found = load_cache(path)
                cached.update({k: v for k, v in found.items() if k in wanted})
    return cached, own


def shard_records(docs: list[Doc], args: argparse.Namespace) -> dict:
    """doc_id -> mention records for every document of the shard, through the cache."""
    folder = Path(args.cache_dir) / cache_key(args)
    pieces: dict[str, list[Doc]] = {}
    for doc in docs:
        pieces.setdefault(doc[3], []).append(doc)
    cached, own = lookup(folder, pieces) if folder.is_dir() else ({}, {})
    records = {doc_id: cached.get((doc_id, digest)) for doc_id, digest, _t, _p in docs}
    new = [d for d in docs if records[d[0]] is None]
    for doc in new:
        records[doc[0]] = []
    folder.mkdir(parents=True, exist_ok=True)
    if new:
        for rec in extract_new(new, args, folder):
            records[rec["doc_id"]].append(rec)
    log.info(
        "shard %s: %d documents, %d extracted, %d from the cache (%s)",
        Path(args.shard).stem, len(docs), len(new), len(docs) - len(new), folder,
    )  # fmt: skip
    # A piece's file keeps what it held: shards run in parallel, and a document that moved
    # (new shard size, edited file) may still be looked up there by another shard's job.
    for piece, piece_docs in pieces.items():
        held = own.get(piece, {})
        if any((d[0], d[1]) not in held for d in piece_docs):
            store_cache(
                folder / f"{piece}.jsonl", {**held, **{d[:2]: records[d[0]] for d in piece_docs}}
            )
    return records


def ordered(docs: list[Doc], records: dict) -> Iterable[dict]:
    """Records sorted as `extract` sorts them: (doc_id, start, end), stable within."""
    rows = [rec for doc in docs for rec in records[doc[0]]]
    rows.sort(key=lambda r: (r["doc_id"], r["start"], r["end"]))
    return rows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shard", help="shard JSONL written by `mirlens collect`")
    parser.add_argument("--out", required=True, help="mention records of the shard (Parquet)")
    parser.add_argument("--mirnas-out", required=True, help="miRNA x document counts (Parquet)")
    parser.add_argument("--unresolved-out", required=True, help="unresolved names (Parquet)")
    parser.add_argument("--context-out", help="sentences in theme context per miRNA, theme and "
                        "document (Parquet; what `mirlens evidence --context` reads)")  # fmt: skip
    parser.add_argument("--quotes-out", help="what the report needs of the mentions: quotable "
                        "sentences, counts (Parquet; `mirlens report --quotes`)")  # fmt: skip
    parser.add_argument("--cache-dir", required=True, help="per-document extraction cache")
    parser.add_argument("--mirbase", required=True, help="miRBase download folder")
    parser.add_argument("--family-info", default=None, help="TargetScan miR_Family_Info")
    parser.add_argument("--species", default="hsa", help="species when the text gives none")
    parser.add_argument("--arm-policy", default="both", choices=["both", "dominant"])
    parser.add_argument("--cluster-distance", type=int, default=10_000)
    parser.add_argument("--themes", default=None, help="theme-context JSON: fills 'themes'")


def run(args: argparse.Namespace) -> int:
    from mirlens.io import write_parquet
    from mirlens.mirnas import shard_summaries

    docs = read_shard(args.shard)
    rows = ordered(docs, shard_records(docs, args))
    mentions, mirnas, unresolved = shard_summaries(rows)
    write_parquet(mentions, args.out)
    write_parquet(mirnas, args.mirnas_out)
    write_parquet(unresolved, args.unresolved_out)
    if args.context_out:
        from mirlens.evidence.context import mention_themes, sentences_per_document

        write_parquet(sentences_per_document(mention_themes(mentions)), args.context_out)
    if args.quotes_out:
        from mirlens.report.quotes import write_quotes

        write_quotes(mentions, args.quotes_out)
    log.info("wrote %d mentions of %d documents to %s", len(rows), len(docs), args.out)
    return 0
