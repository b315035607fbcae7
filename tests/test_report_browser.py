"""The report in a real browser: headless Chromium loads it from file://.

Chromium is driven over the Chrome DevTools Protocol through ``--remote-debugging-pipe``
(NUL-separated JSON on file descriptors 3 and 4) rather than a TCP port and a websocket:
it needs no extra package, no free port on a shared machine, and nothing else can connect.
We assert no console error (CSP violations are logged as errors too), no request for
anything but the file itself or data: URIs, that the theme panel and a miRNA section have a
real size on screen, and we keep a full-page screenshot under test-artifacts/.
"""

from __future__ import annotations

import base64
import io
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pypdf import PdfReader
from report_fixtures import make_results

from mirlens.report.build import build_report

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,900",
    "--remote-debugging-pipe",
]

TRAMPOLINE = (
    "import fcntl, os, sys\n"
    "r, w = (fcntl.fcntl(int(fd), fcntl.F_DUPFD, 10) for fd in sys.argv[1:3])\n"
    "os.dup2(r, 3)\nos.dup2(w, 4)\n"
    "for fd in {r, w, *map(int, sys.argv[1:3])} - {3, 4}:\n    os.close(fd)\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of Debian's chromium; installed with apt-get when missing and we are root."""
    exe = shutil.which("chromium")
    apt = shutil.which("apt-get")
    if exe is None and apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run([apt, "update"], check=False, env=env, capture_output=True, timeout=900)
        subprocess.run(
            [apt, "install", "-y", "--no-install-recommends", "chromium"],
            check=False,
            env=env,
            capture_output=True,
            timeout=1800,
        )
        exe = shutil.which("chromium")
    if exe is None:
        msg = "chromium is not installed (apt-get install chromium) and could not be installed"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    return exe


class Browser:
    """A minimal CDP client over the debugging pipe."""

    def __init__(self, exe: str, profile: Path):
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        # Chromium expects the pipe on fds 3 (commands in) and 4 (replies out). A tiny Python
        # trampoline moves our pipe ends there and execs chromium, so nothing depends on which
        # descriptors happen to be free in this process.
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                TRAMPOLINE,
                str(to_child_r),
                str(from_child_w),
                exe,
                *FLAGS,
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=(to_child_r, from_child_w),
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._next = 0
        self._messages: queue.Queue = queue.Queue()
        self.events: list[dict] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _drain_stderr(self) -> None:
        for _ in self.proc.stderr or []:
            pass

    def _read(self) -> None:
        buf = b""
        while chunk := os.read(self._from_child, 1 << 16):
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                self._messages.put(json.loads(raw))
        self._messages.put(None)

    def send(
        self,
        method: str,
        params: dict | None = None,
        session: str | None = None,
        timeout: float = 60,
    ) -> dict:
        self._next += 1
        msg = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._messages.get(timeout=max(0.1, deadline - time.monotonic()))
            if reply is None:
                raise RuntimeError(f"chromium exited while waiting for {method}")
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for ev in self.events:
                if ev.get("method") == method:
                    return ev
            reply = self._messages.get(timeout=max(0.1, deadline - time.monotonic()))
            if reply is None:
                raise RuntimeError(f"chromium exited while waiting for {method}")
            self.events.append(reply)

    def settle(self, seconds: float = 0.5) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            try:
                reply = self._messages.get(timeout=left)
            except queue.Empty:
                return
            if reply is not None:
                self.events.append(reply)

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)


