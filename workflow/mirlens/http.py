"""One HTTP policy for every remote source: retries, backoff, timeouts, rate limits, downloads."""

from __future__ import annotations

import http.client
import logging
import os
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from mirlens import __version__
from mirlens.errors import MirlensError

# (connect, read) seconds: a stalled server must not hang a cluster job forever.
DEFAULT_TIMEOUT: tuple[float, float] = (15.0, 300.0)
USER_AGENT = f"mirlens/{__version__} (+https://github.com/mirlens/mirlens)"


def make_session(retries: int = 5, backoff: float = 1.0) -> requests.Session:
    """A requests session retrying connection errors and 429/5xx with exponential backoff."""
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD", "POST"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


class RateLimiter:
    """At most ``per_second`` calls per second across threads (NCBI: 3/s, 10/s with a key)."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            time.sleep(delay)


# ---------------------------------------------------------------- file downloads


@dataclass(frozen=True)
class Policy:
    """How hard a file download tries: attempts, backoff, Retry-After cap, overall deadline."""

    attempts: int = 5
    backoff: float = 2.0  # seconds before the 2nd attempt, doubled each time (max 60)
    max_retry_after: float = 120.0  # a server asking for longer is waited on this long
    deadline: float = 3 * 3600.0  # seconds for the whole download, all attempts
    progress_every: float = 10.0  # seconds between progress lines in the log
    timeout: tuple[float, float] = DEFAULT_TIMEOUT

    @classmethod
    def from_env(cls) -> Policy:
        """Overrides from MIRLENS_DOWNLOAD_{ATTEMPTS,DEADLINE,MAX_RETRY_AFTER,READ_TIMEOUT}."""
        env = os.environ
        read = float(env.get("MIRLENS_DOWNLOAD_READ_TIMEOUT", DEFAULT_TIMEOUT[1]))
        return cls(
            attempts=int(env.get("MIRLENS_DOWNLOAD_ATTEMPTS", cls.attempts)),
            deadline=float(env.get("MIRLENS_DOWNLOAD_DEADLINE", cls.deadline)),
            max_retry_after=float(env.get("MIRLENS_DOWNLOAD_MAX_RETRY_AFTER", cls.max_retry_after)),
            timeout=(DEFAULT_TIMEOUT[0], read),
        )


class _Retry(Exception):
    """A fault worth another attempt (5xx/429, reset, cut short, stalled)."""

    def __init__(self, fault: str, wait: float | None = None) -> None:
        super().__init__(fault)
        self.fault = fault
        self.wait = wait


OFFLINE_HINT = "no network? set `mirror:` in the config (see README, Offline)"
_RETRY_STATUS = {408, 429, 500, 502, 503, 504}


def http_download(url: str, out: Path, *, session=None, policy: Policy | None = None) -> str:
    """Stream ``url`` into ``out`` with retries; raise ONE clear MirlensError when it fails."""
    policy = policy or Policy()
    session = session or make_session(retries=0)
    log = logging.getLogger("mirlens.download")
    start = time.monotonic()
    for attempt in range(1, policy.attempts + 1):
        try:
            return _get_once(url, out, session, policy, start, log)
        except _Retry as exc:
            fault = exc.fault
            wait = min(policy.backoff * 2 ** (attempt - 1), 60.0)
            if exc.wait is not None:
                wait = min(exc.wait, policy.max_retry_after)
                if exc.wait > policy.max_retry_after:
                    log.warning(
                        "%s: server asked to wait %.0f s (Retry-After); waiting the cap of "
                        "%.0f s instead",
                        url,
                        exc.wait,
                        policy.max_retry_after,
                    )
                else:
                    log.info("%s: waiting %.0f s as the server asked (Retry-After)", url, wait)
            left = policy.deadline - (time.monotonic() - start)
            if attempt == policy.attempts or wait >= left:
                break
            log.warning(
                "%s: attempt %d of %d failed: %s; retrying in %.0f s",
                url,
                attempt,
                policy.attempts,
                fault,
                wait,
            )
            time.sleep(wait)
    elapsed = time.monotonic() - start
    raise MirlensError(
        f"GET {url}: {fault} (gave up after {attempt} attempt(s), {elapsed:.0f} s); "
        f"try again later, or {OFFLINE_HINT}"
    )


def _get_once(url: str, out: Path, session, policy: Policy, start: float, log) -> str:
    try:
        with session.get(url, stream=True, timeout=policy.timeout) as resp:
            if resp.status_code in _RETRY_STATUS:
                raise _Retry(f"HTTP {resp.status_code} {resp.reason}", retry_after(resp.headers))
            if resp.status_code != 200:
                raise MirlensError(
                    f"GET {url}: HTTP {resp.status_code} {resp.reason}: the file is not there; "
                    "check its URL under sources (or enrichment.libraries) in the config, or "
                    "your mirror"
                )
            total = int(resp.headers.get("Content-Length") or 0) or None
            n = _stream(resp, out, total, policy, start, log, url)
            if total is not None and n != total:
                raise _Retry(f"download cut short ({n} of {total} bytes)")
            return resp.url
    except requests.exceptions.ConnectionError as exc:
        if _name_resolution_failed(exc):
            host = urlsplit(url).hostname
            raise MirlensError(f"GET {url}: cannot resolve host {host}; {OFFLINE_HINT}") from None
        raise _Retry(f"connection failed ({_reason(exc)})") from None
    except requests.exceptions.Timeout:
        raise _Retry(f"no answer within {policy.timeout[1]:.0f} s") from None
    except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        short = _incomplete(exc)
        if short is not None:
            raise _Retry(f"download cut short ({short})") from None
        raise _Retry(f"connection broken mid-download ({_reason(exc)})") from None


def _stream(resp, out: Path, total: int | None, policy: Policy, start: float, log, url) -> int:
    """Copy the body; read1() returns what has arrived, so a slow drip meets the deadline."""
    raw, last = resp.raw, time.monotonic()
    with open(out, "wb") as fh:
        while chunk := raw.read1(1 << 16):
            fh.write(chunk)
            now = time.monotonic()
            if now - start > policy.deadline:
                raise MirlensError(
                    f"GET {url}: too slow, {raw.tell()} bytes in {now - start:.0f} s, over the "
                    f"deadline of {policy.deadline:.0f} s (MIRLENS_DOWNLOAD_DEADLINE); try "
                    f"again later, or {OFFLINE_HINT}"
                )
            if now - last >= policy.progress_every:
                of = f" of {total} ({100 * raw.tell() / total:.0f}%)" if total else ""
                log.info("%s: %d bytes%s after %.0f s", url, raw.tell(), of, now - start)
                last = now
    n = raw.tell()  # bytes on the wire (Content-Length counts those, before any decoding)
    log.info("%s: %d bytes received in %.1f s", url, n, time.monotonic() - start)
    return n


def retry_after(headers) -> float | None:
    """Seconds asked for by a Retry-After header (seconds or an HTTP date), else None."""
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _name_resolution_failed(exc: BaseException) -> bool:
    text = repr(exc)
    return any(
        s in text
        for s in (
            "NameResolutionError",
            "Name or service not known",
            "Temporary failure in name resolution",
            "nodename nor servname",
        )
    )


def _incomplete(exc: BaseException | None) -> str | None:
    """'N of M bytes' when ``exc`` is (or wraps) a body that ended before its length."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, urllib3.exceptions.IncompleteRead | http.client.IncompleteRead):
            partial = exc.partial if isinstance(exc.partial, int) else len(exc.partial)
            expected = exc.expected if isinstance(exc.expected, int) else "?"
            return f"{partial} bytes, {expected} more expected"
        inner = [a for a in getattr(exc, "args", ()) if isinstance(a, BaseException)]
        exc = inner[0] if inner else exc.__cause__ or exc.__context__
        seen += 1
    return None


def _reason(exc: BaseException) -> str:
    """The innermost cause, short: 'ConnectionResetError: [Errno 104] ...'."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__
    for arg in getattr(exc, "args", ()):
        inner = arg if isinstance(arg, BaseException) else None
        if inner is not None:
            exc = inner
    text = str(exc).split(": ", 1)[-1] if "object at 0x" in str(exc) else str(exc)
    return f"{type(exc).__name__}: {text}"[:160]
