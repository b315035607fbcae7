"""One HTTP session policy for every remote source: retries, backoff, timeouts, rate limits."""

from __future__ import annotations

import threading
import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from mirlens import __version__

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
