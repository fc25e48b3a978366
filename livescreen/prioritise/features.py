"""TF-IDF of word 1- and 2-grams, vectorised.

The result is scikit-learn's ``TfidfVectorizer(ngram_range=(1, n), sublinear_tf=...,
min_df=..., max_df=...)`` — the same tokens (``(?u)\\b\\w\\w+\\b`` on lower-cased text),
the same n-grams (across the whole text, as scikit-learn makes them), the same smoothed idf
and l2 norm (tests/test_ranking.py checks the two agree to 1e-12) — but counted with
pandas' hash tables instead of one Python dictionary look-up per n-gram, which makes it
about ten times faster: 10,000 abstracts take well under a second instead of several.
Columns are in order of first appearance (unigrams, then bigrams) rather than
alphabetical; `terms` names them.
"""

from __future__ import annotations

import re
from itertools import chain

import numpy as np
import pandas as pd
import scipy.sparse as sp

TOKEN = re.compile(r"(?u)\b\w\w+\b")


class TermNames:
    """Column index -> term, built on demand (most columns are never named)."""

    def __init__(self, unigrams: np.ndarray, pairs: np.ndarray, kept: np.ndarray):
        self._unigrams = unigrams  # unigram code -> text
        self._pairs = pairs  # bigram code -> (first unigram code, second unigram code)
        self._kept = kept  # column -> original feature code (unigrams first, then bigrams)

    def __len__(self) -> int:
        return len(self._kept)

    def __getitem__(self, column: int) -> str:
        code = int(self._kept[column])
        n_uni = len(self._unigrams)
        if code < n_uni:
            return str(self._unigrams[code])
        first, second = self._pairs[code - n_uni]
        return f"{self._unigrams[first]} {self._unigrams[second]}"

    def all(self) -> list[str]:
        return [self[j] for j in range(len(self))]


def tfidf(
    texts: list[str],
    max_n: int = 2,
    sublinear_tf: bool = True,
    min_df: int = 1,
    max_df: float = 1.0,
    whole_terms: list[list[str]] | None = None,
) -> tuple[sp.csr_matrix, TermNames]:
    """(l2-normalised TF-IDF matrix, its term names) of `texts`, for n-grams up to
    `max_n` (1 or 2). `max_df` below 1 is a share of the texts (as scikit-learn's float
    max_df); `min_df` a count. `whole_terms`: per text, terms that are one feature each
    (index terms such as MeSH headings), never split into words nor joined into 2-grams."""
    if max_n not in (1, 2):
        raise ValueError("max_n must be 1 or 2")
    tokens = [TOKEN.findall(t.lower()) for t in texts]
    n_docs = len(texts)
    if whole_terms is not None:
        words = [len(t) for t in tokens]
        tokens = [t + list(w) for t, w in zip(tokens, whole_terms, strict=True)]
    lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=n_docs)
    flat = np.array(list(chain.from_iterable(tokens)), dtype=object)
    if flat.size == 0:
        raise ValueError("no text to learn from: every record is empty")
    codes, unigrams = pd.factorize(flat)
    codes = codes.astype(np.int64)
    docs = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
    n_uni = len(unigrams)
    rows, cols = [docs], [codes]
    pairs = np.empty((0, 2), dtype=np.int64)
    if max_n == 2 and codes.size > 1:
        same = docs[:-1] == docs[1:]
        if whole_terms is not None:  # 2-grams only of two words of the text
            position = np.arange(codes.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            is_word = position < np.repeat(np.asarray(words, dtype=np.int64), lengths)
            same &= is_word[:-1] & is_word[1:]
        keys = codes[:-1][same] * n_uni + codes[1:][same]
        bigram_codes, uniques = pd.factorize(keys)
        pairs = np.stack([uniques // n_uni, uniques % n_uni], axis=1)
        rows.append(docs[:-1][same])
        cols.append(bigram_codes.astype(np.int64) + n_uni)
    n_features = n_uni + len(pairs)
    counts = sp.csr_matrix(
        (np.ones(sum(len(r) for r in rows)), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_docs, n_features),
    )
    counts.sum_duplicates()
    df = np.bincount(counts.indices, minlength=n_features)
    max_count = max_df * n_docs if isinstance(max_df, float) else max_df
    keep = (df >= min_df) & (df <= max_count)
    if not keep.any():
        raise ValueError("no terms left after min_df / max_df; lower min_df or raise max_df")
    kept = np.flatnonzero(keep)
    counts = counts[:, kept].tocsr()
    df = df[kept]
    if sublinear_tf:
        counts.data = np.log(counts.data) + 1.0
    idf = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
    counts = counts @ sp.diags(idf)
    counts = counts.tocsr()
    norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    matrix = sp.diags(1.0 / norms) @ counts
    matrix = matrix.tocsr()
    matrix.sort_indices()
    return matrix, TermNames(np.asarray(unigrams, dtype=object), pairs, kept)
