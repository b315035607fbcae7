"""The claim rules one by one, on sentences written for these tests."""

from __future__ import annotations

from test_claims import claims_of, extractor, gene_info, lexicon  # noqa: F401 (fixtures)


def test_but_not_negates_the_named_gene_only(extractor, lexicon):  # noqa: F811
    c = claims_of(extractor, lexicon, "In these cells MYC, but not KRAS, induced miR-9 expression.")
    assert c[("miR-9", "MYC")]["asserted"] and not c[("miR-9", "MYC")]["negated"]
    assert c[("miR-9", "KRAS")]["negated"]


def test_a_gene_named_twice_carries_the_claim_at_both_mentions(extractor, lexicon):  # noqa: F811
    text = "miR-34a lowered SIRT1 protein by pairing with the 3'UTR of SIRT1 in HeLa cells."
    recs = claims_of_all(extractor, lexicon, text)
    assert [r["asserted"] for r in recs if r["gene_symbol"] == "SIRT1"] == [True, True]
    # a third mention joined by no trigger stays a co-mention
    text = "miR-34a lowered SIRT1 protein, and SIRT1 is abundant in the liver."
    recs = claims_of_all(extractor, lexicon, text)
    assert [r["asserted"] for r in recs] == [True, False]


def claims_of_all(extractor, lexicon, text):  # noqa: F811
    from mirlens.text.claims import document_claims

    return document_claims("d", text, extractor.extract("d", text), lexicon)


def test_a_parenthesised_gloss_is_the_same_gene(extractor, lexicon):  # noqa: F811
    text = "CCND1 (which encodes cyclin D1) is a target of miR-195 in these tumours."
    assert claims_of(extractor, lexicon, text)[("miR-195", "CCND1")]["asserted"]


def test_ligands_receptors_and_converting_enzymes_name_other_proteins(extractor, lexicon):  # noqa: F811
    text = "miR-17 targets many transcripts and reduces NKG2D ligand expression."
    assert not claims_of(extractor, lexicon, text)[("miR-17", "KLRK1")]["asserted"]


def test_second_subjects_own_verb_is_no_trigger(extractor, lexicon):  # noqa: F811
    c = claims_of(extractor, lexicon, "miR-1 targets HDAC4 and miR-133 targets SRF.")
    assert c[("miR-1", "HDAC4")]["asserted"] and c[("miR-133", "SRF")]["asserted"]
    assert not c[("miR-133", "HDAC4")]["asserted"]


def test_direction_turns_when_the_mirna_is_lowered(extractor, lexicon):  # noqa: F811
    c = claims_of(extractor, lexicon, "Knockdown of miR-221 raised CDKN1B levels in glioma cells.")
    assert c[("miR-221", "CDKN1B")]["direction"] == "represses"
    c = claims_of(extractor, lexicon, "CDKN1B protein increased after miR-221 inhibition.")
    assert c[("miR-221", "CDKN1B")]["direction"] == "represses"
    c = claims_of(extractor, lexicon, "Overexpression of miR-221 raised CDKN1B levels.")
    assert c[("miR-221", "CDKN1B")]["direction"] == "induces"
    c = claims_of(extractor, lexicon, "Suppression of CDKN1B protein by miR-221 was strong.")
    z = c[("miR-221", "CDKN1B")]
    assert z["asserted"] and z["direction"] == "represses"


def test_pair_named_as_one_unit_and_utr_after_the_pair(extractor, lexicon):  # noqa: F811
    c = claims_of(extractor, lexicon, "The miR-204/SOX4 axis drives invasion in this model.")
    assert c[("miR-204", "SOX4")]["asserted"]
    c = claims_of(extractor, lexicon, "We confirmed direct binding of miR-204 to the SOX4 3'UTR.")
    assert c[("miR-204", "SOX4")]["relation"] == "binds 3'UTR"


def test_hedging_is_read_near_the_pair(extractor, lexicon):  # noqa: F811
    text = "miR-21 represses PDCD4 in colon cells, which may explain part of its oncogenic effect."
    assert not claims_of(extractor, lexicon, text)[("miR-21", "PDCD4")]["hedged"]
    text = "We propose that miR-21 may repress PDCD4 in colon cells."
    assert claims_of(extractor, lexicon, text)[("miR-21", "PDCD4")]["hedged"]


def test_greek_letter_written_as_latin_symbol(lexicon):  # noqa: F811
    hits = lexicon.find("Levels of TβRII and IκBα fell.")
    assert [h.symbol for h in hits] == ["TGFBR2", "NFKBIA"]


