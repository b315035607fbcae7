"""A minimal Chrome DevTools Protocol client for headless Chromium, and a report probe.

Chromium is driven through ``--remote-debugging-pipe`` (NUL-separated JSON on file
descriptors 3 and 4) rather than a TCP port and a websocket: it needs no extra package, no
free port on a shared machine, and nothing else can connect. Used by the browser tests and
by ``bench/report_scale.py``.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

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


def find_chromium(install: bool = True) -> str | None:
    """Path of Debian's chromium; installed with apt-get when missing and we are root."""
    exe = shutil.which("chromium")
    apt = shutil.which("apt-get")
    if exe is None and install and apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        lock = ["-o", "DPkg::Lock::Timeout=600"]  # another job may be installing too
        subprocess.run(
            [apt, *lock, "update"], check=False, env=env, capture_output=True, timeout=900
        )
        subprocess.run(
            [apt, *lock, "install", "-y", "--no-install-recommends", "chromium"],
            check=False,
            env=env,
            capture_output=True,
            timeout=1800,
        )
        exe = shutil.which("chromium")
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


FIRST_SCREEN = """(() => {
  const box = (sel) => { const e = document.querySelector(sel);
    if (!e) return null; const r = e.getBoundingClientRect();
    return {w: r.width, h: r.height, top: r.top}; };
  const text = (sel) => [...document.querySelectorAll(sel)].map(e => e.textContent.trim());
  return {
    title: document.title,
    sections: [...document.querySelectorAll('main > section')].map(s => s.id),
    verdicts: text('#verdicts li'),
    panels: [...document.querySelectorAll('.theme-panel')].map(p => ({
      theme: p.dataset.theme,
      rows: [...p.querySelectorAll('tr.ev-row')].map(r => r.dataset.mirna),
      top: p.getBoundingClientRect().top})),
    heatmap: box('#fig-heatmap svg'), network: box('#fig-network svg'),
    no_mirna: (document.querySelector('#no-mirna') || {}).textContent || null,
    scripts: document.querySelectorAll('script:not([type])').length,
    broken_links: [...document.querySelectorAll('a[href^="#"]')]
      .map(a => a.getAttribute('href').slice(1))
      .filter(id => id && !document.getElementById(id)),
  }; })()"""

# Click the first row of the first theme, then its "all about" button: what renders.
TRACE = """(() => {
  const row = document.querySelector('.theme-panel tr.ev-row');
  if (!row) return null;
  row.click();
  const d = row.nextElementSibling;
  const out = {mirna: row.dataset.mirna, detail: d && d.classList.contains('detail-row'),
    marks: [...d.querySelectorAll('blockquote mark')].map(m => m.textContent),
    links: [...d.querySelectorAll('a[href]')].map(a => a.href),
    genes: [...d.querySelectorAll('.gene')].map(g => g.textContent),
    stats_rows: d.querySelectorAll('table.stats tbody tr').length};
  d.querySelector('button[data-open]').click();
  const art = document.querySelector('#mirna-open');
  out.article = art ? art.querySelector('h3').textContent : null;
  out.article_quotes = art ? art.querySelectorAll('blockquote').length : 0;
  out.index = document.querySelectorAll('#mirna-index button').length;
  window.scrollTo(0, 0);
  return out; })()"""

# "show all" renders every row of the last theme from the data block.
SHOW_ALL = """(() => {
  const buttons = document.querySelectorAll('button.more');
  const more = buttons[buttons.length - 1];
  if (!more) return null;
  const t = more.dataset.theme; more.click();
  return document.querySelectorAll(`table.ev[data-theme="${CSS.escape(t)}"] tr.ev-row`).length;
  })()"""


def _problems(events: list[dict]) -> tuple[list, list]:
    errors = [
        ev["params"]
        for ev in events
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
    requests = [
        ev["params"]["request"]["url"]
        for ev in events
        if ev.get("method") == "Network.requestWillBeSent"
    ]
    return errors, requests


def probe_report(exe: str, html: Path, profile: Path, shots: Path | None = None) -> dict:
    """Open ``html`` from file://: load timings, first-screen facts, one traced click,
    console errors, every request, and screenshots (``<shots>-first.png``, ``-full.png``)."""
    browser = Browser(exe, profile)
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Runtime", "Log", "Network", "Page"):
            browser.send(f"{domain}.enable", session=session)
        browser.events.clear()

        def js(expr: str):
            res = browser.send(
                "Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=session
            )
            if "exceptionDetails" in res:
                raise AssertionError(f"JS failed: {expr}: {res['exceptionDetails']}")
            return res["result"].get("value")

        t0 = time.monotonic()
        browser.send("Page.navigate", {"url": html.resolve().as_uri()}, session=session)
        browser.wait_event("Page.loadEventFired", timeout=300)
        loaded = time.monotonic() - t0
        while not js("document.documentElement.dataset.ready === '1'"):
            if time.monotonic() - t0 > 300:
                raise AssertionError("the report's data never became ready")
            time.sleep(0.02)
        facts = {"load_s": loaded, "interactive_s": time.monotonic() - t0}
        facts.update(js(FIRST_SCREEN))
        if shots is not None:
            _screenshot(browser, session, shots.with_name(shots.name + "-first.png"), 900)
        facts["trace"] = js(TRACE)
        browser.settle(0.3)
        if shots is not None:
            metrics = browser.send("Page.getLayoutMetrics", session=session)
            height = int(min(metrics["cssContentSize"]["height"], 16000))  # GPU texture limit
            _screenshot(browser, session, shots.with_name(shots.name + "-full.png"), height)
        facts["all_rows"] = js(SHOW_ALL)
        browser.settle(0.2)
        facts["errors"], facts["requests"] = _problems(browser.events)
        return facts
    finally:
        browser.close()


def _screenshot(browser: Browser, session: str, path: Path, height: int) -> None:
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": False},
        session=session,
    )
    shot = browser.send(
        "Page.captureScreenshot",
        {"format": "png", "clip": {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1}},
        session=session,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))
