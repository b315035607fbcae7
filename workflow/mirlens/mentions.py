"""miRNA mention recognition and normalisation to miRBase (``mirlens extract``).

Recognition: a case-sensitive scan of the lower-cased text finds candidates; one compiled
regular expression (HEAD) reads each head (``miR-21``, ``microRNA-200a``, ``let-7a``,
``MIR21``, ``hsa-mir-16-1``); a second, anchored at its end, reads what continues it
(``/b/c``, ``, -34a and -145``, ``~92``, ``/-3p``) and a third the word after it
(``family``, ``cluster``). A lone head (the common case) is normalised once per spelling
and copied, so the cost per mention is a few dict hits.

Normalisation (``Normaliser``, memoised):

- arm or star given (``-5p``, ``*``, ``miR-21 5p``): the mature of that current or old name
  (aliases.txt is the name history: ``miR-21*`` -> hsa-miR-21-3p);
- no arm: the precursor(s) of the name -- current name, old name, paralog copies
  (``miR-16`` -> mir-16-1, mir-16-2), copies under old names (``miR-103`` ->
  mir-103a-1/-2) -- and their matures by the arm policy: ``both`` arms, or the
  ``dominant`` one (the arm that kept the plain name and was never the star strand, from
  the name history); an old mature name with no precursor behind it (``miR-189``) is that
  mature;
- no letter (``miR-29``): all lettered precursors; ``resolved`` when they form one miRBase
  (miFam) or TargetScan seed family, else ``ambiguous`` with the candidates listed;
- ``X family``: precursors sharing the stem, their miFam families and the TargetScan seed
  families of their dominant arms; ``X~Y``, ``X-Y`` (no such paralog), ``X/Y cluster``: the
  genomic cluster (miRBase gff3, hairpins within ``--cluster-distance`` on one strand)
  holding every member named; ``X-Y/Z-W`` (two ranges) is two clusters, and a plural
  (``the miR-200 and miR-34 families``) makes every listed name a family or cluster;
- species from the prefix (``mmu-``), else the configured default; names found only in
  other species, deleted names (with ``miRNA.diff``) and unknown names are ``unresolved``
  with the reason; host genes (``MIR155HG``) are reported as ``host_gene``, never mapped.

Offsets are code-point offsets into the document text as read: matching runs on a copy in
which Unicode dashes, tildes and spaces are replaced one-for-one by ASCII, so lengths and
positions never change.

Output record (one per mention; lists are JSON lists)::

    doc_id, start, end, text, sentence, mirbase_ids, mirbase_names, status,
    kind          mature | precursor | gene_symbol | host_gene | family | cluster |
                  enumeration_member
    normalised    the name as read, in miRBase spelling with species (``hsa-miR-200b``)
    species       miRBase species code used
    arm_policy    ``both``/``dominant`` when the text gave no arm and the policy chose, else ""
    expansion     for families, clusters and enumerations: what was expanded, from which
                  database definition (``let-7 family -> ... (miRBase MIPF0000002 let-7)``)
    reason        why a mention is ambiguous or unresolved, or a note (renamed, paralogs)
    sentence_start, group_start, group_end   offsets of the sentence and of the whole
                  enumeration/cluster expression the mention belongs to
"""

from __future__ import annotations

import argparse
import bisect
import gc
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import IO, NamedTuple

from mirlens.errors import MirlensError
from mirlens.mirbase import MirbaseRelease, SpeciesIndex

log = logging.getLogger(__name__)

