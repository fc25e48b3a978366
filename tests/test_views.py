"""Tables and sheets as views of the decision store: edits are read against what was written
to each file, so stale, half-written, cut or re-saved files never alter a decision."""

import csv
import datetime as dt
import os

import openpyxl
import pytest

from livescreen.columns import HIGHLIGHT_COLUMNS, SCREENING_COLUMNS
from livescreen.review.decisions import (
    Decision,
    append_to_store,
    current_decisions,
    displayed_decisions,
    read_store,
)
from livescreen.review.spreadsheet import read_csv_table
from livescreen.review.tables import with_review
from livescreen.review.views import CsvView, DecisionFileError, harvest, write_views
from livescreen.review.workbook import CUT_MARKER, Sheet

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=1)
PUBLICATIONS = [
    {"pmid": "38000001", "title": "MDMA-assisted therapy versus prolonged exposure"},
    {"pmid": "38000002", "title": "A rat study", "mechanisms": "fear_extinction"},
]
REGISTRATION = {
    "record_type": "registration",
    "trial_id": "NCT05837845",
    "pmid": "",
    "title": "MDMA-assisted CPT versus CPT",
}


@pytest.fixture
def folders(tmp_path):
    return tmp_path / "screening", tmp_path / "decisions"


def publish(folders, extra_columns=(), workbook=True):
    """Write the views from the store, as the screening step does."""
    screening, decisions = folders
    history = read_store(decisions / "decisions.csv")
    shown = displayed_decisions(history)
    rows = with_review([dict(r) for r in PUBLICATIONS], "pmid", shown, {}, {}, "run")
    highlighted = [
        *(dict(r, record_type="publication", trial_id=f"PMID:{r['pmid']}") for r in rows[:1]),
        *with_review([dict(REGISTRATION)], "trial_id", shown, {}, {}, "run"),
    ]
    columns = [*SCREENING_COLUMNS, *extra_columns]
    tables = [
        CsvView("to_screen.csv", columns, rows),
        CsvView("highlighted_trials.csv", HIGHLIGHT_COLUMNS, highlighted),
        CsvView("by_mechanism/fear_extinction.csv", SCREENING_COLUMNS, rows[1:]),
    ]
    sheets = [
        Sheet("To screen", columns, rows),
        Sheet("Highlighted", HIGHLIGHT_COLUMNS, highlighted),
    ]
    write_views(screening, tables, sheets if workbook else None)


def reharvest(folders, when=LATER, known=()):
    return harvest(*folders, when, set(known))


def edit_csv(path, changes, *, delimiter=",", encoding="utf-8", add=()):
    """Change cells as a spreadsheet would, re-saving the whole file (no BOM, LF)."""
    header, rows = read_csv_table(path)
    header = [*header, *add]
    out = []
    for _, row in rows:
        row = {**dict.fromkeys(add, ""), **row}
        key = row["pmid"] or row.get("trial_id")
        row.update(changes.get(key, {}))
        out.append(row)
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, delimiter=delimiter, lineterminator="\n")
        writer.writeheader()
        writer.writerows(out)


def decisions_now(folders):
    return current_decisions(read_store(folders[1] / "decisions.csv"))


def test_unedited_and_resaved_views_record_nothing(folders):
    publish(folders)
    assert reharvest(folders).recorded == 0
    to_screen = folders[0] / "to_screen.csv"
    edit_csv(to_screen, {}, delimiter=";")  # re-saved by a spreadsheet, nothing changed
    assert reharvest(folders).recorded == 0
    assert not (folders[1] / "decisions.csv").exists()


