"""miRNA -> gene claims: pairs in one sentence, and whether the sentence states the relation.

Rule-based in the spirit of miRTex. Every miRNA mention and every gene name of a sentence
(including the long forms the document defines, :mod:`mirlens.text.abbreviations`) form a
pair; a pair is *asserted* when the words that join the two say that one acts on the
other, and a *co-mention* otherwise. The rules, in order:

1. the pair is in one clause: no ';', 'whereas', 'while', 'but' (except 'but not') between;
2. the pair is the nearest instance: no other mention of the same miRNA or gene between,
   unless that one is an apposition ("CCNE1 (encoding cyclin E1)"), a context ("miR-29c
   transgenic mice"), or a second object of the same relation ("represses FBXW7 by
   binding the 3'UTR of FBXW7");
3. other miRNAs (or genes) between them are list members of the pair's own entity
   ("miR-15a and miR-16 target BCL2"; "miR-21 targets PTEN, PDCD4 and RECK");
4. a trigger joins them: a verb or noun of targeting, binding (3'UTR), regulation or
   association between the two, or a passive/nominal form around them
   ("PTEN, a miR-21 target", "suppression of PTEN by miR-21", "miR-21-mediated",
   "the miR-34a/AXL axis", "miR-9 and CDH1 are coexpressed");
5. at most :data:`MAX_WORDS` words apart; a gene naming a context ("IL-6-stressed",
   "Notch signalling", "NKG2D ligand") is no target.
Negation ("did not affect", "independent of", "but not KRAS") and hedging ("may target",
"predicted", read near the pair) are recorded beside the decision: a negated claim is
asserted (the sentence speaks about the pair) with ``negated`` true, and is no evidence
that the miRNA acts on the gene. ``direction`` is the sign of the relation word nearest
the gene, turned when the miRNA itself is lowered ("knockdown of miR-221 raised CDKN1B":
represses).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from mirlens.text.abbreviations import defined_names, with_defined
from mirlens.text.genes import GeneHit, GeneLexicon

log = logging.getLogger(__name__)
DEFAULT_GENE_INFO = (
    "resources/db/ftp.ncbi.nlm.nih.gov/gene/DATA/GENE_INFO/Mammalia/Homo_sapiens.gene_info.gz"
)

MAX_WORDS = 30

CLAIM_FIELDS = [
    "doc_id", "mirna_start", "mirna_end", "gene_start", "gene_end", "mirna", "mirbase_ids",
    "mirbase_names",
    "gene_symbol", "entrez_id", "gene_text", "relation", "direction", "negated", "hedged",
    "asserted", "sentence",
]  # fmt: skip

# Relation words, strongest first: the first category found names the relation.
_UTR = r"3\W{0,2}\s?-?\s?(?:utr|untranslated)|binding[\s-]sites?|\bbind|recogni[sz]|seed"
_TARGET = r"target"
_DOWN = (
    r"(?<!de)repress|suppress|inhibit|down-?\s?regulat|decreas|reduc|silenc|attenuat|diminish|"
    r"lower|degrad|negative(?:ly)?|abolish|impair|knock|inverse|downregulat|loss of|block|"
    r"abrogat"
)
_UP = (
    r"up-?\s?regulat|\brais(?:e|ed|es|ing)\b|increas|induc|activat|enhanc|promot|elevat|"
    r"stimulat|restor|augment|reinstat|derepress"
)
_REG = (
    r"regulat|modulat|control|affect|mediat|influenc|alter|depend|respons|correlat|"
    r"associat|link|interact|effect|express|level"
)
RELATIONS = (
    ("binds 3'UTR", re.compile(_UTR, re.I)),
    ("targets", re.compile(_TARGET, re.I)),
    ("regulates", re.compile(f"{_DOWN}|{_UP}|{_REG}", re.I)),
)
DOWN = re.compile(_DOWN, re.I)
UP = re.compile(_UP, re.I)
# A trigger between the pair is a relation word, not merely "expression"/"levels".
TRIGGER = re.compile(f"{_UTR}|{_TARGET}|{_DOWN}|{_UP}|{_REG.rsplit('|', 3)[0]}", re.I)
NEGATION = re.compile(
    r"\b(?:not|no|neither|nor|never|without|fail(?:ed|s)? to|unable to|unaffected|unchanged|"
    r"independent(?:ly)? of|cannot|n't)\b",
    re.I,
)
HEDGE = re.compile(
    r"\b(?:may|might|could|possibl[ey]|potential(?:ly)?|putative(?:ly)?|predict\w*|likely|"
    r"suggest\w*|hypothes\w*|candidates?|in silico|bioinformatic\w*|computational\w*)\b",
    re.I,
)
CLAUSE_BREAK = re.compile(
    r";|\b(?:whereas|while|although|however)\b|\bbut\b(?!\s+(?:not|also)\b)|,\s*(?:and\s+)?(?:we|they|thereby|thus)\b",
    re.I,
)
MASK = "\u00a7"  # stands for another entity's characters in a masked sentence
LIST_JOIN = re.compile(
    r"^(?:[\s,/&()*.\u00a7-]|\band\b|\bor\b|\bas well as\b|\bincluding\b|\bsuch as\b|"
    r"\bmiRNAs?\b|\bmicroRNAs?\b|\bmembers?\b|\bof\b|\bthe\b|\bboth\b|\bfamily\b|"
    r"\bcluster\b|\bpr[ei]\b|\bthat is\b|\bi\.?e\b|\be\.?g\b|\bgenes?\b|\bproteins?\b|"
    r"\bmRNAs?\b)*$",
    re.I,
)
# "MEF2C (myocyte enhancer factor 2C)", "CCNE1 (encoding cyclin E1)": one gene named twice
APPOSITION = re.compile(r"^\s*[(\[]\s*(?:\w+\s+){0,2}$")
# "N-myc, but not Gli1, induced miR-17": a 'not' right before an entity negates its pair
NOT_OTHER = re.compile(r"\b(?:but\s+)?(?:not|nor)\s+(?:the\s+)?\u00a7+", re.I)  # negates that one
NOT_BEFORE = re.compile(r"\b(?:not|nor|neither)\s+(?:the\s+|of\s+)?$", re.I)
_LIST_ITEM = r"(?:[\s,()/\u00a7*-]|\band\b|\bor\b)"
LIST_BEFORE = re.compile(f"{_LIST_ITEM}*$", re.I)
LIST_AFTER = re.compile(f"{_LIST_ITEM}*", re.I)
MODIFIER = re.compile(
    r"\)?\s*(?:\([^()]{1,20}\)\s*)?(?:[-\u2010\u2013]\s?(?:producing|associated|stressed|positive|"
    r"negative|driven|expressing|treated|deficient|null|knockout|transgenic|secreting|related|"
    r"dependent|converting|cleaving)\b|\+|\s+(?:signal{1,2}ing|pathways?|cascade|complex|"
    r"mutations?|mutants?|variants?|polymorphisms?|copy[\s-]number|locus|adenomas?|carriers?|"
    r"ligands?|receptors?|effectors?)\b)",
    re.I,
)
AND_WITH = re.compile(r"\b(?:and|with|to)\b", re.I)
# "suppression of PTEN by miR-21", "targets of miR-10b, including BIM": joins after a noun
BY_OF = re.compile(r"\b(?:by|of|via|through|for|on|to|including|such as|namely)\b", re.I)
# words that name the gene's product, not a second relation ("inhibition of X expression by")
PRODUCT = re.compile(
    r"\b(?:the|its|expression|levels?|proteins?|mRNAs?|genes?|transcripts?)\b", re.I
)
# "the miR-34a/AXL axis", "a miR-132-PTBP2 interaction": the pair named as one unit
PAIR_UNIT = re.compile(
    r"\s*(?:axis|interactions?|pathway|loop|circuit|network|feedback|pairs?|duplex)\b", re.I
)
# "PTEN, a miR-21 target", "miR-21-mediated", "a miR-107 binding site": trigger after the pair
AFTER = re.compile(
    r"[\s*]*(?:-\s?)?(?:\w+\s)?(?:targets?\b|mediated|induced|dependent|regulated|targeted|"
    r"binding|recogni|repress|suppress|3\W{0,2}\s?-?\s?(?:utr|untranslated)|"
    r"(?:down|up)-?\s?regulation|reduction|decrease|increase|inhibition|silencing|induction)",
    re.I,
)
# "YES and STAT1 were verified as direct miR-145 targets": the gene is what the noun names
COPULA = re.compile(
    r"^\s*(?:(?:and|or|,)\s+\S+\s+)?(?:is|are|was|were|being|been)\s+(?:\w+\s+){0,2}?"
    r"(?:as\s+)?(?:an?|the|two|several)?\s*(?:\w+\s+)?$",
    re.I,
)
# "miR-9 targets REST and miR-9* targets CoREST": a verb after the second subject is its own
ONLY_AND = re.compile(r"^\s*(?:and|or)\s*$", re.I)
COORDINATED = re.compile(r"^\s*(?:\w+\s+){0,2}?(?:and|with|to)\s+(?:the\s+)?$", re.I)
# "correlation between miR-107 and BACE1", "miR-107 and BACE1 levels were inversely correlated"
PAIR_NOUN_BEFORE = re.compile(
    r"(?:correlat|associat|link|interact|relationship|interplay)\w*\s+(?:\w+\s+){0,3}?"
    r"(?:between|of|with)\s+(?:the\s+)?(?:(?:expression|levels?|of|mRNAs?|proteins?)\s+){0,3}$",
    re.I,
)
PAIR_VERB_AFTER = re.compile(
    r"(?:[\s\w()-]{0,40}?)\b(?:were|was|are|is)?\s*(?:\w+\s+){0,3}?"
    r"(?:inversely |negatively |positively )?(?:correlat|associat|co-?express|co-?regulat)",
    re.I,
)
PAIR_CONTEXT = re.compile(r"(?:[\w-]+\s+){0,2}" + PAIR_NOUN_BEFORE.pattern, re.I)
# "suppression of PTEN by miR-21": a relation noun before the first entity, 'by'/'of' between
NOMINAL_BEFORE = re.compile(
    f"(?:{_UTR}|{_TARGET}|{_DOWN}|{_UP}|regulat|modulat)\\w*\\s+(?:\\w+\\s+)?(?:of\\s+)?(?:the\\s+)?"
    r"(?:lncRNA\s+|gene\s+|protein\s+)?$",
    re.I,
)
_WORD = re.compile(r"\w+")
# the miRNA itself lowered: "inhibition of miR-21", "anti-miR-21", "miR-21 knockdown"
MIRNA_DOWN_BEFORE = re.compile(
    r"(?:\b(?:inhibit\w*|knock-?\s?down|silenc\w*|loss|deplet\w*|delet\w*|block\w*|"
    r"down-?\s?regulat\w*|suppress\w*|reduc\w*|decreas\w*|low(?:er)?|antagoni[sz]\w*)"
    r"\s+(?:of\s+)?(?:the\s+)?(?:endogenous\s+)?|\b(?:anti|antagomir|AS|LNA)-?\s?)$",
    re.I,
)
MIRNA_DOWN_AFTER = re.compile(
    r"\s*-?\s?(?:inhibit(?:ion|ors?)|knock-?\s?down|silencing|antagomirs?|sponges?|depletion|loss|"
    r"down-?\s?regulation|deletion)\b",
    re.I,
)


def classify(
    sentence: str, a: tuple[int, int], b: tuple[int, int], mirna_first: bool = True
) -> dict:
    """Decision fields of one pair; a and b are (start, end) in the sentence, a before b.

    ``sentence`` has the other entities masked (:func:`mask`), so that words inside names
    ("cyclin-dependent kinase inhibitor 2A") are no triggers. Words before the first and
    after the second entity are read from the ends of the lists they stand in.
    """
    between = sentence[a[1] : b[0]]
    n_words = len(_WORD.findall(between))
    lo = len(LIST_BEFORE.search(sentence, 0, a[0])[0]) if a[0] else 0
    lo = a[0] - lo
    hi = b[1] + len(LIST_AFTER.match(sentence, b[1])[0])
    before = sentence[max(0, lo - 60) : lo] + " "
    nominal = NOMINAL_BEFORE.search(before)
    paired = PAIR_NOUN_BEFORE.search(before) is not None and AND_WITH.search(between) is not None
    triggered = (
        TRIGGER.search(between) is not None
        or (n_words - len(PRODUCT.findall(between)) <= 2 and BY_OF.search(between) is not None
            and nominal is not None)
        or (between.strip() in ("/", "-") and PAIR_UNIT.match(sentence, b[1]) is not None)
        or ((n_words <= 3 or (n_words <= 6 and COPULA.match(between) is not None))
            and AFTER.match(sentence, hi) is not None and not ONLY_AND.match(between))
        or paired
        or (COORDINATED.match(between) is not None
            and PAIR_VERB_AFTER.match(sentence, hi) is not None)
    )  # fmt: skip
    asserted = triggered and n_words <= MAX_WORDS and CLAUSE_BREAK.search(between) is None
    span = sentence[max(0, lo - 40) : hi + 40] if asserted else ""
    relation = next((name for name, rx in RELATIONS if rx.search(span)), "regulates")
    return {
        "asserted": asserted,
        "relation": relation if asserted else "co-mention",
        "direction": _polarity(
            sentence, a, b, mirna_first, _context(before, nominal, paired), relation
        )
        if asserted
        else "unknown",
        "negated": asserted
        and (
            NEGATION.search(NOT_OTHER.sub("", between)) is not None
            or NOT_BEFORE.search(sentence, 0, a[0]) is not None
            or NOT_BEFORE.search(sentence, 0, b[0]) is not None
        ),
        "hedged": asserted and HEDGE.search(sentence, max(0, lo - 60), b[0]) is not None,
    }


def mask(sentence: str, spans: Iterable[tuple[int, int]]) -> str:
    """The sentence with entity spans replaced by MASK characters (same length)."""
    chars = list(sentence)
    for s, e in spans:
        chars[s:e] = MASK * (e - s)
    return "".join(chars)


def _context(before: str, nominal: re.Match | None, paired: bool) -> str:
    """The relation words before the pair: a relation noun ("down-regulation of"), or the
    noun of a pair with its adjective ("an inverse correlation between")."""
    if paired:
        return PAIR_CONTEXT.search(before)[0]
    return nominal[0] if nominal else ""


def _polarity(
    sentence: str, a: tuple, b: tuple, mirna_first: bool, nominal: str, relation: str
) -> str:
    """How the miRNA acts on the gene, from the words that join them: the words between,
    a relation noun before the pair ("down-regulation of BRCA1 by miR-146a") and a
    participle after it ("miR-22-induced"). A cue that the miRNA itself is lowered
    ("inhibition of miR-21 increased PTEN", "PTEN rose after miR-21 knockdown") turns the
    sign: the miRNA represses the gene."""
    m0, m1 = a if mirna_first else b
    lo, hi = a[1], b[0]
    cue = MIRNA_DOWN_BEFORE.search(sentence, max(0, m0 - 40), m0)
    if cue is None:
        cue = MIRNA_DOWN_AFTER.match(sentence, m1)
    if cue is not None and not mirna_first:
        hi = min(hi, cue.start())  # the cue is no word about the gene
    elif cue is not None:
        lo = max(lo, cue.end())
    if cue is not None and mirna_first:
        nominal = ""  # "knockdown of miR-221 raised CDKN1B": the noun is the cue
    words = nominal + " " + sentence[lo:hi]
    after = AFTER.match(sentence, b[1])
    if after is not None and len(_WORD.findall(sentence[a[1] : b[0]])) <= 3:
        words += " " + after[0]
    signs = sorted(
        [(m.start(), -1) for m in DOWN.finditer(words)]
        + [(m.start(), 1) for m in UP.finditer(words)]
    )
    if not signs:
        if relation in ("targets", "binds 3'UTR"):
            return "represses"  # a miRNA binding its target's 3'UTR represses it
        return "unknown"
    # several relation words: the one nearest the gene governs it ("miR-10 raised invasion
    # through inhibition of HOXD10"; "down-regulation of BRCA1 induced by miR-146a")
    sign = signs[-1][1] if mirna_first else signs[0][1]
    sign = -sign if cue is not None else sign
    return "represses" if sign < 0 else "induces"


def _blocked(sentence: str, pair: tuple, others: list[tuple]) -> bool:
    """True when something stands between the pair: a nearer mention of the pair's own
    miRNA or gene (that one carries the claim, unless it is the long form of an
    abbreviation: "myocyte enhancer factor 2C (MEF2C)"), or another miRNA or gene that is
    no list member of the pair's own side."""
    (a0, a1, akey, aside), (b0, b1, bkey, _bside) = pair
    for o0, o1, okey, oside in others:
        if not (a1 <= o0 and o1 <= b0):
            continue
        if okey == akey and APPOSITION.match(sentence[a1:o0]):
            continue
        if okey == bkey and APPOSITION.match(sentence[o1:b0]):
            continue
        if okey in (akey, bkey):
            if (
                oside == "g"
                and TRIGGER.search(sentence, a1, o0)
                and TRIGGER.search(sentence, o1, b0)
            ):
                continue  # "represses FBXW7 by binding the 3'UTR of FBXW7": both carry it
            if oside == "m" and MODIFIER.match(sentence, o1) is not None:
                continue  # "miR-29c transgenic mice": a context, not the miRNA acting
            return True
        if oside == "g":
            continue  # genes between: the miRNA acts on each gene its clause names
        if oside == aside:
            if not LIST_JOIN.match(sentence[a1:o0]):
                return True
        elif not LIST_JOIN.match(sentence[o1:b0]):
            return True
    return False


