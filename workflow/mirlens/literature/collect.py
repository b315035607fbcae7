"""`mirlens collect`: read every document once and group the documents into stable shards.

A document's shard depends only on its doc_id (a hash), so adding documents changes only
the shards they land in, and a shard whose documents did not change is byte-identical
(and is not rewritten, so its modification time is kept too).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from mirlens import contracts
from mirlens.errors import MirlensError
from mirlens.io import atomic_open, sha256_file, write_tsv
from mirlens.literature.readers import Document, iter_documents

log = logging.getLogger(__name__)

DOCUMENT_COLUMNS = list(contracts.DOCUMENTS)
SHARD_COLUMNS = ["shard", "n_documents", "sha256"]
RECORD_KEYS = ["doc_id", "text", "title", "year", "pmid", "doi", "source"]


def shard_of(doc_id: str, n_shards: int) -> int:
    """Stable shard number of a document id (independent of every other document)."""
    return int(hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:8], 16) % n_shards


def shard_width(n_shards: int) -> int:
    return max(3, len(str(n_shards - 1)))


def shard_label(shard: int, n_shards: int) -> str:
    """Zero-padded shard name as used in file names and tables ('000', '001', ...)."""
    return f"{shard:0{shard_width(n_shards)}d}"


def check_inputs(inputs: Sequence[str | Path], optional: Sequence[str | Path] = ()) -> list[str]:
    """Inputs that exist; a missing required input is an error naming it."""
    present = []
    for path in inputs:
        if not os.path.exists(path):
            raise MirlensError(f"literature input not found: {path}")
        present.append(str(path))
    for path in optional:
        if os.path.exists(path):
            present.append(str(path))
        else:
            log.info("optional literature input %s does not exist; nothing read from it", path)
    return present


def deduplicate(docs: Iterable[Document]) -> list[Document]:
    """Keep the first document of each doc_id (by path); later copies become skipped rows.

    Sorting by path (stable within a file) makes "first" independent of argument order.
    """
    kept: dict[str, Document] = {}
    out: list[Document] = []
    for doc in sorted(docs, key=lambda d: d.path):
        if not doc.ok:
            out.append(doc)
            continue
        first = kept.get(doc.doc_id)
        if first is None:
            kept[doc.doc_id] = doc
            out.append(doc)
        elif first.sha256 == doc.sha256:
            out.append(
                replace(doc, status=f"skipped: duplicate doc_id, same text (first in {first.path})")
            )
        else:
            out.append(replace(doc, status=f"skipped: duplicate doc_id (first in {first.path})"))
    return out


def _clean(value: object) -> str:
    """One-line cell text: titles may hold tabs or newlines, a TSV cell may not."""
    return " ".join(str(value).split()) if value is not None else ""


def documents_table(docs: Sequence[Document], n_shards: int) -> pd.DataFrame:
    rows = []
    for doc in docs:
        rows.append(
            {
                "doc_id": doc.doc_id,
                "source": doc.source,
                "path": doc.path,
                "title": _clean(doc.title),
                "year": "" if doc.year is None else str(doc.year),
                "pmid": doc.pmid,
                "doi": doc.doi,
                "sha256": doc.sha256,
                "status": _clean(doc.status),
                "shard": shard_label(shard_of(doc.doc_id, n_shards), n_shards) if doc.ok else "",
                "n_chars": str(len(doc.text)),
            }
        )
    table = pd.DataFrame(rows, columns=DOCUMENT_COLUMNS, dtype=str)
    return table.sort_values(["doc_id", "path", "status"], kind="stable").reset_index(drop=True)


def shard_record(doc: Document) -> dict:
    return {
        "doc_id": doc.doc_id,
        "text": doc.text,
        "title": doc.title,
        "year": doc.year,
        "pmid": doc.pmid,
        "doi": doc.doi,
        "source": doc.source,
    }


def shard_bytes(docs: Sequence[Document]) -> bytes:
    lines = [
        json.dumps(shard_record(d), ensure_ascii=False) + "\n"
        for d in sorted(docs, key=lambda d: d.doc_id)
    ]
    return "".join(lines).encode("utf-8")


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write atomically unless the file already holds exactly these bytes."""
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    with atomic_open(path, "wb") as fh:
        fh.write(data)
    return True


def write_shards(docs: Sequence[Document], n_shards: int, out_dir: Path) -> pd.DataFrame:
    """Write shards/NNN.jsonl for every shard (empty when no document); the shards table."""
    shard_dir = out_dir / "shards"
    shard_dir.mkdir(parents=True, exist_ok=True)
    groups: dict[int, list[Document]] = {i: [] for i in range(n_shards)}
    for doc in docs:
        if doc.ok:
            groups[shard_of(doc.doc_id, n_shards)].append(doc)
    wanted = set()
    rows = []
    n_written = 0
    for shard, members in groups.items():
        label = shard_label(shard, n_shards)
        path = shard_dir / f"{label}.jsonl"
        wanted.add(path.name)
        n_written += write_if_changed(path, shard_bytes(members))
        rows.append({"shard": label, "n_documents": str(len(members)), "sha256": sha256_file(path)})
    # Shards of an earlier run with more shards would be silently stale: remove them.
    for stale in shard_dir.iterdir():
        if re.fullmatch(r"\d{3,}\.jsonl", stale.name) and stale.name not in wanted:
            stale.unlink()
    log.info("%d of %d shard files changed", n_written, n_shards)
    return pd.DataFrame(rows, columns=SHARD_COLUMNS, dtype=str)


def collect(
    inputs: Sequence[str | Path],
    n_shards: int,
    out_dir: str | Path,
    optional: Sequence[str | Path] = (),
    cache_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Read, deduplicate and shard every document; returns the documents table."""
    if n_shards < 1:
        raise MirlensError(f"--n-shards must be at least 1 (got {n_shards})")
    paths = check_inputs(inputs, optional)
    out_dir = Path(out_dir)
    docs = deduplicate(iter_documents(paths, cache_dir=cache_dir))
    table = documents_table(docs, n_shards)
    shards = write_shards(docs, n_shards, out_dir)
    write_tsv(table, out_dir / "documents.tsv")
    write_tsv(shards, out_dir / "shards.tsv")
    n_ok = int((table["status"] == "ok").sum())
    log.info(
        "%d documents in %d shards, %d skipped -> %s", n_ok, n_shards, len(table) - n_ok, out_dir
    )
    return table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--inputs",
        nargs="+",
        default=[],
        metavar="PATH",
        help="document files or folders (recursed), PubMed/Europe PMC JSONL outputs; "
        "a missing path is an error",
    )
    parser.add_argument(
        "--optional-inputs",
        nargs="+",
        default=[],
        metavar="PATH",
        help="folders that may be missing or empty (e.g. the user's drop folder)",
    )
    parser.add_argument("--n-shards", type=int, required=True, help="number of shards")
    parser.add_argument(
        "--cache-dir",
        default=None,
        help="optional cache of parsed PDF/HTML/XML/JSON files, keyed by their content hash",
    )
    parser.add_argument(
        "--out-dir", required=True, help="writes documents.tsv, shards.tsv, shards/"
    )


def run(args: argparse.Namespace) -> int:
    collect(
        args.inputs,
        args.n_shards,
        args.out_dir,
        optional=args.optional_inputs,
        cache_dir=args.cache_dir,
    )
    return 0
