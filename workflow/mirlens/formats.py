"""Check a downloaded database file by its format, to the last record, before it is used.

A download that ends early but cleanly (a short Content-Length, a closed stream) or an
error message served with status 200 must never be renamed into place or written to the
lock file. Archives are read to the end (gzip, zip CRCs); text files are read line by
line: every line must fit the format, the file must end with a complete line, and it
must hold at least one record. The format comes from the file name (the inner name for
``.gz`` and zip members); Enrichr's ``geneSetLibrary?mode=text`` has no suffix.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from mirlens.errors import MirlensError

_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml")
_SEQUENCE = re.compile(rb"^[A-Za-z*.\-]+$")
_MIRBASE_ACC = re.compile(rb"^MI(MAT)?\d+$")


class FormatError(MirlensError):
    """The file is not what its name says (truncated, an error page, corrupt)."""


def check_file(path: str | Path, name: str) -> int:
    """Validate ``path`` (saved as ``name``) to its last record; return the record count."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise FormatError(f"{name}: empty file")
    with open(path, "rb") as fh:
        head = fh.read(4096)
    refuse_html(head, name)
    lower = name.lower()
    if lower.endswith(".gz"):
        return _check_gzip(path, name)
    if lower.endswith(".xlsx"):
        return _check_zip(path, name, members=False)
    if lower.endswith(".zip"):
        return _check_zip(path, name, members=True)
    with open(path, "rb") as fh:
        return check_lines(fh, name)


def refuse_html(head: bytes, name: str) -> None:
    start = head.lstrip()[:200].lower()
    if any(start.startswith(m) or m in start[:100] for m in _HTML_MARKERS):
        raise FormatError(
            f"{name}: the server sent an HTML/XML page instead of the data file "
            "(miRBase and others do this for moved or missing files)"
        )


def _check_gzip(path: Path, name: str) -> int:
    inner = name[: -len(".gz")]
    try:
        with gzip.open(path, "rb") as fh:
            head = fh.peek(4096)[:4096] if hasattr(fh, "peek") else b""
            refuse_html(head, inner)
            return check_lines(fh, inner)
    except (OSError, EOFError, zlib.error) as exc:
        raise FormatError(f"{name}: not a complete gzip file ({exc})") from None


def _check_zip(path: Path, name: str, members: bool) -> int:
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            if bad is not None:
                raise FormatError(f"{name}: zip member {bad} is corrupt (CRC mismatch)")
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if not infos:
                raise FormatError(f"{name}: empty zip archive")
            if not members:  # xlsx: a readable workbook container is what we can check
                if "xl/workbook.xml" not in zf.namelist():
                    raise FormatError(f"{name}: not an Excel workbook (no xl/workbook.xml)")
                return len(infos)
            n = 0
            for info in infos:
                if info.filename.startswith("__MACOSX/"):
                    continue
                with zf.open(info) as fh:
                    n += check_lines(fh, f"{name}:{info.filename}")
            return n
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise FormatError(f"{name}: not a complete zip file ({exc})") from None


# ---------------------------------------------------------------- line formats


def check_lines(lines: Iterable[bytes], name: str) -> int:
    """Validate a stream of byte lines by the format ``name`` implies; return records."""
    checker = _checker_for(name)
    last = b"\n"

    def track() -> Iterator[bytes]:
        nonlocal last
        for line in lines:
            last = line
            yield line

    n = checker(track(), name)
    if not last.endswith(b"\n"):
        raise FormatError(f"{name}: ends in the middle of a line (download cut short?)")
    if n == 0:
        raise FormatError(f"{name}: no records (an error message instead of the data?)")
    return n


def _checker_for(name: str) -> Callable[[Iterator[bytes], str], int]:
    base = Path(name.split(":")[-1]).name.lower().split("__", 1)[0]
    suffix = Path(base).suffix
    if suffix in (".fa", ".fasta", ".fna"):
        return _fasta
    if suffix in (".gff3", ".gff"):
        return _gff
    if suffix == ".gmt" or base.startswith("genesetlibrary"):
        return _gmt
    if suffix == ".csv":
        return _csv
    if suffix == ".dat":
        return _embl_dat
    if base == "aliases.txt":
        return _aliases
    return _tabular


def _fail(name: str, lineno: int, problem: str, line: bytes) -> FormatError:
    text = line[:60].decode("utf-8", "replace").rstrip("\n")
    return FormatError(f"{name}: line {lineno}: {problem}: {text!r}")


