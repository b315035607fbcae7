"""`mirlens pubmed`: a PubMed query pinned to a publication-date window, cached per query.

E-utilities protocol as Bio.Entrez speaks it: ``esearch`` with ``usehistory=y`` and
``datetype=pdat``, then ``efetch`` in batches from the history server (``WebEnv`` +
``query_key``, ``rettype=abstract``, ``retmode=xml``), sending ``tool``, ``email`` and the
API key from ``NCBI_API_KEY``. Biopython 1.88's Bio.Entrez hard-codes each E-utility URL,
so a mirror or a test server could not be used; requests go through ``mirlens.http``
(urllib3 retries) instead. They are POSTs, so the API key is never part of a URL that
urllib3, a proxy or a server access log would write down. The efetch XML is parsed by
the (defused) PubMed XML reader, so a file of efetch output and a query give the same
Documents.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
from collections.abc import Iterator

import requests

from mirlens.errors import MirlensError
from mirlens.http import DEFAULT_TIMEOUT, RateLimiter, make_session
from mirlens.io import write_jsonl
from mirlens.literature import cache
from mirlens.literature.readers import SkipDocument, parse_xml, pubmed_documents

log = logging.getLogger(__name__)

EUTILS_BASE = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
API_KEY_ENV = "NCBI_API_KEY"
# NCBI allows 3 requests/s (10 with a key) and counts arrivals; like Biopython (0.37 s),
# keep a margin so that network jitter never pushes two requests closer than allowed.
RATE_NO_KEY = 2.7
RATE_WITH_KEY = 9.0
# PubMed's E-utilities return at most the first 10,000 records of a search.
PUBMED_MAX = 10_000
DATE_RE = re.compile(r"^\d{4}(/\d{2}(/\d{2})?)?$")


class EntrezClient:
    """The few E-utilities calls we need, rate limited, with Entrez's identifying params."""

    def __init__(
        self,
        email: str,
        tool: str,
        api_key: str | None = None,
        base_url: str = EUTILS_BASE,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.identity = {"tool": tool, "email": email}
        self._api_key = api_key or None
        self.session = session or make_session()
        self.limiter = RateLimiter(RATE_WITH_KEY if self._api_key else RATE_NO_KEY)
        self.n_requests = 0

    def call(self, utility: str, params: dict[str, object]) -> bytes:
        data = {**params, **self.identity}
        if self._api_key:
            data["api_key"] = self._api_key
        url = f"{self.base_url}/{utility}.fcgi"
        self.limiter.wait()
        self.n_requests += 1
        log.debug("E-utilities %s %s", utility, {k: v for k, v in params.items()})
        try:
            response = self.session.post(url, data=data, timeout=DEFAULT_TIMEOUT)
        except requests.RequestException as exc:
            raise MirlensError(f"PubMed {utility} failed: {type(exc).__name__} ({url})") from None
        if response.status_code != 200:
            raise MirlensError(
                f"PubMed {utility} failed: HTTP {response.status_code} from {url}: "
                f"{response.text[:200]!r}"
            )
        return response.content

    def xml(self, utility: str, params: dict[str, object]):
        try:
            return parse_xml(self.call(utility, params))
        except SkipDocument as exc:
            raise MirlensError(f"PubMed {utility} returned unusable XML: {exc}") from None


def search(
    client: EntrezClient,
    query: str,
    mindate: str,
    maxdate: str,
    max_records: int | None = None,
    batch_size: int = 200,
) -> Iterator[dict]:
    """Records of every article the query finds in the date window (up to max_records)."""
    result = client.xml(
        "esearch",
        {
            "db": "pubmed",
            "term": query,
            "usehistory": "y",
            "datetype": "pdat",
            "mindate": mindate,
            "maxdate": maxdate,
            "retmax": 0,
        },
    )
    errors = [e.text for e in result.iter() if e.tag == "ERROR" and e.text]
    if errors:
        raise MirlensError(f"PubMed search failed: {'; '.join(errors)}")
    count = int(result.findtext("Count") or 0)
    webenv, query_key = result.findtext("WebEnv"), result.findtext("QueryKey")
    total = count if max_records is None else min(count, max_records)
    log.info(
        "PubMed: %d records for %r (%s to %s); fetching %d", count, query, mindate, maxdate, total
    )
    if total > PUBMED_MAX:
        raise MirlensError(
            f"PubMed query finds {count} records but E-utilities return at most {PUBMED_MAX}: "
            "narrow the date window (or split it) or set --max-records"
        )
    if total and not (webenv and query_key):
        raise MirlensError("PubMed search returned no history (WebEnv/QueryKey)")
    for start in range(0, total, batch_size):
        root = client.xml(
            "efetch",
            {
                "db": "pubmed",
                "WebEnv": webenv,
                "query_key": query_key,
                "retstart": start,
                "retmax": min(batch_size, total - start),
                "rettype": "abstract",
                "retmode": "xml",
            },
        )
        for doc in pubmed_documents(root, path=query, source="pubmed"):
            if not doc.ok:
                log.warning("PubMed record %s has no text; left out", doc.doc_id)
                continue
            yield {
                "doc_id": doc.doc_id,
                "pmid": doc.pmid,
                "doi": doc.doi,
                "title": doc.title,
                "year": doc.year,
                "text": doc.text,
                "source": "pubmed",
                "query": query,
            }


def check_date(value: str, flag: str) -> str:
    if not DATE_RE.match(value):
        raise MirlensError(f"{flag} must be YYYY, YYYY/MM or YYYY/MM/DD (got {value!r})")
    return value


def fetch(
    query: str,
    mindate: str,
    maxdate: str,
    *,
    email: str,
    tool: str,
    cache_dir: str,
    max_records: int | None = None,
    batch_size: int = 200,
    base_url: str = EUTILS_BASE,
    api_key: str | None = None,
) -> tuple[list[dict], int]:
    """Records of a query, from the cache when it was run before; (records, n_requests)."""
    if not email:
        raise MirlensError("--email is required by NCBI for E-utilities")
    if not 1 <= batch_size <= PUBMED_MAX:
        raise MirlensError(f"--batch-size must be within 1..{PUBMED_MAX} (got {batch_size})")
    check_date(mindate, "--mindate")
    check_date(maxdate, "--maxdate")
    params = {"query": query, "mindate": mindate, "maxdate": maxdate, "max_records": max_records}
    key = cache.query_key("pubmed", **params)
    cached = cache.load(cache_dir, "pubmed", key)
    if cached is not None:
        return cached, 0
    client = EntrezClient(email=email, tool=tool, api_key=api_key, base_url=base_url)
    records = cache.sort_records(
        list(search(client, query, mindate, maxdate, max_records, batch_size))
    )
    cache.store(cache_dir, "pubmed", key, records, {**params, "service": "pubmed"})
    return records, client.n_requests


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--query", required=True, help="PubMed query (Entrez syntax)")
    parser.add_argument("--mindate", required=True, help="first publication date, YYYY/MM/DD")
    parser.add_argument("--maxdate", required=True, help="last publication date, YYYY/MM/DD")
    parser.add_argument("--email", required=True, help="contact e-mail sent to NCBI")
    parser.add_argument("--tool", default="mirlens", help="tool name sent to NCBI")
    parser.add_argument("--max-records", type=int, default=None, help="cap on records fetched")
    parser.add_argument("--batch-size", type=int, default=200, help="records per efetch")
    parser.add_argument("--cache-dir", required=True, help="per-query cache folder")
    parser.add_argument("--out", required=True, help="output JSONL, one record per article")
    parser.add_argument("--base-url", default=EUTILS_BASE, help="E-utilities base URL")


def run(args: argparse.Namespace) -> int:
    records, n_requests = fetch(
        args.query,
        args.mindate,
        args.maxdate,
        email=args.email,
        tool=args.tool,
        cache_dir=args.cache_dir,
        max_records=args.max_records,
        batch_size=args.batch_size,
        base_url=args.base_url,
        api_key=os.environ.get(API_KEY_ENV) or None,
    )
    write_jsonl(records, args.out)
    log.info("PubMed: %d records -> %s (%d requests)", len(records), args.out, n_requests)
    return 0
