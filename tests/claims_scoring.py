"""End-to-end scoring of miRNA -> gene claims against the relation corpora (test helper).

Predictions come from raw text: miRNA mentions from the extractor, gene names from the
lexicon, pairs and decisions from ``mirlens.text.claims``. A predicted pair matches a gold
pair when its miRNA span overlaps the gold miRNA span and its gene span overlaps the gold
gene span. The positive class is "the sentence asserts that the pair interacts":
``asserted and not negated``.

- SCAI (entities annotated completely): TP = gold interacting pairs matched by a positive
  prediction; FP = positive predictions that match no gold interacting pair (a co-mention
  pair, or a gene the curators did not annotate); FN = gold interacting pairs not matched.
- miRNA-mRNA BioC (only one pair marked per sentence): only predictions that match the
  marked pair count; a Positive sentence whose pair is not predicted positive is a FN.

What the BioC label means. The corpus README says ``relation_label`` tells whether the
sentence states the regulation, but its Negative sentences state one nearly always: of
the 345, 223 have a word of repression between the pair ("miR-145 directly represses
SOX9", "overexpression of miR-148A reduced CDC25B"); of the 64 with no relation word
between, ~60 still state a relation read elsewhere ("down-regulation of BRCA1 by
miR-146a", "an inverse correlation between miR-4284 and CXCL5"). The label follows the
*sign* of the relation: a repression word between the pair and no targeting word is
Negative 167 times and Positive 22; a targeting word and no repression word, Positive 112
and Negative 12; the same sentence is Negative for "represses FBXW7" and Positive for
"binding to the 3'UTR of FBXW7". So the asserted-class F1 against this label measures
the sign, not the assertion. ``main`` therefore reports, besides that F1 (``bioc``):
``bioc_marked_asserted``, the share of all marked pairs (each a stated relation) that the
claims call asserted; and ``bioc_sign``, the F1 of the class the corpus defines: an
asserted, unnegated claim that is not a stated repression (``relation`` "regulates" with
``direction`` "represses"; targeting and binding count as Positive, as the corpus has it).

Run as a script for the numbers: ``python tests/claims_scoring.py MIRBASE_DIR GENE_INFO``.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PairScore:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 3),
                "recall": round(self.recall, 3), "f1": round(self.f1, 3)}  # fmt: skip


Span = tuple[int, int]
Pair = tuple[Span, Span]  # (miRNA span, gene span)


def _lit(value):
    return ast.literal_eval(value) if isinstance(value, str) else value


def load_scai(path: str | Path) -> tuple[dict[str, str], dict[str, dict[Pair, bool]]]:
    """Texts and, per document, the miRNA-gene pairs with their ``interaction`` flag."""
    texts, gold = {}, {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        texts[rec["doc_id"]] = rec["text"]
        pairs = {}
        for rel in _lit(rec["relations"]):
            if rel["type"] == "Specific_miRNAs-Genes/Proteins":
                pairs[(tuple(rel["e1_span"]), tuple(rel["e2_span"]))] = bool(rel["interaction"])
        gold[rec["doc_id"]] = pairs
    return texts, gold


def load_bioc(path: str | Path) -> tuple[dict[str, str], dict[str, dict[Pair, bool]]]:
    """Texts and the one marked pair per sentence (``relation_label == 'Positive'``)."""
    texts, gold = {}, {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if not rec["mirna_mentions"] or not rec["gene_mentions"]:
            continue
        m, g = rec["mirna_mentions"][0], rec["gene_mentions"][0]
        texts[rec["doc_id"]] = rec["text"]
        pair = ((m["start"], m["end"]), (g["start"], g["end"]))
        gold[rec["doc_id"]] = {pair: rec["relation_label"] == "Positive"}
    return texts, gold


def _hit(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _matches(pred: Pair, gold: Pair) -> bool:
    return _hit(pred[0], gold[0]) and _hit(pred[1], gold[1])


def stated(c: dict) -> bool:
    """The positive class: the sentence states that the pair interacts."""
    return c["asserted"] and not c["negated"]


def stated_not_repressed(c: dict) -> bool:
    """The BioC corpus' Positive class (see the module doc): stated, and no repression."""
    return stated(c) and not (c["relation"] == "regulates" and c["direction"] == "represses")


