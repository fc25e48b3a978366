"""`livescreen …` (also `python -m livescreen …`): the things reviewers run by hand.

livescreen evaluate [--config config.yaml] [--data FILE ...]   the classifier's figures
livescreen prisma COUNTS.csv FLOW.svg FLOW.png                 redraw a completed PRISMA
livescreen simulate DATA [--seeds N] [--label-column COL] [--compare asreview]
                                                               replay a labelled review with
                                                               the ranking model (and ASReview)
livescreen dedup-benchmark DIR [DIR ...] [--tool livescreen|bib-dedupe|both]
                                                               deduplication beside bib-dedupe
                                                               on labelled sets (its format)
livescreen asreview-import FILE --reviewer NAME [--decisions DIR]
                                                               ASReview LAB's exported labels
                                                               into the decision store
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence


def _evaluate(argv: list[str]) -> int:
    from livescreen.classify.evaluation import main

    return main(argv)


def _prisma(argv: list[str]) -> int:
    from livescreen.export.prisma_diagram import main

    return main(argv)


def _simulate(argv: list[str]) -> int:
    from livescreen.prioritise.simulate import main

    return main(argv)


def _dedup_benchmark(argv: list[str]) -> int:
    from livescreen.dedup.benchmark import main

    return main(argv)


def _asreview_import(argv: list[str]) -> int:
    from livescreen.review.asreview_import import main

    return main(argv)


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "evaluate": _evaluate,
    "prisma": _prisma,
    "simulate": _simulate,
    "dedup-benchmark": _dedup_benchmark,
    "asreview-import": _asreview_import,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in COMMANDS:
        print(__doc__.strip(), file=sys.stderr)
        return 0 if args[:1] in (["-h"], ["--help"]) else 2
    return COMMANDS[args[0]](args[1:])
