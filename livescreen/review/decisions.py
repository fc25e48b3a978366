"""The decision store: every decision reviewers ever recorded, append-only, the one truth.

The screening tables and the workbook are views of this store (`livescreen.review.views` reads
reviewers' edits back from them). The store is `decisions/decisions.csv`, outside
`results/`, so deleting `results/` loses nothing:

* one line per entry, never rewritten: a record's decision columns (`decision`,
  `exclusion_reason`, `reviewer`, `notes`), the columns reviewers added (`extra`, a JSON
  object), when, from which file and row, and a status — `decided`, `conflict` (two tables
  said different things; both kept, the record shown undecided until a reviewer decides
  again) or `columns` (the columns a reviewer added to one table, kept even while empty);
* every append is flushed and fsynced before any table is rewritten;
* a last line cut off by a crash or a full disk is detected, reported, moved to
  `decisions/torn_lines.txt` and never merged; a damaged line elsewhere stops the run
  naming the line.

Decisions are keyed by record id (PMID, or NCT id for registrations), never by row.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import hashlib
import io
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from livescreen.columns import DECISION_COLUMNS
from livescreen.errors import LivescreenError

ALLOWED_DECISIONS = ("include", "exclude", "maybe")
STORE_FILE = "decisions.csv"
TORN_FILE = "torn_lines.txt"
LOCK_FILE = ".lock"
STORE_COLUMNS = [
    "record_id",
    *DECISION_COLUMNS,
    "extra",
    "timestamp",
    "source_file",
    "status",
    "screener",  # in dual screening, the reviewer whose own decision this is; blank: final
]
# Columns every store has had; a store lacking later ones is migrated once (atomically).
CORE_COLUMNS = [c for c in STORE_COLUMNS if c not in ("extra", "screener")]
STATUSES = ("decided", "conflict", "columns")
CONFLICT_COLUMNS = ["record_id", "source_file", "row", *DECISION_COLUMNS, "decision_before"]


class DecisionFileError(LivescreenError, ValueError):
    """An edited table cannot be read; the message names the file, row and problem."""


class StoreError(LivescreenError):
    """The decision store itself is damaged; the message names the line."""


@dataclass(frozen=True)
class Decision:
    """A record's reviewer columns: the four decision columns and the columns reviewers
    added (`extra`, name -> text)."""

    record_id: str
    decision: str = ""
    exclusion_reason: str = ""
    reviewer: str = ""
    notes: str = ""
    extra: tuple[tuple[str, str], ...] = ()
    source_file: str = ""
    row: int = 0
    screener: str = ""  # dual screening: whose own decision; blank for the final decision

    @property
    def values(self) -> tuple:
        return (self.decision, self.exclusion_reason, self.reviewer, self.notes, self.extra)

    def cell(self, column: str) -> str:
        if column in DECISION_COLUMNS:
            return getattr(self, column)
        return dict(self.extra).get(column, "")

    def with_cells(self, cells: dict[str, str], source_file: str, row: int) -> Decision:
        """This decision with `cells` (column -> new text) changed."""
        known = {c: v for c, v in cells.items() if c in DECISION_COLUMNS}
        extra = dict(self.extra) | {c: v for c, v in cells.items() if c not in DECISION_COLUMNS}
        return replace(self, **known, extra=_extra(extra), source_file=source_file, row=row)


def _extra(values: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in values.items() if v != ""))


@dataclass
class StoreState:
    """The store as read: its entries oldest first, and any torn last line set aside."""

    history: list[dict] = field(default_factory=list)
    torn: str = ""


# -- reading ------------------------------------------------------------------------------


def read_store(path: str | Path) -> list[dict]:
    """The store's entries, oldest first (empty when there is none yet). A torn last line
    is left out (see `repair_store`); a damaged line elsewhere raises StoreError."""
    return load_store(path).history


def load_store(path: str | Path) -> StoreState:
    path = Path(path)
    if not path.exists():
        return StoreState()
    text = path.read_bytes().decode("utf-8-sig")
    records = list(_records(text))
    if not records:
        return StoreState()
    header = _parse_line(records[0][1], path, 1)
    if not (set(CORE_COLUMNS) <= set(header) <= set(STORE_COLUMNS)):
        raise StoreError(
            f"{path}: line 1 is not the decision store's header ({','.join(STORE_COLUMNS)}); "
            "restore the file from a backup"
        )
    state = StoreState()
    last = len(records) - 1
    for index, (line, raw) in enumerate(records[1:], start=1):
        try:
            state.history.append(_entry(raw, header, path, line))
        except StoreError:
            if index == last and not text.endswith("\n"):
                state.torn = raw  # cut off mid-write: set aside, never merged
                continue
            raise
    return state


def _records(text: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of each CSV record: a newline inside quotes continues a record."""
    start, quotes, pending = 1, 0, []
    for number, line in enumerate(text.split("\n"), start=1):
        pending.append(line)
        quotes += line.count('"')
        if quotes % 2 == 0:
            joined = "\n".join(pending)
            if joined.strip():
                yield start, joined
            start, quotes, pending = number + 1, 0, []
    if pending and "\n".join(pending).strip():
        yield start, "\n".join(pending)


