"""Recognition and normalisation of miRNA names, against the real miRBase 22.1 files."""

from __future__ import annotations

import pytest
from mention_scoring import release_for, release_with_families

from mirlens.mirbase import read_gff3, read_mature
from mirlens.text import Extractor, Normaliser, sentence_at, sentence_bounds


@pytest.fixture(scope="module")
def release(mirbase_dir):
    return release_with_families(mirbase_dir)


@pytest.fixture(scope="module")
def mature(mirbase_dir):
    df = read_mature(mirbase_dir / "mature.fa")
    return dict(zip(df["name"], df["mirbase_id"], strict=True))


def extract(release, text, policy="both", species="hsa"):
    return Extractor(Normaliser(release, species, policy)).extract("d1", text)


def one(release, text, policy="both", species="hsa"):
    rows = extract(release, text, policy, species)
    assert len(rows) == 1, [r["text"] for r in rows]
    return rows[0]


@pytest.mark.parametrize(
    "text, kind",
    [
        ("miR-21", "mature"),
        ("miRNA-21", "mature"),
        ("microRNA-21", "mature"),
        ("micro-RNA-21", "mature"),
        ("Micro RNA-21", "mature"),
        ("miR21", "mature"),
        ("mir-21", "precursor"),
        ("MIR21", "gene_symbol"),
        ("pre-miR-21", "precursor"),
    ],
)
def test_plain_forms_give_both_arms_of_mir21(release, text, kind):
    row = one(release, f"Levels of {text} rose.")
    assert row["text"] == text.removeprefix("pre-")
    assert row["mirbase_ids"] == ["MIMAT0000076", "MIMAT0004494"]
    assert row["mirbase_names"] == ["hsa-miR-21-5p", "hsa-miR-21-3p"]
    assert row["status"] == "resolved"
    assert row["kind"] == kind
    assert row["arm_policy"] == "both"


@pytest.mark.parametrize(
    "text, mimat, name",
    [
        ("hsa-miR-21-5p", "MIMAT0000076", "hsa-miR-21-5p"),
        ("miR-21-3p", "MIMAT0004494", "hsa-miR-21-3p"),
        ("miR-21*", "MIMAT0004494", "hsa-miR-21-3p"),
        ("miR-21 5p", "MIMAT0000076", "hsa-miR-21-5p"),
        ("miR-21-5P", "MIMAT0000076", "hsa-miR-21-5p"),
        ("miR-16-2*", "MIMAT0004518", "hsa-miR-16-2-3p"),
        ("miR-26a2*", "MIMAT0004681", "hsa-miR-26a-2-3p"),
        ("miR-189", "MIMAT0000079", "hsa-miR-24-1-5p"),
    ],
)
def test_named_arms_and_old_names(release, mature, text, mimat, name):
    row = one(release, f"We saw {text} here.")
    assert row["mirbase_ids"] == [mimat]
    assert mature[name] == mimat
    assert row["mirbase_names"] == [name]
    assert row["status"] == "resolved"
    assert row["arm_policy"] == ""  # the text chose the arm


def test_old_precursor_names_follow_the_arm_policy(release):
    # hsa-mir-124a-1..3 became hsa-mir-124-1..3; the old mature hsa-miR-124a is -3p
    both = one(release, "hsa-miR-124a was low")
    assert both["mirbase_names"] == ["hsa-miR-124-5p", "hsa-miR-124-3p"]
    assert one(release, "hsa-miR-124a", policy="dominant")["mirbase_ids"] == ["MIMAT0000422"]


def test_mature_sequence_of_mir21_5p(release):
    idx = release.species("hsa")
    assert idx.mature_seq["MIMAT0000076"] == "UAGCUUAUCAGACUGAUGUUGA"


def test_let7a_paralogs_and_arm_policies(release, mature):
    both = one(release, "let-7a is low.")
    assert set(both["mirbase_names"]) == {"hsa-let-7a-5p", "hsa-let-7a-3p", "hsa-let-7a-2-3p"}
    assert "paralogs" in both["reason"]
    dom = one(release, "let-7a is low.", policy="dominant")
    assert dom["mirbase_ids"] == [mature["hsa-let-7a-5p"]]
    assert dom["arm_policy"] == "dominant"
    assert one(release, "miR-21", policy="dominant")["mirbase_ids"] == ["MIMAT0000076"]


