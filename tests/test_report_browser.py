"""The report in a real browser: headless Chromium opens it from file://.

We assert no console error (CSP violations are logged as errors too), no request for
anything but the file itself (the data block is decoded in the page), the first screen's
answer per theme, and that one click on a row shows its sentences with the mention marked,
PubMed links, theme targets and gene sets. Screenshots are kept under test-artifacts/.
Sizes and load times at realistic scale are measured by bench/report_scale.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cdp import find_chromium, probe_report
from report_fixtures import make_results

from mirlens.report.build import build_report

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def chromium() -> str:
    exe = find_chromium()
    if exe is None:
        msg = "chromium is not installed (apt-get install chromium) and could not be installed"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    return exe


def _build(tmp_path: Path, empty: bool) -> Path:
    results = make_results(tmp_path / "results", empty=empty)
    out = results / "report" / "index.html"
    build_report(results, out, plots_dir=results / "report" / "plots", top=2)
    return out


def _assert_clean(facts: dict, html: Path) -> None:
    assert facts["errors"] == [], facts["errors"]
    leaving = [u for u in facts["requests"] if not u.startswith(("file:", "data:", "about:"))]
    assert leaving == [], leaving
    assert html.resolve().as_uri() in facts["requests"]
    assert facts["broken_links"] == []
    assert facts["scripts"] == 1  # the <script> inside a sentence stayed text


def test_report_answers_and_traces_in_chromium(chromium: str, tmp_path: Path) -> None:
    html = _build(tmp_path, empty=False)
    facts = probe_report(chromium, html, tmp_path / "profile", ARTIFACTS / "report-fixture")
    _assert_clean(facts, html)
    assert facts["sections"][0] == "answer"
    assert [p["theme"] for p in facts["panels"]] == ["EMT", "angiogenesis", "immune"]
    assert facts["panels"][0]["rows"] == ["hsa-miR-200c-3p", "hsa-miR-21-5p"]
    assert facts["panels"][0]["top"] < 900  # the first ranked miRNAs are on the first screen
    assert "1 miRNA at themed FDR ≤ 0.05: miR-200c-3p" in facts["verdicts"][0]
    for fig in ("heatmap", "network"):
        assert facts[fig]["w"] > 300 and facts[fig]["h"] > 50, (fig, facts[fig])
    trace = facts["trace"]
    assert trace["mirna"] == "hsa-miR-200c-3p" and trace["detail"]
    assert "miR-200c" in trace["marks"]
    assert "https://pubmed.ncbi.nlm.nih.gov/30000002/" in trace["links"]
    assert trace["genes"][:2] == ["ZEB1", "ZEB2"] and trace["stats_rows"] == 1
    assert trace["article"] == "hsa-miR-200c" and trace["article_quotes"] == 2
    assert trace["index"] == 3  # precursors: miR-21 (both arms), miR-200c, let-7a
    assert facts["all_rows"] == 3
    assert (ARTIFACTS / "report-fixture-first.png").stat().st_size > 20_000


def test_no_mirna_report_renders_in_chromium(chromium: str, tmp_path: Path) -> None:
    html = _build(tmp_path, empty=True)
    facts = probe_report(chromium, html, tmp_path / "profile", ARTIFACTS / "report-no-mirna")
    _assert_clean(facts, html)
    assert facts["panels"] == [] and facts["heatmap"] is None and facts["trace"] is None
    assert "No specific miRNA was found in the 2 documents read" in facts["no_mirna"]
