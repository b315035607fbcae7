"""The HTML report, workbook and figures built from a contract-shaped results folder."""

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
from mirlens.io import read_tsv, write_tsv
from mirlens.provenance import build_provenance, write_provenance
from mirlens.report.build import build_report
from mirlens.report.data import clip_sentence, unpack
from mirlens.report.fmt import fmt_p, precursor
from mirlens.report.xlsx import build_tables

SECTIONS = ["answer", "figures", "mirnas", "documents", "unresolved", "files", "provenance"]


def _results(tmp_path: Path, empty: bool = False) -> Path:
    results = make_results(tmp_path / "results", empty=empty)
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
    build_report(results, out / "index.html", out / "plots", **kwargs)
    page_only = ("mentions", "cache_dir")
    build_tables(
        results, out / "tables.xlsx", **{k: v for k, v in kwargs.items() if k not in page_only}
    )
    return out, BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "lxml")


def _data(soup: BeautifulSoup) -> dict:
    return unpack(soup.find("script", id="mirlens-data").string)


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, BeautifulSoup]:
    tmp = tmp_path_factory.mktemp("full")
    results = _results(tmp)
    out, soup = _build(results)
    return results, out, soup


def test_one_offline_file(full) -> None:
    _, out, soup = full
    assert [s.get("id") for s in soup.select("main > section")] == SECTIONS
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert "default-src 'none'" in csp["content"]
    assert soup.find("link") is None and soup.find_all(src=True) == []
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "@import" not in html and "url(http" not in html
    # one executable script; the data block is inert (and compressed)
    assert len(soup.select("script:not([type])")) == 1
    assert soup.find("script", id="mirlens-data")["type"] == "application/octet-stream"
    ids = [t["id"] for t in soup.find_all(id=True)]
    assert len(ids) == len(set(ids))
    assert all(soup.find(id=a["href"][1:]) for a in soup.select('a[href^="#"]'))


def test_first_screen_answers_per_theme(full) -> None:
    results, _, soup = full
    ev = read_tsv(results / "evidence.tsv")
    panels = soup.select(".theme-panel")
    assert [p["data-theme"] for p in panels] == ["EMT", "angiogenesis", "immune"]
    for panel in panels:
        theme = panel["data-theme"]
        ranked = list(ev.loc[ev["theme"] == theme, "mirna"])
        assert [r["data-mirna"] for r in panel.select("tr.ev-row")] == ranked
    emt = soup.select_one('#verdicts li[data-theme="EMT"]').get_text(" ", strip=True)
    assert "1 miRNA at themed FDR ≤ 0.05: miR-200c-3p" in emt
    assert "1 miRNA is named in EMT context" in emt
    assert "HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION p 0.001, FDR 0.01" in emt
    row = panels[0].select_one("tr.ev-row")
    cells = [c.get_text(" ", strip=True) for c in row.find_all("td")]
    assert cells[:5] == ["1", "hsa-miR-200c-3p", "2", "1", "ZEB1"]
    assert cells[5] == "0.002"


def test_none_is_said_plainly(tmp_path: Path) -> None:
    results = _results(tmp_path)
    _, soup = _build(results, alpha=0.001)
    immune = soup.select_one('#verdicts li[data-theme="immune"]')
    text = immune.get_text(" ", strip=True)
    assert "None at themed FDR ≤ 0.001" in text and "No miRNA is named in immune context" in text
    assert "none" in immune["class"]


