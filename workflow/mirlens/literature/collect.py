"""`mirlens collect`: read every document once and group the documents into stable shards.

Shards follow the inputs (`shards.py`): a new file makes new shards, documents appended
to a file change only its last shard, and a shard whose documents did not change is
byte-identical (and is not rewritten, so its modification time is kept too).

Documents stream to one spool file while they are read, so memory holds one shard (plus
one row of metadata per document), not the whole literature set. When two inputs carry
the same doc_id, the richest text (the longest) is kept, and the other copies become rows
saying which copy was kept and why.

With a cache folder, a rerun parses only files that changed since the last one
(`reuse.py` says how that is decided) and leaves shards made of unchanged files unread.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import time
from bisect import bisect_left
from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from mirlens import contracts
from mirlens.errors import MirlensError
from mirlens.io import atomic_open, write_text_rows
from mirlens.literature import reuse
from mirlens.literature.readers import (
    READER_VERSION,
    Document,
    display_path,
    iter_paths,
    read_path,
)
from mirlens.literature.shards import Shard, is_shard_file, plan_shards

if TYPE_CHECKING:  # pandas only for the Python API: the command never imports it
    import pandas as pd

log = logging.getLogger(__name__)

DOCUMENT_COLUMNS = list(contracts.DOCUMENTS)
SHARD_COLUMNS = ["shard", "n_documents", "sha256"]
RECORD_KEYS = ["doc_id", "text", "title", "year", "pmid", "doi", "source"]
Row = list[str]  # a documents.tsv row, cells in DOCUMENT_COLUMNS order
DOC_ID, PATH, SHA256, STATUS, SHARD, N_CHARS = (
    DOCUMENT_COLUMNS.index(c) for c in ("doc_id", "path", "sha256", "status", "shard", "n_chars")
)
# What decides the recorded rows and shard bytes: bump when the rows or records change.
INDEX_VERSION = f"{READER_VERSION}:1"

__all__ = ["collect", "collect_rows", "DOCUMENT_COLUMNS"]


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


def document_row(doc: Document) -> Row:
    """The documents.tsv row of one Document (its text is not kept; its shard comes later)."""
    year = "" if doc.year is None else str(doc.year)
    return [
        *(doc.doc_id, doc.source, display_path(doc.path), _clean(doc.title), year),
        *(doc.pmid, doc.doi, doc.sha256, _clean(doc.status), "", str(len(doc.text))),
    ]


def pick_richest(rows: list[Row], ok: list[int]) -> set[int]:
    """Rows kept, one per doc_id: the longest text (then path, text digest, reading order).

    The order is a property of the copies, not of the order the inputs were given in;
    every other copy's row says which copy was kept, and why.
    """
    ids = [rows[i][DOC_ID] for i in ok]
    if len(set(ids)) == len(ids):  # the common case: no doc_id twice
        return set(ok)
    by_id: dict[str, list[int]] = {}
    for i in ok:
        by_id.setdefault(rows[i][DOC_ID], []).append(i)
    kept = set()
    for copies in by_id.values():
        if len(copies) == 1:
            kept.add(copies[0])
            continue
        copies.sort(key=lambda i: (-int(rows[i][N_CHARS]), rows[i][PATH], rows[i][SHA256], i))
        best = rows[copies[0]]
        kept.add(copies[0])
        where, n_best = best[PATH], int(best[N_CHARS])
        for i in copies[1:]:
            other, n = rows[i], int(rows[i][N_CHARS])
            if other[SHA256] == best[SHA256]:
                why = f"duplicate doc_id, same text as the copy kept from {where}"
            elif n < n_best:
                why = (
                    f"duplicate doc_id, shorter text ({n} chars) than the copy"
                    f" kept from {where} ({n_best} chars)"
                )
            else:
                why = f"duplicate doc_id, text as long as the copy kept from {where} (kept by path)"
            other[STATUS] = f"skipped: {why}"
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


def file_rows(rows: list[Row]) -> dict[str, list[int]]:
    """Each file's rows in reading order (files in reading order). Skipped copies count,
    so that dropping a duplicate never shifts the shards of the rest of its file."""
    out: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        out.setdefault(row[PATH], []).append(i)
    return out


@dataclass
class Assignment:
    """Where each kept row goes (shard, piece), how many documents each shard gets, and
    each file's rows (a row's position in its file is its index there)."""

    rows: dict[int, tuple[str, str]]
    counts: dict[str, int]
    files: dict[str, list[int]]


def assign(rows: list[Row], kept: set[int], shard_docs: int) -> tuple[list, Assignment]:
    """The shard plan of the inputs (shards that keep no document dropped) and each kept
    row's shard and piece; fills the rows' shard column."""
    files = file_rows(rows)
    shards = plan_shards([(path, len(idx)) for path, idx in files.items()], shard_docs)
    out: dict[int, tuple[str, str]] = {}
    counts: dict[str, int] = {}
    for shard in shards:
        for piece in shard.pieces:  # pieces are runs of a file's rows
            for i in files[piece.path][piece.start : piece.end]:
                if i in kept:
                    out[i] = (shard.label, piece.label)
                    rows[i][SHARD] = shard.label
                    counts[shard.label] = counts.get(shard.label, 0) + 1
    return [s for s in shards if s.label in counts], Assignment(out, counts, files)


def spool_shards(spool: Path, plan: Assignment, skip: Container[str]):
    """(shard label, bytes) of every shard not in ``skip``, streamed from the spool; a
    shard's buffer is released as soon as its last document is read. Shards are runs of
    the reading order, so about one shard is held at a time (files read again for a shard
    come last; their lines are put back in reading order)."""
    buffers: dict[str, list[tuple[int, bytes]]] = {}
    with open(spool, "rb") as fh:
        for line in fh:
            row, _tab, record = line.partition(b"\t")
            where = plan.rows.get(int(row))
            if where is None or where[0] in skip:  # a duplicate not kept, a shard kept as is
                continue
            label, piece = where
            # the spooled record is a JSON object: its piece goes in before the closing brace
            # (what json.dumps of the record with the key added gives, without parsing it)
            line = record.rstrip(b"\n")[:-1] + f', "piece": "{piece}"}}\n'.encode()
            buffers.setdefault(label, []).append((int(row), line))
            if len(buffers[label]) == plan.counts[label]:
                yield label, b"".join(line for _row, line in sorted(buffers.pop(label)))


def write_shards(spool: Path, shards: list[Shard], plan: Assignment, out_dir: Path, run: Run):
    """Write shards/<label>.jsonl for every shard not kept as is; the shards table rows (in
    reading order) and every shard file's record."""
    shard_dir = out_dir / "shards"
    shard_dir.mkdir(parents=True, exist_ok=True)
    changes, seen = Changes(), dict(run.kept)
    for label, data in spool_shards(spool, plan, run.kept):
        path = shard_dir / f"{label}.jsonl"
        write_if_changed(path, data, changes)
        seen[label] = reuse.observe(str(path), run.start_ns)
    table = [(s.label, str(plan.counts[s.label]), seen[s.label].sha256) for s in shards]
    # Shards no document falls in any more would be silently stale: remove them.
    wanted = {f"{s.label}.jsonl" for s in shards}
    stale = [p for p in shard_dir.iterdir() if is_shard_file(p.name) and p.name not in wanted]
    for path in sorted(stale):
        changes.count(path.read_bytes(), b"")
        path.unlink()
    log.info(
        "%d of %d shard files changed (%s); %d unchanged since the last collect kept unread",
        changes.shards, len(shards), changes.summary(), len(run.kept),
    )  # fmt: skip
    return table, seen


