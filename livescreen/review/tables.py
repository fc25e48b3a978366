"""Tables: the screening CSVs reviewers open in Excel or LibreOffice, and their data copies.

CSV files are UTF-8 with a byte-order mark (so Excel detects the encoding), RFC 4180
quoting with CRLF line ends, and cells that a spreadsheet would run as a formula
neutralised with a leading apostrophe (OWASP CSV injection guidance). Every file is written
to a temporary name and renamed into place, so a crash never leaves half a table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from livescreen.columns import (  # noqa: F401  (re-exported: the tables' columns)
    HIGHLIGHT_COLUMNS,
    REGISTRATION_COLUMNS,
    SCREENING_COLUMNS,
    SEARCH_LOG_COLUMNS,
)
from livescreen.files import LIST_SEPARATOR, cell
from livescreen.parse.registrations import arm_summary
from livescreen.review.decisions import DECISION_COLUMNS, Decision

PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
REGISTRY_URL = "https://clinicaltrials.gov/study/{nct_id}"


def screening_rows(
    records: Iterable[dict],
    mechanisms: Mapping[str, list[str]],
    provenance: Mapping[str, tuple[str, str]],
    essay_notes: Mapping[str, str] | None = None,
    registered_as: Mapping[str, list[str]] | None = None,
) -> list[dict]:
    """One row per record, highlighted first, then newest; lists joined for a cell.

    `registered_as` adds the NCT ids of registrations that name the record as theirs.
    """
    rows = []
    for record in records:
        pmid = record.get("pmid") or ""
        record_id = record.get("record_id") or pmid
        found = mechanisms.get(pmid, [])
        # a record only database exports found: its sources, and when they were searched
        source, fetched_at = provenance.get(pmid) or (
            LIST_SEPARATOR.join(record.get("sources") or []),
            record.get("searched") or "",
        )
        row = {column: record.get(column) for column in SCREENING_COLUMNS}
        nct_ids = [*record.get("nct_ids", []), *(registered_as or {}).get(pmid, [])]
        row.update(
            pmid=pmid,
            record_id=record_id,
            nct_ids=list(dict.fromkeys(nct_ids)),
            mechanisms=found,
            found_by=record.get("found_by") or ([f"PubMed: {', '.join(found)}"] if found else []),
            member_ids=record.get("member_ids") or [record_id],
            pubmed_url=PUBMED_URL.format(pmid=pmid) if pmid else "",
            essay_note=(essay_notes or {}).get(record_id, ""),
            source=source,
            retrieved=fetched_at[:10],
        )
        rows.append({key: cell(value) for key, value in row.items()})
    rows.sort(key=_screening_order, reverse=True)
    return rows


def _screening_order(row: dict) -> tuple:
    pmid = int(row["pmid"]) if row.get("pmid") else -1
    return (row.get("highlight") == "true", row["pub_date"] or "", pmid, row["record_id"])


def registration_rows(
    registrations: Iterable[dict], reported_in: Mapping[str, list[str]] | None = None
) -> list[dict]:
    """One row per registration, highlighted first, then most recently started.

    `reported_in` adds the PMIDs of publications that name the registration as theirs.
    """
    rows = []
    for registration in registrations:
        nct_id = registration["nct_id"]
        pmids = [*registration.get("linked_pmids", []), *(reported_in or {}).get(nct_id, [])]
        row = {column: registration.get(column) for column in REGISTRATION_COLUMNS}
        row.update(
            # a registration without an official or brief title goes by its acronym
            title=registration.get("title")
            or registration.get("brief_title")
            or registration.get("acronym"),
            arms=arm_summary(registration),
            linked_pmids=list(dict.fromkeys(pmids)),
            registry_url=registration.get("url") or REGISTRY_URL.format(nct_id=nct_id),
        )
        rows.append({key: cell(value) for key, value in row.items()})
    rows.sort(key=lambda r: (r["highlight"] == "true", r["start_date"], r["nct_id"]), reverse=True)
    return rows


def with_review(
    rows: list[dict],
    id_column: str,
    shown: Mapping[str, Decision],
    conflicts: Mapping[str, str],
    seen: Mapping[str, dict],
    run_time: str,
) -> list[dict]:
    """Rows with the decision shown for each record (the four decision columns and the
    columns reviewers added) and when it was first seen."""
    out = []
    for row in rows:
        record_id = row[id_column]
        decision = shown.get(record_id) or Decision(record_id)
        first_seen = seen.get(record_id, {}).get("first_seen", run_time)
        out.append(
            {
                **row,
                **dict(decision.extra),
                **{column: decision.cell(column) for column in DECISION_COLUMNS},
                "new_this_run": cell(first_seen == run_time),
                "first_seen": first_seen,
                "still_found": row.get("still_found") or "true",
                "conflict": conflicts.get(record_id, ""),
            }
        )
    return out


def absent_rows(
    seen: Mapping[str, dict],
    found: set[str],
    record_type: str,
    id_column: str,
    known_rows: Mapping[str, dict],
    columns: list[str],
) -> list[dict]:
    """Rows for records earlier runs showed and this run did not find: kept with their
    last known metadata (`known_rows`, else what seen.csv remembers) and decisions, and
    flagged, so no decision drops out of view and no table lacks a column."""
    rows = []
    for record_id, entry in sorted(seen.items()):
        if entry["record_type"] != record_type or record_id in found:
            continue
        last = known_rows.get(record_id) or {
            id_column: record_id,
            "title": entry.get("title", ""),
            "mechanisms": entry.get("mechanisms", ""),
            "highlight": "false",
        }
        rows.append({**dict.fromkeys(columns, ""), **last, "still_found": "false"})
    return rows


def highlighted_rows(publications: list[dict], registrations: list[dict]) -> list[dict]:
    """Highlighted publications and registrations in one table, one `trial_id` per trial."""
    rows = []
    for row in publications:
        if row["highlight"] == "true":
            first_nct = row["nct_ids"].split(LIST_SEPARATOR)[0]
            trial = first_nct or (f"PMID:{row['pmid']}" if row.get("pmid") else row["record_id"])
            rows.append(dict(row, record_type="publication", trial_id=trial))
    for row in registrations:
        if row["highlight"] == "true":
            rows.append(
                dict(
                    row,
                    record_type="registration",
                    trial_id=row["nct_id"],
                    nct_ids=row["nct_id"],
                    abstract="",
                )
            )
    return rows


def mechanism_rows(rows: list[dict], slug: str) -> list[dict]:
    """The rows a keyword's search found, in screening order."""
    return [row for row in rows if slug in row["mechanisms"].split(LIST_SEPARATOR)]


