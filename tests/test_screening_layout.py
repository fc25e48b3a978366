"""The screening workbook's layout, checked with openpyxl: made for title/abstract screening."""

import openpyxl
import pytest

from livescreen.columns import (
    ESSAY_TABLE_COLUMNS,
    HIGHLIGHT_COLUMNS,
    REGISTRATION_COLUMNS,
    SCREENING_COLUMNS,
)
from livescreen.review.screening import _sheets, screening_layout
from livescreen.review.views import CsvView
from livescreen.review.workbook import LINE_POINTS, write_workbook

ABSTRACT = (
    "METHODS: participants were randomised to MDMA-assisted therapy or prolonged exposure. " * 12
)
PUBLICATIONS = [
    {
        "pmid": "1",
        "title": "MDMA versus PE",
        "abstract": ABSTRACT,
        "decision": "exclude",
        "exclusion_reason": "Design",
        "highlight": "true",
        "mechanisms": "fear_extinction",
    },
    {
        "pmid": "2",
        "title": "Short",
        "abstract": "",
        "decision": "",
        "conflict": "include vs exclude",
    },
]
REASONS = ["population", "design", "not retrievable"]


def workbook(tmp_path, mechanism_sheets=False):
    tables = [
        CsvView("to_screen.csv", [*SCREENING_COLUMNS, "fulltext"], PUBLICATIONS),
        CsvView("highlighted_trials.csv", HIGHLIGHT_COLUMNS, []),
        CsvView("registered_trials.csv", REGISTRATION_COLUMNS, [{"nct_id": "NCT05837845"}]),
        CsvView("essay_matches.csv", ESSAY_TABLE_COLUMNS, []),
        CsvView("by_mechanism/fear_extinction.csv", SCREENING_COLUMNS, PUBLICATIONS[:1]),
    ]

    def columns(view, base):
        return [*base, "fulltext"] if view == "screening.xlsx [To screen]" else base

    layout = {
        "run": "2026-12-01T10:00:00Z",
        "sources": ["PubMed"],
        "exclusion_reasons": REASONS,
        "mechanism_sheets": mechanism_sheets,
    }
    path = tmp_path / "screening.xlsx"
    write_workbook(path, _sheets(tables, columns, layout))
    return openpyxl.load_workbook(path)


def header(ws):
    return [cell.value for cell in ws[1]]


def test_sheets_open_on_the_summary_and_lay_out_ids_decisions_title_and_abstract(tmp_path):
    book = workbook(tmp_path)
    assert book.sheetnames == [
        "Summary",
        "Highlighted",
        "To screen",
        "Registered trials",
        "Essay matches",
        "Mechanism evidence",
    ]
    ws = book["To screen"]
    assert header(ws)[:8] == [
        "pmid",
        "decision",
        "exclusion_reason",
        "reviewer",
        "notes",
        "fulltext",
        "title",
        "abstract",
    ]
    assert ws.freeze_panes == "G2"  # id, the four decision columns and the reviewer's own
    assert ws.column_dimensions["H"].width == 100 and ws.column_dimensions["G"].width == 50
    assert ws.row_dimensions[2].height == 8 * LINE_POINTS  # the long abstract: 8 lines shown
    # one line: the default height, which XlsxWriter leaves unwritten
    assert ws.row_dimensions[3].height in (None, LINE_POINTS)
    assert ws["H2"].alignment.wrap_text
    assert header(book["Highlighted"])[:7] == [
        "record_type",
        "trial_id",
        "pmid",
        "decision",
        "exclusion_reason",
        "reviewer",
        "notes",
    ]
    assert book["Highlighted"].freeze_panes == "H2"
    assert header(book["Registered trials"])[:5] == [
        "nct_id",
        "decision",
        "exclusion_reason",
        "reviewer",
        "notes",
    ]


def test_exclusion_reasons_come_from_the_configured_list(tmp_path):
    ws = workbook(tmp_path)["To screen"]
    lists = {v.formula1: v for v in ws.data_validations.dataValidation}
    reasons = lists['"population,design,not retrievable"']
    assert str(reasons.sqref) == "C2:C3" and reasons.errorStyle == "warning"
    assert '"include,exclude,maybe"' in lists


def test_the_summary_counts_screening_per_table_and_keyword(tmp_path):
    ws = workbook(tmp_path)["Summary"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert "run 2026-12-01T10:00:00Z" in rows and "source: PubMed" in rows
    table, records, awaiting, included, excluded, maybe, conflicts, reasons = rows["to_screen.csv"]
    assert (records, awaiting, included, excluded, conflicts) == ("2", "1", "0", "1", "1")
    assert reasons == "design: 1"
    assert rows["by_mechanism/fear_extinction.csv"][1] == "1"


@pytest.mark.parametrize("enabled", [False, True])
def test_per_keyword_sheets_are_optional(tmp_path, enabled):
    assert ("fear_extinction" in workbook(tmp_path, enabled).sheetnames) is enabled


def test_layout_keeps_every_column_once():
    laid_out = screening_layout(SCREENING_COLUMNS, ["second_reviewer"])
    assert sorted(laid_out) == sorted([*SCREENING_COLUMNS, "second_reviewer"])
