"""`mirlens europepmc`: a Europe PMC query pinned to a date window, cached per query.

REST ``search`` with ``format=json`` and ``resultType=core`` (abstracts included), paged
with ``cursorMark`` (``*`` first; the last page repeats its cursor). The date window is
part of the query (``FIRST_PDATE:[a TO b]``), as Europe PMC has no separate date filter.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
from collections.abc import Iterator
from datetime import date

import requests

from mirlens.errors import MirlensError
from mirlens.http import DEFAULT_TIMEOUT, RateLimiter, make_session
from mirlens.io import write_jsonl
from mirlens.literature import cache
from mirlens.literature.readers import html_text, parse_year

log = logging.getLogger(__name__)

EUROPEPMC_BASE = "https://www.ebi.ac.uk/europepmc/webservices/rest"
# Europe PMC publishes no hard limit; stay polite.
RATE = 5.0
MAX_PAGE_SIZE = 1000
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STRAY_LT = re.compile(r"<(?!/?[A-Za-z])")


def windowed_query(query: str, from_date: str, to_date: str) -> str:
    return f"({query}) AND FIRST_PDATE:[{from_date} TO {to_date}]"


def _plain(markup: object) -> str:
    """Europe PMC titles and abstracts carry HTML (<i>, <sup>, <h4>Background</h4>)."""
    text = "" if markup is None else str(markup)
    if "<" not in text and "&" not in text:
        return " ".join(text.split())
    # A "<" that opens no tag is text ("p < 0.05", "</=5 yr"): escape it before parsing.
    text = STRAY_LT.sub("&lt;", text)
    return html_text(f"<div>{text}</div>")[1]


def to_record(result: dict, query: str) -> dict | None:
    """Our record form of one Europe PMC ``core`` result, or None when it has no text."""
    pmid, pmcid = str(result.get("pmid") or ""), str(result.get("pmcid") or "")
    doi = str(result.get("doi") or "")
    doc_id = pmid or pmcid or doi or f"{result.get('source', '')}:{result.get('id', '')}"
    title = " ".join(_plain(result.get("title")).split())
    abstract = _plain(result.get("abstractText"))
    text = "\n".join(part for part in (title, abstract) if part)
    if not text:
        return None
    year = parse_year(result.get("pubYear")) or parse_year(result.get("firstPublicationDate"))
    return {
        "doc_id": doc_id,
        "pmid": pmid,
        "doi": doi,
        "title": title,
        "year": year,
        "text": text,
        "source": "europepmc",
        "query": query,
    }


class EuropePMCClient:
    def __init__(self, base_url: str = EUROPEPMC_BASE, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.session = session or make_session()
        self.limiter = RateLimiter(RATE)
        self.n_requests = 0

    def page(self, query: str, cursor: str, page_size: int) -> dict:
        url = f"{self.base_url}/search"
        params = {
            "query": query,
            "format": "json",
            "resultType": "core",
            "pageSize": page_size,
            "cursorMark": cursor,
        }
        self.limiter.wait()
        self.n_requests += 1
        try:
            response = self.session.get(url, params=params, timeout=DEFAULT_TIMEOUT)
        except requests.RequestException as exc:
            raise MirlensError(f"Europe PMC search failed: {type(exc).__name__} ({url})") from None
        if response.status_code != 200:
            raise MirlensError(
                f"Europe PMC search failed: HTTP {response.status_code} from {url}: "
                f"{response.text[:200]!r}"
            )
        try:
            return response.json()
        except json.JSONDecodeError:
            raise MirlensError(f"Europe PMC returned invalid JSON from {url}") from None


def search(
    client: EuropePMCClient,
    query: str,
    from_date: str,
    to_date: str,
    max_records: int | None = None,
    page_size: int = 100,
) -> Iterator[dict]:
    full = windowed_query(query, from_date, to_date)
    cursor, n = "*", 0
    while max_records is None or n < max_records:
        size = page_size if max_records is None else min(page_size, max_records - n)
        body = client.page(full, cursor, size)
        if cursor == "*":
            log.info("Europe PMC: %s records for %r", body.get("hitCount"), full)
        results = (body.get("resultList") or {}).get("result") or []
        for result in results:
            if max_records is not None and n >= max_records:
                break
            record = to_record(result, query)
            if record is None:
                log.warning("Europe PMC record %s has no text; left out", result.get("id"))
                continue
            n += 1
            yield record
        next_cursor = body.get("nextCursorMark")
        if not results or not next_cursor or next_cursor == cursor:
            break
        cursor = next_cursor


def check_date(value: str, flag: str) -> date:
    try:
        if DATE_RE.match(value):
            return date.fromisoformat(value)
    except ValueError as exc:
        raise MirlensError(f"{flag}: invalid date {value!r} ({exc})") from None
    raise MirlensError(f"{flag} must be YYYY-MM-DD (got {value!r})")


def fetch(
    query: str,
    from_date: str,
    to_date: str,
    *,
    cache_dir: str,
    max_records: int | None = None,
    page_size: int = 100,
    base_url: str = EUROPEPMC_BASE,
) -> tuple[list[dict], int]:
    """Records of a query, from the cache when it was run before; (records, n_requests)."""
    if not query.strip():
        raise MirlensError("the Europe PMC query is empty")
    if check_date(from_date, "--from-date") > check_date(to_date, "--to-date"):
        raise MirlensError(f"--from-date {from_date} is after --to-date {to_date}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise MirlensError(f"--page-size must be within 1..{MAX_PAGE_SIZE} (got {page_size})")
    params = {
        "query": query,
        "from_date": from_date,
        "to_date": to_date,
        "max_records": max_records,
    }
    key = cache.query_key("europepmc", **params)
    cached = cache.load(cache_dir, "europepmc", key)
    if cached is not None:
        return cached, 0
    client = EuropePMCClient(base_url=base_url)
    found = search(client, query, from_date, to_date, max_records, page_size)
    records = cache.sort_records(list(found))
    cache.store(cache_dir, "europepmc", key, records, {**params, "service": "europepmc"})
    return records, client.n_requests


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--query", required=True, help="Europe PMC query syntax")
    parser.add_argument("--from-date", required=True, help="first publication date, YYYY-MM-DD")
    parser.add_argument("--to-date", required=True, help="last publication date, YYYY-MM-DD")
    parser.add_argument(
        "--max-records", type=int, default=0, help="cap on records fetched (0: no cap)"
    )
    parser.add_argument("--page-size", type=int, default=100, help="records per page (max 1000)")
    parser.add_argument("--cache-dir", required=True, help="per-query cache folder")
    parser.add_argument("--out", required=True, help="output JSONL, one record per article")
    parser.add_argument(
        "--base-url", default="", help="Europe PMC REST base URL (empty: Europe PMC's)"
    )


def run(args: argparse.Namespace) -> int:
    records, n_requests = fetch(
        args.query,
        args.from_date,
        args.to_date,
        cache_dir=args.cache_dir,
        max_records=args.max_records if args.max_records and args.max_records > 0 else None,
        page_size=args.page_size,
        base_url=args.base_url or EUROPEPMC_BASE,
    )
    write_jsonl(records, args.out)
    log.info("Europe PMC: %d records -> %s (%d requests)", len(records), args.out, n_requests)
    return 0
