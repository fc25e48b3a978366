"""When is it safe to stop screening? A statistical stopping rule with a stated recall target
and confidence (Callaghan & Müller-Hansen 2020, "Statistical stopping criteria for
automated screening in systematic reviews", Systematic Reviews 9:273,
doi:10.1186/s13643-020-01521-4).

The hypothesis tested is H0: *recall is below the target* — more includes are still
unscreened than the target allows. The rule says stop when H0 is rejected at the stated
confidence (p < 1 - confidence).

Two ways to get the evidence, both from the paper and its software (buscar):

``random sample`` (`method="sample"`, the paper's rule)
    At some point reviewers stop reading in the model's order and read the records left in
    a random order (`sample_order`). If r_AL includes were found before the sample began,
    N_s records were left then, and the first n sampled records hold k includes, then under
    H0 the N_s records held at least K = floor((r_AL + k) / target - r_AL) + 1 includes,
    and the chance of seeing k or fewer in n random draws is the hypergeometric
    P(X <= k; N_s, K, n) — the p-value. Assumes only that the sample is random and the
    decisions right; nothing about the model.
``ranked`` (`method="ranked"`, buscar's ``calculate_h0`` with bias 1)
    No sample: the records screened last, in the model's order, are treated as if they had
    been drawn at random from themselves and everything still unscreened, for every such
    run of last records; the smallest p-value counts. Assumes the model's order is at least
    as likely as a random order to put includes first — true of any ranking better than
    chance, but an assumption; the sample rule does not need it.

Both need many records when includes are few: with 38 includes and a 95 % target, H0 says
"two or more includes are left", and ruling that out among 5,000 unscreened records takes
reading most of them. `docs/benchmarks.md` shows what the rules saved on the PTSD review.

`stopping_estimate` returns a `StoppingEstimate`: the p-value, whether to stop, the
estimated recall so far with its lower confidence bound, and how many more records (in the
model's order, or of the sample) must turn out to be excludes before the rule says stop;
`summary_lines()` says it in words, with what the estimate assumes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import hypergeom

RANKED, SAMPLE = "ranked", "sample"


@dataclass(frozen=True)
class StoppingEstimate:
    method: str  # "ranked" or "sample"
    recall_target: float
    confidence: float
    n_total: int  # records in the review
    n_screened: int  # records decided (include or exclude), sample included
    includes_found: int
    sample_size: int  # records of the random sample screened (0 for "ranked")
    p_value: float  # for H0: recall < recall_target
    stop: bool  # p_value < 1 - confidence
    estimated_recall: float  # the median estimate
    recall_lower_bound: float  # at `confidence`
    more_to_screen: int  # further excludes in a row before `stop` (0 when stop)

    @property
    def assumptions(self) -> tuple[str, ...]:
        common = (
            "every decision so far is right (a missed include is not counted)",
            "the review's records are all there is to find (the search is complete)",
        )
        if self.method == SAMPLE:
            return (
                "the sample records were read in a random order drawn from all the "
                "records left when sampling began (livescreen's sample_order), none skipped",
                *common,
            )
        return (
            "records were read in the model's order, and that order is at least as "
            "likely as a random one to put includes first (true of a ranking better "
            "than chance, but not checked)",
            *common,
        )

    def summary_lines(self) -> list[str]:
        target, conf = f"{self.recall_target:.0%}", f"{self.confidence:.0%}"
        how = (
            "a random sample of the records left"
            if self.method == SAMPLE
            else "the records read last in the model's order"
        )
        lines = [
            f"Stopping rule (Callaghan & Müller-Hansen 2020): recall target {target} at "
            f"{conf} confidence, tested on {how}.",
            f"Screened {self.n_screened:,} of {self.n_total:,} records "
            f"({self.sample_size:,} of them in the random sample); "
            f"{self.includes_found:,} includes found."
            if self.method == SAMPLE
            else f"Screened {self.n_screened:,} of {self.n_total:,} records; "
            f"{self.includes_found:,} includes found.",
            f"Estimated recall so far: {self.estimated_recall:.0%} "
            f"(at least {self.recall_lower_bound:.0%} with {conf} confidence).",
        ]
        if self.stop:
            lines.append(
                f"Safe to stop: the chance of this evidence if recall were below {target} "
                f"is {self.p_value:.3f}, under {1 - self.confidence:.2f}."
            )
        else:
            more = "sampled records" if self.method == SAMPLE else "records in the model's order"
            lines.append(
                f"Not yet: p = {self.p_value:.3f} for 'recall is below {target}'. "
                f"If the next {self.more_to_screen:,} {more} are all excludes, the "
                f"target is met; each include found puts that further off."
            )
        lines.append("Assumes: " + "; ".join(self.assumptions) + ".")
        return lines


def sample_order(record_ids: Sequence[str], seed: int = 20200273) -> list[str]:
    """The records left, in the random order the "sample" rule needs: reviewers who switch
    to it read them in this order (a fixed seed, so the order is the same every run; the
    ids are sorted first, so it does not depend on the order they came in)."""
    ids = sorted(set(record_ids))
    random.Random(seed).shuffle(ids)
    return ids


def _k_min(found: int, target: float) -> int:
    """The fewest includes there can be in all, if recall `found / total` is below target."""
    return math.floor(found / target + 1e-9) + 1


def _p_urns(
    k: np.ndarray, population: np.ndarray, drawn: np.ndarray, found: int, target: float
) -> np.ndarray:
    """p-values for urns of `population` records of which `drawn` were read holding `k`
    includes, `found` includes found in all."""
    least = _k_min(found, target) - (found - k)  # includes the urn held under H0
    p = hypergeom.cdf(k, population, np.minimum(least, population), drawn)
    return np.where(least > population, 0.0, p)


def _ranked_urns(labels: np.ndarray, n_total: int) -> tuple[np.ndarray, ...]:
    """The runs of last records that can give the smallest p: those starting at the first
    record or right after an include (a run is best extended back over excludes)."""
    n = labels.size
    starts = np.concatenate([[0], np.flatnonzero(labels) + 1])
    starts = starts[starts < n] if n else starts[:0]
    after = np.concatenate([np.cumsum(labels[::-1])[::-1], [0]])  # includes from i on
    k = after[starts]
    drawn = n - starts
    population = n_total - starts
    return k, population, drawn


def _urns(
    labels: np.ndarray, n_total: int, sample_start: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(includes read, records in the urn, records read) of each urn the test weighs."""
    if sample_start is None:
        return _ranked_urns(labels, n_total)
    sample = labels[sample_start:]
    if sample.size == 0:
        return (np.zeros(0, dtype=np.int64),) * 3
    return (
        np.array([int(sample.sum())]),
        np.array([n_total - sample_start]),
        np.array([sample.size]),
    )