def load_page(exe: str, html: Path, profile: Path, screenshot: Path) -> dict:
    """Open ``html`` from file://, collect problems, DOM facts and a full-page screenshot."""
    browser = Browser(exe, profile)
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Runtime", "Log", "Network", "Page"):
            browser.send(f"{domain}.enable", session=session)
        browser.events.clear()
        browser.send("Page.navigate", {"url": html.resolve().as_uri()}, session=session)
        browser.wait_event("Page.loadEventFired")
        browser.settle()

        def js(expr: str):
            res = browser.send(
                "Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=session
            )
            if "exceptionDetails" in res:
                raise AssertionError(f"JS failed: {expr}: {res['exceptionDetails']}")
            return res["result"].get("value")

        facts = js("""(() => {
          const box = (sel) => { const e = document.querySelector(sel);
            if (!e) return null; const r = e.getBoundingClientRect();
            return {w: r.width, h: r.height}; };
          return {
            title: document.title,
            sections: [...document.querySelectorAll('main > section')].map(s => s.id),
            themes: box('#themes'), heatmap: box('#fig-heatmap svg'),
            dotplot: box('#fig-dotplot svg'), matrix: box('#theme-matrix'),
            mirna: box('article.mirna'), network: box('#fig-network svg'),
            articles: document.querySelectorAll('article.mirna').length,
            marks: [...document.querySelectorAll('article.mirna blockquote mark')]
                     .map(m => m.textContent),
            scripts: document.querySelectorAll('script').length,
            no_mirna: (document.querySelector('#no-mirna') || {}).textContent || null,
            broken_links: [...document.querySelectorAll('a[href^="#"]')]
                     .map(a => a.getAttribute('href').slice(1))
                     .filter(id => id && !document.getElementById(id)),
          }; })()""")
        # Sorting really sorts: click the first header of the miRNA index twice.
        facts["sorted"] = js("""(() => { const t = document.querySelector('#documents-table');
          const th = t.tHead.rows[0].cells[0]; th.click(); th.click();
          const ids = [...t.tBodies[0].rows].map(r => r.cells[0].textContent.trim());
          return {ids, sort: th.getAttribute('aria-sort')}; })()""")
        # Rows beyond --top are folded away until "show all" is pressed.
        facts["findings_shown"] = js("""(() => {
          const rows = () => [...document.querySelectorAll('#findings-table tbody tr')]
            .filter(r => r.getBoundingClientRect().height > 0).length;
          const before = rows(); const b = document.querySelector('#findings-more');
          if (b) b.click(); return [before, rows()]; })()""")
        metrics = browser.send("Page.getLayoutMetrics", session=session)
        height = int(min(metrics["cssContentSize"]["height"], 16000))  # GPU texture limit
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        shot = browser.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1},
            },
            session=session,
        )
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        # Printable: the print stylesheet lays the report out on A4 pages.
        pdf = browser.send(
            "Page.printToPDF",
            {"paperWidth": 8.27, "paperHeight": 11.69, "printBackground": True},
            session=session,
            timeout=120,
        )
        pdf_bytes = base64.b64decode(pdf["data"])
        screenshot.with_suffix(".pdf").write_bytes(pdf_bytes)
        reader = PdfReader(io.BytesIO(pdf_bytes))
        facts["pdf_pages"] = [page.extract_text() for page in reader.pages]
        browser.settle(0.2)
        facts["height"] = height
        facts["errors"] = [
            ev["params"]
            for ev in browser.events
            if ev.get("method") == "Runtime.exceptionThrown"
            or (
                ev.get("method") == "Runtime.consoleAPICalled"
                and ev["params"]["type"] in ("error", "assert", "warning")
            )
            or (
                ev.get("method") == "Log.entryAdded"
                and ev["params"]["entry"]["level"] in ("error", "warning")
            )
        ]
        facts["requests"] = [
            ev["params"]["request"]["url"]
            for ev in browser.events
            if ev.get("method") == "Network.requestWillBeSent"
        ]
        return facts
    finally:
        browser.close()


def _build(tmp_path: Path, empty: bool) -> Path:
    results = make_results(tmp_path / "results", empty=empty)
    out = results / "report" / "index.html"
    build_report(results, out, plots_dir=results / "report" / "plots", top=4)
    return out


def _assert_clean(facts: dict, html: Path) -> None:
    assert facts["errors"] == [], facts["errors"]
    leaving = [u for u in facts["requests"] if not u.startswith(("file:", "data:", "about:"))]
    assert leaving == [], leaving
    assert html.resolve().as_uri() in facts["requests"]
    assert facts["broken_links"] == []


def test_report_renders_in_chromium(chromium: str, tmp_path: Path) -> None:
    html = _build(tmp_path, empty=False)
    shot = ARTIFACTS / "report-full.png"
    facts = load_page(chromium, html, tmp_path / "profile", shot)
    _assert_clean(facts, html)
    assert facts["sections"][:3] == ["summary", "answer", "themes"]
    for key in ("themes", "heatmap", "dotplot", "matrix", "mirna", "network"):
        assert facts[key] and facts[key]["w"] > 300 and facts[key]["h"] > 100, (key, facts[key])
    assert facts["articles"] == 3
    assert facts["findings_shown"] == [4, 6]
    pages = facts["pdf_pages"]
    assert len(pages) >= 5  # one page break per main section
    assert pages[0].startswith("miRNA → target → pathway evidence")
    assert "Unresolved names" not in pages[0]  # the side navigation is not printed
    assert "miR-200c" in facts["marks"] and "MiR-21" in facts["marks"]
    # the <script> in a sentence stayed text: only the report's own script element exists
    assert facts["scripts"] == 1
    ids = facts["sorted"]["ids"]
    assert facts["sorted"]["sort"] == "descending" and ids == sorted(ids, reverse=True)
    assert shot.stat().st_size > 50_000 and facts["height"] > 2000


def test_no_mirna_report_renders_in_chromium(chromium: str, tmp_path: Path) -> None:
    html = _build(tmp_path, empty=True)
    shot = ARTIFACTS / "report-no-mirna.png"
    facts = load_page(chromium, html, tmp_path / "profile", shot)
    _assert_clean(facts, html)
    assert facts["articles"] == 0 and facts["heatmap"] is None
    assert "No specific miRNA was found in the 2 documents read" in facts["no_mirna"]
    assert shot.stat().st_size > 10_000
