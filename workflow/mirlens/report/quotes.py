"""What the report needs of the mentions, summarised per shard so that no shard is re-read.

The report quotes, per precursor, its theme-context documents (from ``evidence.tsv``)
first, then its :data:`~mirlens.report.data.MAX_OTHER_DOCS` most-cited other documents.
A document lives in one shard and theme-context documents are documents whose sentences
name the miRNA in a theme's terms, so a shard keeps, per precursor, every document with
such a sentence plus its own top other documents: the overall top of the documents not
quoted for their theme is always among them (one of them has fewer than MAX_OTHER_DOCS
others above it in its own shard). Besides: the status counts and the documents with a
named mention. Merged, the shards' summaries give the report what the mentions give it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mirlens.io import read_parquets, write_parquet
from mirlens.report.data import RESOLVED, by_group, mention_table, pick_docs, quote
from mirlens.report.fmt import precursor

COLUMNS = ["kind", "key", "doc_id", "n", "value"]


@dataclass
class Quotes:
    # precursor -> {"arms": set, "nd": documents naming it, "docs": doc -> (rows, quotes as
    # JSON: most are never quoted, so they stay text)}
    groups: dict[str, dict] = field(default_factory=dict)
    named: set[str] = field(default_factory=set)  # documents with a resolved, named mention
    status: Counter = field(default_factory=Counter)  # mention rows by status


def themed_docs(mentions: pd.DataFrame) -> dict[str, set[str]]:
    """Per precursor: documents with a sentence naming it in a theme's terms (the mentions'
    ``themes`` column; a superset of its theme-context documents)."""
    table = mention_table(mentions[mentions["themes"] != ""])
    out: dict[str, set[str]] = {}
    for name, doc in zip(table["name"], table["doc_id"], strict=True):
        out.setdefault(precursor(name), set()).add(doc)
    return out


def summarise(mentions: pd.DataFrame, keep: Mapping[str, Iterable[str]]) -> Quotes:
    """The report's part of ``mentions`` (in the order of ``mentions.tsv``): per precursor,
    the documents in ``keep`` plus the most-cited others, with their quotes."""
    groups = {}
    for group, g in by_group(mentions).items():
        per_doc = g["docs"]
        counts = {d: sum(map(len, s.values())) for d, s in per_doc.items()}
        kept = pick_docs(counts, sorted(keep.get(group, ())))
        docs = {d: (counts[d], json.dumps(quote(per_doc[d]), ensure_ascii=False)) for d in kept}
        groups[group] = {"arms": g["arms"], "nd": len(per_doc), "docs": docs}
    named = mentions["status"].isin(RESOLVED) & (mentions["mirbase_names"] != "")
    return Quotes(groups, set(mentions.loc[named, "doc_id"]), Counter(mentions["status"]))


def shard_quotes(mentions: pd.DataFrame) -> Quotes:
    """One shard's summary: its documents in theme context kept whatever their rank."""
    return summarise(mentions, themed_docs(mentions))


def to_frame(q: Quotes) -> pd.DataFrame:
    """One table of :data:`COLUMNS`: kind "group" (arms as JSON, n documents), "doc" (mention
    rows, quotes as JSON), "named" (doc_id) and "status" (rows)."""
    rows = []
    for group, g in sorted(q.groups.items()):
        rows.append(["group", group, "", g["nd"], json.dumps(sorted(g["arms"]))])
        rows += [["doc", group, doc, n, quotes] for doc, (n, quotes) in g["docs"].items()]
    rows += [["named", "", doc, 0, ""] for doc in sorted(q.named)]
    rows += [["status", status, "", n, ""] for status, n in sorted(q.status.items())]
    df = pd.DataFrame(rows, columns=COLUMNS)
    return df.astype({"kind": str, "key": str, "doc_id": str, "n": "int64", "value": str})


def from_table(table: Any) -> Quotes:
    """:func:`to_frame` tables (pyarrow), of one shard or several concatenated, read back as
    one summary (a document lives in one shard: counts add up, arms join)."""
    import pyarrow.compute as pc

    def rows(kind: str, columns: list[str]) -> list[list]:
        part = table.filter(pc.equal(table.column("kind"), kind))
        return [part.column(c).to_pylist() for c in columns]

    q = Quotes()
    arms: dict[str, set[str]] = {}  # a few distinct lists, repeated in every shard
    for key, n, value in zip(*rows("group", ["key", "n", "value"]), strict=True):
        g = q.groups.setdefault(key, {"arms": set(), "nd": 0, "docs": {}})
        if value not in arms:
            arms[value] = set(json.loads(value))
        g["arms"] |= arms[value]
        g["nd"] += n
    for key, doc, n, value in zip(*rows("doc", ["key", "doc_id", "n", "value"]), strict=True):
        q.groups[key]["docs"][doc] = (n, value)
    q.named = set(rows("named", ["doc_id"])[0])
    for key, n in zip(*rows("status", ["key", "n"]), strict=True):
        q.status[key] += n
    return q


def write_quotes(mentions: pd.DataFrame, path: str | Path) -> None:
    write_parquet(to_frame(shard_quotes(mentions)), path)


def read_quotes(paths: Iterable[str | Path]) -> Quotes:
    """The per-shard summaries (``<shard>.quotes.parquet``) merged."""
    return from_table(read_parquets(paths, COLUMNS, what="quote summary"))
