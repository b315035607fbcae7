"""Context of each miRNA mention, read from its sentence.

- ``direction``: what the sentence says about the miRNA's level in the disease or sample:
  ``up`` ("miR-21 was up-regulated in HCC", "high serum miR-21", "oncogenic miR-21"),
  ``down`` ("loss of miR-145", "tumour-suppressive miR-34a", "sponging miR-101"),
  ``unchanged`` ("miR-16 did not differ"), else ``unknown``. The level word nearest to the
  mention in its clause decides: before the mention within :data:`BEFORE` characters,
  after it only where it reads as the miRNA's state ("miR-21 expression was increased",
  "miR-21 upregulated in"), not as what the miRNA does ("miR-145 suppressed growth").
  A level word before a miRNA whose effect the sentence goes on to state names an
  experiment, not the disease ("Overexpression of miR-100 inhibits ..."): skipped.
- ``role``: ``inhibitor`` (inhibitor, antagomir, anti-miR, sponge, knockdown, LNA,
  antisense) or ``mimic`` (mimic, agomir, transfection, forced/ectopic expression,
  precursor, lentivirus) near the mention, else ``none``.
- ``sample``: ``exosome`` (exosomes, extracellular vesicles), ``serum``, ``plasma``,
  ``tissue``, ``cell line``, else ``unknown``; the most specific kind the sentence names.
- ``themes``: theme names whose vocabulary (or context genes, given a theme-context file)
  the sentence hits (``Themes.hits``), when given.

Speed: a sentence is split into words once (one C-level ``finditer``); word kinds come from
a memoised classifier, so a mention costs a short walk over its neighbouring words and
extraction stays fast on abstracts (``bench/extract_throughput.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import NamedTuple

CONTEXT_FIELDS = ("direction", "role", "sample", "themes")
WINDOW = 80  # characters after a mention read for its direction
BEFORE = 40  # ... and before it (further words before a name act on something else)
ROLE_WINDOW = 40  # characters on each side read for its role

_WORDS = re.compile(r"[A-Za-z][A-Za-z'-]*|;")
_UP = re.compile(
    r"upregulat\w*|overexpress(?:ed|ion)|increas\w*|elevat\w*|high(?:er|ly)?|enhanc\w*|"
    r"induc\w*|accumulat\w*|amplif\w*|gain|abundant|enrich\w*|oncogenic|oncomirs?|"
    r"oncomi(?:r|rna)s?|promot\w*|upregulation"
)
_DOWN = re.compile(
    r"downregulat\w*|underexpress(?:ed|ion)|decreas\w*|reduc\w*|low(?:er)?|diminish\w*|loss|"
    r"lost|deplet\w*|suppressed|suppression|silenc\w*|delet\w*|absent|attenuat\w*|"
    r"repress(?:ed|ion)|hypermethylat\w*|suppressor|suppressive|tumou?rsuppress\w*|"
    r"inhibit(?:ed|ion|ing)|lack|spong\w*"
)
_SAME = re.compile(r"unchanged|unaltered")
_SAME_AFTER_NOT = re.compile(r"differ\w*|chang\w*|alter\w*")
_NOT = frozenset({"not", "no", "nor"})
# level words that, before a miRNA with a stated effect, name an experiment
_MANIPULATION = re.compile(
    r"(?:upregulat|overexpress|induc|elevat|restor|enhanc|increas|downregulat|inhibit|"
    r"suppress|silenc|deplet|reduc|decreas)\w*"
)
_EFFECT = re.compile(
    r"(?:inhibit|suppress|promot|enhanc|induc|reduc|decreas|increas|attenuat|block|sensiti[sz]|"
    r"revers|impair|restrain|rescu|abrogat|accelerat|facilitat|regulat|modulat|target|result|"
    r"led|lead|caus|confer|improv|alleviat|ameliorat|protect|mediat|prevent|trigger|activat|"
    r"affect|overcom|exert)\w*"
)
_STATE = frozenset(
    "is was were are be been being remained became appeared expression level levels "
    "abundance".split()
)
_STATE_NEXT = frozenset(
    "in by among during after at with compared relative and or significantly when from".split()
)
_CLAUSE = frozenset({";", "whereas", "while", "but"})
_INHIBITOR = re.compile(
    r"inhibitors?|antagomi\w*|anti-?mi(?:r|rna)\w*|spong(?:es?|ing|ed)|knock-?down|knock-?out|"
    r"antisense|lna"
)
_MIMIC = re.compile(
    r"mimics?|agomirs?|transfect\w*|forced|ectopic|enforced|pre-?mir\w*|lentivir\w*"
)
_LEVEL = frozenset({"up", "down", "same"})


@lru_cache(maxsize=1 << 16)
def _kind(low: str) -> str:
    key = low.replace("-", "")
    if low in _CLAUSE:
        return "clause"
    if low in _NOT:
        return "not"
    if _SAME.fullmatch(key):
        return "same"
    if _UP.fullmatch(key):
        return "up"
    if _DOWN.fullmatch(key):
        return "down"
    if low in _STATE:
        return "state"
    if _SAME_AFTER_NOT.fullmatch(key):
        return "differ"
    return ""


@lru_cache(maxsize=1 << 16)
def _role(low: str) -> str:
    return "inhibitor" if _INHIBITOR.fullmatch(low) else "mimic" if _MIMIC.fullmatch(low) else ""


_SAMPLE_WORDS = {
    **dict.fromkeys("exosome exosomes exosomal vesicle vesicles ev evs microvesicles".split(),
                    "exosome"),
    **dict.fromkeys(("serum", "sera"), "serum"),
    "plasma": "plasma",
    **dict.fromkeys("tissue tissues biopsy biopsies specimen specimens".split(), "tissue"),
    **dict.fromkeys("cells lines cell-line cell-lines".split(), "cell line"),
}  # fmt: skip
_SAMPLE_RANK = {"exosome": 0, "serum": 1, "plasma": 2, "tissue": 3, "cell line": 4}
_PUNCT = ".,:()[]{}\"'"


# token -> Tag; tokens are whitespace-split, so the memo sees each spelling with its
# punctuation once
class Tag(NamedTuple):
    level: str  # up | down | same | differ | ''
    kind: str  # clause | state | not | ''
    stop: bool  # punctuation ends the token: no object follows the word
    role: str  # inhibitor | mimic | ''
    sample: str  # a kind of sample, or ''


_TOKENS: dict[str, Tag] = {}
# raw tokens (as split) that carry a level / role / sample word: set tests are C-fast
_LEVEL_TOKENS: set[str] = set()
_ROLE_TOKENS: set[str] = set()
_SAMPLE_TOKENS: set[str] = set()


def _token(tok: str) -> Tag:
    if len(_TOKENS) > 1 << 17:
        for memo in (_TOKENS, _LEVEL_TOKENS, _ROLE_TOKENS, _SAMPLE_TOKENS):
            memo.clear()
    word = tok.strip(_PUNCT).rstrip(";")
    kind = "clause" if tok.endswith(";") else _kind(word)
    level = kind if kind in _LEVEL or kind == "differ" else ""
    other = "clause" if tok.endswith(";") else "" if level else kind
    stop = tok.endswith((",", ".", ":", ")", ";")) or not word
    tag = _TOKENS[tok] = Tag(level, other, stop, _role(word), _SAMPLE_WORDS.get(word, ""))
    for memo, value in (
        (_LEVEL_TOKENS, level),
        (_ROLE_TOKENS, tag.role),
        (_SAMPLE_TOKENS, tag.sample),
    ):
        if value:
            memo.add(tok)
    return tag


# Sentences are split on whitespace (several times faster than a regular-expression word
# scan) and each token's tag comes from a memo, so a sentence costs one split and a map of
# dict hits; a mention costs a walk over a dozen neighbouring tokens, and nothing at all in
# sentences without level or role words.
TOKENS_BEFORE = 6
TOKENS_AFTER = 12


def tokens_of(low: str) -> tuple[list[str], list[Tag], bool, bool, str]:
    """Tokens, their tags (empty when no token matters), whether any level / role word
    occurs, and the sample named."""
    toks = low.split()
    if not _TOKENS.keys() >= set(toks):  # C-level test; new spellings are tagged once
        for tok in toks:
            if tok not in _TOKENS:
                _token(tok)
    levels = not _LEVEL_TOKENS.isdisjoint(toks)
    roles = not _ROLE_TOKENS.isdisjoint(toks)
    samples = not _SAMPLE_TOKENS.isdisjoint(toks)
    tags = list(map(_TOKENS.__getitem__, toks)) if levels or roles or samples else []
    return toks, tags, levels, roles, sample_of(tags) if samples else "unknown"


def _index(low: str, pos: int, single_spaced: bool) -> int:
    """Index of the whitespace-split token that holds character ``pos``."""
    if single_spaced:  # tokens are separated by one space each: count them (C-fast)
        return low.count(" ", 0, pos)
    i = len(low[:pos].split())
    return i - 1 if pos and not low[pos - 1].isspace() else i


def _level(tags: list[Tag], k: int) -> str:
    level = tags[k].level
    if level == "differ":  # "did not differ", "no change": unchanged
        return "same" if any(t.kind == "not" for t in tags[max(0, k - 3) : k]) else ""
    return level


def direction_at(tokens: list[str], tags: list[Tag], i0: int, i1: int) -> str:
    """Direction of the mention in tokens i0..i1 from the tokens around it."""
    n = len(tags)
    best, best_dist = "unknown", TOKENS_AFTER + 1
    for k in range(i0 - 1, max(-1, i0 - 1 - TOKENS_BEFORE), -1):
        if tags[k].kind == "clause":
            break
        level = _level(tags, k)
        if level:
            if level != "same" and _manipulation(tokens, k, i1, n):
                continue  # "Overexpression of miR-100 inhibits ...": an experiment
            best, best_dist = level, i0 - k
            break
    state = False
    for k in range(i1 + 1, min(n, i1 + 1 + TOKENS_AFTER)):
        tag = tags[k]
        if tag.kind == "clause" or k - i1 >= best_dist:
            break
        if tag.kind == "state":
            state = True
            continue
        level = _level(tags, k)
        if level and (state or level == "same" or _no_object(tokens, tags, k, i1)):
            best = level
            break
    return "unchanged" if best == "same" else best


def _manipulation(tokens: list[str], k: int, i1: int, n: int) -> bool:
    if not _MANIPULATION.fullmatch(tokens[k].strip(_PUNCT).replace("-", "")):
        return False
    return any(_EFFECT.fullmatch(tokens[j].strip(_PUNCT)) for j in range(i1 + 1, min(n, i1 + 9)))


def _no_object(tokens: list[str], tags: list[Tag], k: int, i1: int) -> bool:
    """Token k, right after the mention, reads as a state ("miR-21 upregulated in HCC")."""
    if k != i1 + 1:
        return False
    return tags[k].stop or k + 1 >= len(tags) or tokens[k + 1] in _STATE_NEXT


def role_at(tags: list[Tag], i0: int, i1: int) -> str:
    found = {t.role for t in tags[max(0, i0 - 5) : i1 + 6]}
    return "inhibitor" if "inhibitor" in found else "mimic" if "mimic" in found else "none"


def sample_of(tags: list[Tag]) -> str:
    found = {t.sample for t in tags} - {""}
    return min(found, key=_SAMPLE_RANK.__getitem__) if found else "unknown"


def annotate(rows: Iterable[dict], themes: Callable[[str], list[str]] | None = None) -> list[dict]:
    """Mention records with the context fields added (in place); each sentence is split
    once, each mention looks at the tokens near it."""
    rows = list(rows)
    cache: dict[tuple[int, int], tuple] = {}
    for r in rows:
        key = r["sentence_start"]
        # (start, length): a capped sentence is a window around its mention
        hit = cache.get((key, len(r["sentence"])))
        if hit is None:
            sent = r["sentence"]
            low = sent.lower()
            if len(low) != len(sent):  # rare characters whose lower case changes length
                low = sent.encode("ascii", "replace").decode().lower()
            toks, tags, levels, roles, sample = tokens_of(low)
            spaced = (levels or roles) and low == " ".join(toks)
            theme_names = themes(sent) if themes else []
            hit = (low, toks, tags, levels, roles, sample, theme_names, spaced)
            cache[(key, len(sent))] = hit
        low, toks, tags, levels, roles = hit[:5]
        direction, role = "unknown", "none"
        if levels or roles:
            i0 = _index(low, r["start"] - key, hit[7])
            i1 = max(i0, _index(low, r["end"] - key - 1, hit[7]))
            if levels:
                direction = direction_at(toks, tags, i0, i1)
            if roles:
                role = role_at(tags, i0, i1)
        r["direction"], r["role"] = direction, role
        r["sample"], r["themes"] = hit[5], list(hit[6])
    return rows