@dataclass
class Run:
    """One collect: the index of the last one (None: reuse off), what this one read."""

    old: reuse.Index | None
    start_ns: int
    cache_dir: str | Path | None
    rows: list[Row] = field(default_factory=list)
    spans: list[tuple[str, int, int]] = field(default_factory=list)  # path, rows [first, end)
    files: dict[str, tuple[reuse.Seen, list[tuple[str, ...]]]] = field(default_factory=dict)
    fresh: set[str] = field(default_factory=set)  # files read this run (records spooled)
    kept: dict[str, reuse.Seen] = field(default_factory=dict)  # shards known unchanged


def spool_record(fh: TextIO, row: int, doc: Document) -> None:
    record = {k: getattr(doc, k) for k in RECORD_KEYS}
    fh.write(f"{row}\t{json.dumps(record, ensure_ascii=False)}\n")


def read_one(run: Run, path: str, fh: TextIO) -> None:
    """The rows of one file: the recorded ones when it is unchanged, else read (records
    spooled) and recorded when its content is known."""
    first, rows = len(run.rows), run.rows
    entry = run.old.files.get(path) if run.old is not None else None
    seen = reuse.still(path, entry[0], run.start_ns) if entry else None
    if entry and seen:
        rows.extend(map(list, entry[1]))
        values = entry[1]
    else:
        before = reuse.observe(path, run.start_ns) if run.old is not None else None
        for doc in read_path(path, run.cache_dir):
            rows.append(document_row(doc))
            if doc.ok:
                spool_record(fh, len(rows) - 1, doc)
        seen = reuse.unmoved(path, before)
        values = list(map(tuple, rows[first:]))  # as read: dedup and plan fill them in later
        run.fresh.add(path)
    run.spans.append((path, first, len(rows)))
    if seen is not None:
        run.files[path] = (seen, values)