def _parse_line(raw: str, path: Path, line: int) -> list[str]:
    try:
        rows = list(csv.reader(io.StringIO(raw.rstrip("\r"), newline=""), strict=True))
    except csv.Error as error:
        raise StoreError(f"{path}, line {line}: {error}") from None
    if len(rows) != 1:
        raise StoreError(f"{path}, line {line}: not one CSV record")
    return rows[0]


def _entry(raw: str, header: list[str], path: Path, line: int) -> dict:
    fields = _parse_line(raw, path, line)
    if len(fields) != len(header):
        raise StoreError(
            f"{path}, line {line}: {len(fields)} fields where the header has {len(header)}; "
            "the store is damaged there — restore it from a backup"
        )
    entry = dict(zip(header, fields, strict=True))
    entry.setdefault("extra", "")
    entry.setdefault("screener", "")
    if entry["status"] not in STATUSES:
        raise StoreError(
            f"{path}, line {line}: status {entry['status']!r} is not one of {STATUSES}"
        )
    try:
        dt.datetime.fromisoformat(entry["timestamp"])
        json.loads(entry["extra"] or "{}")
    except ValueError as error:
        raise StoreError(f"{path}, line {line}: {error}") from None
    return entry


def decision_of(entry: dict) -> Decision:
    extra = json.loads(entry.get("extra") or "{}")
    return Decision(
        entry["record_id"],
        *(entry.get(c, "") for c in DECISION_COLUMNS),
        extra=_extra(extra) if isinstance(extra, dict) else (),
        screener=entry.get("screener", ""),
    )


def _of(history: Iterable[dict], screener: str) -> Iterator[dict]:
    return (e for e in history if e.get("screener", "") == screener)


def current_decisions(history: Iterable[dict], screener: str = "") -> dict[str, Decision]:
    """The decision in force for each record: its latest `decided` entry (the final ones, or
    one reviewer's own in dual screening)."""
    return {
        e["record_id"]: decision_of(e)
        for e in _of(history, screener)
        if e.get("status") == "decided"
    }


def open_conflicts(history: Iterable[dict], screener: str = "") -> dict[str, list[dict]]:
    """Conflict entries not yet followed by a settled decision for the same record."""
    conflicts: dict[str, list[dict]] = {}
    for entry in _of(history, screener):
        if entry.get("status") == "conflict":
            conflicts.setdefault(entry["record_id"], []).append(entry)
        elif entry.get("status") == "decided":
            conflicts.pop(entry["record_id"], None)
    return conflicts


def displayed_decisions(history: list[dict], screener: str = "") -> dict[str, Decision]:
    """What the tables show: the current decision; while a conflict is open, the four
    decision columns blank (the added columns stay)."""
    shown = current_decisions(history, screener)
    for record_id in open_conflicts(history, screener):
        kept = shown.get(record_id)
        shown[record_id] = Decision(record_id, extra=kept.extra if kept else ())
    return shown


def added_columns(history: Iterable[dict]) -> dict[str, list[str]]:
    """view -> the columns reviewers added to it, as last recorded."""
    columns: dict[str, list[str]] = {}
    for entry in history:
        if entry.get("status") == "columns":
            columns[entry["source_file"]] = json.loads(entry["extra"] or "[]")
    return columns


def recorded_since(history: Iterable[dict], since: dt.datetime | None) -> int:
    """Records whose decision was recorded (or put in conflict) after `since` — a conflict
    counts once; every record in the history when there was no earlier run."""
    return len(
        {
            e["record_id"]
            for e in history
            if e.get("status") in ("decided", "conflict")
            and (since is None or dt.datetime.fromisoformat(e["timestamp"]) > since)
        }
    )


def torn_since(path: str | Path, since: dt.datetime | None) -> int:
    """Torn store lines set aside (in torn_lines.txt beside the store) after `since`."""
    aside = Path(path).with_name(TORN_FILE)
    if not aside.exists():
        return 0
    prefix = "# set aside "
    stamps = [
        dt.datetime.fromisoformat(line[len(prefix) :].split(" from ")[0])
        for line in aside.read_text(encoding="utf-8").splitlines()
        if line.startswith(prefix)
    ]
    return sum(since is None or stamp > since for stamp in stamps)


def store_fingerprint(path: str | Path) -> str:
    """A digest of the store's content: the screening step reruns when it changes."""
    path = Path(path)
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else "empty"


# -- reconciling edits ---------------------------------------------------------------------


