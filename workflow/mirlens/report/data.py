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
from mirlens.report.load import to_float

MAX_THEME_DOCS = 8  # theme-context documents quoted per miRNA and theme
MAX_OTHER_DOCS = 5  # further documents quoted per precursor (most mentions first)
MAX_SENTENCES = 3  # sentences quoted per document
MAX_SENTENCE_CHARS = 600  # longer sentences (PDF run-ons) are cut around the first mention
MAX_TARGETS = 20  # top targets listed per miRNA (all of them are in consensus.tsv)
MAX_THEME_TARGETS = 60
MAX_EXPLORATORY = 5  # exploratory gene sets listed per miRNA (own FDR)
RESOLVED = ("resolved", "ambiguous")
STRONG = "strong|luciferase|western|reporter"  # miRTarBase's strong evidence, however labelled


def read_ok(documents: pd.DataFrame) -> pd.Series:
    """Which documents were read (the others were skipped, their status says why)."""
    return documents["status"] == "ok"


def target_order(consensus: pd.DataFrame) -> pd.DataFrame:
    """Consensus rows in evidence order per miRNA: validated strong, validated, n sources, score.

    Returns ``mirna``, ``gene``, ``tier`` (2 strong validated, 1 validated, 0 predicted) and
    ``ns`` (n sources), indexed like ``consensus``; one lexsort, no per-miRNA pass.
    """
    c = consensus
    ev = c["evidence_mirtarbase"].where(c["evidence_mirtarbase"] != "", c["evidence"])
    nval = to_float(c["n_validated"])
    validated = (nval.fillna(c["sources"].str.contains("mirtarbase").astype(float)) > 0).to_numpy()
    strong = validated & ev.str.contains(STRONG, case=False).to_numpy(dtype=bool)
    tier = np.where(strong, 2, np.where(validated, 1, 0))
    ns = to_float(c["n_sources"]).fillna(1).astype(int).to_numpy()
    mirdb = to_float(c["score_mirdb"]).fillna(0).to_numpy()
    ts = to_float(c["score_targetscan"]).fillna(0).to_numpy()
    mirna = pd.factorize(c["mirna"], sort=True)[0]
    gene = pd.factorize(c["gene_symbol"], sort=True)[0]
    order = np.lexsort((gene, ts, -mirdb, -ns, -tier, mirna))
    out = pd.DataFrame(
        {
            "mirna": c["mirna"].to_numpy(),
            "gene": c["gene_symbol"].to_numpy(),
            "tier": tier,
            "ns": ns,
        },
        index=c.index,
    )
    return out.iloc[order]


def targets_payload(ordered: pd.DataFrame, names: set[str]) -> tuple[dict, dict]:
    """Top targets per miRNA ([gene, tier, n sources]) and gene -> (tier, ns, position)."""
    keys: dict[str, dict[str, tuple]] = {}
    cols = [ordered[c].tolist() for c in ("mirna", "gene", "tier", "ns")]
    for mirna, gene, tier, ns in zip(*cols, strict=True):
        if mirna in names:
            key = keys.setdefault(mirna, {})
            key.setdefault(gene, (int(tier), int(ns), len(key)))
    tops = {}
    for mirna, key in keys.items():
        genes = sorted(key, key=lambda g: key[g][2])
        tops[mirna] = {
            "top": [[g, key[g][0], key[g][1]] for g in genes[:MAX_TARGETS]],
            "n": len(genes),
            "nv": sum(1 for v in key.values() if v[0] > 0),
        }
    return tops, keys


def order_genes(genes: list[str], key: dict[str, tuple]) -> list[list]:
    """Genes in evidence order with their tier and sources (unknown genes last, by name)."""
    known = sorted((g for g in genes if g in key), key=lambda g: key[g][2])
    rest = sorted(g for g in genes if g not in key)
    return [[g, key[g][0], key[g][1]] for g in known] + [[g, 0, 0] for g in rest]


def stats_payload(enr: pd.DataFrame, keys: dict, alpha: float) -> tuple[dict, dict]:
    """Per miRNA: themed gene-set rows (+ a few exploratory ones), and theme targets.

    Rows are [library, gene_set, theme, hypothesis, overlap, set_size, p, fdr, genes, n_genes]
    with genes in evidence order (at most 20 names; n_genes says how many there are; their
    evidence tier is in the theme targets). Sets without a target of the miRNA are left out.
    """
    enr = enr.sort_values(["scope", "fdr", "pvalue", "gene_set"], kind="mergesort")
    names = ["scope", "library", "gene_set", "theme", "hypothesis", "overlap", "set_size"]
    cols = [enr[c].tolist() for c in [*names, "pvalue", "fdr", "genes"]]
    stats: dict[str, list] = {}
    per_theme: dict[str, dict[str, set]] = {}
    n_explo: dict[str, int] = {}
    for scope, lib, gset, theme, hyp, ov, size, p, q, genes in zip(*cols, strict=True):
        if not ov:
            continue
        if hyp != "themed":
            if not q <= alpha or n_explo.get(scope, 0) >= MAX_EXPLORATORY:
                continue
            n_explo[scope] = n_explo.get(scope, 0) + 1
        ordered = order_genes([x for x in split_list(genes) if x], keys.get(scope, {}))
        if hyp == "themed":
            mine = per_theme.setdefault(scope, {})
            for t in split_list(theme):
                mine.setdefault(t, set()).update(x[0] for x in ordered)
        stats.setdefault(scope, []).append(
            [lib, gset, theme, hyp, as_int(ov), as_int(size), sig3(p), sig3(q)]
            + [[x[0] for x in ordered[:20]], len(ordered)]
        )
    theme_targets = {
        name: {
            t: _capped(order_genes(sorted(gs), keys.get(name, {})), MAX_THEME_TARGETS)
            for t, gs in sorted(themes.items())
        }
        for name, themes in per_theme.items()
    }
    return stats, theme_targets