def sentence_claims(
    doc_id: str, sentence: str, offset: int, mirnas: list[dict], genes: list[GeneHit]
) -> list[dict]:
    """Claims of one sentence; mention offsets are document offsets, ``offset`` the
    sentence's start."""
    ents = [(m["start"] - offset, m["end"] - offset, _key(m), "m") for m in mirnas]
    ents += [(g.start - offset, g.end - offset, g.symbol, "g") for g in genes]
    masked = mask(sentence, [(e[0], e[1]) for e in ents])
    out = []
    for m in mirnas:
        mm = (m["start"] - offset, m["end"] - offset, _key(m), "m")
        for g in genes:
            gg = (g.start - offset, g.end - offset, g.symbol, "g")
            first, second = (mm, gg) if mm[0] < gg[0] else (gg, mm)
            fields = classify(masked, first[:2], second[:2], first is mm)
            if fields["asserted"] and (
                _blocked(masked, (first, second), ents)
                or (_modifier(sentence, g, offset) and not _unit(masked, first, second))
            ):
                fields = {**fields, "asserted": False, "relation": "co-mention",
                          "direction": "unknown", "negated": False, "hedged": False}  # fmt: skip
            out.append(_record(doc_id, m, g, sentence, fields))
    return out


def _modifier(sentence: str, g: GeneHit, offset: int) -> bool:
    """The gene names a context, not a target: "IL-6-stressed cells", "SHH-driven tumours",
    "the Notch signalling pathway", "KRAS mutations"."""
    return MODIFIER.match(sentence, g.end - offset) is not None


