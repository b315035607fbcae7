"""The report's data, grouped once: sentences per precursor, targets by evidence, statistics.

Each table is grouped in one pass (never scanned once per miRNA), and only what the report
shows is kept: the quoted sentences of a precursor's theme-context documents and its most
cited others, its targets in evidence order, its themed gene-set statistics. The result is
a compact JSON-ready payload the page renders on demand.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import numpy as np
import pandas as pd

from mirlens.io import split_list
from mirlens.report.fmt import precursor

MAX_THEME_DOCS = 8  # theme-context documents quoted per miRNA and theme
MAX_OTHER_DOCS = 5  # further documents quoted per precursor (most mentions first)
MAX_SENTENCES = 3  # sentences quoted per document
MAX_SENTENCE_CHARS = 600  # longer sentences (PDF run-ons) are cut around the first mention
MAX_TARGETS = 20  # top targets listed per miRNA (all of them are in consensus.tsv)
MAX_THEME_TARGETS = 60
MAX_EXPLORATORY = 5  # exploratory gene sets listed per miRNA (own FDR)
RESOLVED = ("resolved", "ambiguous")


def target_order(consensus: pd.DataFrame) -> pd.DataFrame:
    """Consensus rows in evidence order per miRNA: validated strong, validated, n sources, score.

    Adds ``tier`` (2 strong validated, 1 validated, 0 predicted) and ``ns`` (n sources).
    """
    c = consensus
    ev = c["evidence_mirtarbase"].where(c["evidence_mirtarbase"] != "", c["evidence"])
    nval = pd.to_numeric(c["n_validated"], errors="coerce")
    validated = nval.fillna(c["sources"].str.contains("mirtarbase").astype(float)) > 0
    strong = validated & ev.str.contains("strong|luciferase|western|reporter", case=False)
    out = pd.DataFrame(
        {
            "mirna": c["mirna"],
            "gene": c["gene_symbol"],
            "tier": np.where(strong, 2, np.where(validated, 1, 0)),
            "ns": pd.to_numeric(c["n_sources"], errors="coerce").fillna(1).astype(int),
            "mirdb": -pd.to_numeric(c["score_mirdb"], errors="coerce").fillna(0),
            "ts": pd.to_numeric(c["score_targetscan"], errors="coerce").fillna(0),
        }
    )
    return out.sort_values(
        ["mirna", "tier", "ns", "mirdb", "ts", "gene"],
        ascending=[True, False, False, True, True, True],
        kind="mergesort",
    )


def targets_payload(ordered: pd.DataFrame, names: set[str]) -> tuple[dict, dict]:
    """Top targets per miRNA ([gene, tier, n sources]) and gene -> (tier, ns, position)."""
    tops, keys = {}, {}
    ordered = ordered[ordered["mirna"].isin(names)]
    for name, g in ordered.groupby("mirna", sort=False):
        genes, tiers, ns = g["gene"].tolist(), g["tier"].tolist(), g["ns"].tolist()
        tops[name] = {
            "top": [[a, int(b), int(c)] for a, b, c in zip(genes, tiers, ns, strict=True)][
                :MAX_TARGETS
            ],
            "n": len(genes),
            "nv": int(sum(1 for t in tiers if t > 0)),
        }
        keys[name] = {gene: (int(t), int(n), i) for i, (gene, t, n) in enumerate(zip(genes, tiers, ns, strict=True))}
    return tops, keys


def order_genes(genes: list[str], key: dict[str, tuple]) -> list[list]:
    """Genes in evidence order with their tier and sources (unknown genes last, by name)."""
    known = sorted((g for g in genes if g in key), key=lambda g: key[g][2])
    rest = sorted(g for g in genes if g not in key)
    return [[g, key[g][0], key[g][1]] for g in known] + [[g, 0, 0] for g in rest]


def stats_payload(enr: pd.DataFrame, keys: dict, alpha: float) -> tuple[dict, dict]:
    """Per miRNA: themed gene-set rows (+ a few exploratory ones), and theme targets.

    Rows are [library, gene_set, theme, hypothesis, overlap, set_size, p, fdr, genes, n_genes]
    with genes in evidence order (at most 20; n_genes says how many there are).
    """
    enr = enr.sort_values(["scope", "fdr", "pvalue", "gene_set"], kind="mergesort")
    stats: dict[str, list] = {}
    theme_targets: dict[str, dict[str, Any]] = {}
    for name, g in enr.groupby("scope", sort=False):
        key = keys.get(name, {})
        themed = g[g["hypothesis"] == "themed"]
        explo = g[(g["hypothesis"] != "themed") & (g["fdr"] <= alpha)].head(MAX_EXPLORATORY)
        rows, per_theme = [], {}
        for r in pd.concat([themed, explo]).itertuples(index=False):
            genes = order_genes([x for x in split_list(r.genes) if x], key)
            for theme in split_list(r.theme) if r.hypothesis == "themed" else []:
                per_theme.setdefault(theme, set()).update(x[0] for x in genes)
            rows.append(
                [r.library, r.gene_set, r.theme, r.hypothesis, _int(r.overlap), _int(r.set_size)]
                + [_float(r.pvalue), _float(r.fdr), genes[:20], len(genes)]
            )
        stats[name] = rows
        theme_targets[name] = {
            t: _capped(order_genes(sorted(gs), key), MAX_THEME_TARGETS)
            for t, gs in sorted(per_theme.items())
        }
    return stats, theme_targets


def _capped(items: list, n: int) -> dict:
    return {"g": items[:n], "n": len(items)}


def _int(v: Any) -> int | None:
    return None if v != v or v is None else int(v)


def _float(v: Any) -> float | None:
    return None if v != v or v is None else float(f"{float(v):.3g}")


def clip_sentence(sentence: str, spans: list[int]) -> tuple[str, list[int]]:
    """Cut a very long sentence to a window around its first mention (spans shift along)."""
    if len(sentence) <= MAX_SENTENCE_CHARS:
        return sentence, spans
    first = spans[0] if spans else 0
    lo = max(0, first - MAX_SENTENCE_CHARS // 3)
    hi = lo + MAX_SENTENCE_CHARS
    text = ("…" if lo else "") + sentence[lo:hi] + ("…" if hi < len(sentence) else "")
    shift = 1 if lo else 0
    kept = []
    for s, e in zip(spans[::2], spans[1::2], strict=True):
        if s >= lo and e <= hi:
            kept += [s - lo + shift, e - lo + shift]
    return text, kept


def mention_table(mentions: pd.DataFrame) -> pd.DataFrame:
    """One row per (precursor, doc, sentence, span): resolved mentions exploded by name."""
    m = mentions[mentions["status"].isin(RESOLVED) & (mentions["mirbase_names"] != "")]
    names = m["mirbase_names"].str.split(";")
    m = m.assign(name=names).explode("name")
    m = m[m["name"] != ""]
    start = pd.to_numeric(m["start"], errors="coerce")
    end = pd.to_numeric(m["end"], errors="coerce")
    sstart = pd.to_numeric(m["sentence_start"], errors="coerce")
    out = pd.DataFrame(
        {
            "group": m["name"].map(precursor),
            "name": m["name"],
            "doc_id": m["doc_id"],
            "sentence": m["sentence"],
            "text": m["text"],
            "s": (start - sstart),
            "e": (end - sstart),
        }
    )
    return out.reset_index(drop=True)


def _spans(rows: pd.DataFrame, sentence: str) -> list[int]:
    """Flat [start, end, ...] of the mentions in a sentence (by offset, else by their text)."""
    spans = set()
    for s, e, text in zip(rows["s"], rows["e"], rows["text"], strict=True):
        if s == s and e == e and 0 <= s < e <= len(sentence) and sentence[int(s) : int(e)] == text:
            spans.add((int(s), int(e)))
        elif text:
            pos = sentence.find(text)
            while pos >= 0:
                spans.add((pos, pos + len(text)))
                pos = sentence.find(text, pos + 1)
    merged: list[list[int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [x for pair in merged for x in pair]


class DocIndex:
    """Documents referenced by the payload, each stored once, addressed by position."""

    def __init__(self, documents: pd.DataFrame):
        self.meta = {
            r[0]: [r[0], r[1], r[2], r[3], r[4]]
            for r in documents[["doc_id", "title", "year", "pmid", "doi"]].itertuples(index=False)
        }
        self.rows: list[list] = []
        self.index: dict[str, int] = {}

    def __call__(self, doc_id: str) -> int:
        if doc_id not in self.index:
            self.index[doc_id] = len(self.rows)
            self.rows.append(self.meta.get(doc_id, [doc_id, "", "", "", ""]))
        return self.index[doc_id]


def sentences_payload(
    mentions: pd.DataFrame, theme_docs: dict[str, list[str]], docs: DocIndex
) -> dict[str, dict]:
    """Per precursor: quoted sentences (each once) of the documents the report points to.

    ``theme_docs`` maps a precursor to the theme-context documents of its arms (most
    relevant first); those are quoted first, then the precursor's most-cited documents.
    """
    table = mention_table(mentions)
    out = {}
    for group, g in table.groupby("group", sort=True):
        per_doc = g.groupby("doc_id", sort=False).size().sort_values(ascending=False, kind="mergesort")
        wanted = list(dict.fromkeys(d for d in theme_docs.get(group, []) if d in per_doc.index))
        others = [d for d in per_doc.index if d not in set(wanted)][:MAX_OTHER_DOCS]
        chosen = set(wanted + others)
        quoted = []
        for doc_id, dg in g[g["doc_id"].isin(chosen)].groupby("doc_id", sort=False):
            for sentence, sg in list(dg.groupby("sentence", sort=False))[:MAX_SENTENCES]:
                text, spans = clip_sentence(sentence, _spans(sg, sentence))
                quoted.append([docs(doc_id), text, spans])
        order = {d: i for i, d in enumerate(wanted + others)}
        quoted.sort(key=lambda q: order[docs.rows[q[0]][0]])
        out[group] = {
            "arms": sorted(g["name"].unique()),
            "s": quoted,
            "nd": int(len(per_doc)),
        }
    return out


def pack(payload: dict) -> str:
    """JSON -> gzip (fixed mtime: byte-identical reruns) -> base64, for one inline block."""
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return base64.b64encode(gzip.compress(raw.encode("utf-8"), 9, mtime=0)).decode("ascii")


def unpack(text: str) -> dict:
    return json.loads(gzip.decompress(base64.b64decode(text)).decode("utf-8"))
