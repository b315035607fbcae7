"""The fast paths of `mirlens extract` against their plain formulations, on real text.

The extractor is tuned for speed (literal-led regexes, a group-less HEAD, memoised rows,
no automatic GC while records pile up); each shortcut must give exactly what the plain
formulation gives. The texts are the shared SCAI abstracts and miRCancer titles plus
edge cases."""

from __future__ import annotations

import json
import re
import sys

import pytest
from conftest import shared_path
from mention_scoring import release_for

from mirlens.text import Extractor, Normaliser, extract_documents, write_records
from mirlens.text import grammar as G
from mirlens.text import sentences as S
from mirlens.text.context import annotate

EDGE = [
    "et al. The miR-21. E.g. miR-9. A. Smith. (Fig. 2) A.\n\nthe next",
    'x vs.\n\nthe end. Dr. Who! Yes? "No" (ca. 5) i.e. miR-155',
    "ET AL. A. mmu-miR-124 and hsa-let-7a, AmiR-21 Admir MIR155HG MIRLET7A1.",
    "miR-21 and 30 patients; miR-200a/b/c; miR-17\u223c92; the let-7 family; miR-30a-5p/-3p",
    "microRNAs 15 and 16, miR-1, miR-22 ~ miR-133 cluster, mir 21, MiR-21-5P*",
    "miR-200 and miR-34 families; miR-17-92/miR-106b-25; miR-1, miR-22 and let-7 clusters; "
    "miR-1 and miR-22; miR-133a, miR-139-3p and miR-142-3p Clusters; miR-200 and miR-34",
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    out = list(EDGE)
    for name in ("scai_mirna.train.jsonl", "mircancer_nonlung.titles.jsonl"):
        with open(shared_path(f"data/corpora/{name}"), encoding="utf-8") as fh:
            out += [json.loads(line).get("text") or "" for line in fh if line.strip()]
    return out


@pytest.fixture(scope="module")
def release(mirbase_dir):
    return release_for(mirbase_dir)


def test_sentence_regex_equals_one_lookbehind_per_abbreviation(texts):
    plain = "".join(rf"(?<![\s(\[]{re.escape(a)}\.)(?<!^{re.escape(a)}\.)" for a in S._ABBREV)
    reference = re.compile(
        r"(?:\.(?i:" + plain + r")(?<![^\w][A-Z]\.)|[!?])" + S._END + r"|\n\s*\n"
    )
    n = 0
    for t in texts:
        want = [0, *(m.end() for m in reference.finditer(t))]
        assert S.sentence_bounds(t) == want
        n += len(want) > 1
    assert n > 200  # the texts do have sentences


def test_candidates_are_every_position_of_the_plain_scan(texts):
    for t in texts:
        lower = t.lower()
        want, pos = [], 0
        while c := G.CAND.search(lower, pos):
            want.append(c.start())
            pos = c.start() + 1
        assert G.candidates(lower) == want


def test_word_lookbehind_is_isalnum_or_underscore():
    word = re.compile(r"\w", re.IGNORECASE)
    odd = [c for c in map(chr, range(0x10000)) if bool(word.match(c)) != (c.isalnum() or c == "_")]
    assert odd == []


def test_one_extractor_equals_a_fresh_one_per_document(texts, release):
    """One extractor over all documents (caches of the normaliser warm) gives the records of
    a fresh extractor per document."""
    norm = Normaliser(release, "hsa", "both")
    docs = [(str(i), t) for i, t in enumerate(texts)]
    shared = list(extract_documents(docs, norm))
    fresh = [
        r
        for d, t in docs
        for r in annotate(Extractor(Normaliser(release, "hsa", "both")).extract(d, t))
    ]
    fresh.sort(key=lambda r: (r["doc_id"], r["start"], r["end"]))
    assert len(shared) > 1000
    assert shared == fresh


def test_write_records_is_json_dumps(release, tmp_path):
    recs = list(
        extract_documents([("d\u00e9", "Le miR\u201021 \u00b5M; miR-200a/b")], Normaliser(release))
    )
    path = tmp_path / "o.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        assert write_records(fh, recs) == len(recs) == 3
    want = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs)
    assert path.read_text(encoding="utf-8") == want


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))
