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
import calendar
import logging
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import requests

from mirlens.errors import MirlensError
from mirlens.http import DEFAULT_TIMEOUT, RateLimiter, make_session, retry_after
from mirlens.io import write_jsonl
from mirlens.literature import cache
from mirlens.literature.readers import SkipDocument, local_name, parse_xml, pubmed_documents

log = logging.getLogger(__name__)

EUTILS_BASE = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
API_KEY_ENV = "NCBI_API_KEY"
EMAIL_ENV = "MIRLENS_EMAIL"
# NCBI allows 3 requests/s (10 with a key) and counts arrivals; like Biopython (0.37 s),
# keep a margin so that network jitter never pushes two requests closer than allowed.
RATE_NO_KEY = 2.7
RATE_WITH_KEY = 9.0
# PubMed's E-utilities return at most the first 10,000 records of a search.
PUBMED_MAX = 10_000
MAX_BATCH = 10_000  # efetch's own cap on retmax
RATE_FILE = ".rate-limit"  # in the cache folder: shared by concurrent `mirlens pubmed` runs
RETRY_STATUS = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 60.0  # seconds; a longer Retry-After is cut to this
DATE_RE = re.compile(r"^(\d{4})(?:/(\d{2})(?:/(\d{2}))?)?$")


class SharedRateLimiter:
    """A rate limit shared by every process that uses the same file.

    Snakemake may run several PubMed queries at once; NCBI's limit is per user, so the
    processes take turns through an exclusive lock on a file that holds the time of the
    last request. Where file locks are unavailable it falls back to a per-process limit.
    """

    def __init__(self, path: str | Path, per_second: float) -> None:
        self.path = Path(path)
        self.interval = 1.0 / per_second
        self._local = RateLimiter(per_second)

    def wait(self) -> None:
        try:
            import fcntl
        except ImportError:  # not POSIX
            self._local.wait()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                fh.seek(0)
                try:
                    last = float(fh.read().strip() or 0.0)
                except ValueError:
                    last = 0.0
                delay = last + self.interval - time.time()
                if delay > 0:
                    time.sleep(min(delay, self.interval))  # min(): a clock step back
                fh.seek(0)
                fh.truncate()
                fh.write(repr(time.time()))
                fh.flush()
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


