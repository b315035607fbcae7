"""Themes: the user's hypotheses (EMT, angiogenesis, immune) as gene sets and as words.

``enrichment.themes.<Theme>`` maps each library to gene-set names and has one reserved key,
``vocabulary``: words and phrases whose presence in a sentence puts a miRNA mentioned there
in the theme's context. ``Themes.hits(sentence)`` answers which themes a sentence is about,
by that vocabulary and, once :meth:`Themes.with_genes` has given them, by the gene symbols
of the theme's sets.

Matching rules (chosen so that words of ordinary English do not count as evidence):

* Unicode is NFKC-normalised, every dash (‐ ‑ ‒ – — ― − ﹣ －) becomes ``-`` and the Greek
  letters of gene names are spelt out (``TGF-β`` → ``TGF-beta``, ``NF-κB`` → ``NF-kappaB``),
  in the sentence and in the terms alike.
* Terms match whole words: no letter or digit may touch either end (``VEGF`` matches
  ``VEGF-A`` and ``VEGF,`` but not ``VEGFA``; list ``VEGFA`` if it is wanted).
* A space or hyphen inside a term matches a space, a hyphen or nothing
  (``T cell`` matches ``T-cell`` and ``Tcell``).
* A term written in lower case matches in any case (``angiogenesis``, ``Angiogenesis``).
  A term with a capital letter matches as written or in capitals only: ``EMT`` never
  matches ``emt``, ``Snail`` matches ``Snail`` and ``SNAIL`` but not the animal ``snail``,
  ``Twist`` not the verb ``twist``.
* A term ending in a lower-case letter also matches its plural with ``s``
  (``macrophage`` → ``macrophages``); write acronym plurals out (``HUVECs``).

Gene symbols of the theme's sets match case-sensitively as whole tokens (also with their
hyphens dropped, ``IL-6`` → ``IL6``, or as one hyphen-separated part, ``CD44-positive``).
Only symbols that cannot be ordinary text count: at least 3 characters, at least one
capital letter and no lower-case one (so never an English word in a sentence), at least
one letter, not a miRNA or lncRNA host gene (``MIR21``: the miRNA, not its context), and
not one of :data:`SYMBOL_STOPLIST`, all-capital symbols that are common abbreviations of
the lung-cancer literature in another sense.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mirlens.errors import MirlensError

VOCABULARY = "vocabulary"  # the reserved key of a theme; every other key is a library
CONTEXT_FORMAT = "mirlens-theme-context/1"  # a themes file with genes (`mirlens.theme_context`)

DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "κ": "kappa", "ɑ": "alpha"}
_TRANSLATE = str.maketrans({**{d: "-" for d in DASHES}, **GREEK})

# All-capital gene symbols that the biomedical literature mostly writes in another sense
# (an ordinary word or abbreviation, a drug, a disease). Gene symbols are matched only in
# capitals, so these are the remaining traps.
SYMBOL_STOPLIST = frozenset(
    {
        "ADM",  # adriamycin (doxorubicin) in chemoresistance papers; gene: adrenomedullin
        "AIM",  # the aim of a study
        "CAT",  # CAT scan; gene: catalase
        "MET",  # mesenchymal-epithelial transition or the MET receptor: ambiguous
        "SET",
        "MAX",
        "REST",
        "CAMP",  # cAMP in capitals; gene: cathelicidin
        "IMPACT",
        "ACE",
        "CAD",  # coronary artery disease
        "GAP",
        "ATM",
        "PIGS",
    }
)
_HOST_GENE = re.compile(r"^(MIR\d|MIRLET|LINC\d|SNHG\d)")
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
Clues = tuple[str, ...] | None
_SEPARATORS = re.compile(r"[\s-]+")  # what a term's parts may be joined by (see _term_body)


def normalise(text: str) -> str:
    """NFKC, ASCII hyphens for every dash, Greek letters spelt out."""
    return unicodedata.normalize("NFKC", text).translate(_TRANSLATE)


def _term_body(term: str) -> str:
    parts = [p for p in re.split(r"[\s-]+", term) if p]
    return r"[\s-]?".join(re.escape(p) for p in parts)


def term_pattern(term: str) -> str:
    """Regex source for one vocabulary term (without the word boundaries; see theme_pattern)."""
    term = normalise(term).strip()
    if not re.search(r"[A-Za-z0-9]", term):
        raise MirlensError(f"vocabulary term {term!r} has no letter or digit")
    plural = "s?" if term[-1].islower() else ""
    if term == term.lower():
        return f"(?i:{_term_body(term)}){plural}"
    variants = dict.fromkeys([_term_body(term), _term_body(term.upper())])
    return "(?:" + "|".join(variants) + f"){plural}"


def term_clues(terms: Iterable[str]) -> Clues:
    """Per term, its parts joined lower-case (``T cell`` -> ``tcell``): a sentence the term
    matches holds it once lower-cased and stripped of spaces and hyphens (see
    :func:`squeeze`). None when a term is not ASCII (case-insensitive matching of other
    scripts is broader than ``str.lower``)."""
    clues = [_SEPARATORS.sub("", normalise(term)).lower() for term in terms]
    if not all(c.isascii() for c in clues):
        return None
    return tuple(dict.fromkeys(clues))


def squeeze(text: str) -> str | None:
    """``text`` lower-cased without spaces and hyphens, the haystack of the term clues (None
    when it is not ASCII: then every pattern runs)."""
    return _SEPARATORS.sub("", text.lower()) if text.isascii() else None


def theme_pattern(terms: Iterable[str]) -> re.Pattern[str]:
    """One regex for a theme's terms, each a whole word (boundaries checked once, so fast)."""
    body = "|".join(term_pattern(t) for t in terms)
    return re.compile(rf"(?<![A-Za-z0-9])(?:{body})(?![A-Za-z0-9])")


