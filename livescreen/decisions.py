"""Reviewers' decisions: read back from edited tables, kept in an append-only store.

Reviewers decide in the screening CSVs (saved by Excel or LibreOffice: with or without a
byte-order mark, CRLF, `;` as delimiter in European locales) or in screening.xlsx. Each run
reads every table before rewriting any of them:

1. every edited table is read; a file that cannot be read (a renamed column, a decision
   value that is not allowed) stops the run, naming the file, row and problem, before
   anything is written;
2. a row whose decision columns differ from the store's current decision for that record is
   a new decision, appended to the store (`decisions/decisions.csv`, outside `results/`)
   with its time and source file — before any table is rewritten;
3. two sources that changed one record differently are a conflict: both are kept in the
   store (status `conflict`), the record's decision is shown blank with the conflict
   explained, and the conflict is listed until a reviewer enters a decision for it again.

Decisions are keyed by record id (PMID, or NCT id for registrations), never by row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import LivescreenError

DECISION_COLUMNS = ["decision", "exclusion_reason", "reviewer", "notes"]
ALLOWED_DECISIONS = ("include", "exclude", "maybe")
ID_COLUMNS = ("pmid", "nct_id")
STORE_COLUMNS = ["record_id", *DECISION_COLUMNS, "timestamp", "source_file", "status"]
CONFLICT_COLUMNS = ["record_id", "source_file", "row", *DECISION_COLUMNS, "decision_before"]


class DecisionFileError(LivescreenError, ValueError):
    """An edited table cannot be read; the message names the file, row and problem."""


@dataclass(frozen=True)
class Decision:
    record_id: str
    decision: str
    exclusion_reason: str
    reviewer: str
    notes: str
    source_file: str = ""
    row: int = 0

    @property
    def values(self) -> tuple[str, str, str, str]:
        return (self.decision, self.exclusion_reason, self.reviewer, self.notes)


# -- reading edited tables ---------------------------------------------------------------


def read_spreadsheet_csv(path: str | Path) -> tuple[list[str], list[tuple[int, dict]]]:
    """(header, [(row number, row)]) of a CSV as Excel or LibreOffice may have saved it:
    UTF-8 with or without a byte-order mark, or Windows-1252; `,` or `;` between cells; any
    line ends. Row numbers are the spreadsheet's (the header is row 1)."""
    path = Path(path)
    text = _decode(path.read_bytes(), path)
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=_dialect(text))
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    rows = [
        (number, {k: (v or "").strip() for k, v in row.items() if k is not None})
        for number, row in enumerate(reader, start=2)
    ]
    return header, rows


def read_csv_decisions(path: str | Path) -> list[Decision]:
    """Decisions in a screening CSV as a spreadsheet may have saved it."""
    path = Path(path)
    header, rows = read_spreadsheet_csv(path)
    id_column = next((c for c in ID_COLUMNS if c in header), None)
    missing = [c for c in DECISION_COLUMNS if c not in header]
    if id_column is None or missing:
        absent = ([] if id_column else ["pmid or nct_id"]) + missing
        raise DecisionFileError(
            f"{path.name}: column(s) {', '.join(absent)} missing from the header "
            "(renamed or deleted?); restore the header row as livescreen wrote it"
        )
    decisions = (decision_from_row(row, id_column, path.name, n) for n, row in rows)
    return [decision for decision in decisions if decision is not None]


def decision_from_row(row: dict, id_column: str, source: str, number: int) -> Decision | None:
    """A row's decision columns, checked; None for a row without a record id."""
    record_id = _text(row.get(id_column)).lstrip("'")
    if not record_id:
        return None
    value = _text(row.get("decision")).lower()
    if value not in ("", *ALLOWED_DECISIONS):
        raise DecisionFileError(
            f"{source}, row {number} ({id_column} {record_id}): decision {value!r} is not "
            f"allowed; use {', '.join(ALLOWED_DECISIONS)} or leave it blank"
        )
    return Decision(
        record_id,
        value,
        *(_text(row.get(c)).lstrip("'") for c in DECISION_COLUMNS[1:]),
        source_file=source,
        row=number,
    )


def _decode(raw: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "cp1252"):  # Excel on Windows may save ANSI
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DecisionFileError(f"{path.name}: not UTF-8 or Windows-1252 text")


def _dialect(text: str) -> type[csv.Dialect]:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    return type("Edited", (csv.excel,), {"delimiter": delimiter})


def _text(value) -> str:
    return "" if value is None else str(value).strip()


# -- the store ---------------------------------------------------------------------------


def read_store(path: str | Path) -> list[dict]:
    """The store's history, oldest first (empty when there is none yet)."""
    path = Path(path)
    if not path.exists():
        return []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def current_decisions(history: Iterable[dict]) -> dict[str, Decision]:
    """The decision in force for each record: its latest entry that is not a conflict."""
    current: dict[str, Decision] = {}
    for entry in history:
        if entry.get("status") != "conflict":
            current[entry["record_id"]] = Decision(
                entry["record_id"], *(entry.get(c, "") for c in DECISION_COLUMNS)
            )
    return current


