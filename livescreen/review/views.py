"""The screening tables and workbook sheets are views of the decision store; reviewers' edits
are read back from them against exactly what livescreen last wrote there.

Every time livescreen writes the views it records, in `results/screening/written.json`
(the ledger), each file's SHA-256 and, per record, the text it wrote into the reviewers'
cells. Reading the views back (`harvest`):

* a file whose digest is one livescreen wrote holds no edits, however old it is — so a
  table left stale by a stop mid-run never reads as a change;
* in an edited file, a cell is an edit only where its text differs from what was written
  into *that* cell; every other cell keeps the store's value. So a note too long for a
  workbook cell (shown cut, with a marker), a control character shown as a picture, or a
  spreadsheet that cut a long CSV cell, is never read back over the full text;
* edits are appended to the decision store (synced) before any view is rewritten; two
  views that changed one record differently are a conflict, never settled silently;
* columns a reviewer added are kept with the decisions and shown again;
* a row with a decision that cannot be tied to a record (no id, an id that was never in
  the table, an id of the wrong form) stops the run naming file, row and problem; so does
  a decision value that is not allowed, or a control character typed into a cell.

Writing (`write_views`) is all-or-nothing per file and recoverable as a whole: every file is
written to a temporary name; the ledger then records both the old and the new digests;
the files are renamed into place; the ledger then keeps only the new. A stop at any point
leaves each file either old or new, and both are known.

The record id of a row is its `record_id` (a PMID, or for a record only database exports
found `doi:<doi>` or `import:<hash>`), else its `pmid`, else its `nct_id`, else — on a
registration row of highlighted_trials — its `trial_id`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path

from livescreen.columns import LIVESCREEN_COLUMNS
from livescreen.files import cell, neutralise, unneutralise, write_csv
from livescreen.review.decisions import (
    ALLOWED_DECISIONS,
    DECISION_COLUMNS,
    STORE_FILE,
    Decision,
    DecisionFileError,
    added_columns,
    append_entries,
    columns_entry,
    displayed_decisions,
    read_store,
    reconcile,
    repair_store,
    store_entry,
    store_fingerprint,
    store_lock,
)
from livescreen.review.spreadsheet import read_csv_table
from livescreen.review.updates import seen_ids

LEDGER_FILE = "written.json"
WORKBOOK_FILE = "screening.xlsx"
TABLE_FILES = (
    "to_screen.csv",
    "highlighted_trials.csv",
    "registered_trials.csv",
    "essay_matches.csv",
)
MECHANISM_FOLDER = "by_mechanism"
REVIEWERS_FOLDER = "reviewers"  # dual screening: reviewers/<name>/ holds one reviewer's views
TMP_SUFFIX = ".livescreen-tmp"
MAX_CELL_CHARS = 32767
_PMID = re.compile(r"[0-9]{1,9}")
_NCT = re.compile(r"NCT[0-9]{8}")
# ids of records only other sources found (livescreen.dedup.works)
_OTHER = re.compile(r"(doi:10\.\S+|import:[0-9a-f]{16})(-[0-9]+)?")
# C0 controls other than tab and line ends: never typed on purpose, refused.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_STRIPPED = ("decision", "exclusion_reason", "reviewer")


@dataclass
class Harvest:
    """What reading the views back did."""

    history: list[dict]
    recorded: int = 0  # records whose decision this harvest changed (a conflict counts once)
    conflicts: int = 0  # records put in conflict by this harvest
    torn: str = ""  # a torn last store line set aside
    read: list[str] = field(default_factory=list)  # views with edits


# -- cells ----------------------------------------------------------------------------------


def row_record_id(row: Mapping[str, str]) -> str:
    for column in ("record_id", "pmid", "nct_id"):
        value = (row.get(column) or "").strip().lstrip("'")
        if value:
            return value
    if (row.get("record_type") or "").strip() == "registration":
        return (row.get("trial_id") or "").strip()
    return ""


def _same(read: str, written: str) -> bool:
    """The cell still holds what was written (or what a spreadsheet left of a long text)."""
    read, written = read.replace("\r\n", "\n").strip(), written.replace("\r\n", "\n").strip()
    return read == written or (len(written) > MAX_CELL_CHARS and written.startswith(read))


def _decoded(column: str, text: str) -> str:
    text = unneutralise(text.replace("\r\n", "\n"))
    if column == "decision":
        return text.strip().lower()
    return text.strip() if column in _STRIPPED else text


# -- the ledger -------------------------------------------------------------------------------


def ledger_path(screening: Path) -> Path:
    return screening / LEDGER_FILE


def read_ledger(screening: Path) -> dict[str, dict]:
    """file name -> {"current": written, "pending": written or None}."""
    path = ledger_path(screening)
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))["files"]
    except (ValueError, KeyError) as error:
        raise DecisionFileError(
            f"{path} is damaged ({error}); delete it and run again — the tables are then "
            "read against the decision store"
        ) from None


def _write_ledger(screening: Path, files: dict[str, dict]) -> None:
    path = ledger_path(screening)
    tmp = path.with_name(path.name + TMP_SUFFIX)
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump({"version": 1, "files": files}, handle, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def written_part(rows: Iterable[Mapping[str, str]], editable: list[str]) -> dict:
    """What a view holds for the ledger: its ids and its non-blank reviewer cells."""
    ids, cells = [], {}
    for row in rows:
        record_id = row_record_id(row)
        if not record_id:
            continue
        ids.append(record_id)
        filled = {c: row[c] for c in editable if row.get(c)}
        if filled:
            cells[record_id] = filled
    return {"ids": ids, "cells": cells}


# -- reading the views back ---------------------------------------------------------------------


def view_files(screening: Path) -> list[Path]:
    """The files reviewers may have edited, that exist: the shared tables and workbook,
    every keyword's table, and in dual screening each reviewer's own."""
    names = [*TABLE_FILES, WORKBOOK_FILE]
    files = [screening / name for name in names]
    files += sorted((screening / MECHANISM_FOLDER).glob("*.csv"))
    for folder in sorted((screening / REVIEWERS_FOLDER).glob("*")):
        files += [folder / name for name in (*TABLE_FILES, WORKBOOK_FILE)]
    return [path for path in files if path.is_file()]


def screener_of(name: str) -> str:
    """Whose decisions a view holds: a reviewer's own (reviewers/<name>/…), or "" (final)."""
    parts = name.split("/")
    return parts[1] if len(parts) == 3 and parts[0] == REVIEWERS_FOLDER else ""


