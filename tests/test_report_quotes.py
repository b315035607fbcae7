"""The report from per-shard quote summaries is the report from the mentions, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from report_fixtures import make_results

from mirlens.io import read_tsv, write_parquet, write_tsv
from mirlens.report.build import build_report
from mirlens.report.data import MAX_OTHER_DOCS, MAX_SENTENCES, unpack
from mirlens.report.quotes import shard_quotes, to_frame, write_quotes

COLS = ["doc_id", "start", "end", "text", "sentence", "mirbase_ids", "mirbase_names"]
COLS += ["status", "sentence_start", "themes"]
M21 = ("MIMAT0000076", "hsa-miR-21-5p")
M21_3P = ("MIMAT0004494", "hsa-miR-21-3p")


def _doc(doc: str, n: int, themes: str = "", arm: tuple = M21) -> list[list]:
    """``n`` mentions of a miR-21 arm in ``doc``, two per sentence (more sentences than
    quoted); the same sentence text twice counts once."""
    rows = []
    for i in range(n):
        sentence = f"In {doc}, miR-21 rose (sentence {i // 2}) and miR-21 fell."
        start = 1000 * (i // 2)
        s = sentence.index("miR-21") if i % 2 == 0 else sentence.rindex("miR-21")
        rows.append([doc, start + s, start + s + 6, "miR-21", sentence, *arm, "resolved"])
        rows[-1] += [start, themes if i == n - 1 else ""]
    return rows


def _shards() -> list[pd.DataFrame]:
    """Shard a: more than MAX_OTHER_DOCS documents cited more often than its theme-context
    document a-theme; shard b: fewer, with an ambiguous and an unresolved mention."""
    a = [r for i in range(MAX_OTHER_DOCS + 2) for r in _doc(f"a{i}", 12 - i)]
    a += _doc("a-theme", 1, "EMT") + _doc("a-3p", 2, arm=M21_3P)
    b = _doc("b0", 11) + _doc("b1", 3, "EMT")
    b += [["b2", "5", "11", "miR-21", "miR-21 again.", f"{M21[0]};{M21_3P[0]}"]]
    b[-1] += [f"{M21[1]};{M21_3P[1]}", "ambiguous", "0", ""]
    b += [["b2", "20", "28", "miR-9999", "An odd miR-9999.", "", "", "unresolved", "0", ""]]
    shards = []
    for rows in (a, b):
        df = pd.DataFrame(rows, columns=COLS).astype(str)
        keys = df.assign(s=df["start"].astype(int)).sort_values(["doc_id", "s"], kind="stable")
        shards.append(df.loc[keys.index].reset_index(drop=True))
    return shards


def test_quotes_give_the_report_of_the_mentions(tmp_path: Path) -> None:
    results = make_results(tmp_path / "results")
    shards = _shards()
    paths, quotes = [], []
    for i, df in enumerate(shards):
        paths.append(tmp_path / f"s{i}.parquet")
        quotes.append(tmp_path / f"s{i}.quotes.parquet")
        write_parquet(df, paths[-1])
        write_quotes(df, quotes[-1])
    table = pd.concat(shards, ignore_index=True)
    write_tsv(table.assign(kind="", expansion="", arm_policy="", species="", reason=""),
              results / "mentions.tsv")  # fmt: skip
    ev = read_tsv(results / "evidence.tsv")
    mine = ev["mirna"].eq(M21[1]) & ev["theme"].eq("EMT")
    ev.loc[mine, ["n_theme_documents", "theme_documents"]] = ["2", "a-theme;b1"]
    write_tsv(ev, results / "evidence.tsv")
    # a-theme is outside its shard's top documents, yet the shard keeps it
    kept = shard_quotes(shards[0]).groups["hsa-miR-21"]["docs"]
    assert "a-theme" in kept and len(kept) == MAX_OTHER_DOCS + 1
    pages = {}
    for how, kwargs in {
        "tsv": {},
        "parquet": {"mentions": paths},
        "quotes": {"quote_files": quotes},
    }.items():
        build_report(results, tmp_path / how / "index.html", **kwargs)
        pages[how] = (tmp_path / how / "index.html").read_bytes()
    assert pages["quotes"] == pages["parquet"] == pages["tsv"]
    html = pages["quotes"].decode("utf-8")
    payload = unpack(html.split('id="mirlens-data"')[1].split(">", 1)[1].split("<", 1)[0])
    group = payload["g"]["hsa-miR-21"]
    docs = [payload["docs"][s[0]][0] for s in group["s"]]
    assert docs[0] == "a-theme" and "b1" in docs and "a0" in docs and "b0" in docs
    assert max(docs.count(d) for d in docs) == MAX_SENTENCES
    assert group["nd"] == MAX_OTHER_DOCS + 7 and group["arms"] == [M21_3P[1], M21[1]]


def test_quotes_table_is_deterministic() -> None:
    shard = _shards()[1]
    assert to_frame(shard_quotes(shard)).equals(to_frame(shard_quotes(shard.copy())))
