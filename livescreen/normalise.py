"""Normalisation for matching: the same folding of names, titles, DOIs and dates everywhere.

Values are kept as written for display; these keys exist only to compare them.
"""

from __future__ import annotations

import re
import unicodedata


# Unicode hyphens and dashes (‐ ‑ ‒ – — ― −) and curly quotes that NFKD leaves alone.
DASHES = re.compile("[\u2010-\u2015\u2212]")
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def ascii_fold(text: str) -> str:
    """Accents, dashes and compatibility forms folded to ASCII ('Müller' -> 'Muller')."""
    decomposed = unicodedata.normalize("NFKD", DASHES.sub("-", text).translate(QUOTES))
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return kept.encode("ascii", "ignore").decode()


def surname(author: str) -> str:
    """'Ot’alora G M' -> 'Ot’alora': 'Surname Initials' without trailing initials."""
    tokens = author.split()
    while len(tokens) > 1 and re.fullmatch(r"[A-Z][A-Z-]{0,4}", tokens[-1]):
        tokens.pop()
    return " ".join(tokens)


def surname_key(author: str) -> str:
    """'Ot’alora G M' -> 'otalora', 'van Woudenberg C' -> 'vanwoudenberg'."""
    return re.sub(r"[^a-z]", "", ascii_fold(surname(author)).lower())


def first_author_key(item: dict) -> str:
    """surname_key of the first of a record's or reference's `authors`."""
    return surname_key((item.get("authors") or [""])[0])


def normalise_title(title: str) -> str:
    """Case, accents, punctuation and markup leftovers folded away for comparing titles."""
    return " ".join(re.findall(r"[a-z0-9]+", ascii_fold(title).casefold()))


def normalise_doi(doi: str) -> str:
    return re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", doi.strip().lower())


def year_of(date: str | None) -> int | None:
    """The year of an ISO partial date ('2021-05' -> 2021)."""
    return int(date[:4]) if date and date[:4].isdigit() else None


def record_years(record: dict) -> set[int]:
    """Years a record may be cited under: its publication year and its e-publication year."""
    return {record.get("year"), year_of(record.get("epub_date"))} - {None}
