"""`livescreen asreview-import FILE --reviewer NAME`: ASReview LAB's exported labels back
into the decision store, as decisions — appended, never overwriting, never guessed.

FILE is what ASReview LAB's "Export" > dataset writes (CSV, TSV or Excel; RIS too) for a
project started from ``results/exports/asreview_dataset.csv``: every column of that dataset
as it was (``record_id`` — the PMID or NCT id — and the ``label_included`` livescreen handed
over), then ASReview's ``asreview_label`` (1 relevant, 0 irrelevant, blank not seen). A file
without ``asreview_label`` is read by its ``included`` / ``label_included`` column.

Each labelled row is, against the store (`livescreen.review.decisions`):

* **unchanged** when ASReview's label is the one livescreen handed over (ASReview learnt it
  as prior knowledge: no news, so a decision changed in the tables since the hand-off is
  never reverted), when the store already holds that decision, or when this reviewer's
  label was imported from ASReview before (re-importing a file adds nothing);
* **recorded** (``decided``; reviewer NAME, exclusion_reason blank — ASReview has no reasons —
  note ``from ASReview LAB export FILE``, the record's other notes and added columns kept)
  when the record is undecided, or its decision is NAME's own and is the one handed over;
* **in conflict** otherwise — another reviewer's different decision (``maybe`` too), or one
  that changed since the hand-off, or an open conflict or dual-screening disagreement: the
  store's ``conflict`` entries, both values kept (the decision in force copied beside
  ASReview's), the record shown undecided with a ``conflict`` note until a reviewer decides
  again in the tables (`decision_conflicts.csv` lists both).

Rows ASReview left unlabelled are skipped and counted. A row whose record_id is not a record
livescreen listed (nor in the store), a row without one, a label that is not 1 or 0, or one
record labelled both ways stops the import naming the file and row; nothing is recorded.
Edits reviewers saved in the tables are recorded first (the workflow's start-up harvest), so
they and ASReview's labels are compared, never one silently overwriting the other. All of it
holds the store's lock; the entries are synced to disk before the command returns.

The decisions are the final ones (the shared tables'); in dual screening they are not any
one reviewer's blind decisions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from livescreen.errors import LivescreenError
from livescreen.export.asreview import COLUMNS as DATASET_COLUMNS
from livescreen.export.asreview import row_id
from livescreen.files import read_json, unneutralise
from livescreen.prioritise.asreview_io import (
    LABEL_COLUMNS,
    AsreviewFormatError,
    _label,
    _read_rows,
)
from livescreen.prioritise.text import decision_label, field_text
from livescreen.review.decisions import (
    STORE_FILE,
    Decision,
    append_entries,
    current_decisions,
    open_conflicts,
    read_store,
    store_entry,
    store_lock,
)
from livescreen.review.dual_screening import final_decisions
from livescreen.review.updates import seen_ids
from livescreen.review.views import harvest

SOURCE = "ASReview LAB export"
EXPORTED_COLUMN = "label_included"  # the label livescreen handed over, kept by ASReview


class AsreviewImportError(LivescreenError, ValueError):
    """The export cannot be imported; the message names the file and row. Nothing recorded."""


@dataclass(frozen=True)
class Label:
    row: int
    record_id: str
    label: str  # include / exclude
    exported: str | None  # the label livescreen handed over ("" undecided), None: unknown


@dataclass
class ImportResult:
    included: int = 0
    excluded: int = 0
    unchanged: int = 0
    skipped: int = 0
    conflicts: int = 0
    file: str = ""
    reviewer: str = ""

    def summary(self) -> str:
        return (
            f"livescreen: ASReview LAB export {self.file}: {self.included} included, "
            f"{self.excluded} excluded, {self.unchanged} unchanged, {self.skipped} skipped "
            f"(unlabelled), {self.conflicts} in conflict (see decision_conflicts.csv after "
            f"the next run) — recorded as reviewer {self.reviewer}"
        )


# -- reading the export ------------------------------------------------------------------------


def _record_id(value: object) -> str:
    text = unneutralise(field_text(value)).strip()
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def _label_of(value: object, where: str) -> str | None:
    if field_text(value) == "":
        return None
    label = _label(value)
    if label is None:
        raise AsreviewImportError(
            f"{where}: label {field_text(value)!r} is not 1 (relevant) or 0 (irrelevant)"
        )
    return label


def read_export(path: str | Path, known: set[str]) -> tuple[list[Label], int]:
    """(the labelled rows, the number of unlabelled rows) of an ASReview export, every
    record_id checked against `known`; AsreviewImportError names the file and row."""
    path = Path(path)
    try:
        rows = _read_rows(path) if path.is_file() else None
    except AsreviewFormatError as error:
        raise AsreviewImportError(str(error)) from None
    except Exception as error:  # pandas/openpyxl/rispy: a file of another kind
        raise AsreviewImportError(f"{path}: cannot be read ({error})") from None
    if rows is None:
        raise AsreviewImportError(f"{path}: no such file")
    if not rows:
        return [], 0
    columns = set(rows[0])
    if "record_id" not in columns:
        raise AsreviewImportError(
            f"{path}: no record_id column — export the ASReview LAB project that was "
            "started from results/exports/asreview_dataset.csv (its record_id column is "
            "the id livescreen matches on)"
        )
    if columns == set(DATASET_COLUMNS):
        raise AsreviewImportError(
            f"{path}: this is livescreen's own dataset for ASReview LAB, not ASReview LAB's "
            "export of it (which adds asreview_label); export the dataset from ASReview LAB"
        )
    label_column = next((c for c in LABEL_COLUMNS if c in columns), None)
    if label_column is None:
        raise AsreviewImportError(
            f"{path}: no label column (ASReview LAB's export has asreview_label; one of "
            f"{', '.join(LABEL_COLUMNS)} is needed)"
        )
    exported_column = EXPORTED_COLUMN if EXPORTED_COLUMN != label_column else None
    if exported_column not in columns:
        exported_column = None
    unit, first = ("entry", 1) if path.suffix.lower() == ".ris" else ("row", 2)
    labels: dict[str, Label] = {}
    unlabelled = 0
    for number, row in enumerate(rows, start=first):
        where = f"{path}, {unit} {number}"
        record_id = _record_id(row.get("record_id"))
        if not record_id:
            raise AsreviewImportError(f"{where}: no record_id; nothing was recorded")
        if record_id not in known:
            raise AsreviewImportError(
                f"{where}: record_id {record_id!r} is not a record livescreen listed — is "
                "this the export of a project started from livescreen's "
                "asreview_dataset.csv? Nothing was recorded"
            )
        label = _label_of(row.get(label_column), f"{where} ({label_column})")
        if label is None:
            unlabelled += 1
            continue
        exported = None
        if exported_column:
            exported = _label_of(row.get(exported_column), f"{where} ({exported_column})") or ""
        before = labels.get(record_id)
        if before and before.label != label:
            raise AsreviewImportError(
                f"{where}: record {record_id} is labelled {label} here and {before.label} in "
                f"{unit} {before.row}; nothing was recorded"
            )
        labels.setdefault(record_id, Label(number, record_id, label, exported))
    return list(labels.values()), unlabelled


# -- into the store ------------------------------------------------------------------------------


def known_records(screening: Path, decisions: Path, history: Iterable[dict]) -> set[str]:
    """Every record id livescreen listed: in the latest tables (screening.json), in any
    run (seen.csv), or in the decision store."""
    known = seen_ids(decisions / "seen.csv")
    known |= {e["record_id"] for e in history if e.get("record_id")}
    machine = screening / "screening.json"
    if machine.exists():
        content = read_json(machine)
        for key in ("publications", "registrations"):
            known |= {row_id(r) for r in content.get(key, [])} - {""}
    return known


def _same_reviewer(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def _with_note(notes: str, note: str) -> str:
    """The record's notes with this import's note in place of any earlier import's."""
    kept = [part for part in notes.split("; ") if part and not part.startswith(f"from {SOURCE}")]
    return "; ".join([*kept, note])


