"""Fast paths of the downstream steps give what the plain pandas / regex code gave."""

from __future__ import annotations

import pandas as pd
import pytest

from mirlens.evidence.context import MENTION_COLUMNS, read_mentions
from mirlens.io import join_by, write_parquet, write_tsv
from mirlens.themes import Themes, load_themes


def test_join_by_equals_groupby_join():
    df = pd.DataFrame(
        {
            "a": ["x", "y", "x", "z", "y", None, "x"],
            "b": ["1", "1", "2", "1", "1", "1", "1"],
            "v": ["p", "q", "r", "s", "t", "u", "w"],
        }
    )
    expected = df.groupby(["a", "b"], sort=True)["v"].agg(";".join)
    pd.testing.assert_series_equal(join_by(df, ["a", "b"], "v"), expected, check_dtype=False)
    assert join_by(df.iloc[:0], ["a", "b"], "v").empty


SENTENCES = [
    "CD8+ T-cells and Tcell lines, T cell help",  # parts joined by a hyphen, nothing, a space
    "TGF-β1 and NF-κB",  # Greek letters spelt out before the clue test
    "ſnail and \u212aappa",  # not ASCII: every pattern runs (re's case folding is wider)
    "İmmune cells; IMMUNE escape",
    "SNAI2 and IL-6 drive it; il6 does not",
    "nothing at all here",
    "EMT-related, emt, Emt",
]


@pytest.mark.parametrize("sentence", SENTENCES)
def test_hits_are_the_keys_of_matches(sentence):
    vocab = {
        "EMT": {"vocabulary": ["EMT", "Snail", "TGF-beta1"]},
        "immune": {"vocabulary": ["T cell", "immune", "NF-kappaB", "kappa"]},
    }
    themes = load_themes(vocab).with_genes({"EMT": {"SNAI2"}, "immune": {"IL6", "il6x"}})
    assert themes.hits(sentence) == list(themes.matches(sentence))


def test_symbols_without_capitals_still_match():
    """A Themes built directly may hold a symbol in lower case: no token is skipped then."""
    themes = Themes({"X": {}}, {}, {"X": frozenset({"abc"})})
    assert themes.hits("the abc gene") == ["X"]


def test_mentions_from_parquet_equal_tsv(tmp_path):
    mentions = pd.DataFrame(
        {
            "doc_id": ["d1", "d2", "d3"],
            "start": ["0", "4", "9"],
            "sentence": ["a\tb", "c", "d"],
            "mirbase_ids": ["M1;M2", "", "M3"],
            "status": ["resolved", "unresolved", "resolved"],
        }
    )
    write_parquet(mentions.iloc[:2], tmp_path / "a.parquet")
    write_parquet(mentions.iloc[2:], tmp_path / "b.parquet")
    write_parquet(mentions.iloc[:0], tmp_path / "empty.parquet")
    write_tsv(mentions, tmp_path / "mentions.tsv")
    shards = read_mentions([tmp_path / n for n in ("a.parquet", "empty.parquet", "b.parquet")])
    table = read_mentions([tmp_path / "mentions.tsv"])
    pd.testing.assert_frame_equal(shards, table)
    assert list(shards.columns) == MENTION_COLUMNS and shards["doc_id"].tolist() == ["d1", "d3"]


@pytest.mark.parametrize(
    "text",
    [
        "a\tb\tc\n1\tx\\ty\t\n2\tNA\t3.0\n",  # escapes, empty cells, 'NA' kept as text
        "a\tb\n",  # header only
        "a\tb\n1\t2\n\n3\t4\n",  # a blank line
        "a\tb\n1\n",  # a short row (pandas fills it)
        "a\tb\n1\t2\t3\n",  # a long row (pandas fails)
        'a\tb\n"x"\t"y z\n',  # quotes are text
        "a\ta\n1\t2\n",  # a repeated column name
        "a\tb\n1\t2",  # no final line end
    ],
)
@pytest.mark.parametrize("usecols", [None, ["b"], ["a", "zz"]])
def test_read_tsv_reads_as_pandas_would(tmp_path, text, usecols):
    """The pyarrow path of read_tsv gives pandas' frame, or pandas' error."""
    import csv

    from mirlens.io import _ESCAPED, _map_text, read_tsv, unescape_cell

    path = tmp_path / "t.tsv"
    path.write_text(text)
    extra = {} if usecols is None else {"usecols": usecols}

    def by_pandas():
        df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False,
                         quoting=csv.QUOTE_NONE, **extra)  # fmt: skip
        return _map_text(df, unescape_cell, _ESCAPED)

    try:
        expected = by_pandas()
    except (ValueError, pd.errors.ParserError) as exc:
        with pytest.raises(type(exc)):
            read_tsv(path, **extra)
        return
    pd.testing.assert_frame_equal(read_tsv(path, **extra), expected)


def test_report_reads_shards_in_the_order_of_mentions_tsv(tmp_path):
    """The report's mentions from Parquet shards = its mentions from mentions.tsv."""
    from mirlens.mention_table import merge_mentions
    from mirlens.report.load import MENTION_COLS, shard_mentions, table

    def shard(rows):
        cols = ["doc_id", "start", "end", "text", "sentence", "mirbase_names", "status"]
        return pd.DataFrame(rows, columns=cols).assign(sentence_start="0")

    a = shard([["d2", "10", "16", "miR-21", "s2", "hsa-miR-21-5p", "resolved"],
               ["d2", "2", "8", "miR-9", "s1", "hsa-miR-9-5p", "resolved"]])  # fmt: skip
    b = shard([["d1", "0", "6", "miR-1", "s0\tx", "hsa-miR-1-3p", "unresolved"]])
    paths = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    write_parquet(a, paths[0])
    write_parquet(b, paths[1])
    write_tsv(merge_mentions(paths), tmp_path / "mentions.tsv")
    expected = table(tmp_path / "mentions.tsv", MENTION_COLS, [])
    pd.testing.assert_frame_equal(shard_mentions(paths), expected, check_dtype=False)