def test_precursor_copies(release):
    r1 = one(release, "mir-16-1 is deleted")
    r2 = one(release, "mir-16-2 is deleted")
    assert r1["mirbase_names"] == ["hsa-miR-16-5p", "hsa-miR-16-1-3p"]
    assert r2["mirbase_names"] == ["hsa-miR-16-5p", "hsa-miR-16-2-3p"]
    both = one(release, "miR-16 is deleted")
    assert set(both["mirbase_names"]) == {"hsa-miR-16-5p", "hsa-miR-16-1-3p", "hsa-miR-16-2-3p"}
    dom = one(release, "MIR16-2 is deleted", policy="dominant")
    assert dom["kind"] == "gene_symbol" and dom["mirbase_names"] == ["hsa-miR-16-5p"]


def test_dominant_arm_is_derived_from_name_history(release):
    """Wherever exactly one arm of a hairpin was once the star strand, the other is dominant."""
    idx = release.species("hsa")
    checked = 0
    for hp, ms in idx.hairpin_matures.items():
        starred = [m for m in ms if any(n.endswith("*") for n in idx.history.get(m, []))]
        if len(ms) == 2 and len(starred) == 1:
            assert idx.dominant[hp] == [m for m in ms if m not in starred]
            checked += 1
    assert checked > 150


def test_lin4_is_not_human_but_is_worm(release):
    row = one(release, "lin-4 regulates lin-14.")
    assert row["status"] == "unresolved" and "cel" in row["reason"]
    cel = one(release, "lin-4 regulates lin-14.", species="cel")
    assert cel["mirbase_names"] == ["cel-lin-4-5p", "cel-lin-4-3p"]


def test_species_prefix(release, mature):
    row = one(release, "In mice, mmu-miR-155-5p was induced.")
    assert row["species"] == "mmu"
    assert row["mirbase_ids"] == [mature["mmu-miR-155-5p"]]


@pytest.mark.parametrize(
    "text, parts, names",
    [
        ("miR-200a/b/c", ["miR-200a", "b", "c"], ["hsa-miR-200a", "hsa-miR-200b", "hsa-miR-200c"]),
        ("miR-221/222", ["miR-221", "222"], ["hsa-miR-221", "hsa-miR-222"]),
        ("miR-26a, -34a and -145", ["miR-26a", "34a", "145"],
         ["hsa-miR-26a", "hsa-miR-34a", "hsa-miR-145"]),
        ("microRNAs 124a and 223", ["microRNAs 124a", "223"], ["hsa-miR-124a", "hsa-miR-223"]),
        ("miR-196a and -b", ["miR-196a", "b"], ["hsa-miR-196a", "hsa-miR-196b"]),
        ("let-7e, 125a and 99b", ["let-7e", "125a", "99b"],
         ["hsa-let-7e", "hsa-miR-125a", "hsa-miR-99b"]),
        ("miR-30a-5p/-3p", ["miR-30a-5p", "3p"], ["hsa-miR-30a-5p", "hsa-miR-30a-3p"]),
        ("miR-199a-5p and -3p", ["miR-199a-5p", "3p"], ["hsa-miR-199a-5p", "hsa-miR-199a-3p"]),
    ],
)  # fmt: skip
def test_enumerations(release, text, parts, names):
    doc = f"Expression of {text} was lower."
    rows = extract(release, doc)
    assert [r["text"] for r in rows] == parts
    assert [r["normalised"] for r in rows] == names
    assert all(r["kind"] == "enumeration_member" and r["status"] == "resolved" for r in rows)
    g0 = doc.index(text)
    assert all((r["group_start"], r["group_end"]) == (g0, g0 + len(text)) for r in rows)
    assert all(doc[r["start"] : r["end"]] == r["text"] for r in rows)


def test_enumeration_with_a_cluster_inside(release):
    doc = "miR-10a, -17~92 and -21 rose."
    rows = extract(release, doc)
    assert [(r["text"], r["kind"]) for r in rows] == [
        ("miR-10a", "enumeration_member"),
        ("17~92", "cluster"),
        ("21", "enumeration_member"),
    ]
    assert "hsa-miR-92a-3p" in rows[1]["mirbase_names"]


