"""The HTML report, workbook and plots built from a contract-shaped results folder."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook
from report_fixtures import SCRIPT_SENTENCE, make_results

from mirlens.cli import main
from mirlens.errors import MirlensError
from mirlens.io import read_tsv, split_list, write_tsv
from mirlens.provenance import build_provenance, write_provenance
from mirlens.report.build import build_report, mark_spans, seed_pieces, slug

SECTIONS = [
    "summary",
    "answer",
    "themes",
    "network",
    "mirnas",
    "targets",
    "documents",
    "unresolved",
    "provenance",
]
PLOTS = ["theme_heatmap", "theme_dotplot", "network", "documents_per_year", "targets_per_source"]


def _results(tmp_path: Path, empty: bool = False, with_provenance: bool = True) -> Path:
    results = make_results(tmp_path / "results", empty=empty)
    if with_provenance:
        prov = build_provenance(
            tmp_path / "results.lock.json",
            results / "config.json",
            results / "literature" / "documents.tsv",
            sorted((results / "targets").glob("*.stats.json")),
        )
        write_provenance(prov, results / "provenance.json")
    return results


def _build(results: Path, out: Path | None = None, **kwargs) -> tuple[Path, BeautifulSoup]:
    out = out or results / "report"
    build_report(results, out / "index.html", out / "tables.xlsx", out / "plots", **kwargs)
    html = (out / "index.html").read_text(encoding="utf-8")
    return out, BeautifulSoup(html, "lxml")


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, BeautifulSoup]:
    tmp = tmp_path_factory.mktemp("full")
    results = _results(tmp)
    out, soup = _build(results)
    return results, out, soup


def test_sections_present_and_self_contained(full) -> None:
    _, out, soup = full
    ids = [s.get("id") for s in soup.select("main > section")]
    assert [s for s in SECTIONS if s not in ids] == []
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert "default-src 'none'" in csp["content"]
    # nothing is loaded from elsewhere: no external stylesheet, script, image or font
    assert soup.find("link") is None
    assert [t for t in soup.find_all(src=True)] == []
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "@import" not in html and "url(http" not in html
    assert len(soup.select("figure svg.fig")) == len(PLOTS)
    # ids inside the inline figures are unique across the whole page
    all_ids = [t["id"] for t in soup.find_all(id=True)]
    assert len(all_ids) == len(set(all_ids))


def test_markup_in_data_is_escaped(full) -> None:
    _, out, soup = full
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert len(soup.find_all("script")) == 1  # the report's own
    assert soup.find("i") is None  # a title's <i> stays text
    quotes = [q.get_text() for q in soup.select("article.mirna blockquote")]
    assert any(q.startswith(SCRIPT_SENTENCE) for q in quotes)


def test_every_internal_link_resolves(full) -> None:
    _, _, soup = full
    ids = {t["id"] for t in soup.find_all(id=True)}
    targets = [a["href"][1:] for a in soup.select('a[href^="#"]')]
    assert targets and [t for t in targets if t not in ids] == []
    # heat-map cells are SVG links to their gene-set rows; glyph refs point inside the figure
    html = str(soup)
    svg_links = re.findall(r'xlink:href="#([^"]+)"', html)
    assert [t for t in svg_links if t not in ids] == []
    assert sum(t.startswith("enr-") for t in svg_links) == len(soup.select("#theme-matrix td a"))
    external = {a["href"].split("/")[2] for a in soup.select('a[href^="http"]')}
    assert external <= {"pubmed.ncbi.nlm.nih.gov", "doi.org"}


def test_findings_trace_to_enrichment_rows(full) -> None:
    results, _, soup = full
    enr = pd.concat([read_tsv(p) for p in sorted((results / "enrichment").glob("*.tsv"))])
    enr["empirical_fdr"] = enr["empirical_fdr"].astype(float)
    expected = enr[(enr["theme"] != "") & (enr["empirical_fdr"] <= 0.05)]
    rows = soup.select("#findings-table tbody tr")
    assert len(rows) == len(expected)
    for tr in rows:
        cells = tr.find_all("td")
        target = soup.find(id=cells[3].a["href"][1:])
        assert target.name == "tr" and target.find_all("td")[1].get_text() == cells[3].get_text()
        src = expected[
            (expected["scope"] == cells[0].get_text())
            & (expected["gene_set"] == cells[3].get_text())
        ]
        assert len(src) == 1
        assert cells[6].get_text() == ", ".join(split_list(src["genes"].iloc[0]))
        assert target.find_all("td")[-1].get_text() == cells[6].get_text()


def test_theme_matrix_is_the_best_fdr_per_theme(full) -> None:
    results, _, soup = full
    enr = pd.concat([read_tsv(p) for p in sorted((results / "enrichment").glob("*.tsv"))])
    enr["empirical_fdr"] = enr["empirical_fdr"].astype(float)
    enr["theme"] = enr["theme"].map(split_list)
    best = (
        enr.explode("theme")
        .dropna(subset=["theme"])
        .groupby(["scope", "theme"])["empirical_fdr"]
        .min()
    )
    themes = [th.get_text(strip=True) for th in soup.select("#theme-matrix thead th")[1:]]
    assert themes[:3] == ["EMT", "angiogenesis", "immune"]
    n_cells = 0
    for tr in soup.select("#theme-matrix tbody tr"):
        scope = tr.th.get_text(strip=True)
        for theme, td in zip(themes, tr.find_all("td"), strict=True):
            if (scope, theme) in best.index:
                n_cells += 1
                assert float(td.a.get_text()) == pytest.approx(best[(scope, theme)], rel=0.05)
                row = soup.find(id=td.a["href"][1:])
                assert float(row.find_all("td")[8]["data-sort"]) == best[(scope, theme)]
            else:
                assert "empty" in td["class"]
    assert n_cells == len(best)


def test_mirna_sections_trace_mentions_and_targets(full) -> None:
    results, _, soup = full
    mentions = read_tsv(results / "mentions.tsv")
    mirnas = read_tsv(results / "mirnas.tsv")
    assert len(soup.select("article.mirna")) == len(mirnas)
    for m in mirnas.itertuples():
        art = soup.find(id=slug("mirna", m.mirbase_id))
        mine = mentions[[m.mirbase_id in split_list(x) for x in mentions["mirbase_ids"]]]
        marks = [mk.get_text() for mk in art.select("blockquote mark")]
        assert sorted(marks) == sorted(mine["text"])
        assert art.select_one(".seq mark").get_text() == m.seed
        for source in ("targetscan", "mirdb", "mirtarbase"):
            t = read_tsv(results / "targets" / f"{source}.tsv")
            genes = sorted(t[t["mirbase_id"] == m.mirbase_id]["gene_symbol"])
            tr = art.find(id=slug("mirna", m.mirbase_id, "targets", source))
            assert int(tr.find_all("td")[1].get_text()) == len(genes)
            listed = tr.find("details")
            text = listed.get_text() if listed else ""
            assert all(g in text for g in genes)
    pubmed = [a["href"] for a in soup.select('article.mirna a[href^="https://pubmed"]')]
    assert "https://pubmed.ncbi.nlm.nih.gov/30000001/" in pubmed


def test_summary_counts_match_tables(full) -> None:
    results, _, soup = full
    docs = read_tsv(results / "literature" / "documents.tsv")
    cards = {
        c.select_one(".l").get_text(): c.select_one(".n").get_text() for c in soup.select(".card")
    }
    assert int(cards["documents read"]) == (docs["status"] == "ok").sum()
    assert int(cards["documents skipped"]) == (docs["status"] != "ok").sum()
    skipped = [li.a.get_text() for li in soup.select("#skipped + ul li")]
    assert skipped == list(docs[docs["status"] != "ok"]["doc_id"])
    for tr in soup.select("#summary-targets tbody tr")[:-1]:
        source, n = tr.td.get_text(), int(tr.find_all("td")[1].get_text())
        assert n == len(read_tsv(results / "targets" / f"{source}.tsv"))
    # releases from provenance.json appear with their sha256
    prov = json.loads((results / "provenance.json").read_text())
    text = soup.select_one("#provenance").get_text()
    assert all(s["sha256"] in text for s in prov["sources"])
    assert prov["software"]["pandas"] in text


def test_workbook_and_plots(full) -> None:
    results, out, _ = full
    wb = load_workbook(out / "tables.xlsx")
    names = wb.sheetnames
    for sheet in (
        "summary",
        "findings",
        "theme_matrix",
        "documents",
        "mentions",
        "mirnas",
        "unresolved",
        "targets_mirdb",
        "targets_mirtarbase",
        "targets_targetscan",
        "consensus",
        "enrich_go_bp",
        "enrich_hallmark",
        "sources",
        "software",
        "config",
        "target_stats",
    ):
        assert sheet in names
    mentions = read_tsv(results / "mentions.tsv")
    ws = wb["mentions"]
    assert ws.max_row == len(mentions) + 1
    header = [c.value for c in next(ws.iter_rows(max_row=1))]
    assert header == list(mentions.columns)
    start = [r[header.index("start")] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert start == [int(s) for s in mentions["start"]]  # numbers are numbers
    for name in PLOTS:
        svg = (out / "plots" / f"{name}.svg").read_text()
        assert svg.lstrip().startswith("<?xml") and "<dc:date>" not in svg
        assert (out / "plots" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rerun_is_byte_identical(full, tmp_path: Path) -> None:
    results, out, _ = full
    again, _ = _build(results, tmp_path / "again")
    for rel in [
        "index.html",
        "tables.xlsx",
        *[f"plots/{p}.{e}" for p in PLOTS for e in ("svg", "png")],
    ]:
        assert (out / rel).read_bytes() == (again / rel).read_bytes(), rel


def test_text_never_becomes_a_formula(tmp_path: Path) -> None:
    results = _results(tmp_path)
    unres = read_tsv(results / "unresolved.tsv")
    unres.loc[0, "example_sentence"] = '=HYPERLINK("http://x","y")'
    write_tsv(unres, results / "unresolved.tsv")
    out, _ = _build(results)
    ws = load_workbook(out / "tables.xlsx")["unresolved"]
    cell = ws.cell(row=2, column=list(unres.columns).index("example_sentence") + 1)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_no_mirna_report(tmp_path: Path) -> None:
    results = _results(tmp_path, empty=True)
    out, soup = _build(results)
    answer = soup.select_one("#no-mirna").get_text(" ", strip=True)
    assert "No specific miRNA was found in the 2 documents read" in answer
    assert soup.select("article.mirna") == [] and soup.select("#theme-matrix") == []
    assert len(soup.select("#documents-table tbody tr")) == 2
    assert sorted(p.name for p in (out / "plots").iterdir()) == [
        "documents_per_year.png",
        "documents_per_year.svg",
    ]
    wb = load_workbook(out / "tables.xlsx")
    assert wb["mirnas"].max_row == 1 and wb["documents"].max_row == 3


def test_missing_optional_files_and_extra_columns(tmp_path: Path) -> None:
    results = _results(tmp_path, with_provenance=False)
    for rel in ("enrichment", "targets"):
        shutil.rmtree(results / rel)
    for rel in ("unresolved.tsv", "config.json"):
        (results / rel).unlink()
    mirnas = read_tsv(results / "mirnas.tsv")
    mirnas["new_column"] = "x"
    write_tsv(mirnas, results / "mirnas.tsv")
    out, soup = _build(results)
    notes = soup.select_one("ul.notes").get_text()
    assert "unresolved.tsv not found" in notes and "no enrichment tables found" in notes
    assert "provenance.json not found" in notes
    assert len(soup.select("article.mirna")) == len(mirnas)
    assert "No provenance.json was given" in soup.select_one("#provenance").get_text()


def test_falls_back_to_bh_fdr_without_empirical_column(tmp_path: Path) -> None:
    results = _results(tmp_path)
    for path in (results / "enrichment").glob("*.tsv"):
        write_tsv(read_tsv(path).drop(columns=["empirical_fdr"]), path)
    _, soup = _build(results)
    assert "empirical_fdr is empty" in soup.select_one("ul.notes").get_text()
    assert soup.select_one("#findings-table thead").get_text().count("fdr") == 1
    assert "Benjamini" in soup.select_one(".lede").get_text()


def test_cli(tmp_path: Path) -> None:
    results = _results(tmp_path)
    out = tmp_path / "cli" / "index.html"
    rc = main(
        [
            "report",
            "--results-dir",
            str(results),
            "--out",
            str(out),
            "--top",
            "1",
            "--provenance",
            str(results / "provenance.json"),
        ]
    )
    assert rc == 0 and out.stat().st_size > 10_000
    soup = BeautifulSoup(out.read_text(), "lxml")
    # --top 1 keeps the strongest row plus the rows the findings and matrix link to
    art = soup.find(id=slug("mirna", "MIMAT0000076"))
    assert len(art.select("table.enr tbody tr")) == 2
    assert main(["report", "--results-dir", str(tmp_path / "nope"), "--out", str(out)]) == 1


def test_span_and_seed_helpers() -> None:
    assert mark_spans("ab miR-21 cd", [(3, 9), (4, 6), (20, 30)]) == [
        ("ab ", False),
        ("miR-21", True),
        (" cd", False),
    ]
    assert seed_pieces("UAGCUUAUCAGACUGAUGUUGA", "AGCUUAU") == [
        ("U", False),
        ("AGCUUAU", True),
        ("CAGACUGAUGUUGA", False),
    ]
    assert slug("doc", "pmid:1") == "doc-pmid-1"
    with pytest.raises(MirlensError):
        build_report(Path("/nonexistent/results"), Path("/tmp/x.html"))


def test_uninformative_enrichment_rows_are_left_out(tmp_path: Path) -> None:
    results = _results(tmp_path)
    enr = pd.concat([read_tsv(p) for p in sorted((results / "enrichment").glob("*.tsv"))])
    dull = enr[(enr["theme"] == "") & (enr["pvalue"].astype(float) > 0.05)]
    assert len(dull) == 1  # the fixture's one dull row
    _, soup = _build(results)
    assert dull["gene_set"].iloc[0] not in soup.get_text()
    assert f"{len(dull)} enrichment rows with p > 0.05" in soup.select_one("ul.notes").get_text()
    art = soup.find(id=slug("mirna", "MIMAT0000076"))
    n_tested = (enr["scope"] == "hsa-miR-21-5p").sum()
    assert f"of {n_tested} at" in art.find(id=slug("mirna", "MIMAT0000076", "enrichment")).text
    _, soup = _build(results, tmp_path / "all", max_p=1.0)
    assert dull["gene_set"].iloc[0] in soup.get_text()


def test_no_finding_names_the_closest_per_theme(tmp_path: Path) -> None:
    results = _results(tmp_path)
    _, soup = _build(results, alpha=1e-6)
    answer = soup.select_one("p.answer.none")
    assert "no target set was enriched" in answer.get_text()
    enr = pd.concat([read_tsv(p) for p in sorted((results / "enrichment").glob("*.tsv"))])
    enr = enr[enr["scope"].str.startswith("hsa-")]
    emt = enr[enr["theme"].map(lambda t: "EMT" in split_list(t))]
    best = emt.loc[emt["empirical_fdr"].astype(float).idxmin()]
    link = answer.find("a", string=best["scope"])
    assert link is not None and soup.find(id=link["href"][1:]) is not None
    assert soup.select("#findings-table") == []