def test_edits_in_every_table_are_recorded_once_under_their_record_id(folders):
    publish(folders)
    screening = folders[0]
    edit_csv(screening / "to_screen.csv", {"38000001": {"decision": "Include", "reviewer": "SK"}})
    edit_csv(
        screening / "highlighted_trials.csv",
        {"NCT05837845": {"decision": "maybe", "notes": "ask the sponsor"}},
    )
    edit_csv(
        screening / "by_mechanism" / "fear_extinction.csv",
        {"38000002": {"decision": "exclude", "exclusion_reason": "population"}},
    )
    result = reharvest(folders)
    assert result.recorded == 3 and result.conflicts == 0
    now = decisions_now(folders)
    assert now["38000001"].values[:3] == ("include", "", "SK")
    assert now["NCT05837845"].notes == "ask the sponsor"  # a registration row: its trial_id
    assert now["38000002"].exclusion_reason == "population"
    assert reharvest(folders).recorded == 0  # the same files again: nothing new


def test_workbook_edits_on_registration_rows_are_recorded(folders):
    publish(folders)
    set_in_workbook(folders[0] / "screening.xlsx", "Highlighted", "NCT05837845", decision="include")
    assert reharvest(folders).recorded == 1
    assert decisions_now(folders)["NCT05837845"].decision == "include"


def set_in_workbook(path, sheet, record_id, **cells):
    book = openpyxl.load_workbook(path)
    ws = book[sheet]
    header = [cell.value for cell in ws[1]]
    ids = {header.index(c) for c in ("pmid", "trial_id") if c in header}
    row = next(
        r
        for r in range(2, ws.max_row + 1)
        if any(ws.cell(r, i + 1).value == record_id for i in ids)
    )
    for column, value in cells.items():
        ws.cell(row, header.index(column) + 1, value)
    book.save(path)


def test_a_stop_between_writing_tables_never_reads_old_or_new_tables_as_edits(folders, monkeypatch):
    publish(folders)
    set_in_workbook(folders[0] / "screening.xlsx", "To screen", "38000001", decision="include")
    reharvest(folders)
    # the next write stops after renaming to_screen.csv: the other files stay as they were
    real_replace, renamed = os.replace, []

    def stop_after_one(src, dst):
        if str(dst).endswith((".csv", ".xlsx")):
            renamed.append(dst)
            if len(renamed) > 1:
                raise KeyboardInterrupt("kill -9")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", stop_after_one)
    with pytest.raises(KeyboardInterrupt):
        publish(folders)
    monkeypatch.setattr(os, "replace", real_replace)
    to_screen = {row["pmid"]: row for _, row in read_csv_table(folders[0] / "to_screen.csv")[1]}
    assert to_screen["38000001"]["decision"] == "include"  # new
    # the reviewer now excludes the record in highlighted_trials.csv (still the old file);
    # the new to_screen.csv is not an edit, so this is a change, not a conflict
    edit_csv(folders[0] / "highlighted_trials.csv", {"38000001": {"decision": "exclude"}})
    result = reharvest(folders, LATER + dt.timedelta(hours=1))
    assert (result.recorded, result.conflicts) == (1, 0)
    assert decisions_now(folders)["38000001"].decision == "exclude"
    assert not list(folders[0].glob(".*livescreen-tmp"))


def test_a_note_longer_than_a_cell_survives_an_edit_in_the_workbook(folders):
    long_note = "'t Hooft: =not a formula\n" + "x" * 50_000
    append_to_store(
        folders[1] / "decisions.csv", [Decision("38000001", "maybe", notes=long_note)], [], NOW
    )
    publish(folders)
    path = folders[0] / "screening.xlsx"
    book = openpyxl.load_workbook(path)
    ws = book["To screen"]
    header = [cell.value for cell in ws[1]]
    note_cell = ws.cell(2, header.index("notes") + 1).value
    assert len(note_cell) == 32767 and note_cell.endswith(CUT_MARKER.format(n=len(long_note)))
    ws.cell(2, header.index("decision") + 1, "include")  # the reviewer decides, note untouched
    book.save(path)
    assert reharvest(folders).recorded == 1
    after = decisions_now(folders)["38000001"]
    assert after.decision == "include" and after.notes == long_note  # exact, not cut
    # the CSV holds the full text; a spreadsheet that cut it on saving does not cut the store
    to_screen = folders[0] / "to_screen.csv"
    publish(folders)
    edit_csv(to_screen, {"38000001": {"notes": long_note[:32767], "reviewer": "SK"}})
    reharvest(folders, LATER + dt.timedelta(hours=1))
    assert decisions_now(folders)["38000001"].notes == long_note


