"""Long steps say what they do: release parsing logs each file it reads and its row count."""

from __future__ import annotations

import logging

from conftest import REPO

from mirlens.targets import read_delimited

FIXTURE = REPO / "tests/fixtures/targets/miRDB_v6.0_prediction_result.txt"


def test_release_reading_logs_file_and_rows(caplog):
    caplog.set_level(logging.INFO, logger="mirlens.targets")
    tab = read_delimited(FIXTURE, column_names=["mirna", "refseq", "score"])
    n_lines = len(FIXTURE.read_text().splitlines())
    assert tab.num_rows == n_lines > 0
    text = caplog.text
    assert f"reading {FIXTURE.name}" in text
    assert f"{FIXTURE.name}: {n_lines} rows read" in text
