"""Gene and protein names in text, resolved to NCBI symbols and Entrez IDs.

The lexicon comes from NCBI ``gene_info`` (protein-coding and non-coding RNA genes): the
official symbol, synonyms that name exactly one gene (and are no other gene's symbol), and
the full names and designations that name exactly one gene, plus a short table of protein
names that papers use instead of symbols ("E-cadherin" -> CDH1, "PD-L1" -> CD274).

Traps, and how they are kept out:
- symbols that are English words or abbreviations (CAT, SET, IMPACT, CI, OR, HR): a symbol
  matches case-sensitively (``SET`` but not "set"/"Set"), and a symbol or alias without a
  digit never matches case-insensitively; abbreviations of statistics, methods and
  diseases that are also gene aliases are listed in :data:`NOT_GENES`;
- miRNA genes and their host genes (MIR21, MIR155HG, MIRLET7BHG) are no targets: the text
  names the miRNA itself, which the miRNA recogniser reads;
- case-insensitive matching is kept for spellings that carry a digit or an inner capital
  ("Bcl-2", "p53", "RhoA") and for multi-word names ("cyclin D1").
Spans are compared on a key without hyphens and spaces and with Greek letters spelt out,
so "IRAK-2", "TGF-β" and "HIF-1alpha" meet "IRAK2", "TGFbeta", "HIF1alpha".
"""

from __future__ import annotations

import csv
import gzip
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from mirlens.errors import MirlensError

PathLike = str | os.PathLike

NAME_COLUMNS = ("Full_name_from_nomenclature_authority", "description", "Other_designations")
GENE_TYPES = frozenset({"protein-coding", "ncRNA"})
_MIRNA_GENE = re.compile(r"^MIR(?:\d|LET|[A-Z0-9]*HG$)|^LINC-?MIR")

# Greek letters as papers spell them out (keys compare on the spelt-out form).
GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "κ": "kappa",
    "λ": "lambda", "μ": "mu", "ζ": "zeta", "η": "eta", "θ": "theta", "ω": "omega",
    "Α": "alpha", "Β": "beta", "Γ": "gamma", "Δ": "delta", "Κ": "kappa",
}  # fmt: skip
LATIN = {g: ("G" if name == "gamma" else name[0].upper()) for g, name in GREEK.items()}
_GREEK_RE = re.compile("[" + "".join(GREEK) + "]")
_SEP = re.compile(r"[\s\-\u2010-\u2015'’]+")

# Protein names papers use in place of symbols; added to the lexicon as names.
PROTEIN_NAMES = {
    "E-cadherin": "CDH1", "N-cadherin": "CDH2", "P-cadherin": "CDH3", "VE-cadherin": "CDH5",
    "vimentin": "VIM", "fibronectin": "FN1", "PD-L1": "CD274", "PD-1": "PDCD1",
    "HIF-1alpha": "HIF1A", "HIF-1a": "HIF1A", "HIF-2alpha": "EPAS1", "beta-catenin": "CTNNB1",
    "Snail": "SNAI1", "Slug": "SNAI2", "Twist": "TWIST1", "c-Myc": "MYC", "N-Myc": "MYCN",
    "c-Met": "MET", "c-Kit": "KIT", "c-Jun": "JUN", "c-Fos": "FOS", "c-Src": "SRC",
    "survivin": "BIRC5", "VEGF": "VEGFA", "VEGF-A": "VEGFA", "VEGF-C": "VEGFC",
    "TGF-beta": "TGFB1", "TGF-beta1": "TGFB1", "TNF-alpha": "TNF", "IFN-gamma": "IFNG",
    "alpha-SMA": "ACTA2", "ZO-1": "TJP1", "occludin": "OCLN", "Dicer": "DICER1",
    "Drosha": "DROSHA", "huntingtin": "HTT", "alpha-synuclein": "SNCA", "tau": "MAPT",
    "amyloid precursor protein": "APP", "Abeta": "APP", "amyloid beta": "APP",
    "prolactin": "PRL", "insulin": "INS", "p53": "TP53", "p21": "CDKN1A", "p27": "CDKN1B",
    "p16": "CDKN2A", "Akt": "AKT1", "Notch": "NOTCH1", "Sirt1": "SIRT1", "Ezh2": "EZH2",
    "Bcl-2": "BCL2", "Bcl-xL": "BCL2L1", "Mcl-1": "MCL1", "cyclin D1": "CCND1",
    "K-Ras": "KRAS", "KRas": "KRAS", "H-Ras": "HRAS", "N-Ras": "NRAS", "c-erbB2": "ERBB2",
    "HER2": "ERBB2", "HER-2": "ERBB2", "Smad4": "SMAD4", "Ago2": "AGO2", "Bax": "BAX",
    "Bim": "BCL2L11", "Bak": "BAK1", "Shh": "SHH", "sonic hedgehog": "SHH", "Htt": "HTT",
}  # fmt: skip