class EntrezClient:
    """The few E-utilities calls we need, rate limited, with Entrez's identifying params."""

    def __init__(
        self,
        email: str,
        tool: str,
        api_key: str | None = None,
        base_url: str = EUTILS_BASE,
        session: requests.Session | None = None,
        rate_file: str | Path | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.identity = {"tool": tool, **({"email": email} if email.strip() else {})}
        self._api_key = api_key or None
        self.session = session or make_session(retries=0)  # retries: call(), rate-limited
        self.attempts, self.backoff = 5, 0.5
        rate = RATE_WITH_KEY if self._api_key else RATE_NO_KEY
        self.limiter = SharedRateLimiter(rate_file, rate) if rate_file else RateLimiter(rate)
        self.n_requests = 0

    def call(self, utility: str, params: dict[str, object]) -> bytes:
        """POST one E-utility call. Retries (5xx, 429, broken connections) go through the
        rate limiter like first tries, so they never push the rate over NCBI's limit."""
        data = {**params, **self.identity}
        if self._api_key:
            data["api_key"] = self._api_key
        url = f"{self.base_url}/{utility}.fcgi"
        log.debug("E-utilities %s %s", utility, params)  # params hold no key
        for attempt in range(1, self.attempts + 1):
            self.limiter.wait()
            self.n_requests += 1
            try:
                response = self.session.post(url, data=data, timeout=DEFAULT_TIMEOUT)
            except requests.RequestException as exc:
                problem = f"{type(exc).__name__} ({url})"
            else:
                if response.status_code == 200:
                    return response.content
                problem = f"HTTP {response.status_code} from {url}: {response.text[:200]!r}"
                if response.status_code not in RETRY_STATUS:
                    break
                time.sleep(min(retry_after(response.headers) or 0.0, MAX_RETRY_AFTER))
            if attempt < self.attempts:
                log.warning("PubMed %s: %s; retrying", utility, self._hide_key(problem))
                time.sleep(min(self.backoff * 2 ** (attempt - 1), 30.0))
        raise MirlensError(f"PubMed {utility} failed: {self._hide_key(problem)}")

    def _hide_key(self, text: str) -> str:
        """Servers quote a bad key back (NCBI does); it must not reach a log or an error."""
        return text.replace(self._api_key, "<NCBI_API_KEY>") if self._api_key else text

    def xml(self, utility: str, params: dict[str, object]):
        try:
            return parse_xml(self.call(utility, params))
        except SkipDocument as exc:
            raise MirlensError(f"PubMed {utility} returned unusable XML: {exc}") from None


@dataclass(frozen=True)
class Window:
    """One esearch over a publication-date window, kept on the history server."""

    first: date
    last: date
    count: int
    webenv: str
    query_key: str


def esearch(client: EntrezClient, query: str, first: date, last: date) -> Window:
    result = client.xml(
        "esearch",
        {
            "db": "pubmed",
            "term": query,
            "usehistory": "y",
            "datetype": "pdat",
            "mindate": first.strftime("%Y/%m/%d"),
            "maxdate": last.strftime("%Y/%m/%d"),
            "retmax": 0,
        },
    )
    errors = [e.text for e in result.iter() if e.tag == "ERROR" and e.text]
    if errors:
        raise MirlensError(f"PubMed search failed: {'; '.join(errors)}")
    count = int(result.findtext("Count") or 0)
    webenv, query_key = result.findtext("WebEnv") or "", result.findtext("QueryKey") or ""
    if count and not (webenv and query_key):
        raise MirlensError("PubMed search returned no history (WebEnv/QueryKey)")
    return Window(first, last, count, webenv, query_key)


def windows(client: EntrezClient, query: str, first: date, last: date) -> Iterator[Window]:
    """Date windows, oldest first, each finding at most PUBMED_MAX records.

    E-utilities hand out only the first 10,000 records of a search, so a window that finds
    more is halved (by days) until every part fits.
    """
    todo = [(first, last)]
    while todo:
        lo, hi = todo.pop(0)
        window = esearch(client, query, lo, hi)
        if window.count <= PUBMED_MAX:
            yield window
            continue
        if lo == hi:
            raise MirlensError(
                f"PubMed query finds {window.count} records on the single day {lo} but "
                f"E-utilities return at most {PUBMED_MAX}: narrow the query"
            )
        mid = lo + (hi - lo) // 2
        log.info("PubMed: %d records in %s..%s; splitting the window", window.count, lo, hi)
        todo[0:0] = [(lo, mid), (mid + timedelta(days=1), hi)]


def search(
    client: EntrezClient,
    query: str,
    mindate: str,
    maxdate: str,
    max_records: int | None = None,
    batch_size: int = 200,
) -> Iterator[dict]:
    """Records of every article the query finds in the date window (up to max_records)."""
    first, last = parse_date(mindate, "--mindate"), parse_date(maxdate, "--maxdate", end=True)
    if first > last:
        raise MirlensError(f"--mindate {mindate} is after --maxdate {maxdate}")
    n = 0
    for window in windows(client, query, first, last):
        total = window.count if max_records is None else min(window.count, max_records - n)
        log.info(
            "PubMed: %d records for %r (%s to %s); fetching %d",
            window.count,
            query,
            window.first,
            window.last,
            total,
        )
        fetched = 0
        for start in range(0, total, batch_size):
            root = client.xml(
                "efetch",
                {
                    "db": "pubmed",
                    "WebEnv": window.webenv,
                    "query_key": window.query_key,
                    "retstart": start,
                    "retmax": min(batch_size, total - start),
                    "rettype": "abstract",
                    "retmode": "xml",
                },
            )
            if local_name(root.tag) != "PubmedArticleSet":
                detail = "; ".join(
                    e.text or "" for e in root.iter() if local_name(e.tag) == "ERROR"
                )
                raise MirlensError(
                    f"PubMed efetch returned <{local_name(root.tag)}> instead of articles: "
                    f"{detail or 'no details'}"
                )
            for doc in pubmed_documents(root, path=query, source="pubmed"):
                fetched += 1
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
        if fetched < total:
            log.warning(
                "PubMed: %d of %d records came back for %s..%s",
                fetched,
                total,
                window.first,
                window.last,
            )
        n += total
        if max_records is not None and n >= max_records:
            break


def parse_date(value: str, flag: str, end: bool = False) -> date:
    """YYYY, YYYY/MM or YYYY/MM/DD; a partial date is its first (or, with end, last) day."""
    match = DATE_RE.match(value)
    if not match:
        raise MirlensError(f"{flag} must be YYYY, YYYY/MM or YYYY/MM/DD (got {value!r})")
    year = int(match.group(1))
    month = int(match.group(2) or (12 if end else 1))
    try:
        if match.group(3):
            return date(year, month, int(match.group(3)))
        if end:
            return date(year, month, calendar.monthrange(year, month)[1])
        return date(year, month, 1)
    except ValueError as exc:
        raise MirlensError(f"{flag}: invalid date {value!r} ({exc})") from None


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
    if not email.strip():
        # NCBI asks for a contact address but does not require one; the default run must
        # work on a fresh machine, so warn loudly instead of refusing.
        log.warning(
            "no contact e-mail for NCBI (its E-utilities policy asks for one): set "
            "literature.pubmed.email in the config, pass --email, or set $%s",
            EMAIL_ENV,
        )
    if not query.strip():
        raise MirlensError("the PubMed query is empty")
    if not 1 <= batch_size <= MAX_BATCH:
        raise MirlensError(f"--batch-size must be within 1..{MAX_BATCH} (got {batch_size})")
    if parse_date(mindate, "--mindate") > parse_date(maxdate, "--maxdate", end=True):
        raise MirlensError(f"--mindate {mindate} is after --maxdate {maxdate}")
    params = {"query": query, "mindate": mindate, "maxdate": maxdate, "max_records": max_records}
    key = cache.query_key("pubmed", **params)
    cached = cache.load(cache_dir, "pubmed", key)
    if cached is not None:
        return cached, 0
    client = EntrezClient(
        email=email,
        tool=tool,
        api_key=api_key,
        base_url=base_url,
        rate_file=Path(cache_dir) / "pubmed" / RATE_FILE,
    )
    records = cache.sort_records(
        list(search(client, query, mindate, maxdate, max_records, batch_size))
    )
    cache.store(cache_dir, "pubmed", key, records, {**params, "service": "pubmed"})
    return records, client.n_requests


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--query", required=True, help="PubMed query (Entrez syntax)")
    parser.add_argument("--mindate", required=True, help="first publication date, YYYY/MM/DD")
    parser.add_argument("--maxdate", required=True, help="last publication date, YYYY/MM/DD")
    parser.add_argument(
        "--email", default="", help=f"contact e-mail sent to NCBI (default: ${EMAIL_ENV})"
    )
    parser.add_argument("--tool", default="mirlens", help="tool name sent to NCBI")
    parser.add_argument(
        "--max-records", type=int, default=0, help="cap on records fetched (0: no cap)"
    )
    parser.add_argument("--batch-size", type=int, default=200, help="records per efetch")
    parser.add_argument("--cache-dir", required=True, help="per-query cache folder")
    parser.add_argument("--out", required=True, help="output JSONL, one record per article")
    parser.add_argument("--base-url", default="", help="E-utilities base URL (empty: NCBI's)")


def run(args: argparse.Namespace) -> int:
    records, n_requests = fetch(
        args.query,
        args.mindate,
        args.maxdate,
        email=args.email or os.environ.get(EMAIL_ENV, ""),
        tool=args.tool,
        cache_dir=args.cache_dir,
        max_records=args.max_records if args.max_records and args.max_records > 0 else None,
        batch_size=args.batch_size,
        base_url=args.base_url or EUTILS_BASE,
        api_key=os.environ.get(API_KEY_ENV) or None,
    )
    write_jsonl(records, args.out)
    log.info("PubMed: %d records -> %s (%d requests)", len(records), args.out, n_requests)
    return 0
