"""The decision store (append-only, torn lines set aside) and the one spreadsheet CSV reader."""

import codecs
import datetime as dt

import pytest

from livescreen.review.decisions import (
    STORE_COLUMNS,
    Decision,
    StoreError,
    append_to_store,
    conflict_notes,
    conflict_rows,
    current_decisions,
    displayed_decisions,
    read_store,
    reconcile,
    recorded_since,
    repair_store,
)
from livescreen.review.spreadsheet import DecisionFileError, read_csv_table

HEADER = ["pmid", "decision", "exclusion_reason", "reviewer", "notes", "title"]
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def write_table(path, rows, *, delimiter=",", bom=True, newline="\r\n", encoding="utf-8"):
    lines = [delimiter.join(HEADER)] + [delimiter.join(row) for row in rows]
    data = newline.join(lines) + newline
    raw = data.encode(encoding)
    if bom and encoding == "utf-8":
        raw = codecs.BOM_UTF8 + raw
    path.write_bytes(raw)
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
        dict(delimiter="\t", encoding="utf-16"),  # Excel "Unicode text" (BOM from the codec)
        dict(delimiter="\t"),  # UTF-8 with tabs
    ],
)
def test_csv_tables_are_read_whatever_the_spreadsheet_did(tmp_path, variant):
    path = write_table(tmp_path / "to_screen.csv", ROWS, **variant)
    header, rows = read_csv_table(path)
    assert header == HEADER
    by_id = {row["pmid"]: (number, row) for number, row in rows}
    assert by_id["222"][0] == 3
    assert by_id["222"][1]["decision"] == "Exclude"
    assert by_id["222"][1]["exclusion_reason"] == "wrong population"


def test_a_csv_cut_off_inside_a_cell_is_refused(tmp_path):
    path = tmp_path / "to_screen.csv"
    path.write_bytes(
        b"pmid,decision,exclusion_reason,reviewer,notes\r\n1,include,,AB,\"a long note cut"
    )
    with pytest.raises(DecisionFileError, match=r"to_screen.csv .*row 2: .*cut off inside"):
        read_csv_table(path)


def test_a_csv_row_with_too_few_cells_is_refused(tmp_path):
    path = tmp_path / "to_screen.csv"
    path.write_bytes(b"pmid,decision,exclusion_reason,reviewer,notes\r\n1,include,,AB,x\r\n2,excl")
    with pytest.raises(DecisionFileError, match=r"row 3: 2 cells where the header has 5"):
        read_csv_table(path)


def test_utf16_without_bom_names_the_encoding(tmp_path):
    path = tmp_path / "to_screen.csv"
    path.write_bytes("pmid\tdecision\r\n1\tinclude\r\n".encode("utf-16-le"))
    with pytest.raises(DecisionFileError, match="UTF-16 without a byte-order mark"):
        read_csv_table(path)


def d(record_id, decision, source="to_screen.csv", row=2, reviewer="AB"):
    return Decision(record_id, decision, "", reviewer, "", source_file=source, row=row)


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
    assert displayed_decisions(history)["1"].decision == ""  # blank while the conflict is open
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
    assert recorded_since(history, None) == 1  # a conflict counts once
    # a reviewer enters the decision again (even the earlier one): the conflict is settled
    changes, conflicting = reconcile([d("1", "include")], displayed_decisions(history))
    append_to_store(store, changes, conflicting, NOW)
    history = read_store(store)
    assert conflict_rows(history) == [] and displayed_decisions(history)["1"].decision == "include"


def test_added_columns_travel_with_the_decision(tmp_path):
    store = tmp_path / "decisions.csv"
    decision = Decision("1", "include", extra=(("fulltext", "library, shelf 3"),))
    append_to_store(store, [decision], [], NOW)
    (back,) = current_decisions(read_store(store)).values()
    assert back.extra == (("fulltext", "library, shelf 3"),)
    assert back.cell("fulltext") == "library, shelf 3"


def test_a_torn_last_line_is_set_aside_and_the_next_append_starts_clean(tmp_path):
    store = tmp_path / "decisions.csv"
    append_to_store(store, [d("37484678", "include")], [], NOW)
    good = store.read_bytes()
    store.write_bytes(good + b"37484678,excl")  # a crash mid-append
    assert [e["decision"] for e in read_store(store)] == ["include"]  # never merged
    state = repair_store(store, NOW)
    assert state.torn == "37484678,excl"
    assert store.read_bytes() == good
    assert "37484678,excl" in (tmp_path / "torn_lines.txt").read_text(encoding="utf-8")
    append_to_store(store, [d("37484678", "exclude")], [], NOW)
    assert [e["decision"] for e in read_store(store)] == ["include", "exclude"]


def test_a_complete_last_line_without_its_line_end_is_kept(tmp_path):
    store = tmp_path / "decisions.csv"
    append_to_store(store, [d("1", "include")], [], NOW)
    store.write_bytes(store.read_bytes().rstrip(b"\r\n"))  # an editor dropped the last newline
    state = repair_store(store, NOW)
    assert state.torn == "" and len(state.history) == 1
    append_to_store(store, [d("2", "exclude")], [], NOW)
    assert [e["record_id"] for e in read_store(store)] == ["1", "2"]


def test_a_damaged_line_in_the_middle_stops_naming_the_line(tmp_path):
    store = tmp_path / "decisions.csv"
    append_to_store(store, [d("1", "include"), d("2", "exclude")], [], NOW)
    lines = store.read_bytes().split(b"\r\n")
    lines[1] = b"1,include"
    store.write_bytes(b"\r\n".join(lines))
    with pytest.raises(StoreError, match=r"decisions.csv, line 2: 2 fields"):
        read_store(store)


def test_an_old_store_without_the_extra_column_is_migrated_once(tmp_path):
    store = tmp_path / "decisions.csv"
    old = [c for c in STORE_COLUMNS if c not in ("extra", "screener")]  # as stores were
    store.write_text(
        ",".join(old) + "\r\n1,include,,AB,,2026-11-26T12:00:00+00:00,\"to_screen.csv, row 2\","
        "decided\r\n",
        encoding="utf-8",
    )
    repair_store(store, NOW)
    assert store.read_text(encoding="utf-8").startswith(",".join(STORE_COLUMNS))
    assert current_decisions(read_store(store))["1"].decision == "include"