def _unit(sentence: str, first: tuple, second: tuple) -> bool:
    """The pair is named as one unit ("the miR-132/PTBP2 pathway"): no gene as context."""
    return sentence[first[1] : second[0]].strip() in ("/", "-") and (
        PAIR_UNIT.match(sentence, second[1]) is not None
    )


def _key(m: dict) -> str:
    return m["normalised"] or m["text"]


def _record(doc_id: str, m: dict, g: GeneHit, sentence: str, fields: dict) -> dict:
    return {
        "doc_id": doc_id,
        "mirna_start": m["start"],
        "mirna_end": m["end"],
        "gene_start": g.start,
        "gene_end": g.end,
        "mirna": m["normalised"],
        "mirbase_ids": m["mirbase_ids"],
        "mirbase_names": m["mirbase_names"],
        "gene_symbol": g.symbol,
        "entrez_id": g.entrez_id,
        "gene_text": "",
        **fields,
        "sentence": sentence,
    }


def document_claims(
    doc_id: str, text: str, mentions: Iterable[dict], lexicon: GeneLexicon
) -> list[dict]:
    """All miRNA-gene pairs of a document's sentences with the mention records given."""
    # (start, length): a capped sentence (``text.sentences``) is a window around its mention
    by_sentence: dict[tuple[int, int], list[dict]] = {}
    for m in mentions:
        by_sentence.setdefault((m["sentence_start"], len(m["sentence"])), []).append(m)
    out: list[dict] = []
    defined = defined_names(text, lexicon) if by_sentence else {}
    for (s0, _n), ms in sorted(by_sentence.items()):
        sentence = ms[0]["sentence"]
        taken = [(m["group_start"], m["group_end"]) for m in ms]
        s1 = s0 + len(sentence)
        genes = [
            g
            for g in with_defined(lexicon.find(text, s0, s1), text, s0, s1, defined)
            if not any(g.start < e and s < g.end for s, e in taken)
        ]
        if genes:
            out.extend(sentence_claims(doc_id, sentence, s0, ms, genes))
    for rec in out:
        rec["gene_text"] = text[rec["gene_start"] : rec["gene_end"]]
    out.sort(key=lambda r: (r["mirna_start"], r["gene_start"]))
    return out


