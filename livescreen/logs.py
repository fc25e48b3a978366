"""Logging for workflow steps: each Snakemake job writes its own log file."""

from __future__ import annotations

import contextvars
import logging
import sys
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from livescreen.errors import LivescreenError

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# the task (a keyword) the current thread works for, so its records reach its log only
_TASK: contextvars.ContextVar[str | None] = contextvars.ContextVar("livescreen_task", default=None)


@contextmanager
def logged(path: str | Path) -> Iterator[logging.Logger]:
    """Send livescreen's log records to `path` (the rule's `log:`), errors included."""
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    logger = logging.getLogger("livescreen")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    try:
        yield logger
    except Exception as exc:
        logger.error("%s: %s", type(exc).__name__, exc)
        raise
    finally:
        handler.close()


def each_logged(
    logs: Mapping[str, str | Path], task: Callable[[str, logging.Logger], None], workers: int = 4
) -> None:
    """Run `task(name, log)` for every name of `logs` in `workers` threads, each name's
    records (its own and those of the code it calls) in its own log file, errors included.
    Every task runs even when another fails; then the first failure is raised, naming how
    many failed. One job doing the network requests of several (one per keyword) saves a
    Python process and a Snakemake job per keyword; the rate limit is shared through its
    lock files (`livescreen.sources.ratelimit`), threads included."""
    logger = logging.getLogger("livescreen")
    before = logger.handlers[:], logger.level  # put back afterwards (a caller's logging)
    handlers = []
    for name, path in logs.items():
        handler = logging.FileHandler(path, mode="w", encoding="utf-8")
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(lambda record, name=name: _TASK.get() == name)
        handlers.append(handler)
    logger.handlers[:] = handlers
    logger.setLevel(logging.INFO)

    def run(name: str) -> Exception | None:
        _TASK.set(name)  # this thread's context only
        try:
            task(name, logger)
        except Exception as exc:
            logger.error("%s: %s", type(exc).__name__, exc)
            return exc
        finally:
            _TASK.set(None)
        return None

    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            failures = [(n, e) for n, e in zip(logs, pool.map(run, logs), strict=True) if e]
    finally:
        for handler in handlers:
            handler.close()
        logger.handlers[:], level = before
        logger.setLevel(level)
    if failures:
        names = ", ".join(name for name, _ in failures)
        first = failures[0][1]
        if len(failures) == 1:
            raise first
        raise LivescreenError(f"{len(failures)} of {len(logs)} failed ({names}); first: {first}")


class Progress:
    """Progress of a long step, as a line on stderr (which Snakemake shows in the terminal
    and a cron mail keeps; no carriage returns) about every `step` percent, and in the log."""

    def __init__(self, what: str, total: int, step: int = 10):
        self.what, self.total, self.step, self.next = what, total, step, step

    def advance(self, done: int) -> None:
        if not self.total:
            return
        percent = 100 * done // self.total
        if percent >= self.next or done == self.total:
            line = f"livescreen: {self.what}: {done:,} of {self.total:,} ({percent}%)"
            print(line, file=sys.stderr, flush=True)
            logging.getLogger("livescreen").info(line.removeprefix("livescreen: "))
            self.next = (percent // self.step + 1) * self.step