def _fasta(lines: Iterator[bytes], name: str) -> int:
    records, seq_lines = 0, 0
    for i, line in enumerate(lines, 1):
        s = line.rstrip(b"\r\n")
        if s.startswith(b">"):
            if records and not seq_lines:
                raise _fail(name, i, "FASTA record without a sequence", line)
            records, seq_lines = records + 1, 0
        elif not s:
            continue
        elif not records:
            raise _fail(name, i, "expected a FASTA header ('>')", line)
        elif not _SEQUENCE.match(s):
            raise _fail(name, i, "not a sequence line", line)
        else:
            seq_lines += 1
    if records and not seq_lines:
        raise FormatError(f"{name}: the last FASTA record has no sequence (cut short?)")
    return records


def _gff(lines: Iterator[bytes], name: str) -> int:
    n = 0
    for i, line in enumerate(lines, 1):
        s = line.rstrip(b"\r\n")
        if not s or s.startswith(b"#"):
            continue
        if s.count(b"\t") != 8:
            raise _fail(name, i, "a GFF3 feature line needs 9 tab-separated columns", line)
        n += 1
    return n


def _gmt(lines: Iterator[bytes], name: str) -> int:
    n = 0
    for i, line in enumerate(lines, 1):
        s = line.rstrip(b"\r\n")
        if not s.strip():
            continue
        fields = s.split(b"\t")
        if len(fields) < 3 or not fields[0].strip():
            raise _fail(name, i, "a gene-set line needs NAME<TAB>DESCRIPTION<TAB>GENES", line)
        n += 1
    return n


def _aliases(lines: Iterator[bytes], name: str) -> int:
    n = 0
    for i, line in enumerate(lines, 1):
        fields = line.rstrip(b"\r\n").split(b"\t")
        if len(fields) != 2 or not _MIRBASE_ACC.match(fields[0]) or not fields[1]:
            raise _fail(name, i, "expected ACCESSION<TAB>names;", line)
        n += 1
    return n


def _embl_dat(lines: Iterator[bytes], name: str) -> int:
    """miRBase miFam.dat: EMBL-style records (ID, AC, MI lines) each closed by '//'."""
    n, open_record = 0, False
    for i, line in enumerate(lines, 1):
        s = line.rstrip(b"\r\n")
        if not s:
            continue
        if s.startswith(b"//"):
            if not open_record:
                raise _fail(name, i, "'//' without a record", line)
            n, open_record = n + 1, False
        elif s[:2].isalpha() and s[:2].isupper() and (len(s) == 2 or s[2:3] == b" "):
            open_record = True
        else:
            raise _fail(name, i, "expected an EMBL-style line ('XX   ...') or '//'", line)
    if open_record:
        raise FormatError(f"{name}: the last record is not closed by '//' (cut short?)")
    return n


def _tabular(lines: Iterator[bytes], name: str) -> int:
    """Tab-separated text: every line has as many columns as the first one."""
    width, n = None, 0
    for i, line in enumerate(lines, 1):
        s = line.rstrip(b"\r\n")
        if not s:
            continue
        cols = s.count(b"\t") + 1
        if width is None:
            width = cols
            if cols < 2:
                raise _fail(name, i, "expected tab-separated columns", line)
            continue
        if cols != width:
            raise _fail(name, i, f"{cols} columns where the first line has {width}", line)
        n += 1
    return n  # lines after the first (a header, or miRDB's first prediction)


def _csv(lines: Iterator[bytes], name: str) -> int:
    text = io.TextIOWrapper(_Reader(lines), encoding="utf-8", errors="replace", newline="")
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader, None)
        if not header or len(header) < 2:
            raise FormatError(f"{name}: expected a CSV header with columns")
        n = 0
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                raise FormatError(
                    f"{name}: line {reader.line_num}: {len(row)} fields where the header "
                    f"has {len(header)}"
                )
            n += 1
    except csv.Error as exc:
        raise FormatError(f"{name}: line {reader.line_num}: broken CSV ({exc})") from None
    return n


class _Reader(io.RawIOBase):
    """A readable binary stream over an iterator of byte lines (for TextIOWrapper)."""

    def __init__(self, lines: Iterator[bytes]) -> None:
        self._lines = iter(lines)
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._buf:
            try:
                self._buf = next(self._lines)
            except StopIteration:
                return 0
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n