def search_log_rows(
    searches: Iterable[dict], imports: Iterable[dict] = (), europepmc: Iterable[dict] = ()
) -> list[dict]:
    """One row per keyword search, then one per database export (config `imports:`): its
    name, the query as run, its records, the files read and the date it was searched. A
    keyword's Europe PMC search (`europepmc`, by slug) fills its row's `europepmc_*` columns:
    the source, the query as translated and sent, the translation notes and the hits."""
    by_slug = {search["slug"]: search for search in europepmc}
    return [
        {
            "keyword": search["slug"],
            "query": search["query"],
            "translation": search["translation"] or "",
            "count": search["count"],
            "retrieved": len(search["pmids"]),
            "warnings": LIST_SEPARATOR.join(search["warnings"]),
            "date_windows": len(search["windows"]),
            "run_date": search["run_date"],
            "source": search["source_label"],
            **_europepmc_columns(by_slug.get(search["slug"])),
        }
        for search in searches
    ] + [
        {
            "keyword": export["name"],
            "query": export.get("query", ""),
            "translation": "",
            "count": export["records"],
            "retrieved": export["records"],
            "warnings": "",
            "date_windows": 0,
            "run_date": export.get("searched", ""),
            "source": "database export: "
            + LIST_SEPARATOR.join(f"{f['file']} ({f['records']})" for f in export["files"]),
        }
        for export in imports
    ]


def _europepmc_columns(search: dict | None) -> dict:
    if search is None:
        return {}
    return {
        "europepmc_source": search["source_label"],
        "europepmc_query": search["query"],
        "europepmc_translation_notes": LIST_SEPARATOR.join(search["translation_notes"]),
        "europepmc_count": search["total"],
    }