def _p_value(labels: np.ndarray, n_total: int, target: float, sample_start: int | None) -> float:
    k, population, drawn = _urns(labels, n_total, sample_start)
    if k.size == 0:
        return 1.0
    return float(_p_urns(k, population, drawn, int(labels.sum()), target).min())


def _bounds(
    labels: np.ndarray, n_total: int, sample_start: int | None, target: float, confidence: float
) -> tuple[float, float]:
    """(median, lower-bound) recall, from the urn the test weighs most (smallest p): the
    includes it may still hold, by the same hypergeometric model."""
    found = int(labels.sum())
    if found == 0:
        return 0.0, 0.0
    k, population, drawn = _urns(labels, n_total, sample_start)
    if k.size == 0:
        return found / (found + n_total - labels.size), found / (found + n_total - labels.size)
    best = int(np.argmin(_p_urns(k, population, drawn, found, target)))
    k_u, m_u, n_u = int(k[best]), int(population[best]), int(drawn[best])
    totals = np.arange(k_u, k_u + (m_u - n_u) + 1)  # includes the urn may hold
    cdf = hypergeom.cdf(k_u, m_u, totals, n_u)
    left = totals - k_u
    median = int(left[cdf >= 0.5].max()) if (cdf >= 0.5).any() else 0
    upper = int(left[cdf >= 1 - confidence].max()) if (cdf >= 1 - confidence).any() else 0
    return found / (found + median), found / (found + upper)


