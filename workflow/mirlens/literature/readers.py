"""Read documents of any supported format into :class:`Document` records.

Supported: plain text / Markdown, JSONL records, PDF (text layer), HTML (visible text),
PubMed XML (efetch ``PubmedArticleSet``), PMC JATS XML, BioC XML and BioC JSON; any of
them gzip-compressed (``name.ext.gz``). A file that cannot be read becomes a Document with
``status="skipped: <reason>"`` and empty text; readers never raise for bad input, so one
bad document never stops the others.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import io
import json
import logging
import os
import re
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
JSON_SUFFIXES = {".json"}
PDF_SUFFIXES = {".pdf"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
XML_SUFFIXES = {".xml", ".nxml"}


@dataclass(frozen=True)
class Document:
    # stable: PMID / PMCID / DOI where known, else content hash ("sha256:" + 16 hex; of
    # the text, or of the file's bytes for PDF, whose text extraction may vary by version)
    doc_id: str
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
        data = data.encode("utf-8", "surrogateescape")  # file names may hold any bytes
    return "sha256:" + hashlib.sha256(data).hexdigest()[:16]


def one_line(value: object) -> str:
    """Whitespace runs (tabs, newlines) as one space: ids and titles are table cells."""
    return " ".join(str(value or "").split())


def display_path(value: str) -> str:
    """A file name as printable one-line text: bytes that are not UTF-8 as ``\\xNN``,
    control characters (newline, tab, ...) as escapes, everything else unchanged."""
    text = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


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
    doc_id = one_line(doc_id) or pmid or doi or content_id(text)
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
    doc_id = one_line(doc_id)
    if not doc_id:
        doc_id = content_id(data) if data else content_id(path)
    reason = " ".join(str(reason).split())[:300]
    log.warning("skipped %s (%s): %s", display_path(path), doc_id, reason)
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
        return _utf16_without_bom(data)
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


def _utf16_without_bom(data: bytes) -> str:
    """UTF-16 text without a byte order mark (NULs in every other byte of mostly-ASCII
    text), else refuse the bytes as binary."""
    sample = data[:8192]
    for codec, zeros in (("utf-16-le", sample[1::2]), ("utf-16-be", sample[0::2])):
        if len(data) % 2 == 0 and zeros.count(0) > 0.9 * len(zeros):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                break
            log.info("decoded as %s (no byte order mark)", codec)
            return text
    raise SkipDocument("binary content (NUL bytes), not a text document")


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


MAX_LINE_BYTES = 16 << 20  # a JSONL record longer than this is skipped, not read


def read_jsonl(data: bytes, path: str) -> Iterator[Document]:
    """One Document per record ``{"doc_id", "text"}`` (or ``title`` + ``abstract``)."""
    yield from jsonl_documents(io.BytesIO(data), path)


def _lines(fh: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | None]]:
    """(number, bytes) of each line; None for a line longer than ``limit`` (not kept)."""
    lineno = 0
    while raw := fh.readline(limit + 1):
        lineno += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            while (rest := fh.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield lineno, None
        else:
            yield lineno, raw


def jsonl_documents(fh: BinaryIO, path: str) -> Iterator[Document]:
    """Documents of a JSONL stream; a bad line costs that line only, never the rest."""
    seen = False
    for lineno, raw in _lines(fh, MAX_LINE_BYTES):
        if raw is not None and lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if raw is not None and not raw.strip():
            continue
        seen = True
        try:
            yield jsonl_line(raw, lineno, path)
        except Exception as exc:  # whatever a line holds, the next line is still read
            reason = f"line {lineno}: unreadable record ({type(exc).__name__}: {exc})"
            yield skipped(path, "jsonl", reason, data=f"{path}:{lineno}".encode("utf-8", "replace"))
    if not seen:
        raise SkipDocument("empty file")


def jsonl_line(raw: bytes | None, lineno: int, path: str) -> Document:
    where = f"{path}:{lineno}".encode("utf-8", "surrogateescape")
    if raw is None:
        return skipped(
            path, "jsonl", f"line {lineno}: longer than {MAX_LINE_BYTES >> 20} MiB", data=where
        )
    try:
        line = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        return skipped(path, "jsonl", f"line {lineno}: not UTF-8 ({exc.reason})", data=raw)
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as exc:
        return skipped(path, "jsonl", f"line {lineno}: invalid JSON ({exc.msg})", data=raw)
    except RecursionError:
        return skipped(path, "jsonl", f"line {lineno}: JSON nested too deeply", data=raw)
    if not isinstance(rec, dict):
        return skipped(path, "jsonl", f"line {lineno}: not a JSON object", data=raw)
    return record_document(rec, path, lineno)


def _has_lone_surrogate(rec: dict) -> bool:
    """JSON may spell unpaired UTF-16 surrogates (\\ud800), which are not text."""
    for key in ("doc_id", "id", "text", "title", "abstract", "pmid", "doi", "source"):
        value = rec.get(key)
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def _str(value: object) -> str:
    return "" if value is None else str(value).strip()


def record_document(rec: dict, path: str, lineno: int | None = None) -> Document:
    """A Document from one JSON record (our JSONL form, or title + abstract records)."""
    where = f"line {lineno}: " if lineno is not None else ""
    if _has_lone_surrogate(rec):
        reason = where + "lone surrogate in a JSON string (not valid Unicode)"
        return skipped(path, "jsonl", reason, data=json.dumps(rec).encode())
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


def read_pdf(data: bytes, path: str) -> Iterator[Document]:
    """The PDF's text layer, page by page (no OCR: a scanned PDF is skipped)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise SkipDocument("encrypted PDF (password needed)")
        pages = list(reader.pages)
    except PdfReadError as exc:
        raise SkipDocument(f"invalid PDF: {exc}") from exc
    texts = []
    for number, page in enumerate(pages, start=1):
        try:
            texts.append(page.extract_text() or "")
        except Exception as exc:  # one broken page should not lose the others
            log.warning("%s: page %d unreadable: %s", path, number, exc)
    text = "\n".join(t for t in texts if t.strip())
    if not text.strip():
        raise SkipDocument("PDF has no text layer (scanned image? OCR is not done)")
    meta_title, doi = "", ""
    try:
        meta = reader.metadata or {}
        meta_title = _squash(meta.get("/Title") or "")
        doi = _squash(meta.get("/doi") or meta.get("/DOI") or "")
    except Exception:  # broken metadata is not worth losing the text for
        pass
    # Without a DOI the id is the hash of the file, not of the extracted text, so that a
    # change in the PDF library's text extraction does not change the id (or the shard).
    yield make_document(
        text,
        source="file",
        path=path,
        doc_id=doi or content_id(data),
        title=meta_title or first_line(text),
        doi=doi,
    )