# Abbreviations of statistics, methods, samples and diseases that NCBI also lists as gene
# symbols or aliases; read as genes they would pair every miRNA with "CI" or "HCC".
NOT_GENES = frozenset(
    """CI OR HR RR SD SE SEM IQR PCR RT QPCR ROC AUC MRI CT PET ALL AML CML CLL HCC CRC GC PC BC
    OS DFS PFS RFS NC WT KO UTR ORF RNA DNA CDS MM MS AD PD HD ALS EMT ECM ISH FISH ELISA TNM
    NSCLC SCLC ESCC OSCC HNSCC RCC PDAC TCGA GEO SNP CNV LNA ASO SI MI CAD DM T2D IBD UC CD
    EV EVS ID II III IV NO ROS ATP MAP ER PR RA SLE TB HIV HBV HCV EBV HPV CMV AS SS SC IP
    IHC WB FC KD OE MIR LINC LNCRNA CIRCRNA MRNA SIRNA SHRNA NCRNA PI MAPK CAF CAFS TAM TAMS
    MSC MSCS ESC IPSC HUVEC HUVECS TIL ECS EC SMC VSMC DC NK CTL TREG TH17 CSC CSCS CIS
    RISC ANOVA CADASIL CDGS FCM NFKB NFKAPPAB NFKAPPAB1 U87 PC3 HEK293 HEK293T MCF7 A549 SW480
    HCT116 K562 T47D HELA HEPG2 LNCAP DU145 SKOV3 CA1 CA3 IMPACT PDF"""
    .split()
)  # fmt: skip
_INNER_CAP = re.compile(r"[a-z][A-Z]")
_WORDY = re.compile(r"^[A-Za-z][a-z]+$")  # "Impact", "set": English-looking, never by case-fold


def fold(text: str) -> str:
    """The comparison key: Greek spelt out, hyphens/spaces/apostrophes dropped (case kept)."""
    if not text.isascii():
        text = _GREEK_RE.sub(lambda m: GREEK[m[0]], text)
    return _SEP.sub("", text)


class GeneHit(NamedTuple):
    start: int
    end: int
    symbol: str
    entrez_id: str


