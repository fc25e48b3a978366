"""Decisions read back from tables as spreadsheets save them, kept in the append-only store."""

import datetime as dt

import pytest

from livescreen.decisions import (
    Decision,
    DecisionFileError,
    append_to_store,
    conflict_notes,
    conflict_rows,
    current_decisions,
    displayed_decisions,
    harvest_decisions,
    read_csv_decisions,
    read_store,
    reconcile,
)

HEADER = ["pmid", "decision", "exclusion_reason", "reviewer", "notes", "title"]
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def write_table(path, rows, *, delimiter=",", bom=True, newline="\r\n", encoding="utf-8"):
    lines = [delimiter.join(HEADER)] + [delimiter.join(row) for row in rows]
    data = newline.join(lines) + newline
    raw = data.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + raw)
    return path


ROWS = [
    ["111", "include", "", "AB", "fits", "A trial"],
    ["222", "Exclude", "wrong population", "AB", "", "Rats"],
    ["333", "", "", "", "", "Undecided"],
]


@pytest.mark.parametrize(
    "variant",
    [
        dict(),  # as livescreen writes it: UTF-8 with BOM, comma, CRLF
        dict(bom=False, newline="\n"),  # LibreOffice default
        dict(delimiter=";"),  # Excel in a European locale
        dict(delimiter=";", bom=False, encoding="cp1252"),  # Excel "CSV (MS-DOS)"
    ],
)
def test_csv_decisions_are_read_whatever_the_spreadsheet_did(tmp_path, variant):
    path = write_table(tmp_path / "to_screen.csv", ROWS, **variant)
    decisions = {d.record_id: d for d in read_csv_decisions(path)}
    assert decisions["111"].values == ("include", "", "AB", "fits")
    assert decisions["222"].values == ("exclude", "wrong population", "AB", "")
    assert decisions["333"].values == ("", "", "", "")
    assert decisions["222"].row == 3 and decisions["222"].source_file == "to_screen.csv"


def test_a_decision_value_that_is_not_allowed_names_file_row_and_value(tmp_path):
    path = write_table(tmp_path / "to_screen.csv", [*ROWS, ["444", "yes", "", "", "", "x"]])
    with pytest.raises(
        DecisionFileError, match=r"to_screen.csv, row 5 \(pmid 444\): decision 'yes'"
    ):
        read_csv_decisions(path)


def test_a_renamed_column_names_the_file_and_column(tmp_path):
    path = tmp_path / "to_screen.csv"
    path.write_text("pmid,Decision made,exclusion_reason,reviewer,notes\r\n1,include,,,\r\n")
    with pytest.raises(DecisionFileError, match="to_screen.csv: column.s. decision missing"):
        read_csv_decisions(path)


def d(record_id, decision, source="to_screen.csv", row=2, reviewer="AB"):
    return Decision(record_id, decision, "", reviewer, "", source, row)


def test_unchanged_rows_are_not_changes_and_edits_are():
    shown = {"1": d("1", "include")}
    changes, conflicting = reconcile([d("1", "include"), d("2", "exclude")], shown)
    assert [c.record_id for c in changes] == ["2"] and conflicting == []


def test_the_same_edit_in_two_files_is_one_change():
    changes, conflicting = reconcile(
        [d("1", "exclude"), d("1", "exclude", "screening.xlsx [To screen]", 7)], {}
    )
    assert len(changes) == 1 and conflicting == []


def test_two_sources_disagreeing_are_a_conflict_and_neither_is_dropped(tmp_path):
    store = tmp_path / "decisions.csv"
    append_to_store(store, [d("1", "include")], [], NOW)
    history = read_store(store)
    changes, conflicting = reconcile(
        [d("1", "exclude"), d("1", "maybe", "screening.xlsx [To screen]", 4)],
        displayed_decisions(history),
    )
    assert changes == [] and len(conflicting) == 2
    append_to_store(store, changes, conflicting, NOW)
    history = read_store(store)
    assert len(history) == 3  # append-only: the first decision and both conflicting values
    assert "1" not in displayed_decisions(history)  # shown blank while the conflict is open
    assert current_decisions(history)["1"].decision == "include"
    rows = conflict_rows(history)
    assert [(r["decision"], r["source_file"], r["decision_before"]) for r in rows] == [
        ("exclude", "to_screen.csv", "include"),
        ("maybe", "screening.xlsx [To screen]", "include"),
    ]
    assert (
        "exclude (to_screen.csv) vs maybe (screening.xlsx [To screen])"
        in conflict_notes(history)["1"]
    )
    # a reviewer enters the decision again (even the earlier one): the conflict is settled
    changes, conflicting = reconcile([d("1", "include")], displayed_decisions(history))
    append_to_store(store, changes, conflicting, NOW)
    history = read_store(store)
    assert conflict_rows(history) == [] and displayed_decisions(history)["1"].decision == "include"


def test_harvest_records_decisions_before_tables_change_and_an_error_records_nothing(tmp_path):
    table = write_table(tmp_path / "to_screen.csv", ROWS)
    store = tmp_path / "decisions" / "decisions.csv"
    history, appended = harvest_decisions([table, tmp_path / "absent.csv"], None, store, NOW)
    assert appended == 2  # 111 and 222; 333 is undecided
    assert {e["record_id"]: e["decision"] for e in history} == {"111": "include", "222": "exclude"}
    assert history[0]["timestamp"] == "2026-11-26T12:00:00+00:00"
    assert history[0]["source_file"] == "to_screen.csv, row 2"
    # the same tables again: nothing new
    assert harvest_decisions([table], None, store, NOW)[1] == 0
    # a bad edit stops the harvest and leaves the store as it was
    bad = write_table(tmp_path / "highlighted_trials.csv", [["111", "exclude?", "", "", "", ""]])
    before = store.read_bytes()
    with pytest.raises(DecisionFileError, match="highlighted_trials.csv, row 2"):
        harvest_decisions([table, bad], None, store, NOW)
    assert store.read_bytes() == before