def reconcile(
    edited: Iterable[Decision], shown: dict[str, Decision]
) -> tuple[list[Decision], list[Decision]]:
    """(changes, conflicting) among decisions read from the tables.

    A change is a source whose values differ from what the tables showed. When the sources
    that changed one record disagree with each other, all of them are conflicting.
    """
    changed: dict[str, dict[tuple, Decision]] = {}
    for decision in edited:
        before = shown.get(decision.record_id, Decision(decision.record_id))
        if decision.values != before.values:
            changed.setdefault(decision.record_id, {}).setdefault(decision.values, decision)
    changes, conflicting = [], []
    for by_values in changed.values():
        (changes if len(by_values) == 1 else conflicting).extend(by_values.values())
    return changes, conflicting


# -- writing -------------------------------------------------------------------------------


@contextmanager
def store_lock(folder: str | Path) -> Iterator[None]:
    """Hold the decision folder's lock: one livescreen process reads and writes it at a time
    (the Snakefile's start-up harvest and a screening job may otherwise overlap)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def repair_store(path: str | Path, now: dt.datetime) -> StoreState:
    """Read the store, setting a torn last line aside: appended to torn_lines.txt (synced),
    then cut from the store, so the next append starts on a line of its own. An old-format
    store (no `extra` column) is rewritten once with the new header, atomically."""
    path = Path(path)
    state = load_store(path)
    raw = path.read_bytes() if path.exists() else b""
    if state.torn:
        aside = path.with_name(TORN_FILE)
        with open(aside, "a", encoding="utf-8") as handle:
            handle.write(f"# set aside {now.isoformat(timespec='seconds')} from {path.name}\n")
            handle.write(state.torn.rstrip("\r\n") + "\n")
            _sync(handle)
        cut = raw.rstrip(b"\r\n")
        keep = cut[: cut.rfind(b"\n") + 1] if b"\n" in cut else b""
        _replace_bytes(path, keep)
        raw = keep
    elif raw and not raw.endswith(b"\n"):
        _replace_bytes(path, raw + b"\r\n")  # a complete last entry lacking its line end
    if raw and raw.decode("utf-8-sig").split("\n", 1)[0].rstrip("\r") != ",".join(STORE_COLUMNS):
        _migrate(path, state.history)
    return state


def _migrate(path: Path, history: list[dict]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=STORE_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({c: entry.get(c, "") for c in STORE_COLUMNS} for entry in history)
    _replace_bytes(path, buffer.getvalue().encode("utf-8"))


def _replace_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.livescreen-tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        _sync(handle)
    os.replace(tmp, path)


def _sync(handle) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def append_entries(path: str | Path, entries: list[dict]) -> int:
    """Append store entries (dicts of STORE_COLUMNS), synced to disk before returning."""
    if not entries:
        return 0
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    new_file = not path.exists() or path.stat().st_size == 0
    with open(path, "a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=STORE_COLUMNS, lineterminator="\r\n")
        if new_file:
            writer.writeheader()
        writer.writerows(entries)
        _sync(handle)
    return len(entries)


def store_entry(decision: Decision, status: str, stamp: str) -> dict:
    return {
        "record_id": decision.record_id,
        **{c: decision.cell(c) for c in DECISION_COLUMNS},
        "extra": json.dumps(dict(decision.extra), ensure_ascii=False) if decision.extra else "",
        "timestamp": stamp,
        "source_file": f"{decision.source_file}, row {decision.row}",
        "status": status,
        "screener": decision.screener,
    }


def columns_entry(view: str, columns: list[str], stamp: str) -> dict:
    return {
        "record_id": "",
        **dict.fromkeys(DECISION_COLUMNS, ""),
        "extra": json.dumps(columns, ensure_ascii=False),
        "timestamp": stamp,
        "source_file": view,
        "status": "columns",
        "screener": "",
    }


def append_to_store(
    path: str | Path, changes: list[Decision], conflicting: list[Decision], now: dt.datetime
) -> int:
    """Append decisions and conflicting values (synced before any table is rewritten)."""
    stamp = now.isoformat(timespec="seconds")
    entries = [store_entry(d, "decided", stamp) for d in changes]
    entries += [store_entry(d, "conflict", stamp) for d in conflicting]
    return append_entries(path, entries)


# -- conflicts, for the tables ---------------------------------------------------------------


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


def conflict_notes(history: list[dict], screener: str = "") -> dict[str, str]:
    """record id -> the text of the `conflict` column for records with an open conflict."""
    notes = {}
    for record_id, entries in open_conflicts(history, screener).items():
        values = " vs ".join(
            f"{e['decision'] or 'blank'} ({e['source_file'].partition(', row ')[0]})"
            for e in entries
        )
        notes[record_id] = f"{values}: enter the decision again; see decision_conflicts.csv"
    return notes
