"""A loopback HTTP server that serves the mirror's real files with injected faults.

``GET /<fault>/<host>/<path>`` answers with the file ``<mirror>/<host>/<path>`` damaged by
``<fault>``; a fault may be transient (``times``: only the first N requests of a path
misbehave, then the real file is served), which is how retries are tested. Real sockets on
127.0.0.1, stdlib only; every request is counted per path.
"""

from __future__ import annotations

import io
import socket
import struct
import threading
import time
import zipfile
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

HTML = b"<!DOCTYPE html>\n<html><head><title>Moved</title></head><body>Gone</body></html>\n"
TEXT_ERROR = b"Service temporarily unavailable, please try again later.\n"


class FaultServer:
    def __init__(self, mirror: Path, times: dict[str, int] | None = None) -> None:
        self.mirror = mirror
        self.times = times or {}  # fault -> how many requests misbehave (default: all)
        self.hits: Counter[str] = Counter()
        self.drip_delay = 0.05
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                server.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # ------------------------------------------------------------ dispatch

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        fault, _, rel = unquote(parts.path).lstrip("/").partition("/")
        if parts.query:
            rel += "__" + unquote(parts.query)
        path = self.mirror / rel
        if not path.is_file():
            return self.send(h, 404, b"not found\n")
        self.hits[h.path] += 1
        if self.hits[h.path] > self.times.get(fault, 10**9):
            fault = "ok"
        body = path.read_bytes()
        getattr(self, "fault_" + fault.replace("-", "_"))(h, body, path.name)

    def send(self, h, status: int, body: bytes, headers: dict | None = None, length=None) -> None:
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        if length is not False:
            h.send_header("Content-Length", str(len(body) if length is None else length))
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(body)
        h.wfile.flush()
        h.close_connection = True

    # ------------------------------------------------------------ faults

    def fault_ok(self, h, body, name) -> None:
        self.send(h, 200, body)

    def fault_e500(self, h, body, name) -> None:
        self.send(h, 500, b"Internal Server Error\n")

    def fault_e503(self, h, body, name) -> None:
        self.send(h, 503, b"busy\n", {"Retry-After": "1"})

    def fault_e503long(self, h, body, name) -> None:
        self.send(h, 503, b"busy\n", {"Retry-After": "3600"})

    def fault_reset(self, h, body, name) -> None:
        """Headers and part of the body, then a TCP reset (RST, not a clean close)."""
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body[: len(body) // 3])
        h.wfile.flush()
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()
        h.close_connection = True

    def fault_truncated(self, h, body, name) -> None:
        """The right Content-Length, but the connection closes half way."""
        self.send(h, 200, body[: half(body)], length=len(body))

    def fault_short_length(self, h, body, name) -> None:
        """A Content-Length shorter than the file: the client stops there, cleanly."""
        self.send(h, 200, body[: half(body)], length=half(body))

    def fault_no_length(self, h, body, name) -> None:
        """No Content-Length; the stream just ends half way (HTTP/1.0 style)."""
        self.send(h, 200, body[: half(body)], length=False)

    def fault_html(self, h, body, name) -> None:
        self.send(h, 200, HTML, {"Content-Type": "text/html"})

    def fault_text_error(self, h, body, name) -> None:
        self.send(h, 200, TEXT_ERROR, {"Content-Type": "text/plain"})

    def fault_corrupt(self, h, body, name) -> None:
        self.send(h, 200, corrupt(body, name))

    def fault_drip(self, h, body, name) -> None:
        """A slow drip: 64 bytes at a time, forever within the read timeout."""
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        try:
            for i in range(0, len(body), 64):
                h.wfile.write(body[i : i + 64])
                h.wfile.flush()
                time.sleep(self.drip_delay)
        except OSError:  # the client gave up
            pass
        h.close_connection = True


def half(body: bytes) -> int:
    """About half the file, inside a line: a cut exactly at a line end that also ends a
    record cannot be told from a complete file by its format (the lock catches it later)."""
    cut = len(body) // 2
    while body[cut - 1 : cut] == b"\n":
        cut += 1
    return cut


def corrupt(body: bytes, name: str) -> bytes:
    """Damage a file the way a bad disk, proxy or truncating server would, by format."""
    lower = name.lower()
    mid = len(body) // 2
    if lower.endswith(".gz"):
        return body[:mid] + bytes(b ^ 0xFF for b in body[mid : mid + 64]) + body[mid + 64 :]
    if lower.endswith((".zip", ".xlsx")):
        return _corrupt_zip(body)
    nl = body.index(b"\n", mid) + 1
    if lower.endswith(".csv"):
        bad = b"MIRT999999,hsa-miR-21-5p,Homo sapiens\n"  # too few fields
    elif lower.endswith(".dat"):
        return body[: body.rindex(b"//")]  # the last record loses its '//'
    elif lower.endswith((".fa", ".fasta")):
        bad = b"<<< disk error >>>\n"
    else:  # GMT, Enrichr text, tab-separated
        bad = b"garbage-without-tabs\n"
    return body[:nl] + bad + body[nl:]


def _corrupt_zip(body: bytes) -> bytes:
    """Flip bytes inside the first member's data: the CRC check must catch it."""
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        info = zf.infolist()[0]
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    pos = start + min(info.compress_size // 2, 1000)
    return body[:pos] + bytes(b ^ 0x5A for b in body[pos : pos + 16]) + body[pos + 16 :]
