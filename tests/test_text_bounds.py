"""Every document is bounded: output grows linearly with the input, whatever its shape
(issue 12: a list of names without sentence breaks once grew quadratically)."""

from __future__ import annotations

import io
import time

import pytest
from mention_scoring import release_for

from mirlens.text import Normaliser, extract_documents, write_records
from mirlens.text.sentences import MAX_SENTENCE, WINDOW


@pytest.fixture(scope="module")
def norm(mirbase_dir):
    return Normaliser(release_for(mirbase_dir), "hsa", "both")


def names_list(n: int, style: str) -> str:
    """``n`` names with no sentence break, as in a supplementary table pasted as text."""
    nums = [str(1 + i % 700) for i in range(n)]
    if style == "full":
        return ", ".join(f"hsa-miR-{x}" for x in nums)
    if style == "bare":  # one enumeration: "miR-1, -2, -3, ..."
        return "miR-" + ", -".join(nums)
    return "miR-" + "/".join(nums) + " cluster"  # one slash list


def output_size(norm, text: str) -> tuple[int, int, int]:
    recs = list(extract_documents([("big", text)], norm))
    buf = io.StringIO()
    write_records(buf, recs)
    return len(buf.getvalue()), len(recs), max(len(r["sentence"]) for r in recs)


@pytest.mark.parametrize("style", ["full", "bare", "slash"])
def test_output_grows_linearly_with_a_list_of_names(norm, style):
    small, big = names_list(2_000, style), names_list(8_000, style)
    t0 = time.perf_counter()
    size_s, n_s, longest_s = output_size(norm, small)
    t_small = time.perf_counter() - t0
    t0 = time.perf_counter()
    size_b, n_b, longest_b = output_size(norm, big)
    t_big = time.perf_counter() - t0
    assert n_b >= 1
    # 4x the input: at most ~4x the output (quadratic growth would give 16x)
    assert size_b <= 5 * size_s, (size_s, size_b)
    assert size_b / len(big) < 2_000, size_b  # bytes out per character in
    assert max(longest_s, longest_b) <= 3 * WINDOW
    assert t_big < 8 * t_small + 1.0  # linear time too, with slack for a busy machine


def test_long_sentence_is_a_window_around_the_mention(norm):
    filler = "word " * 400  # 2,000 characters, no sentence break
    text = f"Intro. {filler}then miR-21 rose {filler}end"
    (rec,) = extract_documents([("d", text)], norm)
    assert len(text) - 7 > MAX_SENTENCE
    assert "miR-21 rose" in rec["sentence"]
    assert len(rec["sentence"]) <= 2 * WINDOW + len("miR-21")
    s0 = rec["sentence_start"]
    assert text[s0 : s0 + len(rec["sentence"])] == rec["sentence"]
    assert not rec["sentence"].startswith(" ") and rec["sentence"].split()[0] == "word"


def test_short_sentences_stay_whole(norm):
    text = "First sentence here. Then miR-21 acts in " + "cells " * 100 + "today. Next."
    (rec,) = extract_documents([("d", text)], norm)
    assert rec["sentence"].startswith("Then miR-21") and rec["sentence"].endswith("today.")