def claims_of_documents(
    docs: Iterable[tuple[str, str]], extract, lexicon: GeneLexicon
) -> Iterator[dict]:
    """Claims of every document, in document order (``extract(doc_id, text)`` gives its
    mention records); a failing document is logged and skipped."""
    for doc_id, text in docs:
        try:
            yield from document_claims(doc_id, text, extract(doc_id, text), lexicon)
        except Exception as exc:  # one bad document never stops the rest
            log.error("claims failed for %s: %s", doc_id, exc)


MENTION_INTS = ("start", "end", "sentence_start", "group_start", "group_end")


def mentions_by_document(path: str) -> dict[str, list[dict]]:
    """Mention records of a shard's Parquet (``extract-shard``; text cells, lists joined)
    grouped by document, with offsets and lists restored (pyarrow: no pandas to import)."""
    import pyarrow.parquet as pq

    from mirlens.io import split_list

    out: dict[str, list[dict]] = {}
    # ParquetFile, not read_table: the dataset layer imports pandas
    for rec in pq.ParquetFile(path).read().to_pylist():
        for key in MENTION_INTS:
            rec[key] = int(rec[key])
        for key in ("mirbase_ids", "mirbase_names"):
            rec[key] = split_list(rec[key])
        out.setdefault(rec["doc_id"], []).append(rec)
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from mirlens.text.extract import add_arguments as extract_arguments

    extract_arguments(parser)  # same inputs and miRNA options as `mirlens extract`
    parser.add_argument("--gene-info", default=DEFAULT_GENE_INFO,
                        help="NCBI <Species>.gene_info(.gz): the gene lexicon")  # fmt: skip
    parser.add_argument("--taxid", type=int, default=None,
                        help="NCBI taxon of the genes (default: that of --species)")  # fmt: skip
    parser.add_argument("--mentions", default=None,
                        help="the documents' mention records (extract-shard Parquet): "
                        "used instead of extracting again")  # fmt: skip
    parser.add_argument("--cache-dir", default=None,
                        help="folder for the pickled gene lexicon")  # fmt: skip
    parser.add_argument("--claimed-out", default=None,
                        help="Parquet of the claims that count, one row per miRNA, gene and "
                        "document (what `mirlens evidence --claims` reads)")  # fmt: skip


