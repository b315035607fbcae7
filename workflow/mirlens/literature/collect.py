"""`mirlens collect`: read every document once and group the documents into stable shards.

Shards follow the inputs (`shards.py`): a new file makes new shards, documents appended
to a file change only its last shard, and a shard whose documents did not change is
byte-identical (and is not rewritten, so its modification time is kept too).

Documents stream to one spool file while they are read, so memory holds one shard (plus
one row of metadata per document), not the whole literature set. When two inputs carry
the same doc_id, the richest text (the longest) is kept, and the other copies become rows
saying which copy was kept and why.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mirlens import contracts
from mirlens.errors import MirlensError
from mirlens.io import atomic_open, sha256_file, write_tsv
from mirlens.literature.readers import Document, display_path, iter_documents
from mirlens.literature.shards import Shard, is_shard_file, locate, plan_shards

log = logging.getLogger(__name__)

DOCUMENT_COLUMNS = list(contracts.DOCUMENTS)
SHARD_COLUMNS = ["shard", "n_documents", "sha256"]
RECORD_KEYS = ["doc_id", "text", "title", "year", "pmid", "doi", "source"]

__all__ = ["collect", "DOCUMENT_COLUMNS"]


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


def document_row(doc: Document) -> dict[str, str]:
    """The documents.tsv row of one Document (its text is not kept; its shard comes later)."""
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
        "shard": "",
        "n_chars": str(len(doc.text)),
    }


def documents_table(rows: Sequence[dict[str, str]]) -> pd.DataFrame:
    table = pd.DataFrame(list(rows), columns=DOCUMENT_COLUMNS, dtype=str)
    return table.sort_values(["doc_id", "path", "status"], kind="stable").reset_index(drop=True)


def pick_richest(rows: list[dict[str, str]], ok: list[int]) -> set[int]:
    """Rows kept, one per doc_id: the longest text (then path, text digest, reading order).

    The order is a property of the copies, not of the order the inputs were given in;
    every other copy's row says which copy was kept, and why.
    """
    by_id: dict[str, list[int]] = {}
    for i in ok:
        by_id.setdefault(rows[i]["doc_id"], []).append(i)
    kept = set()
    for copies in by_id.values():
        copies.sort(key=lambda i: (-int(rows[i]["n_chars"]), rows[i]["path"], rows[i]["sha256"], i))
        best = rows[copies[0]]
        kept.add(copies[0])
        where, n_best = best["path"], int(best["n_chars"])
        for i in copies[1:]:
            other, n = rows[i], int(rows[i]["n_chars"])
            if other["sha256"] == best["sha256"]:
                why = f"duplicate doc_id, same text as the copy kept from {where}"
            elif n < n_best:
                why = (
                    f"duplicate doc_id, shorter text ({n} chars) than the copy"
                    f" kept from {where} ({n_best} chars)"
                )
            else:
                why = f"duplicate doc_id, text as long as the copy kept from {where} (kept by path)"
            other["status"] = f"skipped: {why}"
    return kept


def _texts(lines: set[bytes]) -> dict[str, str]:
    """doc_id -> digest of its text, of shard lines."""
    out = {}
    for line in lines:
        rec = json.loads(line)
        out[rec["doc_id"]] = hashlib.sha256(rec["text"].encode("utf-8")).hexdigest()
    return out


@dataclass
class Changes:
    """What the rewritten shards changed, by doc_id over all shards: a document that went
    to another shard is moved (same text) or changed, not one gone and one new."""

    shards: int = 0
    gone: dict[str, str] = field(default_factory=dict)
    came: dict[str, str] = field(default_factory=dict)

    def count(self, old: bytes, new: bytes) -> None:
        """Tally one rewritten shard (only the lines that differ are parsed)."""
        self.shards += 1
        before, after = set(old.splitlines()), set(new.splitlines())
        self.gone.update(_texts(before - after))
        self.came.update(_texts(after - before))

    def summary(self) -> str:
        both = self.came.keys() & self.gone.keys()
        moved = sum(self.came[i] == self.gone[i] for i in both)
        return (
            f"{len(self.came.keys() - both)} documents added, {len(both) - moved} changed,"
            f" {moved} moved, {len(self.gone.keys() - both)} removed"
        )


def write_if_changed(path: Path, data: bytes, changes: Changes) -> None:
    """Write atomically unless the file already holds exactly these bytes."""
    old = path.read_bytes() if path.is_file() else b""
    if path.is_file() and old == data:
        return
    changes.count(old, data)
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def file_sizes(rows: list[dict[str, str]]) -> tuple[list[tuple[str, int]], list[int]]:
    """(path, number of documents read from it) of every file in reading order, and each
    row's position in its file. Skipped copies count, so that dropping a duplicate never
    shifts the shards of the rest of its file."""
    sizes: dict[str, int] = {}
    positions = []
    for row in rows:
        positions.append(sizes.get(row["path"], 0))
        sizes[row["path"]] = positions[-1] + 1
    return list(sizes.items()), positions


@dataclass
class Assignment:
    """Where each kept row goes (shard, piece), and how many documents each shard gets."""

    rows: dict[int, tuple[str, str]]
    counts: dict[str, int]


def assign(rows: list[dict[str, str]], kept: set[int], shard_docs: int) -> tuple[list, Assignment]:
    """The shard plan of the inputs (shards that keep no document dropped) and each kept
    row's shard and piece; fills the rows' shard column."""
    files, positions = file_sizes(rows)
    shards = plan_shards(files, shard_docs)
    find = locate(shards)
    out: dict[int, tuple[str, str]] = {}
    counts: dict[str, int] = {}
    for i in sorted(kept):
        shard, piece = find(rows[i]["path"], positions[i])
        out[i] = (shard.label, piece.label)
        counts[shard.label] = counts.get(shard.label, 0) + 1
        rows[i]["shard"] = shard.label
    return [s for s in shards if s.label in counts], Assignment(out, counts)


def spool_shards(spool: Path, plan: Assignment):
    """(shard label, bytes) of every shard, streamed from the spool in reading order; a
    shard's buffer is released as soon as its last document is read (shards are runs of
    the reading order, so about one shard is held at a time)."""
    buffers: dict[str, list[bytes]] = {}
    with open(spool, "rb") as fh:
        for line in fh:
            row, _tab, record = line.partition(b"\t")
            where = plan.rows.get(int(row))
            if where is None:  # a duplicate that was not kept
                continue
            label, piece = where
            # the spooled record is a JSON object: its piece goes in before the closing brace
            # (what json.dumps of the record with the key added gives, without parsing it)
            line = record.rstrip(b"\n")[:-1] + f', "piece": "{piece}"}}\n'.encode()
            buffers.setdefault(label, []).append(line)
            if len(buffers[label]) == plan.counts[label]:
                yield label, b"".join(buffers.pop(label))


def write_shards(spool: Path, shards: list[Shard], plan: Assignment, out_dir: Path) -> pd.DataFrame:
    """Write shards/<label>.jsonl for every shard; the shards table (in reading order)."""
    shard_dir = out_dir / "shards"
    shard_dir.mkdir(parents=True, exist_ok=True)
    changes, digests = Changes(), {}
    for label, data in spool_shards(spool, plan):
        path = shard_dir / f"{label}.jsonl"
        write_if_changed(path, data, changes)
        digests[label] = sha256_file(path)
    table = [
        {"shard": s.label, "n_documents": str(plan.counts[s.label]), "sha256": digests[s.label]}
        for s in shards
    ]
    # Shards no document falls in any more would be silently stale: remove them.
    wanted = {f"{s.label}.jsonl" for s in shards}
    stale = [p for p in shard_dir.iterdir() if is_shard_file(p.name) and p.name not in wanted]
    for path in sorted(stale):
        changes.count(path.read_bytes(), b"")
        path.unlink()
    log.info("%d of %d shard files changed (%s)", changes.shards, len(shards), changes.summary())
    return pd.DataFrame(table, columns=SHARD_COLUMNS, dtype=str)


def read_all(paths: list[str], spool: Path, cache_dir) -> list[dict[str, str]]:
    """Every document's row; the ok ones' records spooled as ``<row>\\t<json>`` lines."""
    rows: list[dict[str, str]] = []
    with open(spool, "w", encoding="utf-8") as fh:
        for doc in iter_documents(paths, cache_dir=cache_dir):
            rows.append(document_row(doc))
            if doc.ok:
                record = {k: getattr(doc, k) for k in RECORD_KEYS}
                fh.write(f"{len(rows) - 1}\t{json.dumps(record, ensure_ascii=False)}\n")
    return rows


def collect(
    inputs: Sequence[str | Path],
    shard_docs: int,
    out_dir: str | Path,
    optional: Sequence[str | Path] = (),
    cache_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Read, deduplicate and shard every document; returns the documents table."""
    if shard_docs < 1:
        raise MirlensError(f"--shard-docs must be at least 1 (got {shard_docs})")
    paths = check_inputs(inputs, optional)
    out_dir = Path(out_dir)
    spool_dir = out_dir / ".spool"
    shutil.rmtree(spool_dir, ignore_errors=True)  # left over by a killed run
    spool_dir.mkdir(parents=True)
    spool = spool_dir / "documents.tsv"
    rows = read_all(paths, spool, cache_dir)
    kept = pick_richest(rows, [i for i, r in enumerate(rows) if r["status"] == "ok"])
    shards, plan = assign(rows, kept, shard_docs)
    table_shards = write_shards(spool, shards, plan, out_dir)
    shutil.rmtree(spool_dir, ignore_errors=True)
    table = documents_table(rows)
    write_tsv(table, out_dir / "documents.tsv")
    write_tsv(table_shards, out_dir / "shards.tsv")
    log.info(
        "%d documents in %d shards, %d skipped -> %s",
        len(kept), len(shards), len(table) - len(kept), out_dir,
    )  # fmt: skip
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
    parser.add_argument(
        "--shard-docs", type=int, default=1000, help="documents per shard, about (default 1000)"
    )
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
        args.shard_docs,
        args.out_dir,
        optional=args.optional_inputs,
        cache_dir=args.cache_dir,
    )
    return 0
