"""A request-rate limit shared by every process of this user on this machine.

Snakemake runs keyword searches as parallel jobs, each its own Python process, and NCBI
counts requests per IP address (or per API key) across all of them. Bio.Entrez's throttle
is per process, so this limiter keeps the time of the last request in a small file guarded
by an exclusive ``flock``: a process takes a slot when one interval has passed since the last
request of any process, and stamps the file with it; once its request is on the wire it moves
the stamp to that moment (`SharedRateLimiter.sent`), so a request held up between its slot
and the wire pushes the next one back instead of arriving right before it.

Requests are spaced evenly, ``window * (1 + margin) / rate`` apart (3/s: one every 0.383 s),
not let out in bursts of ``rate`` per window: the server counts arrivals, and a burst of three
leaves no room for a request of the next burst that arrives a little early (or whose
predecessor arrived a little late) — four would then fall within one second. Even spacing
gives every window ``margin`` seconds of slack against such jitter.

The file lives in a directory only this user can write (``$LIVESCREEN_RATE_DIR``, else
``$XDG_RUNTIME_DIR/livescreen``, else ``~/.cache/livescreen``) and is opened without following
symbolic links: in a shared temp folder another local user could plant a link there to make a
run overwrite a file, or a file of their own to block it. A directory or file that is not the
user's own, or that others may write, is refused (`UnsafeRateFile`), never used.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from livescreen.errors import LivescreenError

# Requests leave (and arrive) a little after the limiter lets them go; spacing them by
# (1 + margin) / rate keeps that jitter from squeezing rate + 1 arrivals into one window.
DEFAULT_MARGIN = 0.15
_ELSEWHERE = "or set LIVESCREEN_RATE_DIR to a directory only you can write"


class UnsafeRateFile(LivescreenError):
    """The rate-limiter's directory or file could be written or swapped by another user."""


def default_lock_dir() -> Path:
    """Where limiter files live: a per-user directory, never the shared temp folder."""
    override = os.environ.get("LIVESCREEN_RATE_DIR")
    if override:
        return Path(override)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return Path(runtime) / "livescreen"
    return Path.home() / ".cache" / "livescreen"


class SharedRateLimiter:
    """Requests ``window * (1 + margin) / rate`` seconds apart, across processes sharing ``key``:
    so at most ``rate`` in any ``window`` seconds, with ``margin * window`` seconds to spare."""

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
        self.interval = window * (1 + margin) / rate
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        self.path = Path(lock_dir or default_lock_dir()) / f"livescreen-rate-{digest}"

    def acquire(self) -> float:
        """Block until one more request is allowed, and take its slot; the seconds waited.

        The lock is held only to read and write the time stamp, never while sleeping, so a
        process whose request left late can move the stamp (`sent`) while others wait; each
        waiter looks at the stamp again after its sleep.
        """
        waited = 0.0
        while (wait := self._try_slot()) > 0:
            time.sleep(wait)
            waited += wait
        return waited

    def sent(self) -> None:
        """Move the stamp to now, when the request has really left, if that is later.

        Between its slot and the wire a request may be held up (a busy machine, a new
        connection): spacing the next one from the slot would let the two arrive too close.
        """
        with self._locked() as fd:
            now = time.time()
            if now > _last_time(os.pread(fd, 4096, 0)):
                _stamp(fd, now)

    def _try_slot(self) -> float:
        """Take the slot (0.0) if one interval has passed since the stamp, else the wait left."""
        with self._locked() as fd:
            now = time.time()
            wait = _last_time(os.pread(fd, 4096, 0)) + self.interval - now
            if wait > self.interval:  # a stamp in the future: the clock stepped back
                _stamp(fd, now)  # one interval from now, not until the clock catches up
                return self.interval
            if wait > 0:
                return wait
            _stamp(fd, now)
            return 0.0

    @contextmanager
    def _locked(self) -> Iterator[int]:
        fd = open_private(self.path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released when fd is closed
            yield fd
        finally:
            os.close(fd)


def _stamp(fd: int, when: float) -> None:
    data = f"{when:.6f}\n".encode()
    os.pwrite(fd, data, 0)
    os.ftruncate(fd, len(data))


def open_private(path: Path) -> int:
    """Open (creating, mode 0600) the limiter file in a private directory; its descriptor.

    The directory is created mode 0700 if missing, opened once and checked through that
    descriptor, and the file opened relative to it with O_NOFOLLOW, so neither can be swapped
    between the check and the use.
    """
    directory = path.parent
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise UnsafeRateFile(f"cannot use rate-limiter directory {directory}: {exc}") from None
    try:
        _check_private(os.fstat(dir_fd), "rate-limiter directory", directory)
        fd = _open_in(dir_fd, path)
    finally:
        os.close(dir_fd)
    try:
        _check_private(os.fstat(fd), "rate-limiter file", path)
    except UnsafeRateFile:
        os.close(fd)
        raise
    return fd


def _open_in(dir_fd: int, path: Path) -> int:
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        return os.open(path.name, flags, 0o600, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeRateFile(
                f"rate-limiter file {path} is a symbolic link; refusing to follow it (a link "
                f"there could make this run overwrite the file it points to); remove the link, "
                f"{_ELSEWHERE}"
            ) from None
        raise UnsafeRateFile(f"cannot open rate-limiter file {path}: {exc}") from None


def _check_private(info: os.stat_result, what: str, path: Path) -> None:
    """Refuse what another user owns or may write: they could block or steer the run."""
    if what == "rate-limiter file" and not stat.S_ISREG(info.st_mode):
        raise UnsafeRateFile(f"{what} {path} is not a regular file; remove it, {_ELSEWHERE}")
    me = os.geteuid()
    if info.st_uid != me:
        raise UnsafeRateFile(
            f"{what} {path} is owned by uid {info.st_uid}, not by you (uid {me}); refusing "
            f"to use it: remove it, {_ELSEWHERE}"
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o022:
        raise UnsafeRateFile(
            f"{what} {path} is writable by other users (mode {mode:04o}); refusing to use "
            f"it: run chmod go-w {path}, {_ELSEWHERE}"
        )


def _last_time(data: bytes) -> float:
    """The latest time stamp in the file; 0 when there is none (a new, torn or foreign file)."""
    times = []
    for word in data.decode("ascii", "replace").split():
        try:
            times.append(float(word))
        except ValueError:
            continue  # a torn or foreign line: ignore it rather than fail a search
    return max(times, default=0.0)
