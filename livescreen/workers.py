"""Worker processes for the steps that use their rule's threads (parse, classify).

Snakemake runs a rule's `script:` as the main module, with no `if __name__ == "__main__"`
guard. The "spawn" and "forkserver" start methods (the default on macOS and Windows, and
from Python 3.14 on Linux) run the main module again in every worker, which would run the
whole step again there and break the pool. The workers are therefore forked; where fork is
not available (Windows) the step runs in its own process, with the same output.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor


def worker_pool(
    processes: int, initializer: Callable | None = None, initargs: tuple = ()
) -> ProcessPoolExecutor | None:
    """A pool of `processes` forked workers, or None when one process is asked for or the
    platform cannot fork (the caller then does the work itself)."""
    if processes < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return ProcessPoolExecutor(
        processes,
        mp_context=multiprocessing.get_context("fork"),
        initializer=initializer,
        initargs=initargs,
    )
