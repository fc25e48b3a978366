"""Prioritised screening: learn from the reviewers' decisions, rank what is left, say when
it is safe to stop, and hand records to and from ASReview LAB.

The API for the screening step
------------------------------
``rank(records, decisions) -> dict[str, Ranked]``
    For every undecided record: ``priority`` (1 = read first), ``relevance`` (the model's
    score) and ``priority_reason`` (its strongest terms: ``"mdma-assisted, prolonged
    exposure, randomised"``). `records`: dicts with ``record_id`` (or ``pmid`` /
    ``nct_id``), ``title``, ``abstract``, ``keywords``, ``mesh``; `decisions`:
    record_id -> ``include`` / ``exclude`` (text or a `livescreen.review.decisions.Decision`;
    ``maybe`` and blank are undecided). ``{}`` until the decisions hold at least one
    include and one exclude. Deterministic, offline, about 3 s at 10,000 records
    (`model`).
``stopping_estimate(labels, n_total, recall_target=0.95, confidence=0.95,
sample_start=None) -> StoppingEstimate``
    Callaghan & Müller-Hansen's hypergeometric stopping rule (`stopping`):
    ``.stop``, ``.p_value``, ``.estimated_recall``, ``.recall_lower_bound``,
    ``.more_to_screen`` and ``.summary_lines()`` (what it found, and what it assumes).
    `labels`: 1/0 of the records screened, in the order screened
    (`screening_labels` builds them from the decision store's history).
``sample_order(record_ids) -> list[str]``
    The fixed random order of the records left, for the rule's random sample.
``write_asreview_dataset(path, records, decisions)`` /
``read_asreview_labels(path, records) -> ImportedLabels``
    ASReview LAB's dataset format out, its exported labels back as decisions
    (`asreview_io`).

`livescreen simulate DATA --compare asreview` (`simulate`) replays a labelled review with
this model and ASReview's default; `docs/benchmarks.md` has the figures.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from typing import Any

from livescreen.prioritise.text import decision_label

# name -> submodule: loaded on first use, so the steps that only write or read ASReview's
# files (export.asreview, review.asreview_import) never import scikit-learn (2 s)
_LAZY = {
    "metrics": None,
    "AsreviewFormatError": "asreview_io",
    "ImportedLabels": "asreview_io",
    "asreview_rows": "asreview_io",
    "read_asreview_labels": "asreview_io",
    "write_asreview_dataset": "asreview_io",
    "DEFAULT_CONFIG": "model",
    "ModelConfig": "model",
    "Ranked": "model",
    "rank": "model",
    "StoppingEstimate": "stopping",
    "sample_order": "stopping",
    "stopping_estimate": "stopping",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_LAZY[name] or name}")
    value = module if _LAZY[name] is None else getattr(module, name)
    globals()[name] = value
    return value


def screening_labels(
    history: Iterable[dict], current: Mapping[str, object], screener: str = ""
) -> list[int]:
    """1 (include) / 0 (exclude) for every record whose decision in force (`current`, as
    `livescreen.review.decisions.current_decisions` gives it) is include or exclude, in the
    order each was first decided in the store's `history`: the `labels` `stopping_estimate`
    takes."""
    first: dict[str, int] = {}
    for index, entry in enumerate(history):
        if entry.get("status") == "decided" and entry.get("screener", "") == screener:
            first.setdefault(entry["record_id"], index)
    order = sorted(first, key=first.get)
    labels = [decision_label(current[rid]) for rid in order if rid in current]
    return [1 if label == "include" else 0 for label in labels if label]


__all__ = [
    "DEFAULT_CONFIG",
    "AsreviewFormatError",
    "ImportedLabels",
    "ModelConfig",
    "Ranked",
    "StoppingEstimate",
    "asreview_rows",
    "metrics",
    "rank",
    "read_asreview_labels",
    "sample_order",
    "screening_labels",
    "stopping_estimate",
    "write_asreview_dataset",
]