@dataclass
class GeneLexicon:
    """Exact (case-kept) keys of symbols/aliases, and lower-cased keys for folded matches."""

    exact: dict[str, tuple[str, str]]  # fold(symbol or alias) -> (symbol, GeneID)
    names: dict[str, tuple[str, str]]  # fold(full name or protein name).lower() -> same
    loose: dict[str, tuple[str, str]]  # fold(symbol or alias with a digit).lower() -> same
    first_words: frozenset[str] = frozenset()  # lower-cased first words of spaced names
    name_text: dict[str, str] = field(default_factory=dict)  # GeneID -> its names, lower
    max_words: int = 6

    @classmethod
    def from_gene_info(cls, path: PathLike, taxid: int = 9606) -> GeneLexicon:
        rows = list(_gene_rows(Path(path), str(taxid)))
        if not rows:
            raise MirlensError(f"{path}: no genes of taxon {taxid}")
        return cls.from_rows(rows)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, str, str]]) -> GeneLexicon:
        """rows: (GeneID, Symbol, Synonyms, names) with '|'-joined synonyms and names."""
        rows = list(rows)
        symbol_of = {gid: sym for gid, sym, _, _ in rows}
        symbols = {fold(sym): (sym, gid) for gid, sym, _, _ in rows if _usable(sym)}
        aliases = _unique(
            (fold(s), gid) for gid, _, syn, _ in rows for s in syn.split("|") if _usable_alias(s)
        )
        names = _unique(
            (key, gid)
            for gid, _, _, nm in rows
            for n in nm.split("|")
            if _usable_name(n)
            for key in _spellings(fold(n).lower())
        )
        exact = {k: (symbol_of[g], g) for k, g in aliases.items() if k not in symbols}
        exact.update(symbols)
        named = {k: (symbol_of[g], g) for k, g in names.items()}
        by_symbol = {sym: gid for gid, sym, _, _ in rows}
        for name, sym in PROTEIN_NAMES.items():
            if sym in by_symbol:
                named[fold(name).lower()] = (sym, by_symbol[sym])
        loose: dict[str, tuple[str, str]] = {}
        for key, hit in exact.items():
            if any(c.isdigit() for c in key):  # "Bcl2", "p53": case-insensitive only with a digit
                loose.setdefault(key.lower(), hit)
        spaced = [n for _, _, _, nm in rows for n in nm.split("|") if " " in n]
        spaced += [n for n in PROTEIN_NAMES if " " in n]
        name_text = {gid: nm.lower() for gid, _, _, nm in rows if nm}
        return cls(exact, named, loose, _first_words(spaced), name_text)

    def lookup(self, span: str) -> tuple[str, str] | None:
        hit = self._lookup(span)
        if hit is None and not span.isascii() and _GREEK_RE.search(span):
            # "TβRII", "IκBα": papers abbreviate a Greek letter as the symbol's Latin one
            hit = self._lookup(_GREEK_RE.sub(lambda m: LATIN[m[0]], span))
        return hit

    def _lookup(self, span: str) -> tuple[str, str] | None:
        key = fold(span)
        upper = key.upper()
        if upper in NOT_GENES:
            return None
        hit = self.exact.get(key)
        if hit is not None:
            return hit
        hit = self.names.get(key.lower())
        if hit is None and span[-1].isdigit() and (" " in span or "-" in span):
            hit = self._acronym(span)
        if hit is not None or " " in span:
            return hit
        if any(c.isdigit() for c in key):
            return self.loose.get(key.lower())
        if _INNER_CAP.search(span):
            return self.exact.get(upper)  # "RhoA", "CoREST", "TrkA": symbols in mixed case
        return None

    def _acronym(self, span: str) -> tuple[str, str] | None:
        """A name spelt out by the words of its symbol: "high-mobility group A2" (HMGA2),
        "pyruvate kinase type M2" (PKM2): the initials of two or more words, then the
        last piece with its digit, form a symbol or unique alias of four or more letters,
        and each word is one of that gene's names' words."""
        *words, last = _ACRONYM_SPLIT.split(span)
        if not words or words[0].lower() in _ACRONYM_SKIP:
            return None
        words = [w for w in words if w.lower() not in _ACRONYM_SKIP]
        if len(words) < 2 or not all(_ACRONYM_WORD.match(w) for w in words):
            return None
        key = "".join(w[0] for w in words).upper() + last.upper()
        hit = self.exact.get(key) if len(key) >= 4 else None
        if hit is None:
            return None
        # the words must be the gene's own: "were down regulated and 12" is no WDR12
        names = self.name_text.get(hit[1], "")
        return hit if all(w.lower().rstrip("e") in names for w in words) else None

    def find(self, text: str, lo: int = 0, hi: int | None = None) -> list[GeneHit]:
        """Gene names in text[lo:hi], longest match first, left to right."""
        end = len(text) if hi is None else hi
        toks = [(m.start(), m.end()) for m in _TOKEN.finditer(text, lo, end)]
        hits: list[GeneHit] = []
        n = len(toks)
        run = _run_ends(text, toks)
        word = _word_ends(text, toks)
        i = 0
        while i < n:
            found = None
            # a span with a space can only be a name or spelt-out symbol: skip it unless its
            # first word starts one (most words start none: the scan's main saving)
            s = toks[i][0]
            named = fold(text[s : toks[i][1]]).lower() in self.first_words or (
                word[i] > toks[i][1] and fold(text[s : word[i]]).lower() in self.first_words
            )
            for j in range(min(n, i + self.max_words, run[i]), i, -1):
                s, e = toks[i][0], toks[j - 1][1]
                if not named and j - 1 > i and " " in text[s:e]:
                    continue
                hit = self.lookup(text[s:e])
                if hit is not None:
                    found = (j, GeneHit(s, e, hit[0], hit[1]))
                    break
            if found:
                i = found[0]
                hits.append(found[1])
            else:
                i += 1
        return hits


