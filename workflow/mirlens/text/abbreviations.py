"""Gene names a document defines: "beta-site amyloid precursor protein-cleaving enzyme 1
(BACE1)" makes the long form a name of BACE1 throughout that document.

A parenthesised gene symbol or alias after a phrase is an abbreviation definition when its
letters can be found, in order and from the end, in the words before it, its first letter
starting a word (Schwartz and Hearst, PSB 2003). The long form then names that gene, also
where it stands alone, and a shorter gene name inside it ("amyloid precursor protein" ->
APP) is no second gene.
"""

from __future__ import annotations

import re

from mirlens.text.genes import GeneHit, GeneLexicon

SHORT = re.compile(r"\(\s*([A-Za-z\u0370-\u03ff][\w\u0370-\u03ff-]{1,14})\s*\)")
MAX_WORDS = 10


def defined_names(text: str, lexicon: GeneLexicon) -> dict[str, tuple[str, str]]:
    """Lower-cased long forms of the gene abbreviations defined in ``text``."""
    out: dict[str, tuple[str, str]] = {}
    for m in SHORT.finditer(text):
        short = m[1]
        hit = lexicon.lookup(short)
        if hit is None:
            continue
        window = text[max(0, m.start() - 160) : m.start()].rstrip()
        words = window.split()[-min(MAX_WORDS, 2 * len(short)) :]
        long = long_form(short, " ".join(words))
        if long and _plausible(long, lexicon.name_text.get(hit[1], "")):
            out.setdefault(long.lower(), hit)
    return out


_WORD = re.compile(r"[a-z\u0370-\u03ff]{3,}")
_STOP = frozenset({"and", "the", "for", "with", "gene", "protein", "type"})


def _plausible(long: str, names: str) -> bool:
    """A long form of two or more words, within one phrase (no brackets, commas or stops),
    whose words are mostly the gene's own ("transentorhinal cortex (TEC)" names no TEC,
    "Plasmodium berghei K173 (PbK173)" no PBK)."""
    if len(long.split()) < 2 or any(c in long for c in "(),;.[]"):
        return False
    if long.split()[0].lower() in ("and", "or", "of", "the", "in", "by", "with"):
        return False
    words = [w for w in _WORD.findall(long.lower()) if w not in _STOP]
    return bool(words) and 2 * sum(w in names for w in words) >= len(words)


def long_form(short: str, before: str) -> str | None:
    """The shortest tail of ``before`` holding the letters of ``short`` in order, its
    first letter at a word start; None when there is none."""
    s, i = len(short) - 1, len(before) - 1
    while s >= 0:
        c = short[s].lower()
        if not c.isalnum():
            s -= 1
            continue
        while i >= 0 and (before[i].lower() != c or (s == 0 and i > 0 and before[i - 1].isalnum())):
            i -= 1
        if i < 0:
            return None
        i -= 1
        s -= 1
    return before[i + 1 :]


def with_defined(
    hits: list[GeneHit], text: str, lo: int, hi: int, defined: dict[str, tuple[str, str]]
) -> list[GeneHit]:
    """``hits`` in text[lo:hi] with the document's long forms added and the names inside
    them dropped."""
    if not defined:
        return hits
    lower = text[lo:hi].lower()
    spans = []
    for long, (symbol, gid) in defined.items():
        at = lower.find(long)
        while at >= 0:
            spans.append(GeneHit(lo + at, lo + at + len(long), symbol, gid))
            at = lower.find(long, at + len(long))
    if not spans:
        return hits
    # the longer name wins: "neurone navigator 3" over a defined "navigator 3" inside it
    spans = [s for s in spans if not any(h.start <= s.start and s.end <= h.end for h in hits)]
    kept = [h for h in hits if not any(s.start <= h.start and h.end <= s.end for s in spans)]
    return sorted(kept + spans)
