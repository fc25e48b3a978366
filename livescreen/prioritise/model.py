"""The ranking model: TF-IDF over a record's text and a linear classifier trained on the
review's own decisions.

Everything here is deterministic: the vectoriser has no randomness, and the classifier's
coordinate descent is seeded (`ModelConfig.seed`), so the same records and the same
decisions give the same ranking, run after run. Nothing is downloaded: the model is fitted
from the review's records each time it is asked, in well under a second for a few thousand
records (see `docs/benchmarks.md`, "Prioritised screening").
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from livescreen.prioritise.features import TOKEN, TermNames, tfidf
from livescreen.prioritise.text import (  # noqa: F401 -- INCLUDE, EXCLUDE re-exported
    EXCLUDE,
    INCLUDE,
    LIST_FIELDS,
    TEXT_FIELDS,
    decision_label,
    field_text,
    record_id,
    record_text,
    terms,
)


@dataclass(frozen=True)
class ModelConfig:
    """The model's settings. The defaults are ASReview's default model (ELAS u4: TF-IDF
    of word 1- and 2-grams, sublinear term frequency, terms in over 95 % of the records
    dropped; a linear SVM, squared hinge loss, C = 0.11; the includes weighted 9.8 times
    the excludes in all) with the record's keywords and MeSH headings added as whole-term
    features. That last choice, and ELAS u4 over the alternatives, was made on nine other
    SYNERGY reviews, not on the PTSD review the benchmark reports (docs/benchmarks.md,
    "Prioritised screening").

    * ``fields``: what the model reads (title, abstract, author keywords, MeSH);
    * ``index_terms``: keywords and MeSH headings as one feature each (``"stress
      disorders, post-traumatic"``), never split into words nor joined to the text's
      2-grams; False reads them as more text;
    * ``classifier``: ``"svm"`` (linear support vector machine) or ``"logistic"``
      (logistic regression), with regularisation ``C``;
    * ``balance_ratio``: the includes' total weight over the excludes' (a review has few
      includes among many excludes).
    """

    classifier: str = "svm"
    C: float = 0.11
    balance_ratio: float = 9.8
    ngram_range: tuple[int, int] = (1, 2)
    sublinear_tf: bool = True
    min_df: int = 1
    max_df: float = 0.95
    fields: tuple[str, ...] = TEXT_FIELDS
    index_terms: bool = True
    seed: int = 535


DEFAULT_CONFIG = ModelConfig()


@dataclass(frozen=True)
class Ranked:
    """An undecided record's place in the ranking.

    ``priority``: 1 = read first. ``relevance``: the model's score (the signed distance from
    its include/exclude boundary; above 0 it leans to include; only the order is meant to
    be read). ``priority_reason``: the record's terms that raised its score most, as they
    are written in the record (``"mdma-assisted, prolonged exposure, randomised"``).
    """

    record_id: str
    priority: int
    relevance: float
    priority_reason: str


@dataclass
class Features:
    """The TF-IDF matrix of a set of records (one row each) and its terms."""

    matrix: sp.csr_matrix
    terms: TermNames
    texts: list[str] = field(repr=False)


def record_features(records: Sequence[Mapping], config: ModelConfig = DEFAULT_CONFIG) -> Features:
    """The features of `records` under `config`: their text's TF-IDF, and with
    `config.index_terms` their keywords and MeSH headings as whole terms."""
    if not config.index_terms:
        return featurise([record_text(r, config.fields) for r in records], config)
    text_fields = tuple(f for f in config.fields if f not in LIST_FIELDS)
    index_fields = [f for f in config.fields if f in LIST_FIELDS]
    whole = [sorted({t.lower() for f in index_fields for t in terms(r.get(f))}) for r in records]
    return featurise([record_text(r, text_fields) for r in records], config, whole)


def featurise(
    texts: Sequence[str],
    config: ModelConfig = DEFAULT_CONFIG,
    whole_terms: list[list[str]] | None = None,
) -> Features:
    """TF-IDF features of `texts` (`livescreen.prioritise.features.tfidf`, equal to
    scikit-learn's TfidfVectorizer with the config's settings)."""
    texts = list(texts)
    if config.ngram_range[0] != 1:
        raise ValueError("ngram_range must start at 1")
    settings = dict(
        max_n=config.ngram_range[1], sublinear_tf=config.sublinear_tf, whole_terms=whole_terms
    )
    try:
        matrix, terms = tfidf(texts, min_df=config.min_df, max_df=config.max_df, **settings)
    except ValueError:  # very few records: every term is in more than max_df of them
        matrix, terms = tfidf(texts, min_df=1, max_df=1.0, **settings)
    return Features(matrix, terms, texts)


def sample_weights(y: np.ndarray, ratio: float) -> np.ndarray:
    """Weights that give the includes (1) ``ratio`` times the excludes' (0) total weight,
    scaled to sum to len(y) (as ASReview's "balanced" balancer)."""
    n1, n0 = int(y.sum()), int(len(y) - y.sum())
    weights = np.where(y == 1, 1.0, n1 / (ratio * n0))
    return weights * (len(y) / weights.sum())


class LinearModel:
    """A fitted linear model: score = X @ coef + intercept."""

    def __init__(self, coef: np.ndarray, intercept: float):
        self.coef = coef
        self.intercept = intercept

    def scores(self, matrix: sp.spmatrix) -> np.ndarray:
        return np.asarray(matrix @ self.coef).ravel() + self.intercept


def fit(matrix: sp.spmatrix, y: np.ndarray, config: ModelConfig = DEFAULT_CONFIG) -> LinearModel:
    """Fit the classifier to rows `matrix` with labels `y` (1 include, 0 exclude); both
    classes must be present."""
    y = np.asarray(y, dtype=np.int8)
    if y.min() == y.max():
        raise ValueError("fitting needs at least one include and one exclude")
    weights = sample_weights(y, config.balance_ratio)
    if config.classifier == "svm":
        model = LinearSVC(
            C=config.C, loss="squared_hinge", dual=True, random_state=config.seed, max_iter=2000
        )
    elif config.classifier == "logistic":
        model = LogisticRegression(
            C=config.C, solver="liblinear", random_state=config.seed, max_iter=1000
        )
    else:
        raise ValueError(f"unknown classifier {config.classifier!r} (svm or logistic)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(matrix, y, sample_weight=weights)
    coef = np.asarray(model.coef_, dtype=np.float64).ravel()
    return LinearModel(coef, float(model.intercept_[0]))


# -- the ranking API ------------------------------------------------------------------------


def rank(
    records: Iterable[Mapping],
    decisions: Mapping[str, object],
    config: ModelConfig = DEFAULT_CONFIG,
    reason_terms: int = 3,
) -> dict[str, Ranked]:
    """Rank the undecided records by a model trained on the decided ones.

    `records`: dicts with ``record_id`` (or ``pmid`` / ``nct_id``), ``title``,
    ``abstract``, ``keywords`` and ``mesh`` (lists or "; "-joined strings; any may be
    missing). `decisions`: record_id -> ``include`` / ``exclude`` (text, or a
    `livescreen.review.decisions.Decision`); ``maybe``, blank and records absent from it are
    undecided. Decisions about records not in `records` are ignored.

    Returns record_id -> `Ranked` for every undecided record, or ``{}`` while the decided
    records hold fewer than one include and one exclude (nothing to learn from), or when
    no record has any text. The result depends only on the records' content and the
    decisions, not on the order of `records` (a record id given twice keeps its first
    record).
    """
    by_id: dict[str, Mapping] = {}
    for record in records:
        by_id.setdefault(record_id(record), record)
    ids = sorted(by_id)
    labels = [decision_label(decisions.get(rid)) for rid in ids]
    train = [i for i, label in enumerate(labels) if label]
    pool = [i for i, label in enumerate(labels) if not label]
    y = np.array([labels[i] == INCLUDE for i in train], dtype=np.int8)
    if not pool or y.sum() == 0 or y.sum() == len(y):
        return {}
    if not any(TOKEN.search(record_text(by_id[rid], config.fields)) for rid in ids):
        return {}
    features = record_features([by_id[rid] for rid in ids], config)
    texts = [record_text(by_id[rid], config.fields) for rid in ids]
    model = fit(features.matrix[train], y, config)
    pool_matrix = features.matrix[pool]
    scores = model.scores(pool_matrix)
    # Highest score first; ties by record id (the pool is in id order: a stable sort).
    order = np.argsort(-scores, kind="stable")
    reasons = strongest_terms(
        pool_matrix, model.coef, features.terms, [texts[i] for i in pool], reason_terms
    )
    ranked = {}
    for priority, j in enumerate(order, start=1):
        rid = ids[pool[j]]
        ranked[rid] = Ranked(rid, priority, round(float(scores[j]), 4), reasons[j])
    return ranked


# -- reasons ---------------------------------------------------------------------------------


def _displayable(term: str) -> bool:
    words = term.split()
    return not (
        words[0] in ENGLISH_STOP_WORDS
        or words[-1] in ENGLISH_STOP_WORDS
        or all(w.isdigit() for w in words)
    )


def _surface(term: str, lowered_text: str) -> str | None:
    """The term as the record writes it (``mdma assisted`` -> ``mdma-assisted`` when the
    record hyphenates it), lower case; None for a 2-gram the record only has across
    punctuation (``"ptsd, randomised"``), which would read as nonsense."""
    if "," in term:  # a whole index term ("stress disorders, post-traumatic"), quoted so
        return f'"{term}"'  # its comma does not read as the list's
    if " " not in term:
        return term
    if term in lowered_text:
        return term
    hyphenated = term.replace(" ", "-")
    return hyphenated if hyphenated in lowered_text else None


def strongest_terms(
    matrix: sp.csr_matrix,
    coef: np.ndarray,
    terms: TermNames,
    texts: Sequence[str],
    n: int = 3,
) -> list[str]:
    """For each row, the `n` terms that add most to its score (tf-idf weight x model
    weight), never repeating a word (``"prolonged exposure"`` keeps out ``"exposure"``)
    and leaving out stop-word n-grams (``"of the"``) and 2-grams that span punctuation.
    A row with no term that raises its score gets ``""``."""
    matrix = matrix.tocsr()
    n_rows = matrix.shape[0]
    contrib = matrix.data * coef[matrix.indices]
    rows = np.repeat(np.arange(n_rows), np.diff(matrix.indptr))
    positive = contrib > 0
    contrib, rows, cols = contrib[positive], rows[positive], matrix.indices[positive]
    order = np.lexsort((-contrib, rows))  # by row, then strongest first
    starts = np.searchsorted(rows[order], np.arange(n_rows + 1))
    span = 5 * n  # candidates looked at per row, strongest first
    window = np.concatenate(
        [order[starts[r] : min(starts[r + 1], starts[r] + span)] for r in range(n_rows)]
        or [np.zeros(0, dtype=np.int64)]
    )
    candidates = {}  # column -> (term, its words), for displayable terms only
    for c in np.unique(cols[window]).tolist():
        term = terms[c]
        if _displayable(term):
            candidates[c] = (term, set(term.split()))
    reasons = []
    for row in range(n_rows):
        chosen: list[tuple[str, set[str]]] = []  # (as shown, its words)
        lowered: str | None = None
        for column in cols[order[starts[row] : min(starts[row + 1], starts[row] + span)]].tolist():
            found = candidates.get(column)
            if found is None:
                continue
            term, words = found
            overlapping = [i for i, (_, w) in enumerate(chosen) if w & words]
            # a 2-gram takes the place of the single words it contains ("mdma" ->
            # "mdma-assisted"); anything else sharing a word is left out
            if overlapping and not (
                len(words) > 1 and all(len(chosen[i][1]) == 1 for i in overlapping)
            ):
                continue
            if lowered is None and " " in term:
                lines = texts[row].lower().split("\n")
                lowered = "\n".join(" ".join(line.split()) for line in lines)
            shown = _surface(term, lowered or "")
            if shown is None:
                continue
            if overlapping:
                chosen[overlapping[0]] = (shown, words)
                for i in reversed(overlapping[1:]):
                    del chosen[i]
            elif len(chosen) < n:
                chosen.append((shown, words))
        reasons.append(", ".join(t for t, _ in chosen))
    return reasons