@pytest.mark.parametrize("text", ["the miR-200s", "the miR-200S family"])
def test_plural_name_is_the_family(release, text):
    row = one(release, text)
    assert row["kind"] == "family" and row["status"] == "resolved"
    assert "hsa-miR-200c-3p" in row["mirbase_names"]
    assert "hsa-miR-429" not in row["mirbase_names"]  # another number: noted, not expanded
    assert "hsa-mir-429" in row["expansion"] and "not expanded" in row["expansion"]


@pytest.mark.parametrize(
    "text, head",
    [("miR-122-FN1 cascade", "miR-122"), ("a miR-143-HK2 axis", "miR-143"),
     ("miR-124TP73 binding", "miR-124"), ("microRNA  (miR)-210 rose", "microRNA  (miR)-210")],
)  # fmt: skip
def test_names_glued_to_other_words(release, text, head):
    assert one(release, text)["text"] == head


def test_letterless_with_arm_in_one_family(release):
    row = one(release, "miR-29-3p")
    assert row["status"] == "resolved"
    assert row["mirbase_names"] == ["hsa-miR-29a-3p", "hsa-miR-29b-3p", "hsa-miR-29c-3p"]


def test_clusters_follow_mirbase_distance(release):
    # mir-99a/let-7c and mir-125b-2 lie ~50 kb apart: two miRBase clusters, not one range
    row = one(release, "the miR-99a~125b-2 cluster")
    assert row["status"] == "unresolved" and "not in one genomic cluster" in row["reason"]
    # ... but a list of three names before "cluster" is the members named, wherever they lie
    named = one(release, "the miR-99a/let-7c/miR-125b-2 cluster")
    assert named["status"] == "resolved" and "the members named" in named["expansion"]
    assert {"hsa-let-7c-5p", "hsa-miR-125b-2-3p"} <= set(named["mirbase_names"])
    two = one(release, "the microRNA 15/16 cluster")
    assert two["status"] == "ambiguous" and "several genomic clusters" in two["reason"]


def test_bare_numbers_after_a_mention_need_to_be_mirnas(release):
    rows = extract(release, "miR-21 and 30 patients; miR-21, 5 % of cases")
    assert [r["text"] for r in rows] == ["miR-21", "miR-21"]


@pytest.mark.parametrize("text", ["miR-17-92", "miR-17~92", "miR-17/92 cluster", "miR-17\u223c92",
                                  "miR-17 approximately 92", "miR-17-92 cluster"])  # fmt: skip
def test_mir17_92_cluster_from_gff3(release, mirbase_dir, text):
    row = one(release, f"The {text} is amplified in lymphoma.")
    assert row["kind"] == "cluster" and row["status"] == "resolved"
    assert row["text"] == text.removesuffix(" cluster")
    hp, mat = read_gff3(mirbase_dir / "genomes" / "hsa.gff3")
    members = {"hsa-mir-17", "hsa-mir-18a", "hsa-mir-19a", "hsa-mir-20a", "hsa-mir-19b-1",
               "hsa-mir-92a-1"}  # fmt: skip
    acc = set(hp.loc[hp["name"].isin(members), "mirbase_id"])
    expected = set(mat.loc[mat["hairpin_id"].isin(acc), "mirbase_id"])
    assert set(row["mirbase_ids"]) == expected
    assert "hsa-miR-20a-5p" in row["expansion"] and "10000 bp" in row["expansion"]


MIR17_92 = ("hsa-mir-17", "hsa-mir-18a", "hsa-mir-19a", "hsa-mir-20a", "hsa-mir-19b-1",
            "hsa-mir-92a-1")  # fmt: skip
MIR106B_25 = ("hsa-mir-106b", "hsa-mir-93", "hsa-mir-25")


def matures_of_hairpins(mirbase_dir, names) -> set[str]:
    hp, mat = read_gff3(mirbase_dir / "genomes" / "hsa.gff3")
    acc = set(hp.loc[hp["name"].isin(names), "mirbase_id"])
    assert len(acc) == len(names)
    return set(mat.loc[mat["hairpin_id"].isin(acc), "mirbase_id"])