def test_names_spelt_out_by_their_symbol_and_british_spellings(lexicon):  # noqa: F811
    text = "The high-mobility group A1 protein and neurone navigator 2 and pyruvate kinase M2 rose."
    assert [h.symbol for h in lexicon.find(text)] == ["HMGA1", "NAV2", "PKM"]
    # ordinary words before a number spell out no symbol
    assert lexicon.find("We took the cell line 2 and the group of 12.") == []


def test_effector_names_another_protein(extractor, lexicon):  # noqa: F811
    c = claims_of(extractor, lexicon, "The NOTCH1 effector HES1 was repressed by miR-23b.")
    assert not c[("miR-23b", "NOTCH1")]["asserted"]
    assert c[("miR-23b", "HES1")]["asserted"]


def test_relation_words_before_the_pair_give_the_direction(extractor, lexicon):  # noqa: F811
    c = claims_of(
        extractor, lexicon, "We saw an inverse correlation between miR-9 and CDH1 levels."
    )
    assert c[("miR-9", "CDH1")]["direction"] == "represses"
    c = claims_of(extractor, lexicon, "Negative regulation of lncRNA MEG3 by miR-29 in liver.")
    assert c[("miR-29", "MEG3")]["direction"] == "represses"
    c = claims_of(extractor, lexicon, "miR-9 inhibited the expression of CDH1 in these cells.")
    assert c[("miR-9", "CDH1")]["direction"] == "represses"  # a verb, not 'miR-9 inhibition'
    c = claims_of(extractor, lexicon, "miR-9 and CDH1 are coexpressed in the embryo.")
    assert c[("miR-9", "CDH1")]["asserted"]


def test_spelt_out_symbols_need_the_genes_own_words(lexicon):  # noqa: F811
    # initials that happen to spell a symbol (WDR12, MUC13) name no gene
    hits = lexicon.find("Most were down regulated and 12 rose; MUC1 3 days later.")
    assert [h.symbol for h in hits] == ["MUC1"]
    # a name with a hyphen dropped still starts a name ("cyclindependent kinase 6")
    assert [h.symbol for h in lexicon.find("cyclindependent kinase 6")] == ["CDK6"]


def test_the_relation_word_nearest_the_gene_governs_it(extractor, lexicon):  # noqa: F811
    text = "miR-10b raised invasion through inhibition of HOXD10 in these cells."
    assert claims_of(extractor, lexicon, text)[("miR-10b", "HOXD10")]["direction"] == "represses"
    text = "High miR-375 was associated with reduced expression of YAP1."
    assert claims_of(extractor, lexicon, text)[("miR-375", "YAP1")]["direction"] == "represses"
    text = "Loss of miR-10b derepressed BCL2L11 in glioma."
    assert claims_of(extractor, lexicon, text)[("miR-10b", "BCL2L11")]["direction"] == "represses"


def test_nouns_of_change_and_list_introducers(extractor, lexicon):  # noqa: F811
    c = claims_of(extractor, lexicon, "Overexpression of miR-9 caused CDH1 protein reduction.")
    assert c[("miR-9", "CDH1")]["asserted"]
    text = "Known targets of miR-9, including CDH1, were examined."
    assert claims_of(extractor, lexicon, text)[("miR-9", "CDH1")]["asserted"]
    text = "A strong association between the expression levels of miR-9 and CDH1 was seen."
    assert claims_of(extractor, lexicon, text)[("miR-9", "CDH1")]["asserted"]


def test_long_form_of_an_abbreviation(lexicon):  # noqa: F811
    from mirlens.text.abbreviations import long_form

    before = "the 3'UTR of beta-site amyloid precursor protein-cleaving enzyme 1"
    assert long_form("BACE1", before) == "beta-site amyloid precursor protein-cleaving enzyme 1"
    assert long_form("XYZ9", "no such letters here") is None


def test_a_document_defines_gene_names(extractor, lexicon):  # noqa: F811
    text = (
        "miR-205 lowers lipoprotein receptor-related protein 1 (LRP1) in neurons. "
        "In the cortex miR-205 represses lipoprotein receptor-related protein 1 as well. "
        "The transentorhinal cortex (TEC) is thin."
    )
    recs = claims_of_all(extractor, lexicon, text)
    assert {(r["gene_text"], r["gene_symbol"]) for r in recs} == {
        ("lipoprotein receptor-related protein 1", "LRP1"), ("LRP1", "LRP1")
    }  # fmt: skip
    second = [r for r in recs if r["mirna_start"] > text.index("cortex")]
    assert second and all(r["asserted"] for r in second)
    # an abbreviation whose long form is none of the gene's words defines nothing
    from mirlens.text.abbreviations import defined_names

    assert defined_names(text, lexicon) == {
        "lipoprotein receptor-related protein 1": ("LRP1", lexicon.lookup("LRP1")[1])
    }