_ACRONYM_SPLIT = re.compile(r"[\s-]+")
_ACRONYM_WORD = re.compile(r"^[A-Za-z][a-z]{2,}$")
_ACRONYM_SKIP = frozenset({"type", "of", "the", "and"})
# British spellings of words in NCBI's (American) names: "neurone navigator 3" -> NAV3
BRITISH = (
    ("neuron", "neurone"), ("tumor", "tumour"), ("estrogen", "oestrogen"),
    ("leukemia", "leukaemia"), ("hemoglobin", "haemoglobin"), ("ization", "isation"),
)  # fmt: skip


def _first_words(names: Iterable[str]) -> frozenset[str]:
    """First words of names with spaces, as a span may begin: the first token ("cyclin")
    and the first hyphenated word ("cyclin-dependent", folded), British spellings too."""
    out = set()
    for name in names:
        for variant in _spellings(name.lower()):
            tok = _TOKEN.search(variant)
            if tok:
                out.add(fold(tok[0]).lower())
                out.add(fold(variant.split(" ", 1)[0]).lower())
    return frozenset(out)


def _word_ends(text: str, toks: list[tuple[int, int]]) -> list[int]:
    """For each token, the text offset where its hyphen-joined word ends."""
    ends = [e for _, e in toks]
    for k in range(len(toks) - 2, -1, -1):
        if text[toks[k][1] : toks[k + 1][0]] in ("-", "\u2010", "\u2013"):
            ends[k] = ends[k + 1]
    return ends


def _spellings(key: str) -> list[str]:
    out = [key]
    for us, gb in BRITISH:
        if us in key:
            out.append(key.replace(us, gb))
    return out


# word pieces: letters/digits/Greek; a span of pieces is joined by single '-' or ' '
_TOKEN = re.compile(r"[0-9A-Za-z\u0370-\u03ff]+")


_JOINERS = frozenset(("-", " ", "\u2010", "\u2013"))


def _run_ends(text: str, toks: list[tuple[int, int]]) -> list[int]:
    """For each token, the end (exclusive) of the run of tokens joined to it by single
    '-' or ' ': a name never spans another gap."""
    n = len(toks)
    out = [n] * n
    for k in range(n - 2, -1, -1):
        joined = text[toks[k][1] : toks[k + 1][0]] in _JOINERS
        out[k] = out[k + 1] if joined else k + 1
    if n:
        out[n - 1] = n
    return out


def _usable(symbol: str) -> bool:
    if not symbol or symbol == "-" or sum(c.isalpha() for c in symbol) < 2:
        return False
    if _MIRNA_GENE.match(symbol.upper()) or symbol.upper() in NOT_GENES:
        return False
    if len(symbol) == 2 and not any(c.isdigit() for c in symbol):
        return False  # two letters ("AS", "LC"): abbreviations far more often than genes
    return not _WORDY.match(symbol)


def _usable_alias(alias: str) -> bool:
    """Aliases are weaker than symbols: no spaces, and short letter-only ones ("DAT", "SAH",
    mostly abbreviations of other things) only with a digit."""
    if " " in alias or not _usable(alias):
        return False
    return len(alias) > 3 or any(c.isdigit() for c in alias)


def _usable_name(name: str) -> bool:
    """Full names: long enough, not ending in a lone letter ("protein S" reads as "proteins")."""
    pieces = name.split()
    if len(pieces) > 1:
        lone = len(pieces[-1]) == 1 and pieces[-1].isalpha()
        return len(name) >= 6 and not (lone and len(pieces) == 2)
    return len(name) >= 5 and name.islower()


def _unique(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    seen: dict[str, set[str]] = {}
    for key, gid in pairs:
        if key:
            seen.setdefault(key, set()).add(gid)
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}


def _gene_rows(path: Path, taxid: str) -> Iterable[tuple[str, str, str, str]]:
    if not path.is_file():
        raise MirlensError(f"gene_info file not found: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        head = next(reader, [])
        try:
            col = {c: head.index(c) for c in ("#tax_id", "GeneID", "Symbol", "Synonyms")}
        except ValueError:
            raise MirlensError(f"{path}: not an NCBI gene_info file") from None
        extra = [head.index(c) for c in NAME_COLUMNS if c in head]
        kind = head.index("type_of_gene") if "type_of_gene" in head else None
        for row in reader:
            if row[col["#tax_id"]] != taxid or (kind is not None and row[kind] not in GENE_TYPES):
                continue
            sym = row[col["Symbol"]]
            if _MIRNA_GENE.match(sym.upper()):
                continue
            names = "|".join(row[i] for i in extra if row[i] != "-")
            yield row[col["GeneID"]], sym, row[col["Synonyms"]], names
