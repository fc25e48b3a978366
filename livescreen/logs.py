"""Logging for workflow steps: each Snakemake job writes its own log file."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def logged(path: str | Path) -> Iterator[logging.Logger]:
    """Send livescreen's log records to `path` (the rule's `log:`), errors included."""
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
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
