"""`mirlens collect`: read every document once and group the documents into stable shards.

A document's shard depends only on its doc_id (jump hash, `shards.py`), so adding
documents changes only the shards they land in, and a shard whose documents did not
change is byte-identical (and is not rewritten, so its modification time is kept too).

Documents stream to per-shard spool files while they are read, so memory holds one shard
(plus one row of metadata per document), not the whole literature set. Duplicates of a
doc_id always share a shard, so each shard is deduplicated on its own: the richest text
(the longest) is kept, and the other copies become rows saying which copy was kept and why.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mirlens import contracts
from mirlens.errors import MirlensError
from mirlens.io import atomic_open, sha256_file, write_tsv
from mirlens.literature.readers import Document, display_path, iter_documents
from mirlens.literature.shards import shard_label, shard_of

log = logging.getLogger(__name__)

DOCUMENT_COLUMNS = list(contracts.DOCUMENTS)
SHARD_COLUMNS = ["shard", "n_documents", "sha256"]
RECORD_KEYS = ["doc_id", "text", "title", "year", "pmid", "doi", "source"]
SPOOL_FLUSH_BYTES = 32 << 20  # buffered shard records written out beyond this

__all__ = ["collect", "shard_of", "shard_label", "DOCUMENT_COLUMNS"]


def check_inputs(inputs: Sequence[str | Path], optional: Sequence[str | Path] = ()) -> list[str]:
    """Inputs that exist; a missing required input is an error naming it."""
    present = []
    for path in inputs:
        if not os.path.lexists(path):
            raise MirlensError(f"literature input not found: {path}")
        present.append(str(path))
    for path in optional:
        if os.path.lexists(path):
            present.append(str(path))
        else:
            log.info("optional literature input %s does not exist; nothing read from it", path)
    return present


def _clean(value: object) -> str:
    """One-line cell text: titles may hold tabs or newlines, a TSV cell may not."""
    return " ".join(str(value).split()) if value is not None else ""


def document_row(doc: Document, n_shards: int) -> dict[str, str]:
    """The documents.tsv row of one Document (its text is not kept)."""
    return {
        "doc_id": doc.doc_id,
        "source": doc.source,
        "path": display_path(doc.path),
        "title": _clean(doc.title),
        "year": "" if doc.year is None else str(doc.year),
        "pmid": doc.pmid,
        "doi": doc.doi,
        "sha256": doc.sha256,
        "status": _clean(doc.status),
        "shard": shard_label(shard_of(doc.doc_id, n_shards), n_shards) if doc.ok else "",
        "n_chars": str(len(doc.text)),
    }


def documents_table(rows: Sequence[dict[str, str]]) -> pd.DataFrame:
    table = pd.DataFrame(list(rows), columns=DOCUMENT_COLUMNS, dtype=str)
    return table.sort_values(["doc_id", "path", "status"], kind="stable").reset_index(drop=True)


def shard_record(doc: Document) -> dict:
    return {k: getattr(doc, k) for k in RECORD_KEYS}


@dataclass
class Spool:
    """Shard records buffered in memory and appended to ``<dir>/<shard>.jsonl`` in bulk."""

    directory: Path
    buffers: dict[int, list[str]] = field(default_factory=dict)
    size: int = 0

    def __post_init__(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)  # left over by a killed run
        self.directory.mkdir(parents=True)

    def add(self, shard: int, row: int, doc: Document) -> None:
        line = json.dumps({"row": row, **shard_record(doc)}, ensure_ascii=False) + "\n"
        self.buffers.setdefault(shard, []).append(line)
        self.size += len(line)
        if self.size > SPOOL_FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        for shard, lines in self.buffers.items():
            with open(self.directory / f"{shard}.jsonl", "a", encoding="utf-8") as fh:
                fh.writelines(lines)
        self.buffers, self.size = {}, 0

    def load(self, shard: int) -> list[dict]:
        path = self.directory / f"{shard}.jsonl"
        if not path.is_file():
            return []
        with open(path, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh]

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def _text_key(rec: dict) -> str:
    return hashlib.sha256(rec["text"].encode("utf-8")).hexdigest()


def pick_richest(records: list[dict], rows: list[dict[str, str]]) -> list[dict]:
    """One record per doc_id: the longest text (then path, text digest, file order).

    The order is a property of the copies, not of the order the inputs were given in;
    every other copy's row says which copy was kept, and why.
    """
    by_id: dict[str, list[dict]] = {}
    for rec in records:
        by_id.setdefault(rec["doc_id"], []).append(rec)
    kept = []
    for doc_id in sorted(by_id):
        copies = sorted(
            by_id[doc_id],
            key=lambda r: (-len(r["text"]), rows[r["row"]]["path"], _text_key(r), r["row"]),
        )
        best = copies[0]
        kept.append(best)
        where, n_best = rows[best["row"]]["path"], len(best["text"])
        for other in copies[1:]:
            if other["text"] == best["text"]:
                why = f"duplicate doc_id, same text as the copy kept from {where}"
            elif len(other["text"]) < n_best:
                why = (
                    f"duplicate doc_id, shorter text ({len(other['text'])} chars) than the copy"
                    f" kept from {where} ({n_best} chars)"
                )
            else:
                why = f"duplicate doc_id, text as long as the copy kept from {where} (kept by path)"
            rows[other["row"]].update(status=f"skipped: {why}", shard="")
    return kept


def shard_bytes(records: Iterable[dict]) -> bytes:
    lines = [json.dumps({k: r[k] for k in RECORD_KEYS}, ensure_ascii=False) + "\n" for r in records]
    return "".join(lines).encode("utf-8")


def _ids(lines: set[bytes]) -> set[str]:
    return {json.loads(line)["doc_id"] for line in lines}


@dataclass
class Changes:
    shards: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0

    def count(self, old: bytes, new: bytes) -> None:
        """Tally one rewritten shard: which documents are new, changed or gone (only the
        lines that differ are parsed: a shard is one document per line)."""
        self.shards += 1
        before, after = set(old.splitlines()), set(new.splitlines())
        gone, came = _ids(before - after), _ids(after - before)
        self.added += len(came - gone)
        self.removed += len(gone - came)
        self.changed += len(came & gone)


def write_if_changed(path: Path, data: bytes, changes: Changes) -> None:
    """Write atomically unless the file already holds exactly these bytes."""
    old = path.read_bytes() if path.is_file() else b""
    if path.is_file() and old == data:
        return
    changes.count(old, data)
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def write_shards(
    spool: Spool, rows: list[dict[str, str]], n_shards: int, out_dir: Path
) -> pd.DataFrame:
    """Write shards/<label>.jsonl for every shard (empty when no document); the shards table."""
    shard_dir = out_dir / "shards"
    shard_dir.mkdir(parents=True, exist_ok=True)
    wanted, table, changes = set(), [], Changes()
    for shard in range(n_shards):
        label = shard_label(shard, n_shards)
        path = shard_dir / f"{label}.jsonl"
        wanted.add(path.name)
        kept = pick_richest(spool.load(shard), rows)
        write_if_changed(path, shard_bytes(kept), changes)
        table.append({"shard": label, "n_documents": str(len(kept)), "sha256": sha256_file(path)})
    # Shards of an earlier run with more shards would be silently stale: remove them.
    stale = [p for p in shard_dir.iterdir() if re.fullmatch(r"\d{3,}\.jsonl", p.name)]
    stale = [p for p in stale if p.name not in wanted]
    for path in stale:
        changes.count(path.read_bytes(), b"")
        path.unlink()
    log.info(
        "%d of %d shard files changed (%d documents added, %d changed, %d removed)%s",
        changes.shards - len(stale), n_shards, changes.added, changes.changed, changes.removed,
        f"; {len(stale)} shard files of a larger shard count removed" if stale else "",
    )  # fmt: skip
    return pd.DataFrame(table, columns=SHARD_COLUMNS, dtype=str)


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
    spool = Spool(out_dir / ".spool")
    rows: list[dict[str, str]] = []
    for doc in iter_documents(paths, cache_dir=cache_dir):
        rows.append(document_row(doc, n_shards))
        if doc.ok:
            spool.add(shard_of(doc.doc_id, n_shards), len(rows) - 1, doc)
    spool.flush()
    shards = write_shards(spool, rows, n_shards, out_dir)
    spool.remove()
    table = documents_table(rows)
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