def usable_symbol(symbol: str) -> bool:
    """Whether a gene symbol can be matched in text without catching ordinary words."""
    return (
        len(symbol) >= 3
        and symbol == symbol.upper()
        and any(c.isalpha() for c in symbol)
        and _TOKEN.fullmatch(symbol) is not None
        and not _HOST_GENE.match(symbol)
        and symbol not in SYMBOL_STOPLIST
    )


def _symbol_keys(token: str) -> set[str]:
    keys = {token, token.replace("-", "")}
    if "-" in token:
        keys.update(token.split("-"))
    return keys


@dataclass(frozen=True)
class Themes:
    """Theme -> library -> gene-set names, theme -> vocabulary, optional theme -> symbols."""

    sets: dict[str, dict[str, list[str]]]
    vocabulary: dict[str, list[str]]
    genes: dict[str, frozenset[str]] = field(default_factory=dict)
    # derived in __post_init__, for matching
    _patterns: dict[str, re.Pattern[str]] = field(default_factory=dict, repr=False, compare=False)
    _clues: dict[str, Clues] = field(default_factory=dict, repr=False, compare=False)
    _symbols: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)
    _capitals: bool = field(default=True, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for theme, terms in self.vocabulary.items():
            if terms:
                self._patterns[theme] = theme_pattern(terms)
                self._clues[theme] = term_clues(terms)
        for theme, symbols in self.genes.items():  # symbol -> its themes: one look-up a key
            for symbol in symbols:
                self._symbols.setdefault(symbol, []).append(theme)
        # usable symbols all have a capital, so a token without one needs no look-up
        capitals = all(s.lower() != s for s in self._symbols)
        object.__setattr__(self, "_capitals", capitals)

    @property
    def names(self) -> list[str]:
        return sorted(set(self.sets) | set(self.vocabulary))

    def set_names(self, theme: str, library: str) -> list[str]:
        return list(self.sets.get(theme, {}).get(library, []))

    def with_genes(self, genes: Mapping[str, Iterable[str]]) -> Themes:
        """A copy that also matches these gene symbols per theme (unusable ones dropped)."""
        kept = {t: frozenset(s for s in syms if usable_symbol(s)) for t, syms in genes.items()}
        return Themes(self.sets, self.vocabulary, kept)

    def matches(self, sentence: str) -> dict[str, list[str]]:
        """Theme -> the sorted distinct words of the sentence that put it in the theme."""
        text = normalise(sentence)
        found: dict[str, set[str]] = {}
        for theme, pattern in self._candidates(text):
            words = pattern.findall(text)  # the pattern has no capturing group: whole matches
            if words:
                found.setdefault(theme, set()).update(words)
        for theme, key in self._symbol_hits(text):
            found.setdefault(theme, set()).add(key)
        return {t: sorted(w) for t, w in sorted(found.items())}

    def hits(self, sentence: str) -> list[str]:
        """Sorted names of the themes whose vocabulary or gene symbols occur in the sentence
        (the keys of :meth:`matches`; one match per theme is enough, so faster)."""
        text = normalise(sentence)
        found = {theme for theme, pattern in self._candidates(text) if pattern.search(text)}
        found.update(theme for theme, _ in self._symbol_hits(text))
        return sorted(found)

    def _candidates(self, text: str) -> Iterator[tuple[str, re.Pattern[str]]]:
        """The themes whose pattern can match ``text``: substring tests for the term clues
        (:func:`term_clues`) cost far less than the pattern."""
        haystack = squeeze(text)
        for theme, pattern in self._patterns.items():
            clues = self._clues[theme]
            if haystack is None or clues is None or any(c in haystack for c in clues):
                yield theme, pattern

    def _symbol_hits(self, text: str) -> Iterator[tuple[str, str]]:
        """(theme, symbol) for each gene symbol of the themes that a token of ``text`` holds."""
        if not self._symbols:
            return
        for token in _TOKEN.findall(text):
            if self._capitals and token.lower() == token:
                continue  # no capital letter: no symbol's key
            for key in _symbol_keys(token):
                for theme in self._symbols.get(key, ()):
                    yield theme, key


def context_genes(
    themes: Themes, library_sets: Mapping[str, Mapping[str, Iterable[str]]]
) -> dict[str, set[str]]:
    """Theme -> genes that put a sentence in its context: those every library agrees on.

    ``library_sets``: library name -> gene-set name -> genes. A gene counts as a theme
    word only when each library that names sets for the theme puts it in one of them (two
    independent curations agree: SNAI2, TGFB1, COL1A1 for EMT). The union is far too broad
    for text: GO's EMT sets hold PTEN, so every "miR-21 targets PTEN" sentence would count
    as EMT (50 of 159 symbol-only EMT sentences in 2,052 real lung-cancer documents); with
    the agreement rule 16 remain, all of the TGF-beta / IL-6 pathways.
    """
    out: dict[str, set[str]] = {}
    for theme in themes.names:
        per_library = [
            {g.upper() for s in themes.set_names(theme, name) for g in sets.get(s, [])}
            for name, sets in sorted(library_sets.items())
            if themes.set_names(theme, name)
        ]
        out[theme] = set.intersection(*per_library) if per_library else set()
    return out


def parse_themes(data: Any, where: str = "themes") -> Themes:
    """Themes from the config mapping {theme: {library: [set, ...], vocabulary: [term, ...]}}."""
    if not isinstance(data, Mapping):
        raise MirlensError(f"{where}: expected {{theme: {{library: [gene set, ...]}}}}")
    sets: dict[str, dict[str, list[str]]] = {}
    vocabulary: dict[str, list[str]] = {}
    for theme, per_key in data.items():
        if not isinstance(per_key, Mapping):
            raise MirlensError(f"{where}: theme {theme!r} must map library names to lists")
        sets[str(theme)] = {}
        for key, names in per_key.items():
            if isinstance(names, str) or not isinstance(names, list):
                raise MirlensError(f"{where}: theme {theme!r}, key {key!r}: expected a list")
            values = [str(n) for n in names]
            if key == VOCABULARY:
                vocabulary[str(theme)] = values
            else:
                sets[str(theme)][str(key)] = values
    return Themes(sets, vocabulary)


def load_themes(source: str | Path | Mapping[str, Any]) -> Themes:
    """Themes from a mapping (the config's ``enrichment.themes``), a THEMES.json file, or a
    theme-context file (`mirlens theme-context`: then they match their context genes too)."""
    if isinstance(source, Mapping):
        if source.get("format") == CONTEXT_FORMAT:
            return parse_themes(source["themes"]).with_genes(source["context_genes"])
        return parse_themes(source)
    path = Path(source)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise MirlensError(f"themes file not found: {path}") from exc
    except json.JSONDecodeError as exc:
        raise MirlensError(f"themes file {path} is not valid JSON: {exc}") from exc
    if isinstance(data, Mapping) and data.get("format") == CONTEXT_FORMAT:
        return load_themes(data)
    return parse_themes(data, str(path))