def read_again(run: Run, span: tuple[str, int, int], fh: TextIO) -> None:
    """Spool the records of an unchanged file whose rows were reused (a shard it is in
    must be rebuilt); its documents must be the recorded ones."""
    path, first, end = span
    row = first
    for doc in read_path(path, run.cache_dir):
        if row >= end or (run.rows[row][DOC_ID], run.rows[row][SHA256]) != (
            doc.doc_id,
            doc.sha256,
        ):
            raise MirlensError(f"{path} changed while collect read it; run collect again")
        if doc.ok:
            spool_record(fh, row, doc)
        row += 1
    if row != end:
        raise MirlensError(f"{path} changed while collect read it; run collect again")


def signatures(shards: list[Shard], run: Run, kept: set[int], plan: Assignment) -> dict[str, str]:
    """shard label -> digest of what decides its bytes: each piece's label, file content
    and range, and the positions in it of documents not kept (duplicates, skipped); shards
    with a file of unknown content have none."""
    digests: dict[str, str | None] = {}
    for path, _first, _end in run.spans:
        shown = display_path(path)  # shards name files as documents.tsv does
        sha = run.files[path][0].sha256 if path in run.files else None
        digests[shown] = sha if digests.get(shown, sha) == sha else None
    dropped = {  # positions in its file of the rows not kept
        path: [k for k, i in enumerate(idx) if i not in kept] for path, idx in plan.files.items()
    }
    out = {}
    for shard in shards:
        parts = []
        for p in shard.pieces:
            gone = dropped.get(p.path, [])
            gone = gone[bisect_left(gone, p.start) : bisect_left(gone, p.end)]
            parts.append((p.label, p.path, digests.get(p.path), p.start, p.end, gone))
        if all(part[2] is not None for part in parts):
            out[shard.label] = hashlib.sha256(repr(parts).encode()).hexdigest()
    return out


def keep_unchanged(run: Run, sigs: dict[str, str], shard_dir: Path) -> None:
    """The shards whose inputs and plan are the recorded ones and whose file still holds
    the recorded bytes: neither rebuilt nor compared."""
    for label, sig in sigs.items():
        entry = run.old.shards.get(label) if run.old is not None else None
        if entry is not None and entry[0] == sig:
            seen = reuse.still(str(shard_dir / f"{label}.jsonl"), entry[1], run.start_ns)
            if seen is not None:
                run.kept[label] = seen


