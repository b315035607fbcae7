"""A real loopback HTTP server that answers ENCORI ``miRNATarget`` queries from fixture texts.

Used by tests/test_targets_encori.py: stdlib http.server on 127.0.0.1 in a thread. It records
every request (path + query) so tests can check caching and the query parameters sent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


@contextmanager
def encori_server(responses: dict[str, str]) -> Iterator[tuple[str, list[dict]]]:
    """Serve ``{miRNA name: response text}`` under ``/encori/api/miRNATarget/``.

    Yields (base URL, request log). Unknown miRNAs get ENCORI-style plain-text errors
    with status 200, as the real API does for bad parameters.
    """
    log: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            log.append({"path": url.path, "query": query})
            if url.path.rstrip("/") != "/encori/api/miRNATarget":
                self.send_error(404)
                return
            mirna = query.get("miRNA", "")
            body = responses.get(mirna, f"The miRNA {mirna} is not found in our database.\n")
            data = body.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/encori/api", log
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
