"""Read documents of any supported format into :class:`Document` records.

Supported: plain text / Markdown, JSONL records, PDF (text layer), HTML (visible text),
PubMed XML (efetch ``PubmedArticleSet``), PMC JATS XML, BioC XML and BioC JSON; any of
them gzip-compressed (``name.ext.gz``). A file that cannot be read becomes a Document with
``status="skipped: <reason>"`` and empty text; readers never raise for bad input, so one
bad document never stops the others.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
JSON_SUFFIXES = {".json"}
PDF_SUFFIXES = {".pdf"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
XML_SUFFIXES = {".xml", ".nxml"}


@dataclass(frozen=True)
class Document:
    doc_id: str  # stable: PMID / PMCID / DOI where known, else content hash ("sha256:" + 16 hex)
    text: str  # the text as read; mention offsets point into this exact string
    source: str  # "file", "jsonl", "pubmed", "europepmc", ...
    path: str  # file path (as given) or query
    title: str = ""
    year: int | None = None
    pmid: str = ""
    doi: str = ""
    sha256: str = ""  # of the document text (utf-8)
    status: str = "ok"  # "ok" or "skipped: <reason>"

    @property
    def ok(self) -> bool:
        return self.status == "ok"


# --------------------------------------------------------------------------- helpers


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_id(data: bytes | str) -> str:
    """The fallback doc_id: ``sha256:`` + the first 16 hex digits of the content hash."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return "sha256:" + hashlib.sha256(data).hexdigest()[:16]