def read_parts(path: Path) -> list[tuple[str, list[str], list[tuple[int, dict]]]]:
    """(part, header, rows) of a view file: one part "" for a CSV, one per sheet."""
    if path.suffix == ".xlsx":
        from livescreen.review.workbook import read_sheets  # openpyxl only where a workbook is read

        return read_sheets(path)
    return [("", *read_csv_table(path))]


def _canonical(header: list[str]) -> dict[str, str]:
    """header name -> livescreen's name for it (headers match ignoring case and spaces)."""
    known = {name.casefold(): name for name in LIVESCREEN_COLUMNS}
    return {name: known.get(name.strip().casefold(), name) for name in header}


def _part_edits(
    label: str,
    header: list[str],
    rows: list[tuple[int, dict]],
    versions: list[dict],
    shown: Mapping[str, Decision],
    known_ids: set[str],
    is_sheet: bool,
) -> tuple[list[Decision], list[str], dict] | None:
    """(edits, added columns, the part as read) — None for a sheet with nothing to decide."""
    names = _canonical(header)
    twice = sorted({n for n in names.values() if list(names.values()).count(n) > 1})
    if twice:
        raise DecisionFileError(f"{label}: column {twice[0]} appears more than once")
    present = [c for c in DECISION_COLUMNS if c in names.values()]
    ids = [c for c in ("record_id", "pmid", "nct_id", "trial_id") if c in names.values()]
    added = [names[h] for h in header if names[h] not in LIVESCREEN_COLUMNS]
    if not present and is_sheet:
        return None  # a reference or summary sheet, or a reviewer's own notes sheet
    missing = [c for c in DECISION_COLUMNS if c not in present]
    if missing:
        raise DecisionFileError(
            f"{label}: column(s) {', '.join(missing)} missing from the header (renamed or "
            "deleted?); restore the header row as livescreen wrote it"
        )
    if not ids:
        raise DecisionFileError(
            f"{label}: has decision columns but no id column (pmid or nct_id; renamed or deleted?)"
        )
    editable = [*DECISION_COLUMNS, *added]
    edits, as_read = [], []
    for number, raw in rows:
        row = {names[k]: v for k, v in raw.items()}
        as_read.append(row)
        record_id = row_record_id(row)
        cells = {c: row.get(c, "") for c in editable}
        if versions:
            written = [v["cells"].get(record_id, {}) for v in versions]
            changed = {
                c: _decoded(c, t)
                for c, t in cells.items()
                if not any(_same(t, w.get(c, "")) for w in written)
            }
        else:  # no ledger (an older livescreen wrote the file): read against the store
            before = shown.get(record_id, Decision(record_id))
            changed = {
                c: _decoded(c, t)
                for c, t in cells.items()
                if not _same(_decoded(c, t), before.cell(c))
            }
        if not changed:
            continue
        where = f"{label}, row {number}"
        _check_row(where, record_id, changed, versions, known_ids)
        base = shown.get(record_id, Decision(record_id))
        edits.append(base.with_cells(changed, label, number))
    return edits, added, written_part(as_read, editable)


