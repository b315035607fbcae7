"""A loopback HTTP server speaking the subset of E-utilities and Europe PMC REST we use.

Real sockets, real HTTP (stdlib ``http.server`` on 127.0.0.1, port 0, in a thread); the
records it serves are given at start (the tests build them from the panc abstracts JSONL).
Every request is logged with its arrival time, method, path and parameters, so tests can
count requests and measure the client's rate limit on the server's side.

- ``/eutils/esearch.fcgi``: db=pubmed, term (a word the text must contain, or ``all``),
  usehistory=y, datetype=pdat, mindate/maxdate (YYYY/MM/DD) -> eSearchResult with Count,
  QueryKey, WebEnv (the matching PMIDs are kept on the "history server"). A record's
  publication date is its year with a month and day spread by its PMID.
- ``/eutils/efetch.fcgi``: WebEnv + query_key, retstart, retmax, rettype=abstract,
  retmode=xml -> PubmedArticleSet; like PubMed, nothing beyond the first ``max_fetch``
  (10,000) records of a search.
- ``/europepmc/search``: query ``(word) AND FIRST_PDATE:[YYYY-MM-DD TO YYYY-MM-DD]``,
  format=json, resultType=core, pageSize, cursorMark -> Europe PMC JSON; the last page
  returns its own cursor again, as Europe PMC does.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

ESEARCH_DOCTYPE = (
    '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">'
)


@dataclass
class Request:
    time: float  # time.monotonic() at arrival
    method: str
    path: str
    params: dict[str, str]
    request_line: str


@dataclass
class LiteratureServer:
    records: list[dict]  # {"pmid", "title", "abstract", "year", optional "pmcid", "doi"}
    requests: list[Request] = field(default_factory=list)
    access_log: list[str] = field(default_factory=list)
    history: dict[str, list[dict]] = field(default_factory=dict)
    fail_next: int = 0  # answer this many requests with HTTP 503 first (retry tests)
    max_fetch: int = 10_000  # efetch serves only the first max_fetch records of a search

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, fmt: str, *args) -> None:
                server.access_log.append(fmt % args)

            def do_GET(self) -> None:
                self._handle(parse_qs(urlsplit(self.path).query))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                self._handle(parse_qs(body))

            def _handle(self, raw: dict[str, list[str]]) -> None:
                params = {k: v[-1] for k, v in raw.items()}
                path = urlsplit(self.path).path
                server.requests.append(
                    Request(time.monotonic(), self.command, path, params, self.requestline)
                )
                if server.fail_next > 0:
                    server.fail_next -= 1
                    return self._send(503, "text/plain", b"try again")
                try:
                    status, ctype, body = server.route(path, params)
                except (KeyError, ValueError) as exc:
                    status, ctype, body = 400, "text/plain", f"bad request: {exc}".encode()
                self._send(status, ctype, body)

            def _send(self, status: int, ctype: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    # -- lifecycle
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> LiteratureServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    # -- matching
    @staticmethod
    def pub_date(r: dict) -> date:
        """A record's publication date: its year, and a day spread by its PMID."""
        pmid = int(r["pmid"])
        return date(int(r["year"]), pmid % 12 + 1, pmid % 28 + 1)

    def matching(self, word: str, first: date, last: date) -> list[dict]:
        word = word.strip().strip("()").lower()
        return [
            r
            for r in sorted(self.records, key=lambda r: int(r["pmid"]))
            if first <= self.pub_date(r) <= last
            and (word == "all" or word in (r["title"] + " " + r["abstract"]).lower())
        ]

    def route(self, path: str, p: dict[str, str]) -> tuple[int, str, bytes]:
        if path == "/eutils/esearch.fcgi":
            return self.esearch(p)
        if path == "/eutils/efetch.fcgi":
            return self.efetch(p)
        if path == "/europepmc/search":
            return self.europepmc(p)
        return 404, "text/plain", b"not found"

    # -- E-utilities
    def esearch(self, p: dict[str, str]) -> tuple[int, str, bytes]:
        if p["db"] != "pubmed" or p.get("usehistory") != "y" or p.get("datetype") != "pdat":
            raise ValueError("expected db=pubmed, usehistory=y, datetype=pdat")
        if "tool" not in p:  # NCBI asks for tool and email; the client always sends tool
            raise ValueError("tool is required")
        found = self.matching(p["term"], entrez_date(p["mindate"]), entrez_date(p["maxdate"]))
        webenv = f"MCID_{len(self.history):04d}"
        self.history[webenv] = found
        xml = (
            f'<?xml version="1.0" encoding="UTF-8" ?>\n{ESEARCH_DOCTYPE}\n'
            f"<eSearchResult><Count>{len(found)}</Count><RetMax>0</RetMax>"
            f"<RetStart>0</RetStart><QueryKey>1</QueryKey><WebEnv>{webenv}</WebEnv>"
            f"<IdList></IdList></eSearchResult>"
        )
        return 200, "text/xml; charset=UTF-8", xml.encode("utf-8")

    def efetch(self, p: dict[str, str]) -> tuple[int, str, bytes]:
        if p.get("rettype") != "abstract" or p.get("retmode") != "xml" or p["query_key"] != "1":
            raise ValueError("expected rettype=abstract, retmode=xml, query_key=1")
        found = self.history[p["WebEnv"]]
        start, size = int(p["retstart"]), int(p["retmax"])
        if start + size > self.max_fetch:  # as PubMed: only the first 10,000 of a search
            raise ValueError(f"cannot fetch records beyond {self.max_fetch}")
        parts = ['<?xml version="1.0" ?>\n<PubmedArticleSet>']
        for r in found[start : start + size]:
            doi = f'<ArticleId IdType="doi">{escape(r["doi"])}</ArticleId>' if r.get("doi") else ""
            parts.append(
                f'<PubmedArticle><MedlineCitation><PMID Version="1">{r["pmid"]}</PMID>'
                f"<Article><Journal><JournalIssue><PubDate><Year>{r['year']}</Year></PubDate>"
                f"</JournalIssue></Journal><ArticleTitle>{escape(r['title'])}</ArticleTitle>"
                f"<Abstract><AbstractText>{escape(r['abstract'])}</AbstractText></Abstract>"
                f"</Article></MedlineCitation><PubmedData><ArticleIdList>"
                f'<ArticleId IdType="pubmed">{r["pmid"]}</ArticleId>{doi}</ArticleIdList>'
                f"</PubmedData></PubmedArticle>"
            )
        parts.append("</PubmedArticleSet>\n")
        return 200, "text/xml; charset=UTF-8", "\n".join(parts).encode("utf-8")

    # -- Europe PMC
    def europepmc(self, p: dict[str, str]) -> tuple[int, str, bytes]:
        if p.get("format") != "json" or p.get("resultType") != "core":
            raise ValueError("expected format=json and resultType=core")
        match = re.fullmatch(r"(.*) AND FIRST_PDATE:\[(\S+) TO (\S+)\]", p["query"])
        if not match:
            raise ValueError("expected '(query) AND FIRST_PDATE:[a TO b]'")
        first, last = date.fromisoformat(match.group(2)), date.fromisoformat(match.group(3))
        found = self.matching(match.group(1), first, last)
        cursor = p.get("cursorMark", "*")
        start = 0 if cursor == "*" else int(base64.urlsafe_b64decode(cursor.encode()).decode())
        size = int(p.get("pageSize", 25))
        page = found[start : start + size]
        end = start + len(page)
        next_cursor = base64.urlsafe_b64encode(str(end).encode()).decode() if page else cursor
        results = []
        for r in page:
            item = {
                "id": r["pmid"],
                "source": "MED",
                "title": r["title"],
                "abstractText": r["abstract"],
                "pubYear": str(r["year"]),
                "firstPublicationDate": self.pub_date(r).isoformat(),
            }
            if not r.get("pmid_hidden"):  # some records are known by their PMCID only
                item["pmid"] = r["pmid"]
            if r.get("pmcid"):
                item["pmcid"] = r["pmcid"]
            if r.get("doi"):
                item["doi"] = r["doi"]
            results.append(item)
        body = {
            "version": "6.9",
            "hitCount": len(found),
            "nextCursorMark": next_cursor,
            "request": {"queryString": p["query"], "cursorMark": cursor, "pageSize": size},
            "resultList": {"result": results},
        }
        return 200, "application/json;charset=UTF-8", json.dumps(body).encode("utf-8")


def entrez_date(value: str) -> date:
    """YYYY/MM/DD (the client always sends full dates)."""
    year, month, day = (int(x) for x in value.split("/"))
    return date(year, month, day)


def load_records(path: str) -> list[dict]:
    """Server records from a JSONL of {"pmid", "title", "abstract", "year"} (the panc file)."""
    records = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                records.append(
                    {
                        "pmid": str(rec["pmid"]),
                        "title": rec.get("title") or "",
                        "abstract": rec.get("abstract") or "",
                        "year": int(rec["year"]),
                        "doi": rec.get("doi") or "",
                        "pmcid": rec.get("pmcid") or "",
                    }
                )
    return records


def main() -> None:
    """Serve records until interrupted; prints 'serving on URL' (for end-to-end runs)."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", required=True, help="JSONL with pmid, title, abstract, year")
    args = parser.parse_args()
    with LiteratureServer(load_records(args.records)) as srv:
        print(
            f"serving on {srv.url} (E-utilities: {srv.url}/eutils, Europe PMC: "
            f"{srv.url}/europepmc)",
            flush=True,
        )
        try:
            srv.thread.join()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