DEFAULT_MIRBASE = "resources/db/mirbase.org/download_version_files/22.1"
DEFAULT_FAMILY_INFO = (
    "resources/db/www.targetscan.org/vert_80/vert_80_data_download/miR_Family_Info.txt.zip"
)
FIELDS = [
    "doc_id", "start", "end", "text", "sentence", "mirbase_ids", "mirbase_names", "status",
    "kind", "normalised", "species", "arm_policy", "expansion", "reason",
    "sentence_start", "group_start", "group_end", "direction", "role", "sample", "themes",
]  # fmt: skip

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
_PREFIX = (
    r"(?P<pfx>micro[ -]?RNAs?(?:\s{0,2}\(\s?(?:miRNA|miR)s?\s?\))?"
    r"|miRNAs?(?:\s{0,2}\(\s?miRs?\s?\))?"
    r"|miRs?|mir)"
    r"(?P<sep>\s?-\s?|\s|)"
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
CAND = re.compile(r"mi(?:r|cro[\s-]?rna)[a-z\s()-]{0,16}\d|let-?7|lin-?4")
SPECIES_BEFORE = re.compile(r"(?:^|[^A-Za-z0-9_])([A-Za-z]{2,5}\d?)-$")
# a continuation: joiner, optional dash, then a bare identifier or (after '/') a letter
CONT = re.compile(
    r"(?P<join>\s?/\s?|\s?~\s?|\s+approximately\s+|\s?,\s?(?:and\s+|or\s+)?|\s+(?:and|or|&)\s+)"
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
WEAK_PREFIX = re.compile(r"(?:micro[ -]?RNA|miRNA)s", re.IGNORECASE)

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


# ---------------------------------------------------------------------------------------
# Normalisation


@dataclass(frozen=True)
class Resolution:
    ids: tuple[str, ...]
    status: str
    reason: str = ""
    hairpins: tuple[str, ...] = ()
    arm_applied: bool = False


class Normaliser:
    """Maps parsed items to miRBase accessions of one release, memoised per key."""

    def __init__(
        self,
        release: MirbaseRelease,
        species: str = "hsa",
        arm_policy: str = "both",
    ) -> None:
        if arm_policy not in ("both", "dominant"):
            raise MirlensError(f"--arm-policy must be 'both' or 'dominant', not {arm_policy!r}")
        if species not in release.species_codes:
            raise MirlensError(f"species {species!r} is not in miRBase {release.directory}")
        self.release = release
        self.species = species
        self.arm_policy = arm_policy
        self.resolve = lru_cache(maxsize=None)(self._resolve)
        self.family = lru_cache(maxsize=4096)(self._family)
        self.cluster = lru_cache(maxsize=4096)(self._cluster)

    def index(self, species: str) -> SpeciesIndex:
        return self.release.species(species)

    def names(self, species: str, ids: Iterable[str]) -> list[str]:
        idx = self.index(species)
        return [idx.mature_name[i] for i in ids]

    # -- items -----------------------------------------------------------------------
    def _resolve(self, species: str, item: Item) -> Resolution:
        idx = self.index(species)
        policy = self.arm_policy
        base = item.base
        copy = item.copy
        arm = item.arm
        # "miR-17-5" (old style for -5p) when no paralog copy 5 exists
        if copy in ("3", "5") and not arm and f"{base}-{copy}" not in idx.hairpin_keys:
            copy, arm = "", f"{copy}p"
        full = f"{base}-{copy}" if copy else base
        notes: list[str] = []

        if arm or item.star:
            key = full + ("*" if item.star and not arm else f"-{arm}" if arm else "")
            accs = idx.mature_keys.get(key)
            if not accs and key in idx.mature_old:
                accs = idx.mature_old[key]
                notes.append(
                    f"old name {key} -> {';'.join(idx.mature_name[a] for a in sorted(accs))}"
                )
            if accs:
                return self._done(sorted(accs), "; ".join(notes), (), False)
            hp, how = self._hairpins(idx, base, copy)
            if hp:
                ms = [
                    m for m in idx.matures_of(hp, "both") if self._arm_of(idx, m) == (arm or "3p")
                ]
                if ms:
                    related = how != "lettered" or self._one_family(idx, hp)
                    status = "resolved" if related else "ambiguous"
                    reason = (
                        f"no name {key} in miRBase; {arm or '*'} arm of {self._hp_names(idx, hp)}"
                    )
                    return Resolution(tuple(ms), status, reason, tuple(sorted(hp)))
            return self._unresolved(species, key, item)

        hp, how = self._hairpins(idx, base, copy)
        if hp:
            ids = idx.matures_of(hp, policy)
            if how == "old":
                notes.append(f"old precursor name {full} -> {self._hp_names(idx, hp)}")
            if how == "copies" and len(hp) > 1:
                notes.append(f"paralogs {self._hp_names(idx, hp)}")
            if policy == "dominant":
                undetermined = [h for h in hp if not idx.has_dominant(h)]
                if undetermined:
                    notes.append(
                        "no dominant arm recorded for " + self._hp_names(idx, undetermined)
                    )
            if how == "lettered":
                family = self._one_family(idx, hp)
                if family:
                    # "miR-29": all of miR-29a/b/c, which are one family: a well-defined set
                    reason = f"{full} has no letter: read as {self._hp_names(idx, hp)} ({family})"
                    return Resolution(tuple(ids), "resolved", reason, tuple(sorted(hp)), True)
                reason = f"{full} has no letter: could be {self._hp_names(idx, hp)}"
                return Resolution(tuple(ids), "ambiguous", reason, tuple(sorted(hp)), True)
            return Resolution(tuple(ids), "resolved", "; ".join(notes), tuple(sorted(hp)), True)
        if full in idx.mature_keys:
            return self._done(sorted(idx.mature_keys[full]), "", (), False)
        if full in idx.mature_old:
            accs = sorted(idx.mature_old[full])
            note = f"old name {full} -> {';'.join(idx.mature_name[a] for a in accs)}"
            return self._done(accs, note, (), False)
        return self._unresolved(species, full, item)

    def _done(self, ids, reason, hp, arm_applied) -> Resolution:
        return Resolution(tuple(ids), "resolved", reason, tuple(hp), arm_applied)

    @staticmethod
    def _one_family(idx: SpeciesIndex, hairpins: set[str]) -> str:
        """The one miRBase family (miFam) or TargetScan seed family that all hairpins (or
        their dominant matures) belong to, else ""."""
        fams = {idx.mifam_of.get(h) for h in hairpins}
        if len(fams) == 1 and None not in fams:
            fid, fname = fams.pop()
            return f"one miRBase family, {fid} {fname}"
        seeds = {idx.seed_family_of.get(m) for h in hairpins for m in idx.dominant.get(h, [])}
        if len(seeds) == 1 and None not in seeds:
            return f"one TargetScan seed family, {seeds.pop()}"
        return ""

    @staticmethod
    def _hp_names(idx: SpeciesIndex, hp: Iterable[str]) -> str:
        return ", ".join(sorted(idx.hairpin_name[h] for h in hp))

    @staticmethod
    def _hairpins(idx: SpeciesIndex, base: str, copy: str) -> tuple[set[str], str]:
        full = f"{base}-{copy}" if copy else base
        if full in idx.hairpin_keys:
            return set(idx.hairpin_keys[full]), "exact"
        if full in idx.hairpin_old:
            return set(idx.hairpin_old[full]), "old"
        if copy:
            return set(), ""
        if base in idx.copies:
            return set(idx.copies[base]), "copies"
        if base in idx.copies_old:
            return set(idx.copies_old[base]), "old"
        if base in idx.lettered:
            return set(idx.lettered[base]), "lettered"
        return set(), ""

    @staticmethod
    def _arm_of(idx: SpeciesIndex, mature: str) -> str:
        name = idx.mature_name[mature]
        if name.endswith(("-5p", "-3p")):
            return name[-2:]
        return idx.arm_from_coordinates(mature) or ""

    def _unresolved(self, species: str, key: str, item: Item) -> Resolution:
        idx = self.index(species)
        if key in idx.deleted:
            return Resolution((), "unresolved", f"{idx.deleted[key]} was deleted from miRBase")
        elsewhere = self.other_species(key)
        if elsewhere:
            shown = ", ".join(elsewhere[:5]) + (", ..." if len(elsewhere) > 5 else "")
            reason = f"no {species} {key} in miRBase; named in {shown}"
        else:
            reason = (
                f"{key} is not a {species} miRNA name in this miRBase release, current or in the"
                " name history of its entries (never named, or deleted earlier)"
            )
        return Resolution((), "unresolved", reason)

    def other_species(self, key: str) -> list[str]:
        return [s for s in self.release.species_of_key(key) if s != self.species]

    # -- groups ----------------------------------------------------------------------
    def _family(self, species: str, items: tuple[Item, ...]) -> tuple[list[str], str, str]:
        """Members of the family named by ``items`` (``let-7``, ``miR-200``): hairpins whose
        names extend the stem, the miRBase families (miFam) of those hairpins, and the
        TargetScan seed families of their matures. Returns ids, expansion note, reason."""
        idx = self.index(species)
        hp: set[str] = set()
        for it in items:
            full = f"{it.base}-{it.copy}" if it.copy else it.base
            for table in (idx.hairpin_keys, idx.copies, idx.lettered):
                hp |= table.get(full, set())
            if not it.letter:
                hp |= idx.lettered.get(it.base, set())
        if not hp:
            return [], "", "no miRBase precursor carries this family name"
        sources = []
        fams = sorted({idx.mifam_of[h] for h in hp if h in idx.mifam_of})
        for fid, fname in fams:
            hp |= set(idx.mifam_members[fid])
            sources.append(f"miRBase {fid} {fname}")
        ids = idx.matures_of(hp, self.arm_policy)
        # seed families of the dominant (family-defining) arms whose TargetScan name carries
        # the stem asked for; minor arms' seed families are unrelated to the family's name
        major = idx.matures_of(hp, "dominant")
        seed = sorted({idx.seed_family_of[m] for m in major if m in idx.seed_family_of})
        stems = {re.sub(r"^(mir|let|lin)-", "", it.base) for it in items}
        for fname in seed:
            if any(re.search(rf"(?<![\d]){re.escape(s)}(?![\d])", fname) for s in stems):
                for m in idx.seed_family_members[fname]:
                    if m not in ids:
                        ids.append(m)
                sources.append(f"TargetScan {fname}")
        if not sources:
            sources.append("miRBase names sharing the stem")
        return ids, "; ".join(sources), ""

    def _cluster(self, species: str, items: tuple[Item, ...]) -> tuple[list[str], str, str, str]:
        """Hairpins of the genomic cluster(s) holding every listed member (miRBase gff3,
        hairpins within the cluster distance on one strand). Returns ids, expansion, status,
        reason."""
        idx = self.index(species)
        if not idx.cluster_of:
            return [], "", "unresolved", f"no genome coordinates for {species} (genomes/*.gff3)"
        per_item = []
        for it in items:
            hp, _ = self._hairpins(idx, it.base, it.copy)
            if not hp:
                reason = self._unresolved(species, it.base, it).reason
                return [], "", "unresolved", reason
            labels = {idx.cluster_of[h] for h in hp if h in idx.cluster_of}
            if len(items) == 1 and len(labels) > 1:
                # "miR-302 cluster": the locus holding several of the named stem's hairpins
                dense = {
                    lab for lab in labels
                    if sum(idx.cluster_of.get(h) == lab for h in hp) > 1
                }  # fmt: skip
                labels = dense if len(dense) == 1 else labels
            if not labels:
                return [], "", "unresolved", f"{it.display(species)} has no genome coordinates"
            per_item.append(labels)
        common = set.intersection(*per_item)
        if not common:
            return [], "", "unresolved", "the members named are not in one genomic cluster"
        hp = {h for label in common for h in idx.cluster_members[label]}
        ids = idx.matures_of(hp, self.arm_policy)
        note = ", ".join(
            f"{label} ({self._hp_names(idx, idx.cluster_members[label])})"
            for label in sorted(common)
        )
        status = "resolved" if len(common) == 1 else "ambiguous"
        reason = "" if len(common) == 1 else "the name fits several genomic clusters"
        dist = self.release.cluster_distance
        return ids, f"miRBase gff3 cluster within {dist} bp: {note}", status, reason


# ---------------------------------------------------------------------------------------
# Extraction


@dataclass
class _Part:
    start: int
    end: int
    item: Item | None
    joiner: str = ""


_SPAN = itemgetter("start", "end")
_DOC_SPAN = itemgetter("doc_id", "start", "end")
# Candidate positions (those of CAND), as two scans that each start with a literal: the
# regex engine then jumps between "mi"s (or "l"s) at C speed instead of trying every 'm'.
# Neither hit can hold the start of another candidate, so consuming it loses none.
CAND_MI = re.compile(r"mi(?=(?:r|cro[\s-]?rna)[a-z\s()-]{0,16}\d)")
CAND_L = re.compile(r"l(?:et-?7|in-?4)")
HEAD_AT = re.compile(f"(?={HEAD.pattern})", re.IGNORECASE)  # when lower() changes lengths


def _uncaptured(pattern: str, keep: tuple[str, ...] = ()) -> str:
    """The pattern with its named groups (but ``keep``) made non-capturing: it matches the
    same, and a match with few groups is much cheaper to make."""
    return re.sub(r"\(\?P<(\w+)>", lambda g: g[0] if g[1] in keep else "(?:", pattern)


# HEAD (groups: gene only), and whether a continuation or group word may follow it (the
# quick first-character test, then TAIL): one cheap regex call tells a lone name, the
# common case, from a gene symbol or the start of a group, which are read again by HEAD
HEAD_LEAN = re.compile(
    r"(?<!\w)"  # not inside a word ("AmiR-21", "Admir"): \w is exactly str.isalnum() or "_"
    + _uncaptured(HEAD.pattern, ("gene",))
    + r"(?:(?=\s*[/~,&aogmfcp])(?=" + _uncaptured(TAIL.pattern) + r")(?P<tail>))?",
    re.IGNORECASE,
)  # fmt: skip


def _next_is_name(work: str, end: int) -> bool:
    """A full name (with its prefix) follows after a list joiner: "miR-1, miR-22"."""
    t = TAIL.match(work, end)
    return t is not None and t["cpfx"] is not None and t["join"].strip() not in _JOIN_PREFIXED


_PLURAL_WORDS = ("families", "clusters")


def _ends_in_plural_group(work: str, end: int) -> bool:
    """The list going on from ``end`` (continuations, full names too) ends in a plural group
    word: "miR-200 and miR-34 families" names two families, so the plural applies to every
    member, not only to the last. Not after a name with an arm (a mature is no group)."""
    while (c := CONT.match(work, end)) is not None:
        if c["arm"] or c["aonly"] or c["star"]:
            return False  # matures ("miR-139-3p, and miR-142-3p Clusters"): a verb, no group
        end = c.end()
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


def _sentence_of(text: str, starts: list[int], pos: int) -> tuple[int, int, int, str]:
    """(lo, hi, sentence_start, sentence) of the sentence holding ``pos``; every offset in
    ``[lo, hi)`` has the same sentence (``sentence_at``, with its extent)."""
    i = bisect.bisect_right(starts, pos)
    lo = starts[i - 1]
    hi = starts[i] if i < len(starts) else len(text)
    seg = text[lo:hi]
    body = seg.lstrip()
    return lo, hi, lo + len(seg) - len(body), body.rstrip()


_MEMO_LIMIT = 50_000  # entries per memo of an Extractor (spellings; group expressions)


class Extractor:
    def __init__(self, normaliser: Normaliser) -> None:
        self.norm = normaliser
        self.species_codes = normaliser.release.species_codes
        self._single: dict[str | tuple[str, str], tuple] = {}  # by spelling (, species)
        self._groups: dict[tuple, list[dict]] = {}

    def extract(self, doc_id: str, text: str) -> list[dict]:
        """Mention records of one document, sorted by (start, end)."""
        work = text if text.isascii() or not _SPECIAL.search(text) else text.translate(TRANSLATE)
        rows: list[dict] = []
        append = rows.append
        single = self._single
        lean = HEAD_LEAN.match
        lower = work.lower()
        # the case-sensitive candidate scan of the lower-cased text is several times faster
        # than a case-insensitive HEAD search; lower() may change lengths of rare characters
        if len(lower) == len(work):
            hits = candidates(lower)
        else:
            hits = [c.start() for c in HEAD_AT.finditer(work)]
        starts: list[int] | None = None  # sentence starts, found at the first mention
        lo = hi = s_start = 0  # the current sentence: [lo, hi) -> (s_start, sentence)
        sentence = ""
        pos = 0
        # a list of full names may end in "families"/"clusters" (read as one group then)
        plural_doc = "families" in lower or "clusters" in lower
        for s in hits:
            if s < pos:
                continue  # inside the previous mention
            m = lean(work, s)
            if m is None:
                continue
            sp = ""
            if s and work[s - 1] == "-":
                b = SPECIES_BEFORE.search(work, max(0, s - 8), s)
                sp = b.group(1) if b else ""
            end = m.end()
            # a lone name, or one followed by another full name after a list joiner
            if m[1] is None and (
                m[2] is None
                or (
                    _next_is_name(work, end)
                    and not (plural_doc and _ends_in_plural_group(work, end))
                )
            ):
                # fast path: the normalisation of a lone name is memoised by spelling,
                # so a mention costs a dict hit and one dict build
                key = (m[0], sp) if sp else m[0]
                tpl = single.get(key)
                if tpl is None:
                    if len(single) >= _MEMO_LIMIT:
                        single.clear()  # a pure memo: bounded memory on huge corpora
                    tpl = single[key] = self._template(work, HEAD.match(work, s), sp)
                pos = end
                if tpl:
                    start = s - tpl[0]
                    if not lo <= start < hi:
                        if starts is None:
                            starts = sentence_bounds(text)
                        lo, hi, s_start, sentence = _sentence_of(text, starts, start)
                    append(
                        {
                            **tpl[1],
                            "doc_id": doc_id,
                            "start": start,
                            "end": end,
                            "text": text[start:end],
                            "sentence": sentence,
                            "sentence_start": s_start,
                            "group_start": start,
                            "group_end": end,
                        }
                    )
                continue
            rows_g, pos = self._group(doc_id, text, work, HEAD.match(work, s), sp)
            for r in rows_g:
                start = r["start"]
                if not lo <= start < hi:
                    if starts is None:
                        starts = sentence_bounds(text)
                    lo, hi, s_start, sentence = _sentence_of(text, starts, start)
                r["sentence_start"], r["sentence"] = s_start, sentence
                append(r)
        rows.sort(key=_SPAN)
        return rows

    def _template(self, work: str, m: re.Match, sp: str) -> tuple[int, dict] | tuple[()]:
        """Row fields of a lone head (everything but offsets), or () when it is no mention."""
        rows, _ = self._group("", work, work, m, sp, memo=False)  # memoised by the caller
        if not rows:
            return ()
        return m.start() - rows[0]["start"], rows[0]

    def _group(
        self, doc_id: str, text: str, work: str, m: re.Match, sp: str, memo: bool = True
    ) -> tuple[list[dict], int]:
        start = m.start()
        species = self.norm.species
        hint = ""
        if sp:
            if sp.lower() in self.species_codes:
                species = sp.lower()
                start -= len(sp) + 1
            elif sp.lower() in ("pre", "pri"):
                hint = "precursor"
        if m.group("gene"):
            return self._gene(doc_id, text, m, start, species), m.end()
        if m.group("let"):
            item = _item_from(m, "l_", m.group("let").lower())
            kind = hint or "mature"
        else:
            item = _item_from(m)
            pfx = m.group("pfx")
            kind = hint or ("precursor" if pfx == "mir" and not item.arm else "mature")
        parts = [_Part(start, m.end(), item)]
        end = m.end()
        weak = bool(WEAK_PREFIX.fullmatch(m.group("pfx") or "")) or (
            m.group("sep") == " " and not item.letter
        )
        # continuations
        plural: bool | None = None  # the list ends in "families"/"clusters" (None: not asked)
        cut: tuple[int, int] | None = None  # parts and end before the first full name listed
        while True:
            c = CONT.match(work, end)
            if not c:
                break
            join = c.group("join").strip().lower()
            if c.group("cpfx") and join not in _JOIN_PREFIXED:
                # "miR-1, miR-22": a full name starts its own mention, unless the list ends
                # in a plural group word ("miR-200 and miR-34 families")
                if plural is None:
                    plural = not (item.arm or item.star) and _ends_in_plural_group(work, end)
                if not plural:
                    break
                if cut is None:
                    cut = (len(parts), end)
            prev = parts[-1].item
            if c.group("aonly"):
                # "miR-30a-5p/-3p", "miR-199a-5p and -3p": the other arm of the same name
                if not (join == "/" or c.group("dash")) or not prev or not prev.arm:
                    break
                it = prev._replace(arm=c.group("aonly").lower(), star=False)
                s0 = c.start("aonly")
            elif c.group("lonly"):
                if not (join == "/" or c.group("dash")) or not prev or not prev.letter:
                    break
                it = Item(prev.prefix, prev.num, c.group("lonly").lower(),
                          (c.group("lcopy") or "").lstrip("-"), prev.arm, prev.star)  # fmt: skip
                s0 = c.start("lonly")
            else:
                cpfx = (c.group("cpfx") or "").lower()
                prefix = ("let" if cpfx.startswith("let") else "mir") if cpfx else prev.prefix
                if prefix == "let" and c.group("num") != "7":
                    prefix = "mir"  # "let-7e, 125a and 99b"
                it = _item_from(c, "", prefix)
                # a full name listed ("miR-200a/miR-200b") is read with its prefix
                s0 = c.start("cpfx") if c.group("cpfx") else c.start("num")
                if not c.group("dash") and join in (",", "and", "or", "&", ", and", ", or"):
                    if NOT_MIRNA_AFTER.match(work, c.end()) or not (
                        self._known(species, it)
                        or (c.group("cpfx") and self._known_range(species, it))
                    ):
                        break
            parts.append(_Part(s0, c.end(), it, join))
            end = c.end()
        w = GROUP_WORD.match(work, end)
        if cut is not None and (w is None or w["word"].lower() not in _PLURAL_WORDS):
            # the list stopped before its plural word: full names go back to their own mentions
            del parts[cut[0] :]
            end = cut[1]
            w = GROUP_WORD.match(work, end)
        word = w.group("word").lower() if w else ""
        emit = self._emit_memo if memo else self._emit
        return emit(doc_id, text, parts, species, kind, word, weak), end

    def _emit_memo(self, doc_id, text, parts, species, kind, word, weak) -> list[dict]:
        """``_emit``, memoised: its rows depend only on the expression's text and parse, so
        a repeated expression copies them with its own offsets."""
        g0 = parts[0].start
        key = (
            text[g0 : parts[-1].end], species, kind, word, weak,
            tuple((p.start - g0, p.end - g0, p.item, p.joiner) for p in parts),
        )  # fmt: skip
        tpl = self._groups.get(key)
        if tpl is None:
            if len(self._groups) >= _MEMO_LIMIT:
                self._groups.clear()
            tpl = self._groups[key] = [
                {**r, "start": r["start"] - g0, "end": r["end"] - g0,
                 "group_start": r["group_start"] - g0, "group_end": r["group_end"] - g0}
                for r in self._emit("", text, parts, species, kind, word, weak)
            ]  # fmt: skip
        return [
            {**r, "doc_id": doc_id, "start": r["start"] + g0, "end": r["end"] + g0,
             "group_start": r["group_start"] + g0, "group_end": r["group_end"] + g0}
            for r in tpl
        ]  # fmt: skip

    def _known(self, species: str, item: Item) -> bool:
        return self.norm.resolve(species, item).status != "unresolved"

    def _known_range(self, species: str, item: Item) -> bool:
        """ "miR-143-145" as a cluster's ends: both ends are miRNAs (read so by ``_emit``)."""
        return (
            bool(item.copy)
            and not item.arm
            and not item.star
            and self._known(species, item._replace(copy=""))
            and self._known(species, Item(item.prefix, item.copy))
        )

    def _gene(self, doc_id, text, m, start, species) -> list[dict]:
        symbol = m.group("gene")
        item = _item_from_gene(symbol)
        end = m.end()
        row = self._row(doc_id, text, start, end, species)
        if m.group("hg") is not None or item is None:
            row.update(kind="host_gene", status="unresolved", normalised=symbol)
            row["reason"] = "host gene (long non-coding RNA), not a miRNA"
            if item:
                row["reason"] += f"; it hosts {item.display(species).replace('miR', 'mir')}"
            return [row]
        res = self.norm.resolve(species, item)
        if res.status == "unresolved":
            return []  # MIR-like symbols that name no miRNA (e.g. MIR elements) are not mentions
        self._fill(row, res, species, item, "gene_symbol")
        return [row]

    def _row(self, doc_id, text, start, end, species) -> dict:
        return {
            "doc_id": doc_id, "start": start, "end": end, "text": text[start:end],
            "sentence": "", "mirbase_ids": [], "mirbase_names": [], "status": "",
            "kind": "", "normalised": "", "species": species, "arm_policy": "",
            "expansion": "", "reason": "", "sentence_start": 0,
            "group_start": start, "group_end": end,
        }  # fmt: skip

    def _fill(
        self, row: dict, res: Resolution, species: str, item: Item, kind: str, read_as: str = ""
    ) -> None:
        row["mirbase_ids"] = list(res.ids)
        row["mirbase_names"] = self.norm.names(species, res.ids)
        row["status"] = res.status
        row["reason"] = res.reason
        row["kind"] = kind
        disp = item.display(species)
        precursor = (read_as or kind) in ("precursor", "gene_symbol")
        row["normalised"] = disp.replace("-miR-", "-mir-") if precursor else disp
        if res.arm_applied:
            row["arm_policy"] = self.norm.arm_policy
        if res.status == "ambiguous":
            row["expansion"] = f"{disp} -> candidates " + ";".join(row["mirbase_names"])

    def _emit(self, doc_id, text, parts, species, kind, word, weak) -> list[dict]:
        g0, g1 = parts[0].start, parts[-1].end
        idx = self.norm.index(species)
        # "miR-17-92": a "copy" that is no paralog names the cluster's last member
        split: list[_Part] = []
        for p in parts:
            it = p.item
            full = f"{it.base}-{it.copy}"
            if (
                it.copy
                and not it.arm
                and it.copy not in ("3", "5")
                and full not in idx.hairpin_keys
                and full not in idx.hairpin_old
            ):
                split.append(_Part(p.start, p.end, it._replace(copy="", star=False), p.joiner))
                split.append(_Part(p.start, p.end, Item(it.prefix, it.copy), "-"))
            else:
                split.append(p)
        # segments: runs of items joined by '/', '~' or '-' (a list joiner starts a new one;
        # so does '/' between two ranges: "miR-17-92/miR-106b-25" names two clusters)
        segments: list[list[_Part]] = []
        for j, p in enumerate(split):
            if (
                not segments
                or p.joiner in _LIST_JOINERS
                or (
                    p.joiner == "/"
                    and any(q.joiner in _RANGE_JOINERS for q in segments[-1][1:])
                    and j + 1 < len(split)
                    and split[j + 1].joiner in _RANGE_JOINERS
                )
            ):
                segments.append([p])
            else:
                segments[-1].append(p)
        plural = word.endswith(("ies", "s"))
        n_items = len(split)
        out: list[dict] = []
        for i, seg in enumerate(segments):
            worded = plural or i == len(segments) - 1
            tilde = any(p.joiner in _RANGE_JOINERS for p in seg[1:])
            if tilde or (worded and word.startswith(("cluster", "polycistron"))):
                out.append(self._grouped(doc_id, text, seg, species, "cluster", (g0, g1)))
                continue
            only = seg[0].item
            plural_name = (
                len(seg) == 1
                and only.letter == "s"
                and self.norm.resolve(species, only).status == "unresolved"
            )
            if plural_name:
                # "the miR-200s": the plural of a name is its family
                seg = [_Part(seg[0].start, seg[0].end, only._replace(letter=""), seg[0].joiner)]
            if plural_name or (worded and word.startswith("famil")):
                out.append(self._grouped(doc_id, text, seg, species, "family", (g0, g1)))
                continue
            for p in seg:
                res = self.norm.resolve(species, p.item)
                if weak and n_items == 1 and res.status == "unresolved":
                    return []  # "microRNAs 15 ..." with no miRBase name behind it
                row = self._row(doc_id, text, p.start, p.end, species)
                row["group_start"], row["group_end"] = g0, g1
                k = "enumeration_member" if n_items > 1 else kind
                self._fill(row, res, species, p.item, k, kind)
                if n_items > 1:
                    note = f" ({row['expansion']})" if row["expansion"] else ""
                    label = " ".join(text[g0:g1].split())
                    row["expansion"] = f"{label} -> {p.item.display(species)}{note}"
                out.append(row)
        return out

    def _grouped(self, doc_id, text, seg, species, kind, group) -> dict:
        """One row for a family or cluster expression, expanded from database definitions."""
        s0, s1 = seg[0].start, seg[-1].end
        items = tuple(p.item for p in seg)
        row = self._row(doc_id, text, s0, s1, species)
        row["group_start"], row["group_end"] = group
        short = [it.display(species)[len(species) + 1 :] for it in items]
        if kind == "family":
            ids, note, reason = self.norm.family(species, items)
            status = "resolved" if ids else "unresolved"
        else:
            ids, note, status, reason = self.norm.cluster(species, items)
        row.update(
            mirbase_ids=ids,
            mirbase_names=self.norm.names(species, ids),
            status=status,
            reason=reason,
            kind=kind,
            normalised=f"{species}-{'~'.join(short)} {kind}",
            arm_policy=self.norm.arm_policy if ids else "",
        )
        if ids:
            label = " ".join(text[s0:s1].split())
            row["expansion"] = f"{label} {kind} -> {';'.join(row['mirbase_names'])} ({note})"
        return row


# ---------------------------------------------------------------------------------------
# Documents and CLI


def iter_input_documents(inputs: list[str]) -> Iterator[tuple[str, str]]:
    """(doc_id, text) of every readable document; skipped ones are logged."""
    from mirlens.literature.readers import iter_documents

    for doc in iter_documents(inputs):
        if doc.status != "ok":
            log.warning("skipped %s: %s", doc.path or doc.doc_id, doc.status)
            continue
        yield doc.doc_id, doc.text


def resolve_family_info(family_info: str | None) -> str | None:
    """The TargetScan family file to use: the one given, else the workflow's download if any."""
    if family_info is None and Path(DEFAULT_FAMILY_INFO).is_file():
        family_info = DEFAULT_FAMILY_INFO
    if family_info and not Path(family_info).is_file():
        raise MirlensError(f"--family-info file not found: {family_info}")
    return family_info


def load_release(
    mirbase: str | Path, family_info: str | Path | None, cluster_distance: int
) -> MirbaseRelease:
    return MirbaseRelease(mirbase, family_info=family_info, cluster_distance=cluster_distance)


_YOUNG_LIMIT = 100_000  # container objects made between collections of the young generations


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No automatic cyclic garbage collection while records pile up: they hold lists, and
    every full collection would walk all records made so far (and the miRBase indexes),
    ~30% of the time, although they form no cycles. Collection resumes as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def extract_documents(
    docs: Iterable[tuple[str, str]],
    normaliser: Normaliser,
    themes: Callable[[str], list[str]] | None = None,
) -> Iterator[dict]:
    """Mention records of all documents with their context (``mirlens.text.context``),
    sorted by (doc_id, start, end); ``themes`` names the themes a sentence hits."""
    from mirlens.text.context import annotate

    ex = Extractor(normaliser)
    rows: list[dict] = []
    with _gc_paused():
        for doc_id, text in docs:
            try:
                rows.extend(annotate(ex.extract(doc_id, text), themes))
            except Exception as exc:  # one bad document never stops the rest
                log.error("extraction failed for %s: %s", doc_id, exc)
            if gc.get_count()[0] > _YOUNG_LIMIT:
                # the young generations only: garbage cycles of the document readers go,
                # the records made so far move to the old generation, never walked again
                gc.collect(1)
        rows.sort(key=_DOC_SPAN)
    return iter(rows)


# one encoder for all records: json.dumps(rec, ensure_ascii=False) builds a new one per call
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def write_records(fh: IO[str], records: Iterable[dict]) -> int:
    """Mention records as JSON lines (``json.dumps(rec, ensure_ascii=False)``); the count."""
    encode, write = _ENCODE, fh.write
    n = 0
    for rec in records:
        write(encode(rec) + "\n")
        n += 1
    return n


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="document files, folders, or JSONL of {doc_id, text}")  # fmt: skip
    parser.add_argument("--out", required=True, help="output JSONL, one mention per line")
    parser.add_argument("--mirbase", default=DEFAULT_MIRBASE, help="miRBase download folder")
    parser.add_argument("--species", default="hsa", help="species when the text gives none")
    parser.add_argument("--arm-policy", default="both", choices=["both", "dominant"],
                        help="matures used when the text names no arm")  # fmt: skip
    parser.add_argument("--family-info", default=None,
                        help="TargetScan miR_Family_Info.txt(.zip) for seed families")  # fmt: skip
    parser.add_argument("--cluster-distance", type=int, default=10_000,
                        help="max bp between clustered hairpins (miRBase: 10000)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from mirlens.io import atomic_open

    family_info = resolve_family_info(args.family_info)
    release = load_release(args.mirbase, family_info, args.cluster_distance)
    norm = Normaliser(release, args.species, args.arm_policy)
    with atomic_open(args.out) as fh:
        n = write_records(fh, extract_documents(iter_input_documents(args.inputs), norm))
    log.info("wrote %d mentions to %s", n, args.out)
    return 0
