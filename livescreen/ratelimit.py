"""A request-rate limit shared by every process on this machine.

Snakemake runs keyword searches as parallel jobs, each its own Python process, and NCBI
counts requests per IP address (or per API key) across all of them. Bio.Entrez's throttle
is per process, so this limiter keeps the timestamps of recent requests in a small file
guarded by an exclusive ``flock``: a process waits (holding the lock, so others queue
behind it) until sending one more request keeps every sliding window of ``window``
seconds at or under ``rate`` requests.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time
from pathlib import Path

# Requests leave a little after the limiter lets them go; the margin keeps jitter between
# the limiter's clock and the server's arrival times from squeezing rate + 1 into a window.
DEFAULT_MARGIN = 0.1


def default_lock_dir() -> Path:
    """Where limiter files live: $LIVESCREEN_RATE_DIR, else the system temp directory."""
    return Path(os.environ.get("LIVESCREEN_RATE_DIR") or tempfile.gettempdir())


class SharedRateLimiter:
    """At most ``rate`` requests in any ``window`` seconds, across processes sharing ``key``."""

    def __init__(
        self,
        rate: int,
        key: str,
        *,
        window: float = 1.0,
        margin: float = DEFAULT_MARGIN,
        lock_dir: Path | None = None,
    ):
        if rate < 1:
            raise ValueError(f"rate must be at least 1 request per window, got {rate}")
        self.rate = rate
        self.span = window + margin
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        self.path = (lock_dir or default_lock_dir()) / f"livescreen-rate-{digest}"

    def acquire(self) -> float:
        """Block until one more request is allowed; return the seconds waited."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                return self._take_slot(handle)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _take_slot(self, handle) -> float:
        handle.seek(0)
        now = time.time()
        recent = [t for t in _read_times(handle.read()) if now - t < self.span]
        waited = 0.0
        if len(recent) >= self.rate:
            waited = recent[-self.rate] + self.span - now
            if waited > 0:
                time.sleep(waited)
            now = time.time()
            recent = [t for t in recent if now - t < self.span]
        recent.append(now)
        handle.seek(0)
        handle.truncate()
        handle.write("\n".join(f"{t:.6f}" for t in recent[-self.rate :]))
        handle.flush()
        return max(waited, 0.0)


def _read_times(text: str) -> list[float]:
    times = []
    for line in text.split():
        try:
            times.append(float(line))
        except ValueError:
            continue  # a torn or foreign line: ignore it rather than fail a search
    return sorted(times)
