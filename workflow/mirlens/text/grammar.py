"""The grammar of miRNA names: regular expressions, parsed identifiers, candidate scan.

Recognition: a case-sensitive scan of the lower-cased text finds candidates
(``candidates``); one compiled regular expression (HEAD) reads each head (``miR-21``,
``microRNA-200a``, ``let-7a``, ``MIR21``, ``hsa-mir-16-1``); a second (CONT), anchored at
its end, reads what continues it (``/b/c``, ``, -34a and -145``, ``~92``, ``/-3p``) and a
third (GROUP_WORD) the word after it (``family``, ``cluster``).

Offsets are code-point offsets into the document text as read: matching runs on a copy in
which Unicode dashes, tildes and spaces are replaced one-for-one by ASCII (TRANSLATE), so
lengths and positions never change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

# ---------------------------------------------------------------------------------------
# Text normalisation (length-preserving)

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u00ad"
_TILDES = "\u223c\u301c\uff5e\u02dc\u2053\u223d"
_SPACES = "\u00a0\u2002\u2003\u2009\u200a\u202f\u205f\u3000"
TRANSLATE = str.maketrans(
    {
        **{c: "-" for c in _DASHES},
        **{c: "~" for c in _TILDES},
        **{c: " " for c in _SPACES},
        "\u2217": "*",
        "\u204e": "*",
    }
)

_SPECIAL = re.compile(f"[{_DASHES}{_TILDES}{_SPACES}\u2217\u204e]")

# ---------------------------------------------------------------------------------------
# Grammar

# one identifier after a prefix: number, letter(s), paralog copy, arm, star
_ITEM = (
    r"(?P<num>\d+)"
    # letters: "200a", "548aa", "181-b"; never the start of a word ("miR-143-HK2")
    r"(?P<letter>-[a-z](?![a-z0-9])|[a-z](?![a-z])|[a-z]{2}(?![a-z0-9]))?"
    r"(?P<copy>(?:-|(?<=[a-z]))\d{1,3}(?![\dp]))?"
    r"(?P<arm>[- ]?[35]p(?![a-z0-9]))?"
    r"(?P<star>\*)?"
)
# "micro" and its common typos ("MicorRNA", "micoRNA", "mircoRNA", "micrRNA")
_MICRO = r"mi(?:cro|cor|co|rco|cr)"
_PREFIX = (
    r"(?P<pfx>" + _MICRO + r"[ -]?RNAs?(?:\s{0,2}\(\s?(?:miRNA|miR)s?\s?\))?"
    r"|miRNAs?(?:\s{0,2}\(\s?miRs?\s?\))?"
    r"|miRs?|mir)"
    r"(?P<sep>\s?-\s?|\s|\.(?=\d)|)"  # "miR.21": a typo
)
# The look-ahead on the first letter lets the regex engine skip fast to candidates; the
# left boundary and a species prefix ("hsa-") are checked in Python at each hit.
HEAD = re.compile(
    r"(?=[mMlL])(?:"
    r"(?P<gene>(?-i:MIR|Mir)(?-i:LET7[A-Z]\d*|let7[a-z]\d*|\d+(?:(?!HG)[A-Za-z]{1,2})?\d*)"
    r"(?:-\d+)?(?P<hg>(?-i:HG)\d*)?)(?![A-Za-z0-9-])"
    r"|"
    + _PREFIX
    + _ITEM
    + r"|(?P<let>let|lin)-?(?=[74](?!\d))"
    + _ITEM.replace("?P<", "?P<l_")
    + r")",
    re.IGNORECASE,
)
# cheap candidate scan on the lower-cased text (a superset of where HEAD can match): one
# case-sensitive pass is several times faster than the case-insensitive HEAD search
CAND = re.compile(r"mi(?:r|" + _MICRO[2:] + r"[\s-]?rna)[a-z\s().-]{0,16}\d|let-?7|lin-?4")
SPECIES_BEFORE = re.compile(r"(?:^|[^A-Za-z0-9_])([A-Za-z]{2,5}\d?)-$")
# a continuation: joiner, optional dash, then a bare identifier or (after '/') a letter
CONT = re.compile(
    r"(?P<join>\s?/\s?|\s?~\s?|\s+approximately\s+|\s?,\s?(?:and\s+|or\s+)?"
    r"|\s+(?:and|or|&)\s+|\s?&\s?)"
    r"(?P<dash>-\s?)?"
    r"(?P<cpfx>(?:micro-?RNA|miRNA|miR|mir)-?|let-?(?=7))?"
    r"(?:(?P<aonly>[35]p)(?![a-z0-9])|"
    + _ITEM
    + r"|(?P<lonly>[a-z]{1,2})(?![a-z0-9])(?P<lcopy>-\d{1,2}(?![\dp]))?)",
    re.IGNORECASE,
)
# words after a bare number that show it is not a miRNA ("miR-21 and 30 patients")
NOT_MIRNA_AFTER = re.compile(
    r"\s?(?:%|°|-?fold\b|\s(?:patients?|samples?|cases?|cells?|subjects?|controls?|mice|rats|"
    r"tumou?rs?|individuals?|participants?|days?|weeks?|months?|years?|hours?|h|hrs?|min|"
    r"[nµμm]M|mg|kg|ng|[µμ]g|ml|bp|kb|nt|times)\b)",
    re.IGNORECASE,
)
GROUP_WORD = re.compile(
    r"(?:\s(?:gene\s|(?:micro-?RNA|miRNA|miR)s?\s(?:\((?:miRNA|miR)s?\)\s)?)?)"
    r"(?P<word>famil(?:y|ies)|clusters?|polycistron)\b",
    re.IGNORECASE,
)
_JOIN_PREFIXED = ("/", "~", "approximately")
_LIST_JOINERS = (",", "and", "or", "&", ", and", ", or")  # joiners that may repeat the prefix
_RANGE_JOINERS = ("~", "-", "approximately")  # "miR-17~92", "miR-17-92": a cluster's ends
# anything that may extend a head: a continuation or a family/cluster word
TAIL = re.compile(CONT.pattern + "|" + GROUP_WORD.pattern, re.IGNORECASE)
WEAK_PREFIX = re.compile(r"(?:" + _MICRO + r"[ -]?RNA|miRNA)s", re.IGNORECASE)

# ---------------------------------------------------------------------------------------
# Parsed items


class Item(NamedTuple):
    """One identifier as read: ``prefix-num letter -copy -arm *`` (prefix mir/let/lin)."""

    prefix: str
    num: str
    letter: str = ""
    copy: str = ""
    arm: str = ""
    star: bool = False

    @property
    def base(self) -> str:
        return f"{self.prefix}-{self.num}{self.letter}"

    def display(self, species: str) -> str:
        p = "miR" if self.prefix == "mir" else self.prefix
        s = f"{species}-{p}-{self.num}{self.letter}"
        if self.copy:
            s += f"-{self.copy}"
        if self.arm:
            s += f"-{self.arm}"
        return s + ("*" if self.star else "")


def _item_from(m: re.Match, pfx: str = "", prefix: str = "mir") -> Item:
    g = m.group
    letter = (g(pfx + "letter") or "").lstrip("-").lower()
    copy = (g(pfx + "copy") or "").lstrip("-")
    arm = (g(pfx + "arm") or "").strip(" -").lower()
    return Item(prefix, g(pfx + "num"), letter, copy, arm, bool(g(pfx + "star")))


_GENE = re.compile(r"^(?:MIR|Mir)(?:(LET)7([A-Z])(\d*)|(\d+)([A-Za-z]{0,2})(\d*))(?:-(\d+))?", re.I)


def _item_from_gene(symbol: str) -> Item | None:
    """HGNC/MGI miRNA gene symbols: MIR21, MIR16-1, MIR29B1, MIRLET7A1, Mir21a."""
    m = _GENE.match(re.sub(r"HG\d*$", "", symbol))
    if not m:
        return None
    if m.group(1):
        return Item("let", "7", m.group(2).lower(), m.group(3) or (m.group(7) or ""))
    return Item("mir", m.group(4), m.group(5).lower(), m.group(6) or (m.group(7) or ""))


@dataclass
class _Part:
    start: int
    end: int
    item: Item | None
    joiner: str = ""


# Candidate positions (those of CAND), as two scans that each start with a literal: the
# regex engine then jumps between "mi"s (or "l"s) at C speed instead of trying every 'm'.
# Neither hit can hold the start of another candidate, so consuming it loses none.
CAND_MI = re.compile(r"mi(?=(?:r|" + _MICRO[2:] + r"[\s-]?rna)[a-z\s().-]{0,16}\d)")
CAND_L = re.compile(r"l(?:et-?7|in-?4)")
HEAD_AT = re.compile(f"(?={HEAD.pattern})", re.IGNORECASE)  # when lower() changes lengths


_PLURAL_WORDS = ("families", "clusters")


MAX_GROUP_LIST = 50


def _ends_in_plural_group(work: str, end: int) -> bool:
    """The list going on from ``end`` (continuations, full names too) ends in a plural group
    word: "miR-200 and miR-34 families" names two families, so the plural applies to every
    member, not only to the last. Not after a name with an arm (a mature is no group), nor
    after more than MAX_GROUP_LIST names (a list of names is read in linear time)."""
    for _ in range(MAX_GROUP_LIST):
        c = CONT.match(work, end)
        if c is None:
            break
        if c["arm"] or c["aonly"] or c["star"]:
            return False  # matures ("miR-139-3p, and miR-142-3p Clusters"): a verb, no group
        end = c.end()
    else:
        return False
    w = GROUP_WORD.match(work, end)
    return w is not None and w["word"].lower() in _PLURAL_WORDS


def candidates(lower: str) -> list[int]:
    """Sorted offsets of the lower-cased text where a miRNA name may start."""
    hits = [c.start() for c in CAND_MI.finditer(lower)]
    more = [c.start() for c in CAND_L.finditer(lower)]
    if more:
        hits += more
        hits.sort()
    return hits