def _mention_source(args: argparse.Namespace):
    """extract(doc_id, text) -> mention records: read from --mentions, or extracted."""
    if args.mentions:
        known = mentions_by_document(args.mentions)
        return lambda doc_id, _text: known.get(doc_id, [])
    from mirlens.text import Extractor, Normaliser, load_release
    from mirlens.text.extract import resolve_family_info

    release = load_release(
        args.mirbase, resolve_family_info(args.family_info), args.cluster_distance
    )
    return Extractor(Normaliser(release, args.species, args.arm_policy)).extract


def cached_lexicon(gene_info: str, taxid: int, cache_dir: str | None) -> GeneLexicon:
    """The gene lexicon of a gene_info release, pickled under ``cache_dir`` (5 s to build)."""
    from mirlens.memo import memo_key, memoised

    key = memo_key("gene lexicon", ["text"], [gene_info, taxid]) if cache_dir else ""
    path = Path(cache_dir) / f"lexicon-{key}.pickle" if cache_dir else None
    return memoised(path, lambda: GeneLexicon.from_gene_info(gene_info, taxid))


CLAIMED = ["mirbase_id", "mirna", "gene_symbol", "entrez_id", "doc_id"]


def claimed_documents(records: Iterable[dict]) -> list[tuple[str, ...]]:
    """Distinct (mirbase_id, mature name, gene_symbol, entrez_id, doc_id) of the claims that
    count as evidence: asserted, not negated, resolved miRNA and gene (the rows
    :func:`mirlens.targets.literature.claimed_pairs` counts documents from). A document
    lives in one shard, so a shard's rows are final and evidence only concatenates them."""
    out = set()
    for rec in records:
        if rec["asserted"] and not rec["negated"] and rec["gene_symbol"]:
            for acc, name in zip(rec["mirbase_ids"], rec["mirbase_names"], strict=True):
                out.add((acc, name, rec["gene_symbol"], rec["entrez_id"], rec["doc_id"]))
    return sorted(out)


def write_claimed(rows: list[tuple[str, ...]], path: str | Path) -> None:
    """:func:`claimed_documents` as Parquet (pyarrow only: the job imports no pandas)."""
    import pyarrow as pa

    from mirlens.io import write_parquet

    columns = list(zip(*rows, strict=True)) if rows else [()] * len(CLAIMED)
    write_parquet(
        pa.table({c: pa.array(v, pa.string()) for c, v in zip(CLAIMED, columns, strict=True)}),
        path,
    )


def run(args: argparse.Namespace) -> int:
    from mirlens.io import atomic_open
    from mirlens.species import species_taxid
    from mirlens.text import iter_input_documents

    extract = _mention_source(args)
    lexicon = cached_lexicon(
        args.gene_info, args.taxid or species_taxid(args.species), args.cache_dir
    )
    docs = iter_input_documents(args.inputs)
    records = []
    with atomic_open(args.out) as fh:
        for rec in claims_of_documents(docs, extract, lexicon):
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            records.append(rec)
    if args.claimed_out:
        write_claimed(claimed_documents(records), args.claimed_out)
    log.info("wrote %d miRNA-gene pairs to %s", len(records), args.out)
    return 0