def test_rows_trace_to_sentences_targets_and_sets(full) -> None:
    _, _, soup = full
    d = _data(soup)
    emt = {r[1]: r for r in d["ev"]["EMT"]}
    row = emt["hsa-miR-200c-3p"]
    assert [d["docs"][i][0] for i in row[4]] == ["pmid:30000002"]
    group = d["g"][d["m"]["hsa-miR-200c-3p"][0]]
    quoted = {d["docs"][q[0]][0]: q for q in group["s"]}
    text, spans = quoted["pmid:30000002"][1:]
    assert text == SCRIPT_SENTENCE and text[spans[0] : spans[1]] == "miR-200c"
    # theme targets and gene-set rows of the miRNA, genes in evidence order
    assert [g[0] for g in d["tt"]["hsa-miR-200c-3p"]["EMT"]["g"]] == ["ZEB1", "ZEB2"]
    sets = {r[1]: r for r in d["st"]["hsa-miR-200c-3p"]}
    hallmark = sets["HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION"]
    assert hallmark[:8] == ["hallmark", hallmark[1], "EMT", "themed", 2, 200, 0.0001, 0.002]
    assert d["docs"][row[4][0]][3] == "30000002"  # PMID for the PubMed link


def test_arms_together_sentences_once(full) -> None:
    _, _, soup = full
    d = _data(soup)
    g = d["g"]["hsa-miR-21"]
    assert g["arms"] == ["hsa-miR-21-3p", "hsa-miR-21-5p"]
    sentences = [q[1] for q in g["s"]]
    assert len(sentences) == len(set(sentences)) == 2  # S1 and S2, each once
    s1 = next(q for q in g["s"] if q[1].startswith("MiR-21 was"))
    marked = [s1[1][a:b] for a, b in zip(s1[2][::2], s1[2][1::2], strict=True)]
    assert marked == ["MiR-21", "miR-21"]
    assert (
        precursor("hsa-let-7a-5p") == "hsa-let-7a" and precursor("hsa-miR-9500") == "hsa-miR-9500"
    )


def test_targets_in_evidence_order_not_alphabetical(full) -> None:
    _, _, soup = full
    top = _data(soup)["t"]["hsa-miR-200c-3p"]
    # ZEB1: validated (reporter assay) in 3 sources; ZEB2: 2 sources; then mirDB score order
    assert [g[0] for g in top["top"]] == ["ZEB1", "ZEB2", "CD274", "VEGFA"]
    assert top["top"][0][1:] == [2, 3] and top["nv"] == 1


def test_readable_numbers_and_lists(tmp_path: Path) -> None:
    assert [fmt_p(v) for v in (0.0123, 0.5, 1.0, 4.2e-5, 1e-294, 0.0, None)] == [
        "0.012",
        "0.5",
        "1",
        "4.2e-5",
        "1.0e-294",
        "< 1e-300",
        "–",
    ]
    results = _results(tmp_path)
    ev = read_tsv(results / "evidence.tsv")
    genes = [f"GENE{i:02d}" for i in range(30)]
    ev.loc[0, ["validated_theme_targets", "n_validated_theme_targets"]] = [";".join(genes), "30"]
    ev.loc[0, "themed_fdr"] = "1e-320"
    write_tsv(ev, results / "evidence.tsv")
    _, soup = _build(results)
    row = soup.select_one("tr.ev-row")
    assert len(row.select(".gene")) == 6 and "+24 more" in row.get_text()
    assert row.find_all("td")[5].get_text() == "< 1e-300"
    long = "x" * 2000 + " miR-21 " + "y" * 2000
    text, spans = clip_sentence(long, [2001, 2007])
    assert len(text) <= 602 and text[spans[0] : spans[1]] == "miR-21"


def test_figures_from_the_evidence_table(full) -> None:
    _, out, soup = full
    heat = soup.select_one("#fig-heatmap svg")
    cells = {(c["data-mirna"], c["data-theme"]) for c in heat.select("g.cell")}
    assert ("hsa-miR-200c-3p", "EMT") in cells and len(cells) == 9
    assert "FDR 0.002 · 1 doc" in heat.get_text()
    net = soup.select_one("#fig-network svg")
    assert {n["data-mirna"] for n in net.select("g.node")} == {"hsa-miR-200c-3p", "hsa-miR-21-5p"}
    assert sorted(p.name for p in (out / "plots").iterdir()) == ["heatmap.svg", "network.svg"]


