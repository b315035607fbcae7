"""`mirlens collect`: documents table, stable shards, duplicates, missing inputs."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest
from conftest import shared_path

from mirlens.cli import main
from mirlens.errors import MirlensError
from mirlens.io import read_jsonl, read_tsv
from mirlens.literature.collect import DOCUMENT_COLUMNS, collect
from mirlens.literature.shards import LABEL_PATTERN

FIX = Path(__file__).parent / "fixtures" / "literature"


def shard_files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "shards").iterdir())}


def write_docs(folder: Path, texts: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")


def test_panc_jsonl_all_322_documents_sharded(tmp_path):
    panc = shared_path("data/literature/miretrieve_panc.abstracts.jsonl")
    args = ["collect", "--inputs", str(panc), "--shard-docs", "100", "--out-dir", str(tmp_path)]
    assert main(args) == 0
    docs = read_tsv(tmp_path / "documents.tsv")
    assert list(docs.columns) == DOCUMENT_COLUMNS
    assert len(docs) == 322
    assert (docs["status"] == "ok").all()
    assert list(docs["doc_id"]) == sorted(docs["doc_id"])
    shards = read_tsv(tmp_path / "shards.tsv")
    assert list(shards.columns) == ["shard", "n_documents", "sha256"]
    # one file of 322 documents: cut by position into shards of 100, in the file's order
    assert list(shards["n_documents"]) == ["100", "100", "100", "22"]
    assert sorted(shard_files(tmp_path)) == sorted(f"{s}.jsonl" for s in shards["shard"])
    assert all(re.fullmatch(LABEL_PATTERN, s) for s in shards["shard"])
    source = [json.loads(line) for line in panc.read_text("utf-8").splitlines()]
    records = []
    for row in shards.itertuples():
        recs = list(read_jsonl(tmp_path / "shards" / f"{row.shard}.jsonl"))
        for rec in recs:
            assert list(rec) == [
                "doc_id",
                "text",
                "title",
                "year",
                "pmid",
                "doi",
                "source",
                "piece",
            ]
            assert rec["piece"] == row.shard
        records.extend(recs)
        data = (tmp_path / "shards" / f"{row.shard}.jsonl").read_bytes()
        assert hashlib.sha256(data).hexdigest() == row.sha256
        assert data.count(b"\n") == int(row.n_documents)
    assert [r["doc_id"] for r in records] == [r["doc_id"] for r in source]
    for rec, src in zip(records, source, strict=True):
        assert (rec["text"], rec["year"]) == (src["text"], src["year"])
    table = docs.set_index("doc_id")
    for rec in records:
        assert table.loc[rec["doc_id"], "shard"] == rec["piece"]
        assert table.loc[rec["doc_id"], "n_chars"] == str(len(rec["text"]))
        assert (
            table.loc[rec["doc_id"], "sha256"] == hashlib.sha256(rec["text"].encode()).hexdigest()
        )


def test_seeds_folder_collects_every_seed(tmp_path):
    seeds = shared_path("seeds")
    table = collect([seeds], 3, tmp_path)
    expected = sorted(p.name for p in seeds.iterdir() if not p.name.startswith("."))
    assert sorted(Path(p).name for p in table["path"]) == expected
    assert (table["status"] == "ok").all()
    assert all(doc_id.startswith("sha256:") for doc_id in table["doc_id"])


def test_rerun_is_byte_identical_and_keeps_mtimes(tmp_path):
    out = tmp_path / "out"
    collect([FIX], 4, out)
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (out / "shards").iterdir()}
    tables = [(out / name).read_bytes() for name in ("documents.tsv", "shards.tsv")]
    collect([FIX], 4, out)
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (out / "shards").iterdir()}
    assert after == before
    assert [(out / name).read_bytes() for name in ("documents.tsv", "shards.tsv")] == tables


def _members(table) -> dict[str, set[str]]:
    return table.groupby("shard")["path"].agg(set).to_dict()


def test_new_files_change_only_the_shard_they_fall_in(tmp_path, monkeypatch):
    # Relative paths, as a config gives them: shard cuts hash the paths, so an absolute
    # tmp path would draw a new plan on every run (1-2 % of draws cut a region into more
    # shards than a fixed bound allows); the exact check below holds for any plan.
    monkeypatch.chdir(tmp_path)
    lit = Path("lit")
    write_docs(lit, {f"doc{i:02d}.txt": f"Document {i} mentions miR-{i}." for i in range(40)})
    out = Path("out")
    first = collect([lit], 8, out)
    before = shard_files(out)
    assert len(before) >= 3
    # one at the end of the reading order, one in the middle
    write_docs(lit, {"new1.txt": "A new paper on miR-9000.", "doc17b.txt": "And miR-9001."})
    second = collect([lit], 8, out)
    after = shard_files(out)
    table = second.set_index("path")
    touched = {f"{table.loc[str(lit / n), 'shard']}.jsonl" for n in ("new1.txt", "doc17b.txt")}
    changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    # exactly the shards whose documents the plan changed are rewritten, and no others
    old, new = _members(first), _members(second)
    replanned = {f"{s}.jsonl" for s in old.keys() | new.keys() if old.get(s) != new.get(s)}
    assert touched <= changed == replanned and len(changed) < len(after)
    log_free = {n for n in before if n not in changed}
    assert log_free and all(before[n] == after[n] for n in log_free)


def test_shards_of_removed_files_and_of_the_old_layout_go(tmp_path):
    lit = tmp_path / "lit"
    write_docs(lit, {"one.jsonl": "".join(
        json.dumps({"doc_id": f"P{i}", "text": f"miR-{i} here"}) + "\n" for i in range(9)
    )})  # fmt: skip
    (tmp_path / "out" / "shards").mkdir(parents=True)
    stale = json.dumps({"doc_id": "P0", "text": "miR-0 here"}) + "\n"
    (tmp_path / "out" / "shards" / "007.jsonl").write_text(stale)  # the hash-sharded layout
    collect([lit], 4, tmp_path / "out")
    assert len(shard_files(tmp_path / "out")) == 3
    write_docs(lit, {"one.jsonl": json.dumps({"doc_id": "P1", "text": "miR-1 here"}) + "\n"})
    collect([lit], 4, tmp_path / "out")
    assert [len(v.splitlines()) for v in shard_files(tmp_path / "out").values()] == [1]


def test_duplicates_same_text_kept_once_different_text_skipped(tmp_path):
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"doc_id": "P1", "text": "miR-21 first"})
        + "\n"
        + json.dumps({"doc_id": "P2", "text": "miR-22 text"})
        + "\n",
        encoding="utf-8",
    )
    (tmp_path / "b.jsonl").write_text(
        json.dumps({"doc_id": "P1", "text": "miR-21 a different text"})
        + "\n"
        + json.dumps({"doc_id": "P2", "text": "miR-22 text"})
        + "\n",
        encoding="utf-8",
    )
    # argument order does not matter: the richer (longer) text wins, whichever file it is in
    table = collect([tmp_path / "b.jsonl", tmp_path / "a.jsonl"], 2, tmp_path / "out")
    rows = {(r.doc_id, Path(r.path).name): r.status for r in table.itertuples()}
    richer = str(tmp_path / "b.jsonl")
    assert rows[("P1", "b.jsonl")] == "ok"
    assert rows[("P1", "a.jsonl")] == (
        f"skipped: duplicate doc_id, shorter text (12 chars) than the copy kept from {richer}"
        " (23 chars)"
    )
    assert rows[("P2", "a.jsonl")] == "ok"
    assert rows[("P2", "b.jsonl")].startswith("skipped: duplicate doc_id, same text")
    assert table.loc[table["status"] != "ok", "shard"].eq("").all()
    texts = {
        r["doc_id"]: r["text"]
        for p in sorted((tmp_path / "out" / "shards").iterdir())
        for r in read_jsonl(p)
    }
    assert texts == {"P1": "miR-21 a different text", "P2": "miR-22 text"}


def test_missing_input_is_an_error_naming_it_but_optional_folders_are_fine(tmp_path):
    missing = tmp_path / "nowhere" / "papers"
    with pytest.raises(MirlensError, match=str(missing)):
        collect([FIX / "plain.txt", missing], 2, tmp_path / "out")
    assert (
        main(
            [
                "collect",
                "--inputs",
                str(missing),
                "--shard-docs",
                "2",
                "--out-dir",
                str(tmp_path / "o"),
            ]
        )
        == 1
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    table = collect([empty], 2, tmp_path / "out2", optional=[missing])
    assert len(table) == 0
    assert list(read_tsv(tmp_path / "out2" / "documents.tsv").columns) == DOCUMENT_COLUMNS
    assert shard_files(tmp_path / "out2") == {}
    assert read_tsv(tmp_path / "out2" / "shards.tsv").empty
    with pytest.raises(MirlensError, match="at least 1"):
        collect([empty], 0, tmp_path / "out3")


def test_skipped_documents_are_listed_without_a_shard(tmp_path):
    table = collect([FIX], 4, tmp_path)
    skipped = table[table["status"] != "ok"]
    assert {Path(p).name for p in skipped["path"]} == {"bomb.xml", "xxe.xml", "records.jsonl"}
    assert (skipped["shard"] == "").all()
    assert (skipped["n_chars"] == "0").all()
    ok = table[table["status"] == "ok"]
    assert ok["shard"].str.fullmatch(LABEL_PATTERN).all()
    n_in_shards = sum(1 for p in (tmp_path / "shards").iterdir() for _ in read_jsonl(p))
    assert n_in_shards == len(ok)


def test_cli_cache_dir_gives_the_same_outputs(tmp_path):
    base = ["collect", "--inputs", str(FIX), "--shard-docs", "3"]
    assert main(base + ["--out-dir", str(tmp_path / "a")]) == 0
    cached = base + ["--cache-dir", str(tmp_path / "cache")]
    assert main(cached + ["--out-dir", str(tmp_path / "b")]) == 0
    assert main(cached + ["--out-dir", str(tmp_path / "c")]) == 0
    assert any((tmp_path / "cache").rglob("*.jsonl"))
    for name in ("documents.tsv", "shards.tsv"):
        a = (tmp_path / "a" / name).read_bytes()
        assert a == (tmp_path / "b" / name).read_bytes() == (tmp_path / "c" / name).read_bytes()
    assert shard_files(tmp_path / "a") == shard_files(tmp_path / "c")


def test_shards_read_back_as_the_same_documents(tmp_path):
    from mirlens.literature.readers import iter_documents

    collect([FIX], 2, tmp_path)
    original = {d.doc_id: d for d in iter_documents([FIX]) if d.ok}
    back = {d.doc_id: d for d in iter_documents([tmp_path / "shards"])}
    assert set(back) == set(original)
    for doc_id, doc in back.items():
        src = original[doc_id]
        assert doc.ok
        assert (doc.text, doc.title, doc.year, doc.pmid, doc.doi, doc.source, doc.sha256) == (
            src.text,
            src.title,
            src.year,
            src.pmid,
            src.doi,
            src.source,
            src.sha256,
        )


# ----------------------------------------------------------------- reuse of unchanged files


def outputs(out: Path) -> dict[str, bytes]:
    files = {n: (out / n).read_bytes() for n in ("documents.tsv", "shards.tsv")}
    return files | {f"shards/{k}": v for k, v in shard_files(out).items()}


@pytest.fixture
def reads(monkeypatch):
    """The paths collect parses, in order (a reused file is not among them)."""
    from mirlens.literature import collect as module

    seen: list[str] = []

    def counted(path, cache_dir=None):
        seen.append(Path(path).name)
        return module_read_path(path, cache_dir)

    module_read_path = module.read_path
    monkeypatch.setattr(module, "read_path", counted)
    return seen


def same_as_cold(lit: Path, out: Path, tmp_path: Path, shard_docs: int) -> None:
    """The warm-cache outputs equal those of a run with no cache and no earlier outputs."""
    cold = tmp_path / f"cold{len(list(tmp_path.glob('cold*')))}"
    collect([lit], shard_docs, cold)
    assert outputs(out) == outputs(cold)


def lit_folder(tmp_path: Path) -> Path:
    lit = tmp_path / "lit"
    write_docs(lit, {f"doc{i:02d}.txt": f"Document {i} mentions miR-{i}." for i in range(12)})
    write_docs(lit, {"big.jsonl": "".join(
        json.dumps({"doc_id": f"P{i}", "text": f"miR-{i} in paper {i}"}) + "\n" for i in range(9)
    )})  # fmt: skip
    return lit


def test_unchanged_files_are_not_parsed_again_and_outputs_match_a_cold_run(tmp_path, reads, caplog):
    lit, out, cache = lit_folder(tmp_path), tmp_path / "out", tmp_path / "cache"
    collect([lit], 4, out, cache_dir=cache)
    assert len(reads) == 13
    reads.clear()
    with caplog.at_level("INFO"):
        collect([lit], 4, out, cache_dir=cache)
    assert reads == []  # every file's rows and every shard reused
    assert "13 of 13 files unchanged, not read" in caplog.text
    same_as_cold(lit, out, tmp_path, 4)
    # a new file is read, and the files in the shards it changes are read again for them
    before = shard_files(out)
    write_docs(lit, {"doc05b.txt": "A new paper on miR-9000."})
    reads.clear()
    table = collect([lit], 4, out, cache_dir=cache)
    after = shard_files(out)
    changed = {name[:-6] for name in after if before.get(name) != after[name]}
    in_changed = {
        Path(p).name for p, s in zip(table["path"], table["shard"], strict=True) if s in changed
    }
    assert reads[0] == "doc05b.txt" and set(reads) == in_changed
    assert len(changed) < len(after)  # some shards were kept unread
    same_as_cold(lit, out, tmp_path, 4)


def test_changed_files_are_read_again(tmp_path, reads, monkeypatch):
    from mirlens.literature import reuse

    monkeypatch.setattr(reuse, "SETTLE_NS", 0)  # stat fields trusted at once (no hashing)
    lit, out, cache = lit_folder(tmp_path), tmp_path / "out", tmp_path / "cache"
    collect([lit], 4, out, cache_dir=cache)
    big = lit / "big.jsonl"
    # a record appended: the size changes
    with open(big, "a") as fh:
        fh.write(json.dumps({"doc_id": "P9", "text": "miR-99 too"}) + "\n")
    reads.clear()
    collect([lit], 4, out, cache_dir=cache)
    assert reads == ["big.jsonl"]
    same_as_cold(lit, out, tmp_path, 4)
    # the same size, the modification time set back: ctime still moves
    st = big.stat()
    big.write_bytes(big.read_bytes().replace(b"miR-99 too", b"miR-98 too"))
    os.utime(big, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert big.stat().st_size == st.st_size and big.stat().st_mtime_ns == st.st_mtime_ns
    reads.clear()
    collect([lit], 4, out, cache_dir=cache)
    assert reads == ["big.jsonl"]
    same_as_cold(lit, out, tmp_path, 4)
    # only the times changed (touch): hashed, found equal, not parsed
    os.utime(lit / "doc03.txt")
    reads.clear()
    collect([lit], 4, out, cache_dir=cache)
    assert reads == []
    same_as_cold(lit, out, tmp_path, 4)


def test_a_new_duplicate_rebuilds_the_shard_of_the_copy_it_replaces(tmp_path, reads):
    lit, out, cache = lit_folder(tmp_path), tmp_path / "out", tmp_path / "cache"
    collect([lit], 4, out, cache_dir=cache)
    longer = {"doc_id": "P3", "text": "miR-3 in paper 3, told at greater length"}
    write_docs(lit, {"zz.jsonl": json.dumps(longer) + "\n"})
    reads.clear()
    table = collect([lit], 4, out, cache_dir=cache)
    assert (
        table.set_index("path")
        .loc[str(lit / "big.jsonl")]
        .query("doc_id == 'P3'")["status"]
        .str.startswith("skipped: duplicate")
        .all()
    )
    same_as_cold(lit, out, tmp_path, 4)


def test_a_damaged_index_costs_a_full_read(tmp_path, reads):
    lit, out, cache = lit_folder(tmp_path), tmp_path / "out", tmp_path / "cache"
    collect([lit], 4, out, cache_dir=cache)
    for index in (cache / "collect").iterdir():
        index.write_bytes(b"not an index")
    reads.clear()
    collect([lit], 4, out, cache_dir=cache)
    assert len(reads) == 13
    same_as_cold(lit, out, tmp_path, 4)