def open_conflicts(history: Iterable[dict]) -> dict[str, list[dict]]:
    """Conflict entries not yet followed by a settled decision for the same record."""
    conflicts: dict[str, list[dict]] = {}
    for entry in history:
        if entry.get("status") == "conflict":
            conflicts.setdefault(entry["record_id"], []).append(entry)
        else:
            conflicts.pop(entry["record_id"], None)
    return conflicts


def displayed_decisions(history: list[dict]) -> dict[str, Decision]:
    """What the tables show: the current decision, blank while a conflict is open."""
    shown = current_decisions(history)
    for record_id in open_conflicts(history):
        shown.pop(record_id, None)
    return shown


def reconcile(
    edited: Iterable[Decision], shown: dict[str, Decision]
) -> tuple[list[Decision], list[Decision]]:
    """(changes, conflicting) among decisions read from the tables.

    A change is a source whose values differ from what the tables showed. When the sources
    that changed one record disagree with each other, all of them are conflicting.
    """
    changed: dict[str, dict[tuple, Decision]] = {}
    blank = Decision("", "", "", "", "")
    for decision in edited:
        if decision.values != shown.get(decision.record_id, blank).values:
            changed.setdefault(decision.record_id, {}).setdefault(decision.values, decision)
    changes, conflicting = [], []
    for by_values in changed.values():
        (changes if len(by_values) == 1 else conflicting).extend(by_values.values())
    return changes, conflicting


def append_to_store(
    path: str | Path, changes: list[Decision], conflicting: list[Decision], now: dt.datetime
) -> int:
    """Append entries (written and synced to disk before any table is rewritten)."""
    if not changes and not conflicting:
        return 0
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    new_file = not path.exists()
    stamp = now.isoformat(timespec="seconds")
    with open(path, "a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=STORE_COLUMNS, lineterminator="\r\n")
        if new_file:
            writer.writeheader()
        for decision, status in [(d, "decided") for d in changes] + [
            (d, "conflict") for d in conflicting
        ]:
            writer.writerow(
                {
                    "record_id": decision.record_id,
                    **dict(zip(DECISION_COLUMNS, decision.values, strict=True)),
                    "timestamp": stamp,
                    "source_file": f"{decision.source_file}, row {decision.row}",
                    "status": status,
                }
            )
        handle.flush()
        os.fsync(handle.fileno())
    return len(changes) + len(conflicting)


def conflict_rows(history: list[dict]) -> list[dict]:
    """decision_conflicts.csv: every unsettled conflicting value, with the decision before."""
    current = current_decisions(history)
    rows = []
    for record_id, entries in sorted(open_conflicts(history).items()):
        kept = current.get(record_id)
        for entry in entries:
            source, _, row = entry["source_file"].partition(", row ")
            rows.append(
                {
                    "record_id": record_id,
                    "source_file": source,
                    "row": row,
                    **{c: entry.get(c, "") for c in DECISION_COLUMNS},
                    "decision_before": kept.decision if kept else "",
                }
            )
    return rows


def conflict_notes(history: list[dict]) -> dict[str, str]:
    """record id -> the text of the `conflict` column for records with an open conflict."""
    notes = {}
    for record_id, entries in open_conflicts(history).items():
        values = " vs ".join(
            f"{e['decision'] or 'blank'} ({e['source_file'].partition(', row ')[0]})"
            for e in entries
        )
        notes[record_id] = f"{values}: enter the decision again; see decision_conflicts.csv"
    return notes


def read_edited_tables(csv_paths: Iterable[Path], workbook_path: Path | None) -> list[Decision]:
    """Every decision in the tables as reviewers left them (files that do not exist yet are
    skipped); raises DecisionFileError for the first file that cannot be read."""
    from .workbook import read_workbook_decisions  # here: workbook -> tables -> decisions

    edited: list[Decision] = []
    for path in csv_paths:
        if Path(path).exists():
            edited += read_csv_decisions(path)
    if workbook_path is not None and Path(workbook_path).exists():
        for row in read_workbook_decisions(workbook_path):
            source = f"{Path(workbook_path).name} [{row['sheet']}]"
            decision = decision_from_row(row, "record_id", source, row["row"])
            if decision is not None:
                edited.append(decision)
    return edited


def harvest_decisions(
    csv_paths: Iterable[Path], workbook_path: Path | None, store_path: Path, now: dt.datetime
) -> tuple[list[dict], int]:
    """Read every edited table and append new decisions to the store, before any table is
    rewritten. Returns (the store's history after, entries appended)."""
    edited = read_edited_tables(csv_paths, workbook_path)
    history = read_store(store_path)
    changes, conflicting = reconcile(edited, displayed_decisions(history))
    appended = append_to_store(store_path, changes, conflicting, now)
    return (read_store(store_path) if appended else history), appended
