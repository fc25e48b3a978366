"""The screening tables as a dataset ASReview LAB opens, so a team can continue screening
there (and bring the labels back with `livescreen asreview-import`,
`livescreen.review.asreview_import`).

``results/exports/asreview_dataset.csv`` holds every row of ``to_screen.csv`` and
``registered_trials.csv``, in their order, from the screening step's machine-readable
output ``results/screening/screening.json`` (never from the CSVs reviewers edit), in
ASReview's dataset format:

===============  ==========================================================================
column           content
===============  ==========================================================================
record_id        the record's id in the decision store — the PMID (``doi:…`` / ``import:…``
                 for a record only database exports found), or a registration's NCT id:
                 the id the import matches on. ASReview keeps the column as it is in its
                 exports (its own record ids are separate) and shows it nowhere
title            title
abstract         abstract; for a registration, its registry facts (status, phase, arms...)
keywords         author keywords, then MeSH headings, joined by ``;`` (ASReview splits the
                 cell at ``;`` into its keyword list)
authors          authors, joined by ``;``
year             year of publication (start date, for a registration); blank when unknown
doi              DOI
url              PubMed or registry page (else the DOI's)
label_included   the decision store's decision as the tables show it: ``1`` include, ``0``
                 exclude, blank undecided (``maybe``, a decision in conflict, none yet).
                 ASReview LAB takes the 1s and 0s as prior knowledge and ranks the rest
===============  ==========================================================================

File format: UTF-8 *without* a byte-order mark — ASReview LAB 3 reads a byte-order mark as
part of the first column's name (``\\ufeff"record_id"``) and would carry that name into its
export — every cell quoted, CRLF line ends. A cell that a spreadsheet would run as a formula
(it begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) has an apostrophe put
in front, as in every CSV livescreen writes (`livescreen.files.neutralise`). ASReview LAB
keeps that apostrophe (it reads cells verbatim: checked with ASReview LAB 3.0.8), so such a
title or abstract shows there with a leading ``'``; it is rare (one abstract in the 6,189
records of van de Schoot 2017) and changes neither the record id nor the label the import
reads, nor ASReview's model (its TF-IDF drops punctuation).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from livescreen.files import write_csv
from livescreen.prioritise.text import EXCLUDE, INCLUDE, decision_label, field_text, terms

COLUMNS = [
    "record_id",
    "title",
    "abstract",
    "keywords",
    "authors",
    "year",
    "doi",
    "url",
    "label_included",
]
LABELS = {INCLUDE: "1", EXCLUDE: "0"}
_REGISTRY_FACTS = (
    ("status", "status"),
    ("phase", "phase"),
    ("allocation", "allocation"),
    ("enrollment", "enrolment"),
    ("start_date", "start"),
    ("completion_date", "completion"),
    ("arms", "arms"),
)


class AsreviewExportError(ValueError):
    """screening.json lacks what the dataset needs; the message says what."""


def row_id(row: Mapping[str, Any]) -> str:
    """A table row's record id, the decision store's key: its ``record_id`` (the PMID, or
    ``doi:…`` / ``import:…`` for a record only database exports found), else its PMID, else
    its NCT id."""
    for column in ("record_id", "pmid", "nct_id"):
        value = field_text(row.get(column))
        if value:
            return value
    return ""


def _year(row: Mapping[str, Any]) -> str:
    for column in ("year", "pub_date", "start_date"):
        text = field_text(row.get(column))[:4]
        if len(text) == 4 and text.isdigit():
            return text  # ASReview reads the year as an integer: anything else is left out
    return ""


def _doi_url(doi: object) -> str:
    doi = field_text(doi)
    return f"https://doi.org/{doi}" if doi else ""


def publication_row(row: Mapping[str, Any]) -> dict:
    pmid = row_id(row)
    return {
        "record_id": pmid,
        "title": field_text(row.get("title")),
        "abstract": field_text(row.get("abstract")),
        "keywords": ";".join(terms(row.get("keywords")) + terms(row.get("mesh"))),
        "authors": ";".join(terms(row.get("authors"))),
        "year": _year(row),
        "doi": field_text(row.get("doi")),
        "url": field_text(row.get("pubmed_url")) or _doi_url(row.get("doi")),
        "label_included": LABELS.get(decision_label(row.get("decision")), ""),
    }


def registration_row(row: Mapping[str, Any]) -> dict:
    nct = row_id(row)
    facts = [
        f"{label}: {field_text(row.get(column))}"
        for column, label in _REGISTRY_FACTS
        if field_text(row.get(column))
    ]
    return {
        "record_id": nct,
        "title": field_text(row.get("title")) or field_text(row.get("acronym")),
        "abstract": f"Trial registration {nct}" + (f" ({'; '.join(facts)})" if facts else ""),
        "keywords": "",
        "authors": "",
        "year": _year(row),
        "doi": "",
        "url": field_text(row.get("registry_url")),
        "label_included": LABELS.get(decision_label(row.get("decision")), ""),
    }


def dataset_rows(screening: Mapping[str, Any]) -> list[dict]:
    """The dataset's rows from screening.json's content: the publications of to_screen.csv,
    then the registrations of registered_trials.csv, each record once."""
    missing = [key for key in ("publications", "registrations") if key not in screening]
    if missing:
        raise AsreviewExportError(
            f"screening.json has no {', '.join(missing)}; it is not from this version of "
            "livescreen: run the workflow again (snakemake --forcerun screening_tables)"
        )
    rows, seen = [], set()
    for make, table in (
        (publication_row, screening["publications"]),
        (registration_row, screening["registrations"]),
    ):
        for row in table:
            out = make(row)
            if out["record_id"] and out["record_id"] not in seen:
                seen.add(out["record_id"])
                rows.append(out)
    return rows


def write_dataset(path: str | Path, screening: Mapping[str, Any]) -> list[str]:
    """Write ASReview's dataset (see the module docstring) atomically; return log lines."""
    rows = dataset_rows(screening)
    write_csv(path, rows, COLUMNS, bom=False)
    return [summary_line(rows, path)]


def summary_line(rows: Iterable[Mapping], path: str | Path) -> str:
    rows = list(rows)
    labels = [r["label_included"] for r in rows]
    return (
        f"{path}: {len(rows)} records for ASReview LAB ({labels.count('1')} included, "
        f"{labels.count('0')} excluded as prior knowledge, {labels.count('')} unlabelled)"
    )
