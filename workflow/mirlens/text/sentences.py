"""Sentence bounds of a document, and the sentence of a mention."""

from __future__ import annotations

import bisect
import re

# ---------------------------------------------------------------------------------------
# Sentences

_ABBREV = (
    "et al e.g i.e cf vs fig figs ref refs no nos approx ca eq eqs tab suppl resp dr mr mrs ms "
    "prof st vol pp sp spp var subsp jr inc ltd viz".split()
)


def _not_abbrev() -> str:
    # one fixed-width look-behind per abbreviation length (alternatives of equal width may
    # share one), so a '.' costs a handful of look-behinds instead of one per abbreviation
    by_width: dict[int, list[str]] = {}
    for a in _ABBREV:
        by_width.setdefault(len(a), []).append(re.escape(a))
    alts = ["(?:" + "|".join(v) + ")" for _, v in sorted(by_width.items())]
    return "".join(rf"(?<![\s(\[]{a}\.)(?<!^{a}\.)" for a in alts)


_END = r"[\"')\]]*\s+(?=[\"'(\[]?(?:[A-Z0-9]|mi[Rr]|mir|let-?7|lin-?4|[a-z]{3}-(?:mi[Rr]|let)))"
# Every alternative starts with a literal, so the regex engine skips between '.', '!', '?'
# and newlines at C speed instead of trying each position.
_BOUNDARY = re.compile(
    r"\.(?i:" + _not_abbrev() + r")(?<![^\w][A-Z]\.)" + _END
    + r"|!" + _END
    + r"|\?" + _END
    + r"|\n\s*\n"
)  # fmt: skip


def sentence_bounds(text: str, until: int | None = None) -> list[int]:
    """Sorted start offsets of the sentences of ``text`` (always begins with 0).

    Splits after ``.``/``!``/``?`` followed by space and a capital, a digit or a miRNA name,
    and at blank lines; not after abbreviations (et al., e.g., Fig., vs.), single initials,
    or inside a token (decimals, ``miR-101-3p.2``). With ``until``, stops at the first
    boundary after that offset (enough to place mentions that start before it)."""
    if until is None:
        starts = [0]
        starts += [m.end() for m in _BOUNDARY.finditer(text)]
        return starts
    starts = [0]
    for m in _BOUNDARY.finditer(text):
        starts.append(m.end())
        if m.end() > until:
            break
    return starts


def sentence_at(text: str, starts: list[int], pos: int) -> tuple[int, str]:
    i = bisect.bisect_right(starts, pos) - 1
    s = starts[i]
    e = starts[i + 1] if i + 1 < len(starts) else len(text)
    sentence = text[s:e]
    stripped = sentence.rstrip()
    lead = len(sentence) - len(sentence.lstrip())
    return s + lead, stripped.strip()


def _sentence_of(text: str, starts: list[int], pos: int) -> tuple[int, int, int, str]:
    """(lo, hi, sentence_start, sentence) of the sentence holding ``pos``; every offset in
    ``[lo, hi)`` has the same sentence (``sentence_at``, with its extent)."""
    i = bisect.bisect_right(starts, pos)
    lo = starts[i - 1]
    hi = starts[i] if i < len(starts) else len(text)
    seg = text[lo:hi]
    body = seg.lstrip()
    return lo, hi, lo + len(seg) - len(body), body.rstrip()


# A mention's sentence is capped, so no document makes output grow faster than its length
# (a list or table of names with no sentence break would repeat itself per mention): a
# sentence longer than MAX_SENTENCE characters is replaced by the mention with at most
# WINDOW characters of it either side, cut at spaces. 21 of the 17,601 sentences of the
# HMDD evidence corpus are longer (evidence texts pasted together without breaks).
MAX_SENTENCE = 1000
WINDOW = 200


def window(text: str, lo: int, hi: int, start: int, end: int) -> tuple[int, str]:
    """(offset, text) of the part of ``text[lo:hi]`` around ``[start, end)``: at most
    ``WINDOW`` characters either side, cut after a space when there is one, stripped (of
    a mention longer than ``WINDOW``, a huge enumeration, only its first ``WINDOW``)."""
    a, b = max(lo, start - WINDOW), min(hi, min(end, start + WINDOW) + WINDOW)
    if a > lo:
        cut = text.find(" ", a, start)
        a = cut + 1 if cut >= 0 else a
    if b < hi:
        cut = text.rfind(" ", end, b)
        b = cut if cut >= 0 else b
    part = text[a:b]
    body = part.lstrip()
    return a + len(part) - len(body), body.rstrip()


def add_sentences(text: str, rows: list[dict]) -> list[dict]:
    """Sets ``sentence`` and ``sentence_start`` of mention rows (sorted by start) of ``text``;
    the sentence bounds are found only when there is a mention. Sentences are capped (see
    MAX_SENTENCE)."""
    if not rows:
        return rows
    starts = sentence_bounds(text)
    lo = hi = s_start = 0  # the current sentence: [lo, hi) -> (s_start, sentence)
    sentence = ""
    for r in rows:
        if not lo <= r["start"] < hi:
            lo, hi, s_start, sentence = _sentence_of(text, starts, r["start"])
        if len(sentence) > MAX_SENTENCE:
            r["sentence_start"], r["sentence"] = window(text, lo, hi, r["start"], r["end"])
        else:
            r["sentence"], r["sentence_start"] = sentence, s_start
    return rows