def test_slash_between_two_ranges_names_two_clusters(release, mirbase_dir):
    # PMID 31187215 (MiRetrieve pancreas abstracts), as written
    doc = ("To elucidate the role of miR-17-92 and miR-106b-25 clusters in beta cells, we used a "
           "conditional miR-17-92/miR-106b-25 knockout mouse model.")  # fmt: skip
    rows = extract(release, doc)
    assert [r["text"] for r in rows] == ["miR-17-92", "miR-106b-25"] * 2
    assert all(doc[r["start"] : r["end"]] == r["text"] for r in rows)
    assert all(r["kind"] == "cluster" and r["status"] == "resolved" for r in rows)
    assert [r["normalised"] for r in rows[2:]] == [
        "hsa-miR-17~miR-92 cluster", "hsa-miR-106b~miR-25 cluster"]  # fmt: skip
    want = [
        matures_of_hairpins(mirbase_dir, MIR17_92),
        matures_of_hairpins(mirbase_dir, MIR106B_25),
    ]
    assert [set(r["mirbase_ids"]) for r in rows] == want * 2
    assert "hsa-miR-93-5p" in rows[3]["expansion"] and "hsa-miR-93-5p" not in rows[2]["expansion"]
    g0 = doc.index("miR-17-92/")
    assert {(r["group_start"], r["group_end"]) for r in rows[2:]} == {(g0, g0 + 21)}


def test_slash_inside_one_cluster_stays_one_cluster(release):
    # a range and a single name are not two ranges: one expression, as before
    row = one(release, "the miR-106b~25/93 cluster")
    assert row["kind"] == "cluster" and row["status"] == "resolved"
    assert row["normalised"] == "hsa-miR-106b~miR-25~miR-93 cluster"


def test_plural_clusters_after_a_list_of_full_names(release, mirbase_dir):
    doc = "Loss of the miR-17-92 and miR-106b-25 clusters impairs beta cells."
    rows = extract(release, doc)
    assert [(r["text"], r["kind"], r["status"]) for r in rows] == [
        ("miR-17-92", "cluster", "resolved"), ("miR-106b-25", "cluster", "resolved")]  # fmt: skip
    want = [
        matures_of_hairpins(mirbase_dir, MIR17_92),
        matures_of_hairpins(mirbase_dir, MIR106B_25),
    ]
    assert [set(r["mirbase_ids"]) for r in rows] == want
    g0 = doc.index("miR-17-92")
    end = doc.index(" clusters")
    assert all((r["group_start"], r["group_end"]) == (g0, end) for r in rows)


@pytest.mark.parametrize(
    "text, parts, members",
    [
        ("the miR-200 and miR-34 families", ["miR-200", "miR-34"],
         [{"hsa-miR-200a-3p", "hsa-miR-200c-3p"}, {"hsa-miR-34a-5p", "hsa-miR-34c-5p"}]),
        ("the let-7 and miR-200 families", ["let-7", "miR-200"],
         [{"hsa-let-7a-5p", "hsa-let-7i-5p"}, {"hsa-miR-200b-3p", "hsa-miR-200c-3p"}]),
        ("the miR-200, let-7 and miR-34 families", ["miR-200", "let-7", "miR-34"],
         [{"hsa-miR-200a-3p"}, {"hsa-let-7i-5p"}, {"hsa-miR-34b-5p"}]),
    ],
)  # fmt: skip
def test_plural_families_apply_to_every_full_name_listed(release, text, parts, members):
    rows = extract(release, f"We studied {text} in cancer.")
    assert [r["text"] for r in rows] == parts
    assert all(r["kind"] == "family" and r["status"] == "resolved" for r in rows)
    for r, want in zip(rows, members, strict=True):
        assert want <= set(r["mirbase_names"]), r["text"]
        assert "precursors named by the stem" in r["expansion"]
    # the same family read alone gives the same members
    for r in rows:
        alone = one(release, f"the {r['text']} family")
        assert alone["mirbase_ids"] == r["mirbase_ids"]


@pytest.mark.parametrize(
    "text, kinds",
    [
        # singular word: only the last name is the family, as before
        ("miR-1 and miR-34 family", ["mature", "family"]),
        # a plural word after matures with arms is a verb ("... Clusters Bladder Carcinoma")
        ("miR-133a, miR-139-3p, and miR-142-3p Clusters Bladder", ["mature", "mature", "cluster"]),
        # no group word: separate mentions
        ("miR-17-92 and miR-21 rose", ["cluster", "mature"]),
    ],
)  # fmt: skip
def test_lists_of_full_names_without_a_plural_group_word(release, text, kinds):
    assert [r["kind"] for r in extract(release, text)] == kinds


def test_cluster_distance_is_configurable(mirbase_dir):
    tight = release_for(mirbase_dir, None, distance=50)
    row = one(tight, "The miR-17~92 cluster")
    assert row["status"] == "unresolved" and "not in one genomic cluster" in row["reason"]