# Elements after which browsers break the line; inline ones (b, i, sup, a) join their text.
HTML_BLOCKS = (
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 "
    "h6 header hr li main nav ol p pre section table td th tr ul caption"
).split()
HTML_INVISIBLE = ["script", "style", "noscript", "template", "head", "svg", "iframe", "object"]


def read_html(data: bytes, path: str) -> Iterator[Document]:
    """Visible text only: no script, style, head or hidden elements."""
    title, text = html_text(decode_text(data))
    yield make_document(text, source="file", path=path, title=title or first_line(text))


def html_text(markup: str) -> tuple[str, str]:
    """(title, visible text) of an HTML page or fragment; block elements end lines."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "lxml")
    title = _squash(soup.title.get_text()) if soup.title else ""
    for tag in soup(HTML_INVISIBLE):
        tag.decompose()
    for tag in soup.find_all(attrs={"hidden": True}):
        tag.decompose()
    for tag in soup.find_all(HTML_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    lines = (" ".join(line.split()) for line in soup.get_text().splitlines())
    return title, "\n".join(line for line in lines if line)


# --------------------------------------------------------------------------- XML formats


def local_name(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _squash(text: str) -> str:
    """XML/HTML whitespace is layout: collapse runs to one space."""
    return " ".join(str(text).split())


def _text(el) -> str:
    return _squash("".join(el.itertext())) if el is not None else ""


def _children(el, name: str) -> list:
    return [c for c in el if local_name(c.tag) == name]


def _first(el, *names: str):
    """The first descendant reached through the given chain of local names."""
    current = [el]
    for name in names:
        current = [c for parent in current for c in parent.iter() if local_name(c.tag) == name]
        if not current:
            return None
    return current[0]


def _all(el, name: str) -> list:
    return [c for c in el.iter() if local_name(c.tag) == name]


def parse_xml(data: bytes):
    """Parse XML refusing entity declarations and external references (XXE, billion laughs)."""
    import xml.etree.ElementTree as StdET

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        return fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise SkipDocument(
            f"unsafe XML refused ({type(exc).__name__}: entity declarations or external "
            "references are not allowed)"
        ) from exc
    except StdET.ParseError as exc:
        raise SkipDocument(f"invalid XML: {exc}") from exc


def read_xml(data: bytes, path: str) -> Iterator[Document]:
    root = parse_xml(data)
    kind = local_name(root.tag)
    if kind in ("PubmedArticleSet", "PubmedArticle", "PubmedBookArticle"):
        yield from pubmed_documents(root, path)
    elif kind in ("article", "pmc-articleset", "OAI-PMH", "articles"):
        yield from jats_documents(root, path)
    elif kind == "html":
        yield from read_html(data, path)
    elif kind == "collection":
        yield from bioc_documents([bioc_xml_document(d) for d in _children(root, "document")], path)
    else:
        raise SkipDocument(f"unsupported XML document type <{kind}>")


def pubmed_documents(root, path: str, source: str = "file") -> Iterator[Document]:
    """One Document per PubmedArticle: text = title + newline + abstract."""
    kinds = ("PubmedArticle", "PubmedBookArticle")
    articles = (
        [root] if local_name(root.tag) in kinds else [c for c in root if local_name(c.tag) in kinds]
    )
    for art in articles:
        pmid = _text(_first(art, "PMID"))
        title = _text(_first(art, "ArticleTitle")) or _text(_first(art, "BookTitle"))
        abstract_el = _first(art, "Abstract")
        sections = _all(abstract_el, "AbstractText") if abstract_el is not None else []
        abstract = "\n".join(t for t in (_text(a) for a in sections) if t)
        # The article's own ids only: PubmedData/ArticleIdList, not the reference list's.
        ids = [
            aid
            for data in _children(art, "PubmedData")
            for id_list in _children(data, "ArticleIdList")
            for aid in _children(id_list, "ArticleId")
            if aid.get("IdType") == "doi"
        ]
        ids += [e for e in _all(art, "ELocationID") if e.get("EIdType") == "doi"]
        doi = _text(ids[0]) if ids else ""
        year = pubmed_year(art)
        text = "\n".join(part for part in (title, abstract) if part)
        yield make_document(
            text, source=source, path=path, doc_id=pmid, title=title, year=year, pmid=pmid, doi=doi
        )


def pubmed_year(art) -> int | None:
    for chain in (
        ("JournalIssue", "PubDate"),
        ("ArticleDate",),
        ("Book", "PubDate"),
        ("PubMedPubDate",),
    ):
        date = _first(art, *chain)
        if date is not None:
            year = parse_year(_text(_first(date, "Year")) or _text(_first(date, "MedlineDate")))
            if year:
                return year
    return None


def _pmcid(value: str) -> str:
    value = value.strip()
    return f"PMC{value}" if value.isdigit() else value


def jats_documents(root, path: str) -> Iterator[Document]:
    """PMC JATS: title, abstract and body paragraphs of each <article>."""
    articles = [root] if local_name(root.tag) == "article" else _all(root, "article")
    if not articles:
        raise SkipDocument("no <article> in JATS XML")
    for art in articles:
        meta = _first(art, "article-meta")
        ids: dict[str, str] = {}
        for aid in _all(meta, "article-id") if meta is not None else []:
            kind = (aid.get("pub-id-type") or "").lower()
            ids.setdefault("pmcid" if kind in ("pmc", "pmcid") else kind, _text(aid))
        pmid, doi = ids.get("pmid", ""), ids.get("doi", "")
        pmcid = _pmcid(ids.get("pmcid", ""))
        title = _text(_first(meta, "title-group", "article-title")) if meta is not None else ""
        abstracts = _children(meta, "abstract") if meta is not None else []
        parts = [title]
        for abstract in abstracts:
            parts.extend(_paragraphs(abstract) or [_text(abstract)])
        body = _first(art, "body")
        if body is not None:
            parts.extend(_paragraphs(body))
        year = None
        for date in _all(meta, "pub-date") if meta is not None else []:
            year = parse_year(_text(_first(date, "year")))
            if year:
                break
        text = "\n".join(p for p in parts if p)
        yield make_document(
            text,
            source="file",
            path=path,
            doc_id=pmid or pmcid or doi,
            title=title,
            year=year,
            pmid=pmid,
            doi=doi,
        )


# JATS elements that are blocks of their own even inside a <p> (lists, figures, quotes).
JATS_BLOCKS = {
    "p",
    "list",
    "list-item",
    "fig",
    "table-wrap",
    "disp-quote",
    "boxed-text",
    "def-list",
}


def _paragraphs(el) -> list[str]:
    """Texts of the <p> elements under ``el``, in document order."""
    found: list[str] = []
    for child in el:
        found.extend(_paragraph(child) if local_name(child.tag) == "p" else _paragraphs(child))
    return found


def _paragraph(p) -> list[str]:
    """One <p>; blocks nested in it (a list, a figure) become paragraphs of their own so
    that no words are glued together."""
    inline = [p.text or ""]
    nested: list[str] = []
    for child in p:
        name = local_name(child.tag)
        if name == "p":
            nested.extend(_paragraph(child))
        elif name in JATS_BLOCKS:
            nested.extend(_paragraphs(child) or [_text(child)])
        else:
            inline.append("".join(child.itertext()))
        inline.append(child.tail or "")
    text = _squash("".join(inline))
    return ([text] if text else []) + [n for n in nested if n]


def bioc_xml_document(el) -> dict:
    """A BioC XML <document> in the BioC JSON shape."""

    def infons(node) -> dict:
        return {i.get("key", ""): (i.text or "") for i in _children(node, "infon")}

    return {
        "id": _text(_children(el, "id")[0]) if _children(el, "id") else "",
        "infons": infons(el),
        "passages": [
            {"infons": infons(p), "text": "".join(t.text or "" for t in _children(p, "text"))}
            for p in _children(el, "passage")
        ],
    }


def read_json(data: bytes, path: str) -> Iterator[Document]:
    """BioC JSON (a collection or a list of them), or a JSON array of JSONL-like records."""
    try:
        obj = json.loads(decode_text(data))
    except json.JSONDecodeError as exc:
        raise SkipDocument(f"invalid JSON: {exc.msg} (line {exc.lineno})") from exc
    collections = obj if isinstance(obj, list) else [obj]
    if collections and all(isinstance(c, dict) and "documents" not in c for c in collections):
        if any(key in c for c in collections for key in ("text", "abstract", "title")):
            # A JSON array of records, as in JSONL.
            for number, rec in enumerate(collections, start=1):
                doc = record_document(rec, path)
                if not doc.ok:
                    doc = replace(doc, status=f"{doc.status} (record {number})")
                yield doc
            return
    docs = [
        d
        for c in collections
        if isinstance(c, dict)
        for d in (c.get("documents") or [])
        if isinstance(d, dict)
    ]
    if not docs:
        raise SkipDocument("JSON is neither a BioC collection nor an array of records")
    yield from bioc_documents(docs, path)


def bioc_documents(docs: list[dict], path: str) -> Iterator[Document]:
    """BioC documents: text = passages joined by newlines; ids from infons where given."""
    for doc in docs:
        infons = {str(k): _str(v) for k, v in (doc.get("infons") or {}).items()}
        passages = [p for p in doc.get("passages") or [] if isinstance(p, dict)]
        for p in passages:  # PMC's BioC puts article ids and year on the front passage
            for key, value in (p.get("infons") or {}).items():
                infons.setdefault(str(key), _str(value))
        given = _str(doc.get("id"))
        pmid = infons.get("article-id_pmid", "") or (given if given.isdigit() else "")
        pmcid = _pmcid(infons.get("article-id_pmc", ""))
        if not pmcid and given.upper().startswith("PMC"):
            pmcid = given
        doi = infons.get("article-id_doi", "")
        title = ""
        for p in passages:
            kind = {_str(v).lower() for k, v in (p.get("infons") or {}).items() if "type" in k}
            if kind & {"title", "front"}:
                title = _squash(_str(p.get("text")))
                break
        text = "\n".join(_str(p.get("text")) for p in passages if _str(p.get("text")))
        yield make_document(
            text,
            source="file",
            path=path,
            doc_id=pmid or pmcid or doi or given,
            title=title,
            year=parse_year(infons.get("year")),
            pmid=pmid,
            doi=doi,
        )


Reader = Callable[[bytes, str], Iterator[Document]]


def _reader_for(name: str) -> tuple[Reader | None, str]:
    """The reader for a file name (by suffix), and a format label."""
    suffix = Path(name).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return read_text, "text"
    if suffix in JSONL_SUFFIXES:
        return read_jsonl, "jsonl"
    if suffix in PDF_SUFFIXES:
        return read_pdf, "PDF"
    if suffix in HTML_SUFFIXES:
        return read_html, "HTML"
    if suffix in XML_SUFFIXES:
        return read_xml, "XML"
    if suffix in JSON_SUFFIXES:
        return read_json, "JSON"
    return None, suffix or "no suffix"


# Memory bound per file: at most this many bytes are read (uncompressed), so one document
# never costs more than ~3x the cap (bytes, decoded text, its copy in the shard record).
# Formats parsed into a tree (HTML, XML, JSON) cost ~10x their size in memory: lower cap.
MAX_BYTES = 256 << 20
MAX_TREE_BYTES = 64 << 20
TREE_FORMATS = {"HTML", "XML", "JSON"}
# Bump when a reader's output changes: it invalidates every cached read.
READER_VERSION = "2"
# Formats worth caching (parsing a PDF takes far longer than hashing it).
CACHED_FORMATS = {"PDF", "HTML", "XML", "JSON"}


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n} bytes"


def _kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return kind
    return "not a regular file"


def unreadable(path: str, limit: int) -> str:
    """Why a path cannot be read as a document ('' when it can), from stat alone: a FIFO
    or device would block or never end, a symlink loop or a dangling link has no data."""
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        if exc.errno == errno.ENOENT and os.path.islink(path):
            return f"dangling symbolic link (target {display_path(os.readlink(path))} missing)"
        return f"cannot read file: {exc.strerror or exc}"
    if stat.S_ISDIR(st.st_mode):
        if os.path.islink(path):
            return "symbolic link to a directory (not followed)"
        return "directory that cannot be listed"
    if not stat.S_ISREG(st.st_mode):
        return f"not a regular file ({_kind(st.st_mode)})"
    if st.st_size > limit and not path.lower().endswith(".gz"):
        return f"larger than {_size(limit)} ({_size(st.st_size)})"
    return ""


def read_bytes(path: str, compressed: bool, limit: int) -> bytes:
    """At most ``limit`` bytes of a file, gunzipped as it is read (a gzip bomb stops at
    the limit); SkipDocument when there is more."""
    try:
        with open(path, "rb") as fh:
            if compressed:
                with gzip.GzipFile(fileobj=fh) as gz:
                    data = gz.read(limit + 1)
            else:
                data = fh.read(limit + 1)
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SkipDocument(f"cannot read file: {reason}") from exc
    if len(data) > limit:
        what = " uncompressed (gzip)" if compressed else ""
        raise SkipDocument(f"larger than {_size(limit)}{what}")
    return data


def read_file(path: str | Path, cache_dir: str | Path | None = None) -> Iterator[Document]:
    """Every Document in one file; problems become skipped Documents, never exceptions.

    With ``cache_dir``, the Documents of slow formats are cached by the hash of the file's
    bytes, so a rerun over an unchanged folder of PDFs parses none of them again.
    """
    path_str = str(path)
    name = Path(path_str).name
    compressed = name.lower().endswith(".gz")
    if compressed:
        name = name[:-3]
    reader, label = _reader_for(name)
    limit = MAX_TREE_BYTES if label in TREE_FORMATS else MAX_BYTES
    reason = unreadable(path_str, limit) or ("" if reader else f"unsupported format ({label})")
    if reason:
        yield skipped(path_str, "file", reason)
        return
    if label == "jsonl":  # streamed: a JSONL file may hold any number of documents
        yield from _read_jsonl_file(path_str, compressed)
        return
    try:
        data = read_bytes(path_str, compressed, limit)
    except SkipDocument as exc:
        yield skipped(path_str, "file", str(exc))
        return
    if cache_dir is None or label not in CACHED_FORMATS:
        yield from _read(reader, label, data, path_str)
        return
    key = hashlib.sha256(f"{READER_VERSION}\0{label}\0".encode() + data).hexdigest()
    entry = Path(cache_dir) / key[:2] / f"{key}.jsonl"
    docs = _cache_load(entry, path_str)
    if docs is None:
        docs = list(_read(reader, label, data, path_str))
        _cache_store(entry, docs)
    yield from docs


def _read_jsonl_file(path: str, compressed: bool) -> Iterator[Document]:
    try:
        with open(path, "rb") as raw:
            fh = gzip.GzipFile(fileobj=raw) if compressed else raw
            yield from jsonl_documents(fh, path)
    except SkipDocument as exc:
        yield skipped(path, "jsonl", str(exc))
    except (OSError, EOFError, zlib.error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        yield skipped(path, "jsonl", f"cannot read the rest of the file: {reason}")


def _read(reader: Reader, label: str, data: bytes, path: str) -> Iterator[Document]:
    try:
        yield from reader(data, path)
    except SkipDocument as exc:
        yield skipped(path, "file", str(exc), data=data)
    except Exception as exc:  # a broken file must not stop the others
        log.debug("reader failed on %s", path, exc_info=True)
        yield skipped(
            path, "file", f"{label} reader failed: {type(exc).__name__}: {exc}", data=data
        )


def _cache_load(entry: Path, path: str) -> list[Document] | None:
    """Cached Documents (the path is the caller's, not the cached one), or None."""
    if not entry.is_file():
        return None
    try:
        with open(entry, encoding="utf-8") as fh:
            return [Document(**{**json.loads(line), "path": path}) for line in fh if line.strip()]
    except (OSError, ValueError, TypeError) as exc:
        log.warning("ignoring unreadable read cache %s: %s", entry, exc)
        return None


def _cache_store(entry: Path, docs: list[Document]) -> None:
    from mirlens.io import write_jsonl

    try:
        write_jsonl(({**asdict(d), "path": ""} for d in docs), entry)
    except OSError as exc:  # a read-only cache must not stop the run
        log.warning("cannot write read cache %s: %s", entry, exc)


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def list_files(root: str | Path) -> list[str]:
    """Files under a directory, recursively, hidden files and folders ignored, sorted."""
    root = str(root)
    found: list[str] = []

    def unlistable(exc: OSError) -> None:  # listed, so that its row says why
        if exc.filename and exc.filename != root:
            found.append(exc.filename)

    for dirpath, dirnames, filenames in os.walk(root, onerror=unlistable):
        visible = [d for d in dirnames if not _is_hidden(d)]
        # Symlinked folders are listed, not walked (a link loop would never end).
        links = [d for d in visible if os.path.islink(os.path.join(dirpath, d))]
        dirnames[:] = sorted(d for d in visible if d not in links)
        found.extend(os.path.join(dirpath, f) for f in filenames + links if not _is_hidden(f))
    return sorted(found, key=lambda p: Path(p).parts)


def iter_paths(inputs: Iterable[str | Path]) -> Iterator[str]:
    """The files of the inputs in reading order: inputs as given, folders recursed and
    sorted (hidden files ignored); a missing input is yielded as given."""
    for item in inputs:
        item_str = str(item)
        if os.path.isdir(item_str):
            yield from list_files(item_str)
        else:
            yield item_str


def read_path(path: str, cache_dir: str | Path | None = None) -> Iterator[Document]:
    """The Documents of one path of :func:`iter_paths` (a missing one: a skipped row)."""
    if os.path.lexists(path):
        yield from read_file(path, cache_dir)
    else:
        yield skipped(path, "file", "no such file or directory")


def iter_documents(
    inputs: Iterable[str | Path], cache_dir: str | Path | None = None
) -> Iterator[Document]:
    """Documents from files and directories (recursed, sorted, hidden files ignored).

    A missing or unreadable path yields a skipped Document, never an exception.
    ``cache_dir`` (optional) caches the reads of slow formats by content hash.
    """
    for path in iter_paths(inputs):
        yield from read_path(path, cache_dir)


__all__ = [
    "Document",
    "iter_documents",
    "iter_paths",
    "read_path",
    "read_file",
    "list_files",
    "content_id",
]