def sorted_rows(rows: list[Row]) -> list[Row]:
    """documents.tsv rows by doc_id, path, status (a stable sort, as pandas' was)."""
    return sorted(rows, key=itemgetter(DOC_ID, PATH, STATUS))


def collect_rows(
    inputs: Sequence[str | Path],
    shard_docs: int,
    out_dir: str | Path,
    optional: Sequence[str | Path] = (),
    cache_dir: str | Path | None = None,
) -> list[Row]:
    """Read, deduplicate and shard every document; returns the documents table's rows.

    With ``cache_dir``, files unchanged since the last collect into ``out_dir`` are not
    read again and shards made only of them are not rebuilt (rule: `reuse.py`)."""
    if shard_docs < 1:
        raise MirlensError(f"--shard-docs must be at least 1 (got {shard_docs})")
    paths = check_inputs(inputs, optional)
    out_dir = Path(out_dir)
    where = reuse.index_path(cache_dir, out_dir) if cache_dir is not None else None
    old = reuse.load(where, INDEX_VERSION) if where is not None else None
    run = Run(old, time.time_ns(), cache_dir)
    spool_dir = out_dir / ".spool"
    shutil.rmtree(spool_dir, ignore_errors=True)  # left over by a killed run
    spool_dir.mkdir(parents=True)
    spool = spool_dir / "documents.tsv"
    with open(spool, "w", encoding="utf-8") as fh:
        for path in iter_paths(paths):
            read_one(run, path, fh)
        rows = run.rows
        kept = pick_richest(rows, [i for i, r in enumerate(rows) if r[STATUS] == "ok"])
        shards, plan = assign(rows, kept, shard_docs)
        sigs = signatures(shards, run, kept, plan)
        keep_unchanged(run, sigs, out_dir / "shards")
        for span in run.spans:
            if span[0] not in run.fresh and needed(span, plan, run.kept):
                read_again(run, span, fh)
    table_shards, seen = write_shards(spool, shards, plan, out_dir, run)
    shutil.rmtree(spool_dir, ignore_errors=True)
    table = sorted_rows(rows)
    write_text_rows(table, DOCUMENT_COLUMNS, out_dir / "documents.tsv")
    write_text_rows(table_shards, SHARD_COLUMNS, out_dir / "shards.tsv")
    if where is not None:
        done = {label: (sig, seen[label]) for label, sig in sigs.items()}
        reuse.store(where, INDEX_VERSION, reuse.Index(run.files, done))
    log.info(
        "%d documents in %d shards, %d skipped -> %s; %d of %d files unchanged, not read",
        len(kept), len(shards), len(table) - len(kept), out_dir,
        len(run.spans) - len(run.fresh), len(run.spans),
    )  # fmt: skip
    return table


def needed(span: tuple[str, int, int], plan: Assignment, kept: Container[str]) -> bool:
    """Whether a reused file has a document in a shard that is rebuilt."""
    for i in range(span[1], span[2]):
        where = plan.rows.get(i)
        if where is not None and where[0] not in kept:
            return True
    return False


def collect(
    inputs: Sequence[str | Path],
    shard_docs: int,
    out_dir: str | Path,
    optional: Sequence[str | Path] = (),
    cache_dir: str | Path | None = None,
) -> pd.DataFrame:
    """:func:`collect_rows` as a table (strings)."""
    import pandas as pd

    rows = collect_rows(inputs, shard_docs, out_dir, optional, cache_dir)
    return pd.DataFrame(rows, columns=DOCUMENT_COLUMNS, dtype=str)


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
        help="optional cache of parsed PDF/HTML/XML/JSON files, keyed by their content hash, "
        "and of the rows of files unchanged since the last collect (not parsed again)",
    )
    parser.add_argument(
        "--out-dir", required=True, help="writes documents.tsv, shards.tsv, shards/"
    )


def run(args: argparse.Namespace) -> int:
    collect_rows(
        args.inputs,
        args.shard_docs,
        args.out_dir,
        optional=args.optional_inputs,
        cache_dir=args.cache_dir,
    )
    return 0
