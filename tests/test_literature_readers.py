"""Readers: one test per format, skip-with-reason cases, stable ids."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from conftest import shared_path

from mirlens.literature.readers import Document, content_id, iter_documents, list_files

FIX = Path(__file__).parent / "fixtures" / "literature"


def docs_of(*paths) -> list[Document]:
    return list(iter_documents([str(p) for p in paths]))


def only(path) -> Document:
    docs = docs_of(path)
    assert len(docs) == 1, docs
    return docs[0]


def test_text_file_is_read_verbatim_with_content_hash_id():
    doc = only(FIX / "plain.txt")
    raw = (FIX / "plain.txt").read_text(encoding="utf-8")
    assert doc.status == "ok"
    assert doc.text == raw
    assert doc.source == "file"
    assert doc.path == str(FIX / "plain.txt")
    assert doc.sha256 == hashlib.sha256(raw.encode()).hexdigest()
    assert doc.doc_id == "sha256:" + doc.sha256[:16]
    assert doc.title == "miR-155 targets SOCS1 in lymphoma cells."


def test_markdown_title_and_offsets_point_into_text():
    doc = only(FIX / "note.md")
    assert doc.ok
    assert doc.title == "miR-21 in pancreatic cancer"
    start = doc.text.index("miR-217")
    assert doc.text[start : start + 7] == "miR-217"


def test_ids_are_stable_across_paths_and_runs(tmp_path):
    copy = tmp_path / "renamed.txt"
    shutil.copy(FIX / "plain.txt", copy)
    assert only(copy).doc_id == only(FIX / "plain.txt").doc_id
    assert only(FIX / "plain.txt") == only(FIX / "plain.txt")
    copy.write_text("different text", encoding="utf-8")
    assert only(copy).doc_id != only(FIX / "plain.txt").doc_id


def test_jsonl_records_bad_lines_skipped_and_the_rest_kept():
    docs = docs_of(FIX / "records.jsonl")
    ok = {d.doc_id: d for d in docs if d.ok}
    bad = [d for d in docs if not d.ok]
    assert set(ok) == {"doc-1", "doc-2", "222", content_id("No identifiers at all: miR-145.")}
    assert ok["doc-1"].text == "miR-21 is an oncomiR."
    assert (ok["doc-1"].title, ok["doc-1"].year, ok["doc-1"].pmid) == ("One", 2020, "111")
    assert ok["doc-2"].text == "Two\nmiR-34a is a tumour suppressor."
    assert (ok["222"].pmid, ok["222"].year) == ("222", 2018)
    reasons = sorted(d.status for d in bad)
    assert len(bad) == 3
    assert any("line 3: invalid JSON" in r for r in reasons)
    assert any("line 4: no text field" in r for r in reasons)
    assert any("line 5: not a JSON object" in r for r in reasons)
    assert all(d.text == "" for d in bad)
    assert {d.doc_id for d in bad} >= {"doc-3"}


def test_directory_is_recursed_sorted_and_hidden_files_ignored(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "b" / "z.txt").write_text("miR-1 z", encoding="utf-8")
    (tmp_path / "a.txt").write_text("miR-2 a", encoding="utf-8")
    (tmp_path / ".secret.txt").write_text("miR-3 hidden", encoding="utf-8")
    (tmp_path / ".hidden" / "x.txt").write_text("miR-4 hidden", encoding="utf-8")
    assert list_files(tmp_path) == [str(tmp_path / "a.txt"), str(tmp_path / "b" / "z.txt")]
    assert [d.text for d in docs_of(tmp_path)] == ["miR-2 a", "miR-1 z"]


def test_missing_and_unsupported_paths_are_skipped_with_reason(tmp_path):
    odd = tmp_path / "table.xyz"
    odd.write_bytes(b"whatever")
    docs = docs_of(tmp_path / "missing.txt", odd)
    assert [d.status for d in docs] == [
        "skipped: no such file or directory",
        "skipped: unsupported format (.xyz)",
    ]


def test_empty_and_binary_and_undecodable_files_are_skipped(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_bytes(b"  \n\n ")
    (tmp_path / "garbage.txt").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "good.txt").write_text("miR-21 survives its neighbours", encoding="utf-8")
    docs = {Path(d.path).name: d for d in docs_of(tmp_path)}
    assert docs["empty.txt"].status == "skipped: empty file"
    assert docs["blank.md"].status == "skipped: empty file"
    assert docs["garbage.txt"].status.startswith("skipped: binary content")
    assert docs["good.txt"].ok
    assert all(d.text == "" for d in docs.values() if not d.ok)


def test_legacy_encoding_is_detected(tmp_path):
    text = (
        "Les microARN régulent l'expression génique. Le miR-21 est élevé dans les tumeurs "
        "pancréatiques; à l'inverse, le miR-217 est réprimé. Ça change la thérapie."
    )
    path = tmp_path / "latin.txt"
    path.write_bytes(text.encode("latin-1"))
    doc = only(path)
    assert doc.ok
    assert "miR-21 est élevé" in doc.text
    assert "pancréatiques" in doc.text


def test_byte_order_marks_are_honoured_and_removed(tmp_path):
    text = "miR-21 élevé\nmiR-155"
    (tmp_path / "u16.txt").write_bytes(text.encode("utf-16"))  # with its BOM
    (tmp_path / "u8.txt").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    docs = docs_of(tmp_path)
    assert [d.text for d in docs] == [text, text]
    assert docs[0].doc_id == docs[1].doc_id == content_id(text)


def test_panc_jsonl_reads_all_322_records():
    path = shared_path("data/literature/miretrieve_panc.abstracts.jsonl")
    docs = docs_of(path)
    assert len(docs) == 322
    assert all(d.ok for d in docs)
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert docs[0].doc_id == first["doc_id"]
    assert docs[0].text == first["text"]
    assert docs[0].year == first["year"]
    assert docs[0].pmid == first["pmid"]
    assert len({d.doc_id for d in docs}) == 322


def by_id(path) -> dict[str, Document]:
    return {d.doc_id: d for d in docs_of(path)}


def test_pubmed_xml_one_document_per_article_with_ids_and_years():
    docs = by_id(FIX / "pubmed.xml")
    assert list(docs) == ["90000001", "90000002", "90000003"]
    first = docs["90000001"]
    assert first.text == (
        "MicroRNA-21 promotes KRAS-driven tumour growth.\n"
        "miR-21 is elevated in PDAC.\n"
        "Loss of miR-217 de-represses KRAS; hsa-miR-155-5p was unchanged."
    )
    assert (first.pmid, first.doi, first.year) == ("90000001", "10.1000/fixture.1", 2021)
    assert first.title == "MicroRNA-21 promotes KRAS-driven tumour growth."
    # doi from ELocationID, never from the reference list; year from MedlineDate
    second = docs["90000002"]
    assert (second.doi, second.year) == ("10.1000/fixture.2", 2019)
    assert second.text.endswith("let-7a and let-7b repress HMGA2 & RAS.")
    assert docs["90000003"].text == "A title without an abstract about miR-34a."
    assert all(d.ok and d.sha256 for d in docs.values())


def test_jats_title_abstract_body_without_glued_words_or_translations():
    doc = only(FIX / "jats.nxml")
    assert doc.ok
    assert (doc.doc_id, doc.doi, doc.pmid, doc.year) == ("PMC7000001", "10.1000/jats.1", "", 2022)
    assert doc.title == "Exosomal miR-200c in EMT"
    lines = doc.text.split("\n")
    assert lines[0] == "Exosomal miR-200c in EMT"
    assert "Exosomes carry miR-200c." in lines
    assert "ZEB1 by miR-200c" in lines and "ZEB2" in lines
    assert "Expression of hsa-miR-200c-3p." in lines
    assert "Nicht" not in doc.text and "Ref one" not in doc.text
    assert "Fixture Journal" not in doc.text


def test_bioc_xml_and_json_passages_and_ids():
    xml = by_id(FIX / "bioc.xml")
    assert set(xml) == {"90000011", "PMC7000002"}
    assert xml["90000011"].text == "miR-145 suppresses MYC.\nWe show miR-145 binds the MYC 3'UTR."
    assert (xml["90000011"].pmid, xml["90000011"].year) == ("90000011", 2017)
    assert (xml["PMC7000002"].doi, xml["PMC7000002"].title) == (
        "10.1000/bioc.2",
        "Circulating miR-122",
    )
    js = only(FIX / "bioc.json")
    assert (js.doc_id, js.pmid, js.doi, js.year) == ("90000021", "90000021", "10.1000/bioc.3", 2023)
    assert js.text.split("\n") == [
        "miR-9 in glioma",
        "miR-9 targets CDH1.",
        "Also miR-9* (miR-9-3p) was seen.",
    ]


def test_html_visible_text_only():
    doc = only(FIX / "page.html")
    assert doc.ok
    assert doc.title == "miR-155 & inflammation"
    assert "The miR-155 level rises after LPS; hsa-miR-146a-5p too." in doc.text.split("\n")
    assert "SOCS1" in doc.text.split("\n") and "SHIP1" in doc.text.split("\n")
    for invisible in ("miR-999", "miR-998", "miR-997", "miR-996", "miR-995", "color: red"):
        assert invisible not in doc.text


def test_pdf_text_layer_is_read_with_pypdf():
    doc = only(FIX / "paper.pdf")
    assert doc.ok
    assert doc.title == "miR-21 and PTEN: a fixture"
    assert "miR-21 targets PTEN in PDAC." in doc.text
    assert "hsa-miR-155-5p" in doc.text
    assert doc.text.index("hsa-miR-155-5p") < doc.text.index("Page two: let-7a")
    # id from the file's bytes: independent of how a pypdf version extracts the text
    assert doc.doc_id == content_id((FIX / "paper.pdf").read_bytes())
    assert doc.sha256 == hashlib.sha256(doc.text.encode()).hexdigest()


def test_pdf_doi_in_metadata_is_the_id(tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(FIX / "paper.pdf"))
    writer.add_metadata({"/doi": "10.1000/pdf.1", "/Title": "With a DOI"})
    with open(tmp_path / "doi.pdf", "wb") as fh:
        writer.write(fh)
    doc = only(tmp_path / "doi.pdf")
    assert (doc.doc_id, doc.doi, doc.title) == ("10.1000/pdf.1", "10.1000/pdf.1", "With a DOI")
    assert "miR-21 targets PTEN" in doc.text


def test_pdf_without_text_layer_and_broken_pdf_are_skipped(tmp_path):
    import matplotlib

    matplotlib.use("pdf")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(2, 2))
    fig.add_artist(plt.Circle((0.5, 0.5), 0.3))
    fig.savefig(tmp_path / "scan.pdf")
    plt.close(fig)
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 4)
    docs = {Path(d.path).name: d for d in docs_of(tmp_path)}
    assert docs["scan.pdf"].status.startswith("skipped: PDF has no text layer")
    assert docs["broken.pdf"].status.startswith("skipped:")
    assert docs["broken.pdf"].text == ""


def test_xml_bombs_and_external_entities_are_refused():
    bomb, xxe = only(FIX / "bomb.xml"), only(FIX / "xxe.xml")
    for doc in (bomb, xxe):
        assert doc.status.startswith("skipped: unsafe XML refused"), doc.status
        assert doc.text == ""
    assert "root:" not in xxe.title


def test_invalid_and_unknown_xml_and_json_are_skipped(tmp_path):
    (tmp_path / "cut.xml").write_text("<PubmedArticleSet><PubmedArticle>", encoding="utf-8")
    (tmp_path / "other.xml").write_text("<svg><text>miR-1</text></svg>", encoding="utf-8")
    (tmp_path / "plain.json").write_text('{"a": 1}', encoding="utf-8")
    (tmp_path / "bad.json").write_text("{nope", encoding="utf-8")
    docs = {Path(d.path).name: d.status for d in docs_of(tmp_path)}
    assert docs["cut.xml"].startswith("skipped: invalid XML")
    assert docs["other.xml"] == "skipped: unsupported XML document type <svg>"
    assert (
        docs["plain.json"] == "skipped: JSON is neither a BioC collection nor an array of records"
    )
    assert docs["bad.json"].startswith("skipped: invalid JSON")


def test_gzip_compressed_files_are_read_and_bad_gzip_skipped(tmp_path):
    data = (FIX / "pubmed.xml").read_bytes()
    (tmp_path / "set.xml.gz").write_bytes(gzip.compress(data))
    (tmp_path / "bad.txt.gz").write_bytes(b"not gzip at all")
    docs = docs_of(tmp_path)
    assert docs[0].status.startswith("skipped: cannot read file")
    assert [d.doc_id for d in docs[1:]] == [d.doc_id for d in docs_of(FIX / "pubmed.xml")]
    assert [d.text for d in docs[1:]] == [d.text for d in docs_of(FIX / "pubmed.xml")]


def test_jsonl_line_with_bad_utf8_is_skipped_alone(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        '{"doc_id": "a", "text": "miR-21 in Zürich"}\n'.encode()
        + b'{"doc_id": "b", "text": "caf\xe9 miR-1"}\n'
        + '{"doc_id": "c", "text": "naïve miR-155"}\n'.encode()
    )
    docs = docs_of(path)
    assert [(d.doc_id, d.text) for d in docs if d.ok] == [
        ("a", "miR-21 in Zürich"),
        ("c", "naïve miR-155"),
    ]
    assert [d.status for d in docs if not d.ok] == [
        "skipped: line 2: not UTF-8 (invalid continuation byte)"
    ]


def test_json_array_of_records_and_xhtml_in_xml(tmp_path):
    (tmp_path / "recs.json").write_text(
        json.dumps([{"doc_id": "r1", "text": "miR-7"}, {"doc_id": "r2", "title": "T"}, {"x": 1}]),
        encoding="utf-8",
    )
    (tmp_path / "page.xml").write_text(
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>X</title>'
        "<script>miR-999</script></head><body><p>miR-141 <b>up</b></p></body></html>",
        encoding="utf-8",
    )
    docs = {d.path.rsplit("/", 1)[-1]: d for d in docs_of(tmp_path / "page.xml")}
    assert docs["page.xml"].text == "miR-141 up"
    recs = docs_of(tmp_path / "recs.json")
    assert [(d.doc_id, d.text, d.status) for d in recs[:2]] == [
        ("r1", "miR-7", "ok"),
        ("r2", "T", "ok"),
    ]
    assert recs[2].status == "skipped: no text field (record 3)"
    (tmp_path / "recs.json").write_text(json.dumps([{"x": 1}]), encoding="utf-8")
    assert only(tmp_path / "recs.json").status.startswith("skipped: JSON is neither")


def test_fifo_and_broken_symlink_are_skipped_without_blocking(tmp_path):
    import os

    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "gone.pdf").symlink_to(tmp_path / "nowhere.pdf")
    (tmp_path / "ok.txt").write_text("miR-10b", encoding="utf-8")
    docs = {Path(d.path).name: d.status for d in docs_of(tmp_path)}
    assert docs.pop("gone.pdf").startswith("skipped: dangling symbolic link (target ")
    assert docs == {"ok.txt": "ok", "pipe.txt": "skipped: not a regular file (a FIFO)"}


def test_read_cache_is_used_for_unchanged_files_only(tmp_path):
    folder, cache = tmp_path / "docs", tmp_path / "cache"
    folder.mkdir()
    shutil.copy(FIX / "paper.pdf", folder / "paper.pdf")
    shutil.copy(FIX / "plain.txt", folder / "plain.txt")
    fresh = list(iter_documents([folder], cache_dir=cache))
    assert list(iter_documents([folder], cache_dir=cache)) == fresh
    entries = sorted(cache.rglob("*.jsonl"))
    assert len(entries) == 1  # text files are cheap: not cached
    # Prove the second read comes from the cache: tamper with the entry.
    rec = json.loads(entries[0].read_text(encoding="utf-8"))
    assert rec["path"] == ""
    rec["text"] = "from the cache"
    entries[0].write_text(json.dumps(rec) + "\n", encoding="utf-8")
    again = {Path(d.path).name: d for d in iter_documents([folder], cache_dir=cache)}
    assert again["paper.pdf"].text == "from the cache"
    assert again["paper.pdf"].path == str(folder / "paper.pdf")
    # A changed file has another key: read afresh.
    (folder / "paper.pdf").write_bytes((FIX / "paper.pdf").read_bytes() + b"\n%")
    again = {Path(d.path).name: d for d in iter_documents([folder], cache_dir=cache)}
    assert "miR-21 targets PTEN" in again["paper.pdf"].text
    # A corrupt entry is ignored, not fatal.
    for entry in cache.rglob("*.jsonl"):
        entry.write_text("{broken", encoding="utf-8")
    again = {Path(d.path).name: d for d in iter_documents([folder], cache_dir=cache)}
    assert "miR-21 targets PTEN" in again["paper.pdf"].text


def test_oversized_and_gzip_bomb_files_are_skipped(tmp_path, monkeypatch):
    from mirlens.literature import readers

    monkeypatch.setattr(readers, "MAX_BYTES", 1000)
    (tmp_path / "big.txt").write_text("miR-21 " * 200, encoding="utf-8")
    (tmp_path / "bomb.txt.gz").write_bytes(gzip.compress(b"miR-1 " * 100_000))
    (tmp_path / "small.txt").write_text("miR-21", encoding="utf-8")
    docs = {Path(d.path).name: d.status for d in docs_of(tmp_path)}
    assert docs == {
        "big.txt": "skipped: larger than 1000 bytes (1400 bytes)",
        "bomb.txt.gz": "skipped: larger than 1000 bytes uncompressed (gzip)",
        "small.txt": "ok",
    }


def test_unreadable_file_is_skipped_with_reason(tmp_path):
    import os

    if os.geteuid() == 0:
        pytest.skip("root can read files without permission")
    path = tmp_path / "locked.txt"
    path.write_text("miR-21", encoding="utf-8")
    path.chmod(0)
    assert only(path).status.startswith("skipped: cannot read file")


def test_every_fixture_yields_and_one_bad_file_never_stops_the_rest():
    docs = docs_of(FIX)
    names = {Path(d.path).name for d in docs if d.ok}
    assert names >= {
        "bioc.json",
        "bioc.xml",
        "jats.nxml",
        "note.md",
        "page.html",
        "paper.pdf",
        "plain.txt",
        "pubmed.xml",
        "records.jsonl",
    }
    assert {Path(d.path).name for d in docs if not d.ok} == {"bomb.xml", "xxe.xml", "records.jsonl"}
