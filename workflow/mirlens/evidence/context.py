"""Theme context from the literature: which documents discuss a miRNA in a theme's terms.

A document counts for (miRNA, theme) when a sentence of it that mentions the miRNA (a
resolved mention, also through a family or cluster name) contains the theme's vocabulary
or a usable gene symbol of the theme's sets that every library agrees on (rules in
:mod:`mirlens.themes`, :func:`mirlens.themes.context_genes`). Extraction applies them
once per sentence (the mentions' ``themes`` column, with the `mirlens theme-context` file);
this step groups what it found.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from mirlens.genesets import Library
from mirlens.io import join_by, read_columns, split_list
from mirlens.theme_context import set_genes
from mirlens.themes import Themes

MAX_DOCUMENTS = 20  # theme_documents lists at most this many doc_ids (contract)
CONTEXT_COLUMNS = ["mirbase_id", "theme", "n_theme_documents", "theme_documents"]
PER_DOCUMENT = ["mirbase_id", "theme", "doc_id", "n_sentences"]
MENTION_COLUMNS = ["doc_id", "sentence", "mirbase_ids", "status", "themes"]


def read_mentions(paths: Iterable[str | Path]) -> pd.DataFrame:
    """The resolved mentions' :data:`MENTION_COLUMNS`, from per-shard Parquet files (only
    these columns are read) or from ``mentions.tsv``."""
    mentions = read_columns(paths, MENTION_COLUMNS)
    return mentions[mentions["status"] == "resolved"].reset_index(drop=True)


def theme_genes(themes: Themes, libraries: Mapping[str, Library]) -> dict[str, set[str]]:
    """Theme -> the genes (upper-case symbols) of its sets, over every library given."""
    return set_genes(themes, {name: library.sets for name, library in libraries.items()})


def sentence_themes(sentences: Iterable[str], themes: Themes) -> dict[str, list[str]]:
    """Distinct sentence -> the themes it is about (computed once per distinct sentence)."""
    return {s: themes.hits(s) for s in dict.fromkeys(sentences)}


def mention_themes(mentions: pd.DataFrame, themes: Themes | None = None) -> pd.DataFrame:
    """One row per (mirbase_id, theme, doc_id, sentence) of resolved mentions in context.

    The themes of a sentence are the mentions' ``themes`` column, as extraction found them
    with the theme-context file (so no sentence is matched again on a rerun), or, given
    ``themes``, matched here (mention tables extracted without that file)."""
    resolved = mentions.loc[mentions["status"] == "resolved"]
    if themes is None:
        theme = resolved["themes"].map(split_list)
    else:
        theme = resolved["sentence"].map(sentence_themes(resolved["sentence"], themes))
    rows = resolved[["doc_id", "sentence", "mirbase_ids"]].assign(
        mirbase_id=resolved["mirbase_ids"].map(split_list), theme=theme
    )
    rows = rows.explode("mirbase_id").explode("theme").dropna(subset=["mirbase_id", "theme"])
    rows = rows[(rows["mirbase_id"] != "") & (rows["theme"] != "")]
    cols = ["mirbase_id", "theme", "doc_id", "sentence"]
    return rows[cols].drop_duplicates().reset_index(drop=True)


def sentences_per_document(in_context: pd.DataFrame) -> pd.DataFrame:
    """Per (mirbase_id, theme, doc_id): the number of distinct sentences in context. A
    document lives in one shard, so each shard's extraction writes its part once
    (``<shard>.context.parquet``) and evidence only concatenates them."""
    return (
        in_context.groupby(["mirbase_id", "theme", "doc_id"], sort=True)
        .size()
        .rename("n_sentences")
        .reset_index()
        .reindex(columns=PER_DOCUMENT)
        .astype({"mirbase_id": str, "theme": str, "doc_id": str, "n_sentences": "int64"})
    )


def theme_documents(per_doc: pd.DataFrame) -> pd.DataFrame:
    """Per (mirbase_id, theme): number of documents, and doc_ids with most sentences first
    (from :func:`sentences_per_document`)."""
    if per_doc.empty:
        return pd.DataFrame(columns=CONTEXT_COLUMNS)
    per_doc = per_doc.sort_values(
        ["mirbase_id", "theme", "n_sentences", "doc_id"], ascending=[True, True, False, True]
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
