"""PubMed and Europe PMC clients against a real loopback HTTP server (tests/literature_server.py)
serving records built from the panc abstracts."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import pytest
from conftest import shared_path
from literature_server import LiteratureServer

from mirlens.cli import main
from mirlens.errors import MirlensError
from mirlens.io import read_jsonl
from mirlens.literature import europepmc, pubmed
from mirlens.literature.cache import RECORD_FIELDS
from mirlens.literature.collect import collect

FIRST, LAST = 2016, 2018  # a window holding a few dozen of the panc abstracts


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def panc_records() -> list[dict]:
    path = shared_path("data/literature/miretrieve_panc.abstracts.jsonl")
    records = []
    for i, rec in enumerate(read_jsonl(path)):
        records.append(
            {
                "pmid": rec["pmid"],
                "title": rec["title"],
                "abstract": rec["abstract"],
                "year": int(rec["year"]),
                "doi": f"10.5555/panc.{rec['pmid']}" if i % 3 == 0 else "",
                "pmcid": f"PMC9{rec['pmid']}" if i % 5 == 0 else "",
                "pmid_hidden": i % 10 == 0,  # Europe PMC knows these by PMCID only
            }
        )
    return records


@pytest.fixture
def server(panc_records):
    with LiteratureServer(panc_records) as srv:
        yield srv


def in_window(records: list[dict]) -> list[dict]:
    return [r for r in records if FIRST <= r["year"] <= LAST]


def gaps(requests) -> list[float]:
    times = [r.time for r in requests]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def pubmed_args(srv, tmp_path, **extra) -> list[str]:
    args = {
        "--query": "all",
        "--mindate": f"{FIRST}/01/01",
        "--maxdate": f"{LAST}/12/31",
        "--email": "tests@example.org",
        "--tool": "mirlens-tests",
        "--batch-size": "10",
        "--cache-dir": str(tmp_path / "cache"),
        "--out": str(tmp_path / "pubmed.jsonl"),
        "--base-url": f"{srv.url}/eutils",
    }
    args.update(extra)
    return ["pubmed"] + [x for kv in args.items() for x in kv]


def test_pubmed_all_records_in_batches_rate_limited_and_cached(server, panc_records, tmp_path):
    expected = in_window(panc_records)
    assert len(expected) > 20  # the window must need several batches
    assert main(pubmed_args(server, tmp_path)) == 0
    out = tmp_path / "pubmed.jsonl"
    records = list(read_jsonl(out))
    assert [r["doc_id"] for r in records] == sorted(r["pmid"] for r in expected)
    by_id = {r["pmid"]: r for r in expected}
    for rec in records:
        assert list(rec) == RECORD_FIELDS
        src = by_id[rec["doc_id"]]
        assert rec["pmid"] == rec["doc_id"]
        assert rec["text"] == squash(src["title"]) + "\n" + squash(src["abstract"])
        assert (rec["year"], rec["doi"], rec["source"], rec["query"]) == (
            src["year"],
            src["doi"],
            "pubmed",
            "all",
        )
    paths = [r.path for r in server.requests]
    assert paths == ["/eutils/esearch.fcgi"] + ["/eutils/efetch.fcgi"] * math.ceil(
        len(expected) / 10
    )
    fetches = [r.params for r in server.requests[1:]]
    assert [int(p["retstart"]) for p in fetches] == list(range(0, len(expected), 10))
    assert all(p["WebEnv"] and p["query_key"] == "1" for p in fetches)
    assert all(p["tool"] == "mirlens-tests" and p["email"] for p in fetches)
    assert "api_key" not in server.requests[0].params
    # at most 3 requests per second, measured on the server's side
    assert sum(gaps(server.requests)) / len(gaps(server.requests)) >= 0.33
    assert min(gaps(server.requests)) >= 0.2
    # a rerun is served from the cache: no request, identical output
    first = out.read_bytes()
    out.unlink()
    n = len(server.requests)
    assert main(pubmed_args(server, tmp_path)) == 0
    assert len(server.requests) == n
    assert out.read_bytes() == first


def test_pubmed_max_records_and_new_window_is_a_new_query(server, panc_records, tmp_path):
    records, n_requests = pubmed.fetch(
        "all",
        f"{FIRST}/01/01",
        f"{LAST}/12/31",
        email="tests@example.org",
        tool="mirlens-tests",
        cache_dir=str(tmp_path),
        max_records=15,
        batch_size=10,
        base_url=f"{server.url}/eutils",
    )
    assert len(records) == 15
    assert n_requests == 3 == len(server.requests)
    assert [int(r.params["retmax"]) for r in server.requests[1:]] == [10, 5]
    # a different window is another cache entry: it is fetched
    records, n_requests = pubmed.fetch(
        "mir-21",
        "2019/01/01",
        "2019/12/31",
        email="tests@example.org",
        tool="mirlens-tests",
        cache_dir=str(tmp_path),
        base_url=f"{server.url}/eutils",
    )
    expected = [
        r
        for r in panc_records
        if r["year"] == 2019 and "mir-21" in (r["title"] + " " + r["abstract"]).lower()
    ]
    assert n_requests == 2 and len(expected) >= 1
    assert sorted(r["doc_id"] for r in records) == sorted(r["pmid"] for r in expected)


def test_pubmed_api_key_is_sent_but_never_logged(server, tmp_path, monkeypatch, caplog):
    secret = "ncbi-secret-key-0123456789"
    monkeypatch.setenv("NCBI_API_KEY", secret)
    caplog.set_level(logging.DEBUG)
    assert main(pubmed_args(server, tmp_path, **{"--batch-size": "5"})) == 0
    assert len(server.requests) > 3
    assert all(r.params.get("api_key") == secret for r in server.requests)
    assert all(r.method == "POST" for r in server.requests)
    assert not any(secret in r.request_line for r in server.requests)
    assert not any(secret in line for line in server.access_log)
    assert secret not in caplog.text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(encoding="utf-8"), path
    # with a key: at most 10 requests per second
    assert sum(gaps(server.requests)) / len(gaps(server.requests)) >= 0.1


def test_pubmed_server_errors_are_retried_then_clear(server, tmp_path):
    server.fail_next = 1  # one 503 is retried by the session
    records, _ = pubmed.fetch(
        "all",
        "2019/01/01",
        "2019/12/31",
        email="tests@example.org",
        tool="mirlens-tests",
        cache_dir=str(tmp_path / "a"),
        base_url=f"{server.url}/eutils",
    )
    assert records
    assert [r.path for r in server.requests[:2]] == ["/eutils/esearch.fcgi"] * 2
    with pytest.raises(MirlensError, match="HTTP 404"):
        pubmed.fetch(
            "all",
            "2019/01/01",
            "2019/12/31",
            email="tests@example.org",
            tool="t",
            cache_dir=str(tmp_path / "b"),
            base_url=f"{server.url}/nowhere",
        )
    assert not (tmp_path / "b" / "pubmed").exists() or not any((tmp_path / "b").rglob("*.json"))


def test_pubmed_window_over_the_fetch_limit_is_split_by_date(
    server, panc_records, tmp_path, monkeypatch
):
    expected = sorted(r["pmid"] for r in panc_records if r["year"] == 2012)
    assert len(expected) > 15
    server.max_fetch = 15
    kwargs = dict(email="e@example.org", tool="t", base_url=f"{server.url}/eutils")
    # without splitting, the server refuses to hand out records beyond its limit
    with pytest.raises(MirlensError, match="HTTP 400"):
        pubmed.fetch("all", "2012", "2012", cache_dir=str(tmp_path / "a"), **kwargs)
    monkeypatch.setattr(pubmed, "PUBMED_MAX", 15)
    n = len(server.requests)
    records, _ = pubmed.fetch("all", "2012", "2012", cache_dir=str(tmp_path / "b"), **kwargs)
    assert sorted(r["doc_id"] for r in records) == expected
    searches = [r.params for r in server.requests[n:] if r.path.endswith("esearch.fcgi")]
    assert len(searches) >= 3  # the whole year, then its halves
    assert (searches[0]["mindate"], searches[0]["maxdate"]) == ("2012/01/01", "2012/12/31")
    parts = [(p["mindate"], p["maxdate"]) for p in searches[1:]]
    assert parts[0][0] == "2012/01/01" and parts[-1][1] == "2012/12/31"
    fetches = [r.params for r in server.requests[n:] if r.path.endswith("efetch.fcgi")]
    assert all(int(p["retstart"]) + int(p["retmax"]) <= 15 for p in fetches)
    # a single day beyond the limit cannot be split: a clear error
    monkeypatch.setattr(pubmed, "PUBMED_MAX", 0)
    day = server.pub_date(next(r for r in panc_records if r["year"] == 2012))
    stamp = day.strftime("%Y/%m/%d")
    with pytest.raises(MirlensError, match="single day"):
        pubmed.fetch("all", stamp, stamp, cache_dir=str(tmp_path / "c"), **kwargs)


def test_pubmed_rate_limit_is_shared_by_concurrent_runs(server, tmp_path):
    import threading

    def run(year: int) -> None:
        pubmed.fetch(
            "all",
            f"{year}",
            f"{year}",
            email="e@example.org",
            tool="t",
            cache_dir=str(tmp_path),  # the same cache folder: one shared limit
            batch_size=10,
            base_url=f"{server.url}/eutils",
        )

    threads = [threading.Thread(target=run, args=(year,)) for year in (2010, 2011)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    searches = [r.params for r in server.requests if r.path.endswith("esearch.fcgi")]
    assert sorted(p["mindate"][:4] for p in searches) == ["2010", "2011"]
    assert len(server.requests) >= 6
    # two clients at once, still at most 3 requests per second between them
    assert sum(gaps(server.requests)) / len(gaps(server.requests)) >= 0.33
    assert min(gaps(server.requests)) >= 0.25


def test_pubmed_cli_as_the_workflow_calls_it(server, panc_records, tmp_path, monkeypatch, caplog):
    # The rule passes config values as they are: max_records 0 (no cap), empty e-mail
    # (then $MIRLENS_EMAIL is used; with none at all the query still runs, with a warning).
    args = pubmed_args(server, tmp_path, **{"--max-records": "0", "--batch-size": "200"})
    args[args.index("--email") + 1] = ""
    monkeypatch.delenv("MIRLENS_EMAIL", raising=False)
    with caplog.at_level(logging.WARNING):
        assert main(args + ["--cache-dir", str(tmp_path / "nomail")]) == 0
    assert "no contact e-mail" in caplog.text
    assert server.requests and all("email" not in r.params for r in server.requests)
    server.requests.clear()
    monkeypatch.setenv("MIRLENS_EMAIL", "env@example.org")
    assert main(args) == 0
    assert len(list(read_jsonl(tmp_path / "pubmed.jsonl"))) == len(in_window(panc_records))
    assert server.requests[0].params["email"] == "env@example.org"


def test_pubmed_dates_are_checked():
    for bad in ("2019-01-01", "2019/13", "2019/02/30"):
        with pytest.raises(MirlensError, match="--mindate"):
            pubmed.fetch("all", bad, "2020", email="e", tool="t", cache_dir=".")
    with pytest.raises(MirlensError, match="after"):
        pubmed.fetch("all", "2020", "2019", email="e", tool="t", cache_dir=".")


def epmc_args(srv, tmp_path, **extra) -> list[str]:
    args = {
        "--query": "all",
        "--from-date": f"{FIRST}-01-01",
        "--to-date": f"{LAST}-12-31",
        "--page-size": "10",
        "--cache-dir": str(tmp_path / "cache"),
        "--out": str(tmp_path / "europepmc.jsonl"),
        "--base-url": f"{srv.url}/europepmc",
    }
    args.update(extra)
    return ["europepmc"] + [x for kv in args.items() for x in kv]


def test_europepmc_cursor_paging_ids_and_cache(server, panc_records, tmp_path):
    expected = in_window(panc_records)
    assert main(epmc_args(server, tmp_path)) == 0
    out = tmp_path / "europepmc.jsonl"
    records = list(read_jsonl(out))

    def want_id(r: dict) -> str:
        return r["pmcid"] if r["pmid_hidden"] else r["pmid"]

    assert [r["doc_id"] for r in records] == sorted(want_id(r) for r in expected)
    assert any(r["doc_id"].startswith("PMC") for r in records)
    by_id = {want_id(r): r for r in expected}
    for rec in records:
        src = by_id[rec["doc_id"]]
        assert list(rec) == RECORD_FIELDS
        assert rec["text"] == squash(src["title"]) + "\n" + squash(src["abstract"])
        assert (rec["year"], rec["doi"], rec["source"]) == (src["year"], src["doi"], "europepmc")
        assert rec["pmid"] == ("" if src["pmid_hidden"] else src["pmid"])
    pages = math.ceil(len(expected) / 10)
    cursors = [r.params["cursorMark"] for r in server.requests]
    assert len(server.requests) == pages + 1  # the last, empty page repeats its cursor
    assert cursors[0] == "*" and len(set(cursors)) == len(cursors)
    q = server.requests[0].params["query"]
    assert q == f"(all) AND FIRST_PDATE:[{FIRST}-01-01 TO {LAST}-12-31]"
    first = out.read_bytes()
    n = len(server.requests)
    assert main(epmc_args(server, tmp_path)) == 0
    assert len(server.requests) == n
    assert out.read_bytes() == first


def test_europepmc_checks_dates_and_treats_zero_as_no_cap(server, panc_records, tmp_path):
    with pytest.raises(MirlensError, match="after"):
        europepmc.fetch("all", "2019-01-01", "2018-01-01", cache_dir=str(tmp_path))
    with pytest.raises(MirlensError, match="--from-date"):
        europepmc.fetch("all", "2019/01/01", "2019-12-31", cache_dir=str(tmp_path))
    assert server.requests == []
    assert main(epmc_args(server, tmp_path, **{"--max-records": "0", "--page-size": "1000"})) == 0
    assert len(list(read_jsonl(tmp_path / "europepmc.jsonl"))) == len(in_window(panc_records))


def test_europepmc_max_records_and_html_markup(server, panc_records, tmp_path):
    marked = dict(panc_records[1], year=2000)
    marked["title"] = "Loss of <i>miR-217</i> in PDAC"
    marked["abstract"] = "<h4>Background</h4>miR-21 <sup>high</sup>.<h4>Results</h4>KRAS."
    server.records = [marked] + [r for r in panc_records if r["pmid"] != marked["pmid"]]
    records, n_requests = europepmc.fetch(
        "all",
        "2000-01-01",
        "2000-12-31",
        cache_dir=str(tmp_path),
        base_url=f"{server.url}/europepmc",
    )
    assert [r["text"] for r in records if r["doc_id"] in (marked["pmid"], marked["pmcid"])] == [
        "Loss of miR-217 in PDAC\nBackground\nmiR-21 high.\nResults\nKRAS."
    ]
    records, n_requests = europepmc.fetch(
        "all",
        f"{FIRST}-01-01",
        f"{LAST}-12-31",
        cache_dir=str(tmp_path),
        max_records=15,
        page_size=10,
        base_url=f"{server.url}/europepmc",
    )
    assert len(records) == 15 and n_requests == 2
    assert [r.params["pageSize"] for r in server.requests[-2:]] == ["10", "5"]


def test_collect_reads_both_clients_outputs_and_merges_same_articles(server, tmp_path):
    assert main(pubmed_args(server, tmp_path, **{"--batch-size": "50"})) == 0
    assert main(epmc_args(server, tmp_path, **{"--page-size": "100"})) == 0
    pm = {r["doc_id"] for r in read_jsonl(tmp_path / "pubmed.jsonl")}
    ep = {r["doc_id"] for r in read_jsonl(tmp_path / "europepmc.jsonl")}
    table = collect([tmp_path / "pubmed.jsonl", tmp_path / "europepmc.jsonl"], 4, tmp_path / "c")
    ok = table[table["status"] == "ok"]
    assert set(ok["doc_id"]) == pm | ep
    dup = table[table["status"] != "ok"]
    assert set(dup["doc_id"]) == pm & ep
    assert dup["status"].str.startswith("skipped: duplicate doc_id, same text").all()
    # the first by path wins: europepmc.jsonl sorts before pubmed.jsonl
    assert set(ok.loc[ok["doc_id"].isin(pm - ep), "source"]) == {"pubmed"}
    assert set(ok.loc[ok["doc_id"].isin(ep), "source"]) == {"europepmc"}
    assert pm - ep and pm & ep
    assert json.loads((tmp_path / "cache" / "pubmed").glob("*.json").__next__().read_text())[
        "n_records"
    ] == len(pm)
    assert all(Path(p).name in ("pubmed.jsonl", "europepmc.jsonl") for p in table["path"])