def predicted_pairs(claims: list[dict], positive=stated) -> dict[str, list[tuple[Pair, bool]]]:
    out: dict[str, list[tuple[Pair, bool]]] = {}
    for c in claims:
        pair = ((c["mirna_start"], c["mirna_end"]), (c["gene_start"], c["gene_end"]))
        out.setdefault(c["doc_id"], []).append((pair, positive(c)))
    return out


def marked_asserted(gold: dict[str, dict[Pair, bool]], pred) -> float:
    """Share of all gold pairs, whatever their label, matched by a positive prediction."""
    pairs = [(doc, gp) for doc, ps in gold.items() for gp in ps]
    hits = sum(any(ok and _matches(p, gp) for p, ok in pred.get(doc, [])) for doc, gp in pairs)
    return round(hits / len(pairs), 3) if pairs else 0.0


def score(
    gold: dict[str, dict[Pair, bool]], pred: dict[str, list[tuple[Pair, bool]]], complete: bool
) -> PairScore:
    """TP/FP/FN of the asserted class; ``complete``: gold lists every pair of a document."""
    tp = fp = fn = 0
    for doc, pairs in gold.items():
        positives = [p for p, ok in pred.get(doc, []) if ok]
        for gp, interacting in pairs.items():
            hit = any(_matches(p, gp) for p in positives)
            if interacting:
                tp += hit
                fn += not hit
        for p in positives:
            matched = [ok for gp, ok in pairs.items() if _matches(p, gp)]
            if (complete and not any(matched)) or (matched and not any(matched)):
                fp += 1
    return PairScore(tp, fp, fn)


def run_claims(texts: dict[str, str], extractor, lexicon) -> list[dict]:
    """Claims of every text, from raw text (miRNA extractor and gene lexicon given)."""
    from mirlens.text.claims import document_claims

    out: list[dict] = []
    for doc_id, text in texts.items():
        out.extend(document_claims(doc_id, text, extractor.extract(doc_id, text), lexicon))
    return out


def tools(mirbase_dir: Path, gene_info: Path):
    from mirlens.mirbase import MirbaseRelease
    from mirlens.text import Extractor, Normaliser
    from mirlens.text.genes import GeneLexicon

    ex = Extractor(Normaliser(MirbaseRelease(mirbase_dir, None, 10_000), "hsa", "both"))
    return ex, GeneLexicon.from_gene_info(gene_info)


def held_out(doc_id: str) -> bool:
    """The third of the documents kept out of rule development (by a hash of the id)."""
    return int(hashlib.md5(doc_id.encode()).hexdigest(), 16) % 3 == 0


def corpus_scores(gold, claims, complete: bool, bioc: bool) -> dict:
    pred = predicted_pairs(claims)
    out = {"asserted": score(gold, pred, complete).as_dict()}
    if bioc:
        out["marked_asserted"] = marked_asserted(gold, pred)
        sign = predicted_pairs(claims, stated_not_repressed)
        out["sign"] = score(gold, sign, complete).as_dict()
    return out


def main(argv: list[str]) -> None:
    """``MIRBASE GENE_INFO [CORPORA] [--split]``: ``--split`` also scores the development
    documents and the held-out third (:func:`held_out`) apart."""
    split = "--split" in argv
    argv = [a for a in argv if a != "--split"]
    shared = Path(os.environ.get("MIRLENS_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    corpora = Path(argv[3]) if len(argv) > 3 else shared / "data/corpora"
    result = {}
    for name, loader, complete in (("scai", load_scai, True), ("bioc", load_bioc, False)):
        fname = "scai_mirna.train.jsonl" if name == "scai" else "mirna_mrna_bioc.train.jsonl"
        texts, gold = loader(corpora / fname)
        claims = run_claims(texts, *tools(Path(argv[1]), Path(argv[2])))
        parts = {"all": gold}
        if split:
            parts["dev"] = {d: p for d, p in gold.items() if not held_out(d)}
            parts["held_out"] = {d: p for d, p in gold.items() if held_out(d)}
        for part, g in parts.items():
            scores = corpus_scores(g, claims, complete, name == "bioc")
            key = name if part == "all" else f"{name}_{part}"
            result[key] = scores["asserted"]
            if name == "bioc":
                result[f"{key}_marked_asserted"] = scores["marked_asserted"]
                result[f"{key}_sign"] = scores["sign"]
    print(json.dumps(result))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))
    main(sys.argv)