def _check_row(where, record_id, changed, versions, known_ids) -> None:
    if not record_id:
        raise DecisionFileError(
            f"{where}: a decision but no pmid or nct_id — it cannot be tied to a record; "
            "restore the row's id (or clear the row's decision cells)"
        )
    if not any(form.fullmatch(record_id) for form in (_PMID, _NCT, _OTHER)):
        raise DecisionFileError(
            f"{where}: record id {record_id!r} is not a PMID, an NCT id, doi:… or import:…; "
            "restore it"
        )
    listed = any(record_id in v["ids"] for v in versions)
    if versions and not listed and record_id not in known_ids:
        raise DecisionFileError(
            f"{where}: {record_id} is not a record livescreen listed in this table; a "
            "decision can only be recorded for a listed record"
        )
    value = changed.get("decision")
    if value is not None and value not in ("", *ALLOWED_DECISIONS):
        raise DecisionFileError(
            f"{where} (record {record_id}): decision {value!r} is not allowed; use "
            f"{', '.join(ALLOWED_DECISIONS)} or leave it blank"
        )
    for column, text in changed.items():
        control = _CONTROL.search(text)
        if control:
            raise DecisionFileError(
                f"{where} (record {record_id}), column {column}: control character "
                f"U+{ord(control.group()):04X} — remove it; nothing was recorded"
            )


def harvest(screening: Path, decisions: Path, now: dt.datetime, known_ids: set[str]) -> Harvest:
    """Read every view against what was written to it and append the edits to the store.

    All views are read before anything is appended, so a bad edit anywhere records nothing.
    The ledger then records each file as read, so the same edits are never read twice.
    Call it holding `store_lock(decisions)`, through the rewriting of the views.
    """
    screening, decisions = Path(screening), Path(decisions)
    store = decisions / STORE_FILE
    state = repair_store(store, now)
    history = state.history
    columns_before = added_columns(history)
    shown_by: dict[str, dict[str, Decision]] = {}

    def shown(screener: str) -> dict[str, Decision]:
        if screener not in shown_by:
            shown_by[screener] = displayed_decisions(history, screener)
        return shown_by[screener]

    ledger = read_ledger(screening)
    edits: dict[str, list[Decision]] = {}
    stamp = now.isoformat(timespec="seconds")
    column_entries, files, read = [], {}, []
    for path in view_files(screening):
        name = path.relative_to(screening).as_posix()
        screener = screener_of(name)
        entry = ledger.get(name, {})
        versions = [v for v in (entry.get("current"), entry.get("pending")) if v]
        now_digest = digest(path)
        same = next((v for v in versions if v["sha256"] == now_digest), None)
        if same is not None:
            files[name] = {"current": same, "pending": None}
            continue
        parts = {}
        for part, header, rows in read_parts(path):
            label = f"{name} [{part}]" if part else name
            part_versions = [v["parts"][part] for v in versions if part in v["parts"]]
            found = _part_edits(
                label, header, rows, part_versions, shown(screener), known_ids, bool(part)
            )
            if found is None:
                continue
            part_edits, added, parts[part] = found
            edits.setdefault(screener, []).extend(replace(d, screener=screener) for d in part_edits)
            if added != columns_before.get(label, []):
                column_entries.append(columns_entry(label, added, stamp))
        files[name] = {"current": {"sha256": now_digest, "parts": parts}, "pending": None}
        read.append(name)
    changes, conflicting = [], []
    for screener, screener_edits in edits.items():
        more_changes, more_conflicting = reconcile(screener_edits, shown(screener))
        changes += more_changes
        conflicting += more_conflicting
    entries = column_entries + [store_entry(d, "decided", stamp) for d in changes]
    entries += [store_entry(d, "conflict", stamp) for d in conflicting]
    append_entries(store, entries)  # synced before any view is rewritten
    if read or set(files) != set(ledger):
        _write_ledger(screening, files)
    if entries:
        history = read_store(store)
    return Harvest(
        history,
        recorded=len({d.record_id for d in [*changes, *conflicting]}),
        conflicts=len({d.record_id for d in conflicting}),
        torn=state.torn,
        read=read,
    )