@pytest.mark.parametrize(
    "note", ["'t Hooft agrees", "=SUM(A1) is how the authors put it", "-2 points", "tab\tinside"]
)
def test_reviewer_text_round_trips_exactly(folders, note):
    publish(folders)
    edit_csv(folders[0] / "to_screen.csv", {"38000001": {"notes": note}})
    reharvest(folders)
    assert decisions_now(folders)["38000001"].notes == note
    publish(folders)  # written back (formulas neutralised), then read back unchanged
    edit_csv(folders[0] / "to_screen.csv", {"38000001": {"reviewer": "SK"}})
    reharvest(folders, LATER + dt.timedelta(hours=1))
    assert decisions_now(folders)["38000001"].notes == note


def test_a_control_character_is_refused_naming_file_row_and_column(folders):
    publish(folders)
    edit_csv(folders[0] / "to_screen.csv", {"38000001": {"notes": "bell\x07"}})
    with pytest.raises(DecisionFileError, match=r"to_screen.csv, row 2 .*notes: control.*U\+0007"):
        reharvest(folders)
    assert not (folders[1] / "decisions.csv").exists()


def test_a_decided_row_without_a_record_stops_the_run(folders):
    publish(folders)
    edit_csv(folders[0] / "to_screen.csv", {"38000001": {"pmid": "", "decision": "include"}})
    with pytest.raises(DecisionFileError, match=r"to_screen.csv, row 2: a decision but no pmid"):
        reharvest(folders)


def test_a_decision_for_a_record_never_listed_stops_the_run(folders):
    publish(folders)
    edit_csv(
        folders[0] / "to_screen.csv", {"38000001": {"pmid": "99999999", "decision": "include"}}
    )
    with pytest.raises(DecisionFileError, match="99999999 is not a record livescreen listed"):
        reharvest(folders)


def test_a_bad_edit_anywhere_records_nothing(folders):
    publish(folders)
    edit_csv(folders[0] / "to_screen.csv", {"38000001": {"decision": "include"}})
    edit_csv(folders[0] / "highlighted_trials.csv", {"NCT05837845": {"decision": "yes"}})
    with pytest.raises(DecisionFileError, match=r"decision 'yes' is not allowed"):
        reharvest(folders)
    assert not (folders[1] / "decisions.csv").exists()


def test_columns_a_reviewer_adds_are_kept_and_shown_again(folders):
    publish(folders)
    edit_csv(
        folders[0] / "to_screen.csv",
        {"38000002": {"second_reviewer": "exclude", "fulltext": ""}},
        add=("second_reviewer", "fulltext"),
    )
    reharvest(folders)
    assert dict(decisions_now(folders)["38000002"].extra) == {"second_reviewer": "exclude"}
    from livescreen.review.decisions import added_columns

    added = added_columns(read_store(folders[1] / "decisions.csv"))
    assert added["to_screen.csv"] == ["second_reviewer", "fulltext"]  # the empty one too
    publish(folders, extra_columns=added["to_screen.csv"])
    header, rows = read_csv_table(folders[0] / "to_screen.csv")
    assert header[-2:] == ["second_reviewer", "fulltext"]
    assert {row["pmid"]: row["second_reviewer"] for _, row in rows}["38000002"] == "exclude"
    assert reharvest(folders, LATER + dt.timedelta(hours=1)).recorded == 0


def test_conflicting_edits_are_kept_and_shown_blank(folders):
    publish(folders)
    edit_csv(folders[0] / "to_screen.csv", {"38000001": {"decision": "include"}})
    edit_csv(folders[0] / "highlighted_trials.csv", {"38000001": {"decision": "exclude"}})
    result = reharvest(folders)
    assert result.conflicts == 1 and result.recorded == 1
    shown = displayed_decisions(read_store(folders[1] / "decisions.csv"))
    assert shown["38000001"].decision == ""
