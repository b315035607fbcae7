"""Readers: one test per format, skip-with-reason cases, stable ids."""

from __future__ import annotations

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