# -- writing the views ------------------------------------------------------------------------


@dataclass
class CsvView:
    name: str  # relative to the screening folder: "to_screen.csv", "by_mechanism/x.csv"
    columns: list[str]
    rows: list[dict]


def write_views(
    screening: Path, tables: list[CsvView], workbook_sheets: list | dict[str, list] | None
) -> None:
    """Write every table and workbook (`workbook_sheets`: the sheets of screening.xlsx, or
    workbook name -> its sheets) so that a stop at any point leaves each file either as it
    was or as new, both recorded in the ledger (see the module docstring)."""
    screening = Path(screening)
    staged: dict[str, tuple[Path, dict]] = {}
    cells: dict = {}  # each row's CSV cells, made once for to_screen and its mechanism views
    try:
        for table in tables:
            target = screening / table.name
            tmp = _temporary(target)
            write_csv(tmp, table.rows, table.columns, shared_cells=cells)
            editable = [c for c in table.columns if c not in LIVESCREEN_COLUMNS]
            rows = ({c: neutralise(cell(r.get(c))) for c in r} for r in table.rows)
            part = written_part(rows, [*DECISION_COLUMNS, *editable])
            staged[table.name] = (tmp, {"sha256": digest(tmp), "parts": {"": part}})
        if isinstance(workbook_sheets, list):
            workbook_sheets = {WORKBOOK_FILE: workbook_sheets}
        for name, sheets in (workbook_sheets or {}).items():
            from livescreen.review.workbook import clean_text, write_workbook

            target = screening / name
            tmp = _temporary(target)
            write_workbook(tmp, sheets)
            parts = {}
            for sheet in sheets:
                if "decision" not in sheet.columns:
                    continue
                editable = [c for c in sheet.columns if c not in LIVESCREEN_COLUMNS]
                rows = ({c: clean_text(r.get(c)) for c in r} for r in sheet.rows)
                parts[sheet.name] = written_part(rows, [*DECISION_COLUMNS, *editable])
            staged[name] = (tmp, {"sha256": digest(tmp), "parts": parts})
        ledger = read_ledger(screening)
        pending = {
            name: {"current": ledger.get(name, {}).get("current"), "pending": new}
            for name, (_, new) in staged.items()
        }
        _write_ledger(screening, ledger | pending)
        for name, (tmp, _) in staged.items():
            os.replace(tmp, screening / name)
        _write_ledger(
            screening,
            ledger | {n: {"current": new, "pending": None} for n, (_, new) in staged.items()},
        )
    finally:
        for tmp, _ in staged.values():
            with suppress(FileNotFoundError):
                tmp.unlink()


def _temporary(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.with_name(f".{target.name}{TMP_SUFFIX}")


def remove_views(screening: Path, names: Iterable[str]) -> None:
    """Delete views no longer written (a keyword removed or renamed): their edits are in the
    store already, and the ledger forgets them."""
    ledger = read_ledger(screening)
    for name in names:
        with suppress(FileNotFoundError):
            (screening / name).unlink()
        ledger.pop(name, None)
    _write_ledger(screening, ledger)


def start_up_harvest(screening: str | Path, decisions: str | Path, outputs: Iterable[str]) -> str:
    """What the Snakefile does first, on every invocation: record reviewers' saved edits in
    the store (so no run, same day or not, and no `rm -rf results` afterwards, can lose
    them), and return the store's fingerprint — the screening step's parameter, so it reruns
    exactly when the store changed. When a view the ledger lists is missing, `outputs` (the
    screening step's declared outputs) are removed, so the step rebuilds the views."""
    screening, decisions = Path(screening), Path(decisions)
    with store_lock(decisions):
        harvest(screening, decisions, dt.datetime.now(dt.UTC), seen_ids(decisions / "seen.csv"))
        ledger = read_ledger(screening)
    if any(not (screening / name).exists() for name in ledger):
        for output in outputs:
            with suppress(FileNotFoundError):
                Path(output).unlink()
    return store_fingerprint(decisions / STORE_FILE)
