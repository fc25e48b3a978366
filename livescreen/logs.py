"""Logging for workflow steps: each Snakemake job writes its own log file."""

from __future__ import annotations

import logging
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
