"""Result tables are real TSV: one physical line per row, no quoting, cells escaped."""

from __future__ import annotations

import csv

import pandas as pd

from mirlens.io import escape_cell, read_tsv, unescape_cell, write_tsv

NASTY = [
    "tab\there",
    "two\nlines",
    "windows\r\nline",
    "back\\slash",
    "literal \\t and \\n",
    '"quoted" cell',
    "'single'",
    "",
    "trailing\\",
    "plain",
]


def test_escape_round_trips_and_leaves_no_control_characters():
    for value in NASTY:
        escaped = escape_cell(value)
        assert not any(c in escaped for c in "\t\n\r")
        assert unescape_cell(escaped) == value


def test_table_with_tabs_newlines_and_quotes_is_one_line_per_row(tmp_path):
    df = pd.DataFrame(
        {
            "doc_id": [f"d{i}" for i in range(len(NASTY))],
            "sentence": NASTY,
            "n": range(len(NASTY)),
            "score": [0.5] * len(NASTY),
        }
    )
    path = tmp_path / "t.tsv"
    write_tsv(df, path)
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) - 1 == len(df) + 1  # header + rows, LF each
    assert all(line.count(b"\t") == 3 for line in lines[:-1])
    assert b'"""' not in path.read_bytes()  # never CSV-quoted
    back = read_tsv(path)
    assert back["sentence"].tolist() == NASTY
    assert back["n"].tolist() == [str(i) for i in range(len(NASTY))]
    # a plain TSV reader sees the same rows and columns, escapes left in
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert len(rows) == len(df) + 1 and rows[2][1] == "two\\nlines"


def test_chunked_reads_are_unescaped(tmp_path):
    df = pd.DataFrame({"a": ["x\ty"] * 5, "b": range(5)})
    write_tsv(df, tmp_path / "t.tsv")
    chunks = list(read_tsv(tmp_path / "t.tsv", chunksize=2))
    assert len(chunks) == 3 and pd.concat(chunks)["a"].tolist() == ["x\ty"] * 5
