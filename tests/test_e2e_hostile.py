"""Hostile documents never stop the run: a corpus built on the fly (nothing hostile is
committed) goes through real Snakemake; every entry is a row of documents.tsv with a
specific reason, the good documents around them are read, and nothing from an external
entity or a file name reaches a shell or an output."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
from workflow_runs import read, snakemake, workspace, write_config

from mirlens.io import read_tsv

pytestmark = pytest.mark.e2e

SECRET = "hostile-secret-7f3a"  # what an external entity would pull in
XXE = """<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "file://{secret}">]>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>
<ArticleTitle>miR-21 &xxe;</ArticleTitle></Article></MedlineCitation></PubmedArticle>
</PubmedArticleSet>"""
ENTITIES = ['<!ENTITY lol0 "lol">'] + [
    f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
]
LAUGHS = f'<?xml version="1.0"?><!DOCTYPE lolz [{"".join(ENTITIES)}]><article>&lol9;</article>'
GOOD_LINE = {"doc_id": "JL-ok-1", "text": "miR-21 is raised in the tumour."}
LAST_LINE = {"doc_id": "JL-ok-2", "text": "miR-155 follows every bad line."}


def jsonl_lines() -> bytes:
    lines = [
        json.dumps(GOOD_LINE).encode(),
        b'{"doc_id": "broken", "text": "miR-1',  # broken JSON
        b"[1, 2, 3]",  # not an object
        json.dumps({"doc_id": "no-text", "meta": 1}).encode(),
        b'{"doc_id": "JL-huge", "text": "' + b"miR-21 " * ((50 << 20) // 7) + b'"}',
        b'{"doc_id": "JL-surrogate", "text": "miR-21 \\ud800 lone"}',
        b"[" * 100_000 + b"]" * 100_000,  # RecursionError in json
        json.dumps(LAST_LINE).encode(),
    ]
    return b"\n".join(lines) + b"\n"


def encrypted_pdf() -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    writer.encrypt("secret")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def gzip_bomb(path: Path, mib: int = 300) -> None:
    block = b"miR-21 " * (1 << 17)
    with gzip.open(path, "wb", compresslevel=1) as gz:
        for _ in range(mib * (1 << 20) // len(block)):
            gz.write(block)


def build_corpus(docs: Path, secret_file: Path) -> dict[str, str]:
    """Write the corpus; returns entry name -> expected status prefix ('' = ok)."""
    docs.mkdir()
    expect: dict[str, str] = {}

    def put(name: str, data: bytes, status: str) -> None:
        (docs / name).write_bytes(data)
        expect[name] = status

    put("empty.txt", b"", "skipped: empty file")
    put("binary.txt", bytes(range(256)) * 64, "skipped: binary content")
    with open(docs / "sparse.txt", "wb") as fh:
        fh.truncate(300 << 20)
    expect["sparse.txt"] = "skipped: larger than 256 MiB"
    put("utf16-nobom.txt", "miR-22 in UTF-16 without a BOM.".encode("utf-16-le"), "ok")
    put("latin1.txt", "miR-23a in Zürich, café.".encode("latin-1"), "ok")
    put("invalid-utf8.txt", b"miR-24 \xff\xfe\xfa\xc3 broken bytes", "")  # ok or a reason
    put("records.jsonl", jsonl_lines(), "")  # per line, checked below
    put("xxe.xml", XXE.format(secret=secret_file).encode(), "skipped: unsafe XML refused")
    put("laughs.xml", LAUGHS.encode(), "skipped: unsafe XML refused")
    put("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage", "skipped: ")
    put("encrypted.pdf", encrypted_pdf(), "skipped: encrypted PDF")
    page = b"<html><head><script>alert('miR-9999')</script></head><body><p>miR-25 up.</p>"
    put("script.html", page + b"<script>document.write('x')</script></body></html>", "ok")
    gzip_bomb(docs / "bomb.txt.gz")
    expect["bomb.txt.gz"] = "skipped: larger than 256 MiB uncompressed (gzip)"
    for i, name in enumerate(
        [
            "with space.txt",
            "quote'\".txt",
            "$(touch pwned).txt",
            "`touch pwned2`.txt",
            "semi;colon.txt",
            "new\nline.txt",
            "-leading.txt",
            "ünïcödé ✓.txt",
        ]  # fmt: skip
    ):
        put(name, f"miR-{100 + i} is named here.".encode(), "ok")
    os.symlink("loop", docs / "loop")
    expect["loop"] = "skipped: symbolic link loop"
    os.symlink("nowhere.txt", docs / "dangling.txt")
    expect["dangling.txt"] = "skipped: dangling symbolic link"
    os.symlink("..", docs / "up")
    expect["up"] = "skipped: symbolic link to a directory (not followed)"
    os.mkfifo(docs / "fifo.txt")
    expect["fifo.txt"] = "skipped: not a regular file (a FIFO)"
    locked = docs / "locked.txt"
    locked.write_bytes(b"miR-26 behind a lock.")
    locked.chmod(0)
    expect["locked.txt"] = "ok" if os.geteuid() == 0 else "skipped: cannot read file"
    bad_name = os.fsencode(docs) + b"/bad-\xff-name.txt"
    with open(bad_name, "wb") as fh:
        fh.write(b"miR-27a behind a name that is not UTF-8.")
    expect["bad-\\xff-name.txt"] = "ok"
    return expect


def test_hostile_corpus_never_stops_the_run(tmp_path_factory, mirror_url, shared_resources):
    work = workspace(tmp_path_factory, "hostile", shared_resources)
    secret = work / "secret.txt"
    secret.write_text(SECRET)
    expect = build_corpus(work / "docs", secret)
    write_config(work, mirror_url, ["docs"])
    targets = ["results/mirnas.tsv", "results/mentions.tsv"]
    snakemake(work, "-n", *targets)  # the DAG builds over this folder
    snakemake(work, *targets)

    docs = read_tsv(work / "results/literature/documents.tsv")  # cells unescaped
    names = docs["path"].str.removeprefix("docs/")
    files = names != "records.jsonl"
    status = dict(zip(names[files], docs["status"][files], strict=True))
    for name, prefix in expect.items():
        shown = name.replace("\n", "\\n")
        if name == "records.jsonl":
            continue
        assert shown in status, f"{name!r} not listed in documents.tsv"
        if prefix:
            assert status[shown].startswith(prefix), (name, status[shown])
    assert status["invalid-utf8.txt"] == "ok" or status["invalid-utf8.txt"].startswith("skipped: ")
    assert len(status) == len(expect) - 1

    # JSONL: each bad line costs that line only
    lines = docs[names == "records.jsonl"].set_index("status")
    reasons = sorted(lines.index)
    for part in ("invalid JSON", "not a JSON object", "no text", "longer than 16 MiB",
                 "lone surrogate", "nested too deeply"):  # fmt: skip
        assert any(part in r for r in reasons), (part, reasons)
    ok_ids = set(docs.loc[docs["status"] == "ok", "doc_id"])
    assert {GOOD_LINE["doc_id"], LAST_LINE["doc_id"]} <= ok_ids

    # The texts read: visible HTML only, the odd names and encodings decoded
    shards = "".join(p.read_text("utf-8") for p in (work / "results/literature/shards").iterdir())
    assert "alert" not in shards and "miR-25 up." in shards
    assert "Zürich" in shards and "miR-22 in UTF-16 without a BOM." in shards
    mentions = read(work / "results/mentions.tsv")
    assert {"hsa-miR-21-5p", "hsa-miR-155-5p"} <= set(
        ";".join(mentions["mirbase_names"]).split(";")
    )

    # Nothing from an external entity, no shell built from a file name
    for path in (work / "results").rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert not list(work.rglob("pwned*")) and not list(Path.cwd().glob("pwned*"))