def test_heatmap_shows_the_top_rows_only(tmp_path: Path) -> None:
    results = _results(tmp_path)
    ev = read_tsv(results / "evidence.tsv")
    many = pd.concat(
        [
            ev.assign(mirna=ev["mirna"] + f"-x{i}", rank=ev["rank"].astype(int) + 3 * i)
            for i in range(300)
        ]
    )
    write_tsv(many, results / "evidence.tsv")
    _, soup = _build(results)
    rows = {c["data-mirna"] for c in soup.select("#fig-heatmap g.cell")}
    assert len(rows) == 40 and "hsa-miR-200c-3p-x0" in rows
    assert len(soup.select('.theme-panel[data-theme="EMT"] tr.ev-row')) == 10
    assert "show all 900 miRNAs" in soup.select_one('button.more[data-theme="EMT"]').get_text()


def test_markup_in_data_stays_text(full) -> None:
    _, out, soup = full
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<i>in vivo</i>" not in html
    titles = [doc[1] for doc in _data(soup)["docs"]]
    assert "miR-200c restrains EMT <i>in vivo</i>" in titles  # rendered with textContent


def test_workbook_holds_the_summaries(full) -> None:
    results, out, _ = full
    wb = load_workbook(out / "tables.xlsx", read_only=True)
    assert wb.sheetnames == ["about", "evidence", "findings", "set_level", "targets_reported"]
    rows = list(wb["evidence"].values)
    assert len(rows) - 1 == len(read_tsv(results / "evidence.tsv"))
    targets = [r for r in wb["targets_reported"].values][1:]
    mine = [r[1] for r in targets if r[0] == "hsa-miR-200c-3p"]
    assert mine == ["ZEB1", "ZEB2", "CD274", "VEGFA"]
    about = dict(list(wb["about"].values)[1:])
    assert about["mentions"] == "results/mentions.tsv"
    findings = list(wb["findings"].values)
    assert findings[0][:2] == ("mirna", "hypothesis") and all(r[1] for r in findings[1:])


def test_rerun_is_byte_identical(full, tmp_path: Path) -> None:
    results, out, _ = full
    again, _ = _build(results, tmp_path / "again")
    for rel in ("index.html", "tables.xlsx", "plots/heatmap.svg", "plots/network.svg"):
        assert (again / rel).read_bytes() == (out / rel).read_bytes(), rel


def test_compiled_template_cache_gives_the_same_page(full, tmp_path: Path) -> None:
    """The page template compiled once into --cache-dir, then read from there: same bytes."""
    results, out, _ = full
    cache = tmp_path / "cache"
    for i in range(2):
        again, _ = _build(results, tmp_path / str(i), cache_dir=cache)
        assert (again / "index.html").read_bytes() == (out / "index.html").read_bytes()
        assert len(list(cache.glob("*.cache"))) == 1


def test_summarised_targets_give_the_same_files(full, tmp_path: Path) -> None:
    """`report-targets` once, then `report` and `tables` reading it: the same page and
    workbook as computed in one go; a summary made for another FDR is refused."""
    results, out, _ = full
    fasta = tmp_path / "mirnas.fa"
    m = read_tsv(results / "mirnas.tsv")
    fasta.write_text(
        "".join(f">{n} {i}\n{q}\n" for n, i, q in m[["name", "mirbase_id", "sequence"]].values)
    )
    s = tmp_path / "s"
    args = ["--results-dir", str(results), "--mirnas", str(fasta)]
    args += ["--out", str(s / "targets.json.gz"), "--tables-out", str(s / "top.tsv")]
    assert main(["report-targets", *args]) == 0
    build_report(results, s / "index.html", s / "plots", targets_summary=s / "targets.json.gz")
    build_tables(results, s / "tables.xlsx", targets=s / "top.tsv")
    for rel in ("index.html", "tables.xlsx"):
        assert (s / rel).read_bytes() == (out / rel).read_bytes(), rel
    with pytest.raises(MirlensError, match="made for FDR 0.05, not 0.1"):
        build_report(results, s / "x.html", alpha=0.1, targets_summary=s / "targets.json.gz")