def _capped(items: list, n: int) -> dict:
    return {"g": items[:n], "n": len(items)}


def as_int(v: Any) -> int | None:
    return None if v != v or v is None else int(v)


def sig3(v: Any) -> float | None:
    """A statistic rounded to 3 significant digits (the page shows 2), None when missing."""
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
    """One row per (name, mention): resolved mentions exploded by name, offsets in sentence."""
    m = mentions[mentions["status"].isin(RESOLVED) & (mentions["mirbase_names"] != "")]
    m = m.assign(name=m["mirbase_names"].str.split(";")).explode("name")
    m = m[m["name"] != ""]
    sstart = pd.to_numeric(m["sentence_start"], errors="coerce")
    return pd.DataFrame(
        {
            "name": m["name"],
            "doc_id": m["doc_id"],
            "sentence": m["sentence"],
            "text": m["text"],
            "s": pd.to_numeric(m["start"], errors="coerce") - sstart,
            "e": pd.to_numeric(m["end"], errors="coerce") - sstart,
        }
    ).reset_index(drop=True)


def _spans(found: list[tuple], sentence: str) -> list[int]:
    """Flat [start, end, ...] of the mentions in a sentence (by offset, else by their text)."""
    spans = set()
    for s, e, text in found:
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
        # columns, and a row only for the few documents quoted (not one per document read)
        self.cols = [documents[c].tolist() for c in ("doc_id", "title", "year", "pmid", "doi")]
        self.position = dict(zip(self.cols[0], range(len(documents)), strict=True))
        self.rows: list[list] = []
        self.index: dict[str, int] = {}

    def __call__(self, doc_id: str) -> int:
        if doc_id not in self.index:
            self.index[doc_id] = len(self.rows)
            i = self.position.get(doc_id)
            self.rows.append([doc_id, "", "", "", ""] if i is None else [c[i] for c in self.cols])
        return self.index[doc_id]


def by_group(mentions: pd.DataFrame) -> dict[str, dict]:
    """precursor -> {"arms", "docs": doc_id -> sentence -> [(s, e, text)]}, in one pass."""
    table = mention_table(mentions)
    cols = [table[c].tolist() for c in ("name", "doc_id", "sentence", "s", "e", "text")]
    out: dict[str, dict] = {}
    for name, doc, sentence, s, e, text in zip(*cols, strict=True):
        g = out.setdefault(precursor(name), {"arms": set(), "docs": {}})
        g["arms"].add(name)
        g["docs"].setdefault(doc, {}).setdefault(sentence, []).append((s, e, text))
    return out


def quote(sentences: dict[str, list[tuple]]) -> list[list]:
    """A document's first :data:`MAX_SENTENCES` sentences, clipped: [text, spans] each."""
    out = []
    for sentence, found in list(sentences.items())[:MAX_SENTENCES]:
        text, spans = clip_sentence(sentence, _spans(found, sentence))
        out.append([text, spans])
    return out


def pick_docs(counts: dict[str, int], wanted: list[str]) -> list[str]:
    """The documents quoted for a precursor: ``wanted`` ones it is named in (in that order),
    then its :data:`MAX_OTHER_DOCS` others with most mentions (``counts``: doc -> rows)."""
    first = list(dict.fromkeys(d for d in wanted if d in counts))
    taken = set(first)
    ranked = sorted((d for d in counts if d not in taken), key=lambda d: (-counts[d], d))
    return first + ranked[:MAX_OTHER_DOCS]


def sentences_payload(
    groups: dict[str, dict], theme_docs: dict[str, list[str]], docs: DocIndex
) -> dict[str, dict]:
    """Per precursor: quoted sentences (each once) of the documents the report points to.

    ``groups`` (:class:`mirlens.report.quotes.Quotes`): precursor -> arms, number of
    documents and doc -> (mention rows, :func:`quote` as JSON: decoded only when quoted) of
    at least the documents quoted here.
    ``theme_docs`` maps a precursor to the theme-context documents of its arms (most
    relevant first); those are quoted first, then the precursor's most-cited documents.
    """
    out = {}
    for group, g in sorted(groups.items()):
        per_doc = g["docs"]
        counts = {d: n for d, (n, _q) in per_doc.items()}
        quoted = [
            [docs(d), *q]
            for d in pick_docs(counts, theme_docs.get(group, []))
            for q in json.loads(per_doc[d][1])
        ]
        out[group] = {"arms": sorted(g["arms"]), "s": quoted, "nd": g["nd"]}
    return out


def pack(payload: dict) -> str:
    """JSON -> gzip (fixed mtime: byte-identical reruns) -> base64, for one inline block."""
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return base64.b64encode(gzip.compress(raw.encode("utf-8"), 6, mtime=0)).decode("ascii")


def unpack(text: str) -> dict:
    return json.loads(gzip.decompress(base64.b64decode(text)).decode("utf-8"))