def test_family_stays_within_the_named_stem(release, mirbase_dir):
    """ "miR-NNN family" is the precursors carrying the stem; the database families around
    them (miFam mir-8 holds mir-141 and mir-429) are named in the note, not expanded."""
    fam = one(release, "The miR-200 family controls EMT.")
    assert fam["kind"] == "family" and fam["status"] == "resolved"
    want = matures_of_hairpins(mirbase_dir, ("hsa-mir-200a", "hsa-mir-200b", "hsa-mir-200c"))
    assert set(fam["mirbase_ids"]) == want
    assert "MIPF" in fam["expansion"] and "hsa-mir-429" in fam["expansion"]
    let7 = one(release, "members of the let-7 family")
    assert {"hsa-let-7a-5p", "hsa-let-7i-5p"} <= set(let7["mirbase_names"])
    assert not any("miR-98" in n or "miR-202" in n for n in let7["mirbase_names"])
    mir17 = one(release, "the miR-17 family")
    assert {n.rsplit("-", 1)[0] for n in mir17["mirbase_names"]} == {"hsa-miR-17"}


def test_family_without_targetscan_is_the_same(release, mirbase_dir):
    plain = one(release_for(mirbase_dir), "the let-7 family")
    assert plain["mirbase_ids"] == one(release, "the let-7 family")["mirbase_ids"]


def test_letterless_name_of_one_family_is_the_family(release):
    row = one(release, "miR-29 is low")
    assert row["status"] == "resolved"
    assert {"hsa-miR-29a-3p", "hsa-miR-29b-3p", "hsa-miR-29c-3p"} <= set(row["mirbase_names"])
    assert "no letter" in row["reason"] and "MIPF" in row["reason"]


def test_letterless_name_across_families_is_ambiguous(release):
    idx = release.species("hsa")
    row = one(release, "miR-548 is low")
    assert row["status"] == "ambiguous" and "could be" in row["reason"]
    hairpins = {h for m in row["mirbase_ids"] for h in idx.mature_hairpins[m]}
    assert len({idx.mifam_of.get(h) for h in hairpins}) > 1


@pytest.mark.parametrize("symbol", ["MIR155HG", "MIR31HG", "MIR17HG"])
def test_host_genes_are_not_mirnas(release, symbol):
    row = one(release, f"The lncRNA {symbol} is induced.")
    assert row["kind"] == "host_gene" and row["status"] == "unresolved"
    assert row["mirbase_ids"] == [] and "host gene" in row["reason"]


@pytest.mark.parametrize(
    "text",
    ["MIRA was high", "a mirror image", "miRNAs and microRNA levels", "MicroRNAs regulate",
     "the MIR family of repeats", "anti-miRNA oligos", "lin-28 binds"],
)  # fmt: skip
def test_not_mirnas(release, text):
    assert extract(release, text) == []


def test_unicode_dashes_keep_offsets(release):
    doc = "Both miR\u201021 and miR\u2013200a/b (\u2212 controls) and miR-17\uff5e92 rose."
    rows = extract(release, doc)
    assert [r["text"] for r in rows] == ["miR\u201021", "miR\u2013200a", "b", "miR-17\uff5e92"]
    assert all(doc[r["start"] : r["end"]] == r["text"] for r in rows)
    assert rows[0]["mirbase_ids"] == ["MIMAT0000076", "MIMAT0004494"]


def test_sentences():
    text = (
        "Smith et al. showed that miR-21 rises 2.5-fold (Fig. 2), e.g. in tumours. "
        "It binds hsa-miR-21-5p. miR-155 acts.\n\nNext paragraph"
    )
    starts = sentence_bounds(text)
    sents = [sentence_at(text, starts, s)[1] for s in starts]
    assert sents == [
        "Smith et al. showed that miR-21 rises 2.5-fold (Fig. 2), e.g. in tumours.",
        "It binds hsa-miR-21-5p.",
        "miR-155 acts.",
        "Next paragraph",
    ]


def test_rows_carry_sentence(release):
    text = "First sentence. Then miR-21 acts (Fig. 1). Last."
    row = one(release, text)
    assert row["sentence"] == "Then miR-21 acts (Fig. 1)."
    assert text[row["sentence_start"] :].startswith(row["sentence"])
