"""A record's text for the model: title, abstract, keywords and MeSH headings.

Records come from several places (parsed PubMed records, registrations, a benchmark CSV),
so every field may be missing, ``None``, NaN, a list, or a ``"; "``-joined string.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

TEXT_FIELDS = ("title", "abstract", "keywords", "mesh")
INCLUDE, EXCLUDE = "include", "exclude"
LIST_FIELDS = ("keywords", "mesh")


def field_text(value: object) -> str:
    """One field as plain text: lists joined with "; ", missing values (None, NaN) empty."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(t for t in (field_text(v) for v in value) if t)
    return str(value).strip()


def decision_label(value: object) -> str:
    """``include`` / ``exclude`` from a decision given as text or as a
    `livescreen.review.decisions.Decision`; anything else (maybe, blank) is ``""``: undecided."""
    text = getattr(value, "decision", value)
    text = field_text(text).lower()
    return text if text in (INCLUDE, EXCLUDE) else ""


def terms(value: object, commas: bool = False) -> list[str]:
    """A list field's terms: a list as given, a string split at ";" (and, with `commas`, at
    "," when it holds no ";", as some exports write author keywords; never for MeSH
    headings, which hold commas: "Stress Disorders, Post-Traumatic")."""
    if isinstance(value, list | tuple):
        return [t for t in (field_text(v) for v in value) if t]
    text = field_text(value)
    if not text:
        return []
    sep = "," if commas and ";" not in text else ";"
    return [t.strip() for t in text.split(sep) if t.strip()]


def record_id(record: Mapping) -> str:
    """The record's id: ``record_id``, else ``pmid``, else ``nct_id`` (as text)."""
    for key in ("record_id", "pmid", "nct_id"):
        value = field_text(record.get(key))
        if value:
            return value[:-2] if value.endswith(".0") and value[:-2].isdigit() else value
    raise ValueError(f"a record has no record_id (nor pmid, nor nct_id): {dict(record)!r:.120}")


def record_text(record: Mapping, fields: tuple[str, ...] = TEXT_FIELDS) -> str:
    """The text the model reads: the fields in order, one per line."""
    parts = []
    for name in fields:
        value = record.get(name)
        text = "; ".join(terms(value)) if name in LIST_FIELDS else field_text(value)
        if text:
            parts.append(text)
    return "\n".join(parts)