def stopping_estimate(
    labels: Sequence[int],
    n_total: int,
    recall_target: float = 0.95,
    confidence: float = 0.95,
    sample_start: int | None = None,
) -> StoppingEstimate:
    """The stopping rule's verdict on a screening so far.

    `labels`: 1 (include) / 0 (exclude) of every record screened, in the order screened
    (the first, unranked decisions too). `n_total`: all records of the review, screened or
    not. `sample_start`: the index in `labels` where reviewers switched to the random
    `sample_order` of the records then left (None: no sample, the ``ranked`` test).
    """
    array = np.asarray(labels, dtype=np.int64)
    if not 0 < recall_target < 1 or not 0 < confidence < 1:
        raise ValueError("recall_target and confidence must be between 0 and 1")
    if array.size > n_total:
        raise ValueError(f"{array.size} records screened of only {n_total}")
    if sample_start is not None and not 0 <= sample_start <= array.size:
        raise ValueError("sample_start must index the screened records")
    alpha = 1 - confidence
    p = _p_value(array, n_total, recall_target, sample_start)
    stop = p < alpha
    more = 0
    if not stop:  # the fewest further excludes that bring p under alpha (p falls with each)
        lo, hi = 1, n_total - array.size
        while lo < hi:
            mid = (lo + hi) // 2
            extended = np.concatenate([array, np.zeros(mid, dtype=np.int64)])
            if _p_value(extended, n_total, recall_target, sample_start) < alpha:
                hi = mid
            else:
                lo = mid + 1
        more = hi
    median, lower = _bounds(array, n_total, sample_start, recall_target, confidence)
    return StoppingEstimate(
        method=RANKED if sample_start is None else SAMPLE,
        recall_target=recall_target,
        confidence=confidence,
        n_total=n_total,
        n_screened=int(array.size),
        includes_found=int(array.sum()),
        sample_size=0 if sample_start is None else int(array.size - sample_start),
        p_value=p,
        stop=bool(stop),
        estimated_recall=median,
        recall_lower_bound=lower,
        more_to_screen=int(more),
    )


def first_stop(
    labels: Sequence[int],
    n_total: int,
    recall_target: float = 0.95,
    confidence: float = 0.95,
    sample_start: int | None = None,
    min_screened: int = 1,
) -> int | None:
    """Simulation: the first number of records screened (at least `min_screened`, and past
    `sample_start` for the sample rule) at which the rule says stop, reading `labels` in
    order (it ends with every include found; the records after it are all excludes, and
    are appended as needed). None if it never says stop before every record is read."""
    array = np.asarray(labels, dtype=np.int64)
    alpha = 1 - confidence
    start = max(min_screened, 1 if sample_start is None else sample_start + 1)
    last_include = int(np.flatnonzero(array)[-1]) + 1 if array.any() else 0
    for t in range(start, max(start, last_include + 1)):
        if t > array.size:
            break
        if _p_value(array[:t], n_total, recall_target, sample_start) < alpha:
            return t
    # From here on only excludes are read: p falls with every one, so bisect.
    lo = max(start, last_include + 1)
    hi = n_total
    padded = np.concatenate([array, np.zeros(n_total - array.size, dtype=np.int64)])
    if _p_value(padded[:hi], n_total, recall_target, sample_start) >= alpha:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if _p_value(padded[:mid], n_total, recall_target, sample_start) < alpha:
            hi = mid
        else:
            lo = mid + 1
    return hi