def test_text_never_becomes_a_formula(tmp_path: Path) -> None:
    results = _results(tmp_path)
    ev = read_tsv(results / "evidence.tsv")
    ev.loc[0, "best_gene_set"] = '=HYPERLINK("http://x")'
    write_tsv(ev, results / "evidence.tsv")
    out, _ = _build(results)
    ws = load_workbook(out / "tables.xlsx")["evidence"]
    cells = [c for row in ws.iter_rows() for c in row if c.value and str(c.value).startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells)


def test_no_mirna_report(tmp_path: Path) -> None:
    results = _results(tmp_path, empty=True)
    _, soup = _build(results)
    text = soup.select_one("#no-mirna").get_text(" ", strip=True)
    assert "No specific miRNA was found in the 2 documents read" in text
    assert soup.select(".theme-panel tr.ev-row") == []


def test_tolerant_loader(tmp_path: Path) -> None:
    """Without claims (empty or absent column), set-level tables or the evidence table."""
    results = _results(tmp_path)
    ev = read_tsv(results / "evidence.tsv").drop(columns=["claimed_theme_genes"])
    write_tsv(ev.assign(extra="x"), results / "evidence.tsv")
    for p in (results / "enrichment").glob("*.set_level.tsv"):
        p.unlink()
    _, soup = _build(results)
    assert len(soup.select(".theme-panel")) == 3
    assert "no set-level test in this run" in soup.select_one(".setlevel").get_text()
    (results / "evidence.tsv").unlink()
    _, soup = _build(results)
    assert "No evidence table" in soup.select_one("#no-evidence").get_text()
    assert "evidence.tsv not found" in soup.select_one(".notes").get_text()
    shutil.rmtree(results / "literature")
    with pytest.raises(MirlensError, match="documents.tsv"):
        _build(results)


def test_claims_column_is_shown(tmp_path: Path) -> None:
    results = _results(tmp_path)
    ev = read_tsv(results / "evidence.tsv")
    ev.loc[0, "claimed_theme_genes"] = "ZEB1;CDH1"
    write_tsv(ev, results / "evidence.tsv")
    _, soup = _build(results)
    assert "claimed: ZEB1 CDH1" in soup.select_one("tr.ev-row").get_text(" ", strip=True)


def test_cli(tmp_path: Path) -> None:
    results = _results(tmp_path)
    out = tmp_path / "cli"
    code = main(
        ["report", "--results-dir", str(results), "--out", str(out / "index.html")]
        + ["--plots-dir", str(out / "plots"), "--top", "2"]
    )
    assert code == 0
    assert main(["tables", "--results-dir", str(results), "--out", str(out / "t.xlsx")]) == 0
    assert load_workbook(out / "t.xlsx", read_only=True).sheetnames[0] == "about"
    soup = BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "lxml")
    assert len(soup.select('.theme-panel[data-theme="EMT"] tr.ev-row')) == 2
    assert re.search(r"mirlens \S+", soup.find("meta", attrs={"name": "generator"})["content"])


def test_user_themes_get_their_own_panel(tmp_path: Path) -> None:
    results = _results(tmp_path)
    ev = read_tsv(results / "evidence.tsv")
    extra = ev[ev["theme"] == "EMT"].assign(theme="stemness", themed_fdr="", best_gene_set="")
    write_tsv(pd.concat([ev, extra]), results / "evidence.tsv")
    config = json.loads((results / "config.json").read_text())
    config["enrichment"]["themes"] = {t: {} for t in ("EMT", "stemness", "angiogenesis", "immune")}
    (results / "config.json").write_text(json.dumps(config))
    _, soup = _build(results)
    panels = [p["data-theme"] for p in soup.select(".theme-panel")]
    assert panels == ["EMT", "stemness", "angiogenesis", "immune"]  # the configured order
    verdict = soup.select_one('#verdicts li[data-theme="stemness"]').get_text(" ", strip=True)
    assert "None at themed FDR ≤ 0.05" in verdict