def import_labels(
    path: str | Path,
    reviewer: str,
    decisions: str | Path = "decisions",
    screening: str | Path = "results/screening",
    reviewers: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> ImportResult:
    """Append ASReview's labels in `path` to the store in `decisions` (see the module
    docstring); return the counts. Raises AsreviewImportError, having recorded nothing."""
    path, decisions, screening = Path(path), Path(decisions), Path(screening)
    reviewer = reviewer.strip()
    if not reviewer:
        raise AsreviewImportError("--reviewer: give the name the decisions are recorded under")
    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    stamp = now.isoformat(timespec="seconds")
    store = decisions / STORE_FILE
    result = ImportResult(file=path.name, reviewer=reviewer)
    note = f"from {SOURCE} {path.name}"
    with store_lock(decisions):
        known = known_records(screening, decisions, read_store(store))
        if not known:
            raise AsreviewImportError(
                "livescreen lists no records yet (no results/screening/screening.json, no "
                f"{decisions}/seen.csv): run the workflow first"
            )
        labels, result.skipped = read_export(path, known)
        # reviewers' saved table edits first, so that they and ASReview's labels are compared
        history = harvest(screening, decisions, now, seen_ids(decisions / "seen.csv")).history
        entries: list[dict] = []
        if len(reviewers) >= 2:
            shown, disagreements = final_decisions(history, list(reviewers))
        else:
            shown, disagreements = current_decisions(history), {}
        latest = {e["record_id"]: e for e in history if e.get("status") == "decided"}
        latest = {r: e for r, e in latest.items() if not e.get("screener")}
        conflicts = open_conflicts(history)
        # (record, reviewer) -> the label last imported from ASReview LAB for them
        imported = {
            (e["record_id"], e["reviewer"].strip().casefold()): e["decision"]
            for e in history
            if e.get("status") in ("decided", "conflict")
            and e.get("source_file", "").startswith(SOURCE)
        }
        for item in labels:
            rid, label = item.record_id, item.label
            current = shown.get(rid)
            last_imported = imported.get((rid, reviewer.casefold()))
            if last_imported == label or (last_imported is None and item.exported == label):
                result.unchanged += 1  # imported before, or the label handed over: no news
                continue
            base = current or Decision(rid)
            mine = replace(
                base.with_cells(
                    {
                        "decision": label,
                        "exclusion_reason": "",
                        "reviewer": reviewer,
                        "notes": _with_note(base.notes, note),
                    },
                    f"{SOURCE} {path.name}",
                    item.row,
                ),
                screener="",
            )
            if rid in conflicts or rid in disagreements:
                said = conflicts.get(rid, [])
                if any(
                    e["decision"] == label and _same_reviewer(e["reviewer"], reviewer) for e in said
                ):
                    result.unchanged += 1
                else:
                    entries.append(store_entry(mine, "conflict", stamp))
                    result.conflicts += 1
                continue
            if current is not None and current.decision == label:
                result.unchanged += 1
                continue
            own = current is not None and _same_reviewer(current.reviewer, reviewer)
            # the reviewer's own decision as handed over, or as last imported from ASReview
            own_unchanged = own and (
                (item.exported is not None and decision_label(current) == item.exported)
                or (last_imported is not None and current.decision == last_imported)
            )
            if current is None or not current.decision or own_unchanged:
                entries.append(store_entry(mine, "decided", stamp))
                result.included += label == "include"
                result.excluded += label == "exclude"
                continue
            # a different decision: both kept as the store keeps a conflict
            if rid in latest and latest[rid]["decision"] == current.decision:
                entries.append({**latest[rid], "timestamp": stamp, "status": "conflict"})
            else:  # dual screening: the reviewers' agreed decision
                agreed = replace(current, source_file="reviewers' agreement", row=0)
                entries.append(store_entry(agreed, "conflict", stamp))
            entries.append(store_entry(mine, "conflict", stamp))
            result.conflicts += 1
        append_entries(store, entries)  # synced before returning
    return result


# -- the command ---------------------------------------------------------------------------------


def _settings(config: Path) -> dict:
    if not config.exists():
        return {}
    try:
        return yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise AsreviewImportError(f"{config}: {error}") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="livescreen asreview-import",
        description="Record ASReview LAB's exported labels as decisions in the decision store.",
    )
    parser.add_argument("file", help="ASReview LAB's export (CSV, TSV, XLSX or RIS)")
    parser.add_argument("--reviewer", required=True, help="the name to record the decisions as")
    parser.add_argument("--config", default="config.yaml", help="for `decisions` and `reviewers`")
    parser.add_argument("--decisions", help="the decision folder (default: config's decisions)")
    parser.add_argument("--screening", default="results/screening", help="the tables' folder")
    args = parser.parse_args(argv)
    try:
        settings = _settings(Path(args.config))
        decisions = args.decisions or settings.get("decisions") or "decisions"
        result = import_labels(
            args.file,
            args.reviewer,
            decisions,
            args.screening,
            reviewers=settings.get("reviewers") or (),
        )
    except LivescreenError as error:
        print(f"livescreen: {error}", file=sys.stderr)
        return 1
    print(result.summary())
    if result.included or result.excluded or result.conflicts:
        print("livescreen: run the workflow again to see them in the tables")
    return 0