def parse_year(value: object) -> int | None:
    """A 4-digit year from an int or a date-like string ('2019', '2019 Mar-Apr', '2019-03')."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1000 <= value <= 9999 else None
    match = re.search(r"(?<!\d)(\d{4})(?!\d)", str(value))
    return int(match.group(1)) if match else None


def make_document(
    text: str,
    *,
    source: str,
    path: str,
    doc_id: str = "",
    title: str = "",
    year: int | None = None,
    pmid: str = "",
    doi: str = "",
) -> Document:
    """An ok Document, or a skipped one when there is no text."""
    pmid, doi = str(pmid or "").strip(), str(doi or "").strip()
    doc_id = str(doc_id or "").strip() or pmid or doi or content_id(text)
    if not text.strip():
        return skipped(path, source, "no text", doc_id=doc_id, title=title, pmid=pmid, doi=doi)
    return Document(
        doc_id=doc_id,
        text=text,
        source=source,
        path=path,
        title=title.strip(),
        year=year,
        pmid=pmid,
        doi=doi,
        sha256=text_sha256(text),
    )


def skipped(
    path: str,
    source: str,
    reason: str,
    *,
    doc_id: str = "",
    data: bytes | None = None,
    title: str = "",
    pmid: str = "",
    doi: str = "",
) -> Document:
    """A skipped Document; its id is the given one, else the hash of the raw bytes or path."""
    if not doc_id:
        doc_id = content_id(data) if data else content_id(path)
    reason = " ".join(str(reason).split())[:300]
    log.warning("skipped %s (%s): %s", path, doc_id, reason)
    return Document(
        doc_id=doc_id,
        text="",
        source=source,
        path=path,
        title=title,
        pmid=pmid,
        doi=doi,
        status=f"skipped: {reason}",
    )


class SkipDocument(Exception):
    """Raised inside a reader to turn the whole file into a skipped Document."""


def decode_text(data: bytes) -> str:
    """Decode bytes as UTF-8 (BOM allowed), else detect the encoding; refuse binary data."""
    if not data.strip():
        raise SkipDocument("empty file")
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise SkipDocument(f"invalid {codec} text: {exc.reason}") from exc
    if b"\x00" in data[:8192]:
        raise SkipDocument("binary content (NUL bytes), not a text document")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise SkipDocument("cannot decode text: not UTF-8 and no encoding detected")
    text = str(best)
    # Detected "text" full of control characters is binary data that happened to decode.
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    if controls > max(2, len(text) // 100):
        raise SkipDocument("binary content (control characters), not a text document")
    log.info("decoded as %s", best.encoding)
    return text


# --------------------------------------------------------------------------- readers


def read_text(data: bytes, path: str) -> Iterator[Document]:
    text = decode_text(data)
    yield make_document(text, source="file", path=path, title=first_line(text))


def first_line(text: str, limit: int = 200) -> str:
    """The first non-empty line (Markdown heading marks removed), as a plain-text title."""
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:limit]
    return ""


def read_jsonl(data: bytes, path: str) -> Iterator[Document]:
    """One Document per record ``{"doc_id", "text"}`` (or ``title`` + ``abstract``)."""
    text = decode_text(data)
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            yield skipped(
                path, "jsonl", f"line {lineno}: invalid JSON ({exc.msg})", data=line.encode()
            )
            continue
        if not isinstance(rec, dict):
            yield skipped(path, "jsonl", f"line {lineno}: not a JSON object", data=line.encode())
            continue
        yield record_document(rec, path, lineno)


def _str(value: object) -> str:
    return "" if value is None else str(value).strip()


def record_document(rec: dict, path: str, lineno: int | None = None) -> Document:
    """A Document from one JSON record (our JSONL form, or title + abstract records)."""
    where = f"line {lineno}: " if lineno is not None else ""
    source = _str(rec.get("source")) or "jsonl"
    title = _str(rec.get("title"))
    pmid, doi = _str(rec.get("pmid")), _str(rec.get("doi"))
    doc_id = _str(rec.get("doc_id")) or _str(rec.get("id"))
    text = rec.get("text")
    if text is None and ("abstract" in rec or "title" in rec):
        abstract = _str(rec.get("abstract"))
        text = "\n".join(part for part in (title, abstract) if part)
    if not isinstance(text, str):
        reason = "no text field" if text is None else "text is not a string"
        return skipped(path, source, where + reason, doc_id=doc_id, data=json.dumps(rec).encode())
    doc = make_document(
        text,
        source=source,
        path=path,
        doc_id=doc_id,
        title=title,
        year=parse_year(rec.get("year")),
        pmid=pmid,
        doi=doi,
    )
    if not doc.ok:
        doc = replace(doc, status=f"skipped: {where}no text")
    return doc


Reader = Callable[[bytes, str], Iterator[Document]]


def _reader_for(name: str) -> tuple[Reader | None, str]:
    """The reader for a file name (by suffix), and a format label."""
    suffix = Path(name).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return read_text, "text"
    if suffix in JSONL_SUFFIXES:
        return read_jsonl, "jsonl"
    return None, suffix or "no suffix"


def read_file(path: str | Path) -> Iterator[Document]:
    """Every Document in one file; problems become skipped Documents, never exceptions."""
    path_str = str(path)
    name = Path(path_str).name
    compressed = name.lower().endswith(".gz")
    if compressed:
        name = name[:-3]
    reader, label = _reader_for(name)
    if reader is None:
        yield skipped(path_str, "file", f"unsupported format ({label})")
        return
    try:
        with open(path_str, "rb") as fh:
            data = fh.read()
        if compressed:
            data = gzip.decompress(data)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        yield skipped(path_str, "file", f"cannot read file: {reason}")
        return
    try:
        yield from reader(data, path_str)
    except SkipDocument as exc:
        yield skipped(path_str, "file", str(exc), data=data)
    except Exception as exc:  # a broken file must not stop the others
        log.debug("reader failed on %s", path_str, exc_info=True)
        yield skipped(
            path_str, "file", f"{label} reader failed: {type(exc).__name__}: {exc}", data=data
        )


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def list_files(root: str | Path) -> list[str]:
    """Files under a directory, recursively, hidden files and folders ignored, sorted."""
    root = str(root)
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not _is_hidden(d))
        found.extend(os.path.join(dirpath, f) for f in filenames if not _is_hidden(f))
    return sorted(found, key=lambda p: Path(p).parts)


def iter_documents(inputs: Iterable[str | Path]) -> Iterator[Document]:
    """Documents from files and directories (recursed, sorted, hidden files ignored).

    A missing or unreadable path yields a skipped Document, never an exception.
    """
    for item in inputs:
        item_str = str(item)
        if os.path.isdir(item_str):
            for path in list_files(item_str):
                yield from read_file(path)
        elif os.path.exists(item_str):
            yield from read_file(item_str)
        else:
            yield skipped(item_str, "file", "no such file or directory")


__all__ = ["Document", "iter_documents", "read_file", "list_files", "content_id"]
