"""Screening-order metrics, as ASReview and its companion asreview-insights define them.

Every function takes `labels`: the labels (1 include, 0 exclude) of the records in the
order they were screened, *after* the prior records that started the model (ASReview's
``priors=False``), with the records never screened appended as 0s up to the number of
records that were not priors: a simulation that stops at the last include has screened
every include, so what follows it is all excludes, in any order.

``wss(labels, 0.95)``
    Work Saved over Sampling (Cohen et al. 2006): (N - n) / N - (1 - r), n the records
    screened when the share r of the includes has been found (the ceil(r x R)-th
    include), N all records. The ceiling at r = 0.95 is 0.95 - ceil(0.95 R) / N.
``wss_insights(labels, 0.95)``
    asreview-insights' reading of the same curve (``asreviewcontrib.insights.metrics.wss``):
    the last step of the curve at or below recall r (floor(r x R) includes) against a
    rounded random baseline. It is lower than `wss` when r x R is not a whole number;
    given for comparison with figures made with asreview-insights.
``rrf(labels, 0.10)``
    Relevant Records Found: the recall after screening the share 0.10 of the records
    (floor(0.10 x N) records), as asreview-insights' ``recall(.., 0.10)``.
``atd(labels)``
    Average Time to Discovery (Ferdinands et al. 2023), in records: the mean over the
    includes of the number of records screened when each was found (asreview-insights'
    ``average_time_to_discovery``). Divide by N for the share.
``loss(labels)``
    ASReview's normalised loss (``asreview.metrics.loss``): the area between the perfect
    recall curve and this one, over the area between the perfect and the worst; 0 is
    perfect, 1 the worst order.
``records_to_recall(labels, 0.95)``
    n of `wss`: records screened until ceil(r x R) includes were found.
``recall_curve(labels)``
    (records screened, recall) after every record.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def _labels(labels: Sequence[int]) -> np.ndarray:
    array = np.asarray(labels, dtype=np.int64)
    if array.ndim != 1 or array.size == 0:
        raise ValueError("labels must be a non-empty sequence of 0s and 1s")
    if not np.isin(array, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    n_inc = int(array.sum())
    if n_inc == 0 or n_inc == array.size:
        raise ValueError("labels must hold both includes and excludes")
    return array


def needed(n_includes: int, recall: float) -> int:
    """Includes to find for `recall`: ceil(recall x n_includes), rounding guarded."""
    return max(1, math.ceil(recall * n_includes - 1e-9))


def records_to_recall(labels: Sequence[int], recall: float = 0.95) -> int:
    array = _labels(labels)
    found = np.cumsum(array)
    return int(np.searchsorted(found, needed(int(found[-1]), recall)) + 1)


def wss(labels: Sequence[int], recall: float = 0.95) -> float:
    array = _labels(labels)
    n = array.size
    return (n - records_to_recall(array, recall)) / n - (1 - recall)


def wss_insights(labels: Sequence[int], recall: float = 0.95) -> float:
    array = _labels(labels)
    n, n_inc = array.size, int(array.sum())
    found = np.cumsum(array)
    random = np.round(np.linspace(0, n_inc, n))
    targets = np.arange(1, n_inc + 1)
    earlier = np.searchsorted(random, targets) - np.searchsorted(found, targets)
    x = targets / n_inc
    return float(earlier[np.searchsorted(x, recall, side="right") - 1] / n)


def rrf(labels: Sequence[int], share: float = 0.10) -> float:
    array = _labels(labels)
    n = array.size
    x = np.arange(1, n + 1) / n
    i = int(np.searchsorted(x, share, side="right"))
    return 0.0 if i == 0 else float(np.cumsum(array)[i - 1] / array.sum())


def atd(labels: Sequence[int]) -> float:
    array = _labels(labels)
    return float(np.mean(np.flatnonzero(array) + 1))


def loss(labels: Sequence[int]) -> float:
    array = _labels(labels)
    ny, nx = int(array.sum()), array.size
    return float((ny * (nx - (ny - 1) / 2) - np.cumsum(array).sum()) / (ny * (nx - ny)))


def recall_curve(labels: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    array = _labels(labels)
    return np.arange(1, array.size + 1), np.cumsum(array) / array.sum()


def summary(labels: Sequence[int]) -> dict[str, float]:
    """The benchmark's figures for one screening order."""
    return {
        "wss95": wss(labels, 0.95),
        "wss100": wss(labels, 1.0),
        "wss95_insights": wss_insights(labels, 0.95),
        "rrf10": rrf(labels, 0.10),
        "atd": atd(labels),
        "loss": loss(labels),
        "n95": records_to_recall(labels, 0.95),
        "n100": records_to_recall(labels, 1.0),
    }
