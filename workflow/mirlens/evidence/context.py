"""Theme context from the literature: which documents discuss a miRNA in a theme's terms.

A document counts for (miRNA, theme) when a sentence of it that mentions the miRNA (a
resolved mention, also through a family or cluster name) contains the theme's vocabulary
or a usable gene symbol of the theme's sets that every library agrees on (rules in
:mod:`mirlens.themes`, :func:`mirlens.themes.context_genes`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from mirlens.genesets import Library
from mirlens.io import join_by, read_columns, split_list
from mirlens.themes import Themes

MAX_DOCUMENTS = 20  # theme_documents lists at most this many doc_ids (contract)
CONTEXT_COLUMNS = ["mirbase_id", "theme", "n_theme_documents", "theme_documents"]
MENTION_COLUMNS = ["doc_id", "sentence", "mirbase_ids", "status"]


def read_mentions(paths: Iterable[str | Path]) -> pd.DataFrame:
    """The resolved mentions' :data:`MENTION_COLUMNS`, from per-shard Parquet files (only
    these columns are read) or from ``mentions.tsv``."""
    mentions = read_columns(paths, MENTION_COLUMNS)
    return mentions[mentions["status"] == "resolved"].reset_index(drop=True)


def theme_genes(themes: Themes, libraries: Mapping[str, Library]) -> dict[str, set[str]]:
    """Theme -> the genes (upper-case symbols) of its sets, over every library given."""
    out: dict[str, set[str]] = {t: set() for t in themes.names}
    for theme in themes.names:
        for name, library in libraries.items():
            for set_name in themes.set_names(theme, name):
                out[theme].update(g.upper() for g in library.sets.get(set_name, []))
    return out


def sentence_themes(sentences: Iterable[str], themes: Themes) -> dict[str, list[str]]:
    """Distinct sentence -> the themes it is about (computed once per distinct sentence)."""
    return {s: themes.hits(s) for s in dict.fromkeys(sentences)}


def mention_themes(mentions: pd.DataFrame, themes: Themes) -> pd.DataFrame:
    """One row per (mirbase_id, theme, doc_id, sentence) of resolved mentions in context."""
    resolved = mentions.loc[mentions["status"] == "resolved", ["doc_id", "sentence", "mirbase_ids"]]
    by_sentence = sentence_themes(resolved["sentence"], themes)
    rows = resolved.assign(
        mirbase_id=resolved["mirbase_ids"].map(split_list),
        theme=resolved["sentence"].map(by_sentence),
    )
    rows = rows.explode("mirbase_id").explode("theme").dropna(subset=["mirbase_id", "theme"])
    rows = rows[rows["mirbase_id"] != ""]
    cols = ["mirbase_id", "theme", "doc_id", "sentence"]
    return rows[cols].drop_duplicates().reset_index(drop=True)


def theme_documents(in_context: pd.DataFrame) -> pd.DataFrame:
    """Per (mirbase_id, theme): number of documents, and doc_ids with most sentences first."""
    if in_context.empty:
        return pd.DataFrame(columns=CONTEXT_COLUMNS)
    per_doc = (
        in_context.groupby(["mirbase_id", "theme", "doc_id"], sort=False)
        .size()
        .rename("n_sentences")
        .reset_index()
        .sort_values(
            ["mirbase_id", "theme", "n_sentences", "doc_id"], ascending=[True, True, False, True]
        )
    )
    keys = ["mirbase_id", "theme"]
    listed = per_doc.groupby(keys, sort=False).head(MAX_DOCUMENTS)
    out = pd.DataFrame(
        {
            "n_theme_documents": per_doc.groupby(keys, sort=True).size(),
            "theme_documents": join_by(listed, keys, "doc_id"),
        }
    )
    return out.reset_index()[CONTEXT_COLUMNS]
