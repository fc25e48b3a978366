import datetime as dt
import shutil
import subprocess

import openpyxl
import pytest

from livescreen.review.views import harvest
from livescreen.review.workbook import (
    CUT_MARKER,
    MAX_WIDTH,
    MIN_WIDTH,
    DecisionFileError,
    Sheet,
    cell_text,
    doi_url,
    http_url,
    read_sheets,
    unescaped,
    write_workbook,
)

DECISIONS = ["decision", "exclusion_reason", "reviewer", "notes"]
LONG_ABSTRACT = "MDMA-assisted therapy reduced CAPS-5 scores. " * 60
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def screening_sheet() -> Sheet:
    rows = [
        {
            "pmid": "38000001",
            "title": "A randomised trial of MDMA-assisted therapy for PTSD",
            "highlight": "true",
            "highlight_reason": "randomised; compares with an established treatment",
            "doi": "10.1038/s41591-021-01336-3",
            "pubmed_url": "https://pubmed.ncbi.nlm.nih.gov/38000001/",
            "abstract": LONG_ABSTRACT,
        },
        {
            "pmid": "38000002",
            "title": FORMULAS[0],
            "highlight": "false",
            "highlight_reason": "",
            "doi": "not a doi",
            "pubmed_url": "javascript:alert(1)",
            "abstract": "bell\x07 and null\x00 removed",
            "notes": "#N/A",
        },
        {
            "pmid": "38000003",
            "title": "; ".join(FORMULAS[1:]),
            "highlight": "",
            "doi": "doi:10.1000/a<b>#c",
            "pubmed_url": "file:///etc/passwd",
            "abstract": "",
            "decision": "=1+1",
        },
    ]
    for index, value in enumerate(FORMULAS[1:], start=4):
        rows.append({"pmid": str(38000000 + index), "title": value, "highlight": "false"})
    return Sheet(
        name="To screen",
        columns=[
            "pmid",
            "title",
            "highlight",
            "highlight_reason",
            "doi",
            "pubmed_url",
            "abstract",
            *DECISIONS,
        ],
        rows=rows,
        link_columns={"doi": "doi", "pubmed_url": "url"},
        highlight_column="highlight",
    )


def registry_sheet() -> Sheet:
    return Sheet(
        name="Registered trials",
        columns=["nct_id", "title", "registry_url", "highlight", *DECISIONS],
        rows=[
            {
                "nct_id": "NCT04077437",
                "title": "MDMA vs placebo",
                "registry_url": "https://clinicaltrials.gov/study/NCT04077437",
                "highlight": "true",
            }
        ],
        link_columns={"registry_url": "url"},
        highlight_column="highlight",
    )


def essay_sheet() -> Sheet:
    return Sheet(
        name="Essay matches",
        columns=["record_type", "pmid", "title"],
        rows=[{"record_type": "publication", "pmid": "1", "title": "Cited"}],
    )


@pytest.fixture
def workbook_path(tmp_path):
    path = tmp_path / "screening.xlsx"
    write_workbook(path, [screening_sheet(), registry_sheet(), essay_sheet()])
    return path


@pytest.fixture
def book(workbook_path):
    return openpyxl.load_workbook(workbook_path)


def column_cells(ws, header: str):
    index = [cell.value for cell in ws[1]].index(header) + 1
    return [ws.cell(row=r, column=index) for r in range(2, ws.max_row + 1)]


def test_one_sheet_per_table_with_bold_frozen_header_and_autofilter(book):
    assert book.sheetnames == ["To screen", "Registered trials", "Essay matches"]
    screening, registry, essay = book.worksheets
    assert all(cell.font.b for cell in screening[1])
    assert screening.freeze_panes == "B2"  # id column first: kept in view too
    assert registry.freeze_panes == "B2"
    assert essay.freeze_panes == "A2"  # first column is not an id
    assert screening.auto_filter.ref == "A1:K9"
    assert registry.auto_filter.ref == "A1:H2"
    assert essay.auto_filter.ref == "A1:C2"


def test_links_are_real_hyperlinks_for_http_urls_and_dois_only(book):
    ws = book["To screen"]
    urls = column_cells(ws, "pubmed_url")
    assert urls[0].hyperlink.target == "https://pubmed.ncbi.nlm.nih.gov/38000001/"
    assert urls[0].value == "https://pubmed.ncbi.nlm.nih.gov/38000001/"
    assert urls[0].style == "Hyperlink"
    for cell in urls[1:3]:  # javascript: and file: are shown, never linked
        assert cell.hyperlink is None
        assert cell.style == "Normal"
    assert urls[1].value == "javascript:alert(1)"
    dois = column_cells(ws, "doi")
    assert dois[0].value == "10.1038/s41591-021-01336-3"
    assert dois[0].hyperlink.target == "https://doi.org/10.1038/s41591-021-01336-3"
    assert dois[1].hyperlink is None
    assert dois[2].hyperlink.target == "https://doi.org/10.1000/a%3Cb%3E%23c"
    registry = book["Registered trials"]
    link = column_cells(registry, "registry_url")[0]
    assert link.hyperlink.target == "https://clinicaltrials.gov/study/NCT04077437"


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "ftp://x.org/a",
        "http://",
        "https://a b.org",
        "data:text/html,x",
        "vbscript:x",
        "HTTPS://",
    ],
)
def test_only_http_urls_qualify(text):
    assert http_url(text) is None


def test_http_url_and_doi_url():
    assert http_url(" HTTPS://Example.org/x?a=1#f ") == "HTTPS://Example.org/x?a=1#f"
    assert doi_url("https://doi.org/10.1000/xyz") == "https://doi.org/10.1000/xyz"
    assert doi_url("10.1000") is None
    assert doi_url("javascript:10.1000/x") is None


def test_highlighted_rows_are_shaded_across_the_row(book):
    ws = book["To screen"]
    shaded = [
        r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).fill.fill_type == "solid"
    ]
    assert shaded == [2]
    for cell in ws[2]:
        assert cell.fill.fill_type == "solid"
        assert cell.fill.fgColor.rgb == "FFFFF2CC"
    assert all(cell.fill.fill_type is None for cell in ws[3])
    registry = book["Registered trials"]
    assert all(cell.fill.fill_type == "solid" for cell in registry[2])


def test_decision_drop_down_covers_every_data_row(book):
    for name, last in (("To screen", 9), ("Registered trials", 2)):
        ws = book[name]
        [validation] = ws.data_validations.dataValidation
        decision_cells = column_cells(ws, "decision")
        letter = decision_cells[0].column_letter
        assert validation.type == "list"
        assert validation.formula1 == '"include,exclude,maybe"'
        assert validation.allow_blank
        assert validation.showErrorMessage
        assert len(decision_cells) == last - 1
        assert all(cell.coordinate in validation.sqref for cell in decision_cells)
        assert f"{letter}1" not in validation.sqref
        assert f"{letter}{last + 1}" not in validation.sqref
    assert book["Essay matches"].data_validations.dataValidation == []


def test_column_widths_are_bounded_and_long_columns_wrap(book):
    ws = book["To screen"]
    widths = {header.value: ws.column_dimensions[header.column_letter].width for header in ws[1]}
    assert all(MIN_WIDTH <= width <= MAX_WIDTH for width in widths.values())
    assert widths["abstract"] == MAX_WIDTH
    assert widths["pmid"] == MIN_WIDTH
    assert widths["highlight_reason"] > len("highlight_reason")
    assert column_cells(ws, "abstract")[0].alignment.wrap_text
    assert not column_cells(ws, "pmid")[0].alignment.wrap_text


def test_formula_looking_values_are_text_cells_holding_the_original(book):
    ws = book["To screen"]
    cells = {
        unescaped(cell.value): cell for row in ws.iter_rows(min_row=2) for cell in row if cell.value
    }
    for value in [*FORMULAS, "#N/A", "=1+1"]:
        assert cells[value].data_type == "s", value
    titles = [unescaped(cell.value) for cell in column_cells(ws, "title")]
    assert titles[1] == FORMULAS[0]
    assert titles[3:] == FORMULAS[1:]


def test_illegal_control_characters_are_shown_as_pictures(book):
    ws = book["To screen"]
    assert column_cells(ws, "abstract")[1].value == "bell\u2407 and null\u2400 removed"


def test_written_atomically_and_replaces_the_old_file(tmp_path):
    path = tmp_path / "screening.xlsx"
    write_workbook(path, [essay_sheet()])
    write_workbook(path, [registry_sheet()])
    assert [p.name for p in tmp_path.iterdir()] == ["screening.xlsx"]
    assert openpyxl.load_workbook(path).sheetnames == ["Registered trials"]
    with pytest.raises(ValueError, match="used twice"):
        write_workbook(path, [essay_sheet(), essay_sheet()])
    assert [p.name for p in tmp_path.iterdir()] == ["screening.xlsx"]


@pytest.mark.parametrize("name", ["", "x" * 32, "a/b", "a[1]", "'quoted'"])
def test_bad_sheet_names_are_refused(tmp_path, name):
    with pytest.raises(ValueError, match="sheet name"):
        write_workbook(tmp_path / "x.xlsx", [Sheet(name=name, columns=["pmid"], rows=[])])


def test_empty_sheet_has_header_only(tmp_path):
    path = tmp_path / "x.xlsx"
    write_workbook(path, [Sheet(name="Highlighted", columns=["record_type", *DECISIONS], rows=[])])
    ws = openpyxl.load_workbook(path)["Highlighted"]
    assert ws.max_row == 1
    assert ws.auto_filter.ref == "A1:E1"
    assert ws.data_validations.dataValidation == []


def sheets_by_title(path):
    return {title: (header, rows) for title, header, rows in read_sheets(path)}


def test_cells_read_back_as_a_reviewer_left_them(workbook_path):
    book = openpyxl.load_workbook(workbook_path)
    ws = book["To screen"]
    headers = [cell.value for cell in ws[1]]
    ws.cell(row=7, column=headers.index("decision") + 1, value="exclude")
    ws.cell(row=4, column=headers.index("exclusion_reason") + 1, value="not MDMA")
    ws.cell(row=5, column=1, value=38000004)  # a PMID retyped as a number
    ws.cell(row=6, column=1, value=38000005.0)
    notes = book.create_sheet("My notes")
    notes.append(["what", "todo"])
    notes.append(["ask Sami about 38000002", "later"])
    book.save(workbook_path)

    sheets = sheets_by_title(workbook_path)
    header, rows = sheets["To screen"]
    by_row = dict(rows)
    assert header[0] == "pmid" and "decision" in header
    assert by_row[4]["decision"] == "=1+1"  # a text cell, read back as typed
    assert by_row[4]["exclusion_reason"] == "not MDMA"
    assert by_row[3]["notes"] == "#N/A"
    assert by_row[7]["decision"] == "exclude"
    assert by_row[5]["pmid"] == "38000004" and by_row[6]["pmid"] == "38000005"
    assert sheets["My notes"] == (
        ["what", "todo"],
        [(2, {"what": "ask Sami about 38000002", "todo": "later"})],
    )


def harvest_workbook(workbook_path):
    screening = workbook_path.parent
    return harvest(
        screening, screening / "decisions", dt.datetime(2026, 12, 1, tzinfo=dt.UTC), set()
    )


def test_sheet_missing_some_decision_columns_is_an_error(workbook_path):
    book = openpyxl.load_workbook(workbook_path)
    del book["To screen"]  # its decision "=1+1" would stop the run first
    book["Registered trials"]["H1"] = None  # "notes" deleted
    book["Registered trials"]["G1"] = "Reviewer name"  # "reviewer" renamed
    book.save(workbook_path)
    with pytest.raises(DecisionFileError) as caught:
        harvest_workbook(workbook_path)
    assert str(caught.value).startswith(
        "screening.xlsx [Registered trials]: column(s) reviewer, notes missing from the header"
    )


def test_duplicated_column_is_an_error(tmp_path):
    path = tmp_path / "to_screen.csv"
    path.write_text("pmid,decision,Decision\n1,include,\n", encoding="utf-8")
    with pytest.raises(DecisionFileError, match="column decision appears more than once"):
        harvest_workbook(path)


def test_renamed_id_column_is_an_error_not_a_skipped_sheet(workbook_path):
    book = openpyxl.load_workbook(workbook_path)
    del book["To screen"]
    book["Registered trials"]["A1"] = "trial"
    book.save(workbook_path)
    with pytest.raises(DecisionFileError, match=r"\[Registered trials\]: .*no id column"):
        harvest_workbook(workbook_path)


def test_headers_match_ignoring_case_and_spaces(tmp_path):
    path = tmp_path / "screening.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    ws.append([" PMID ", "Decision", "Exclusion_Reason", "reviewer", "notes"])
    ws.append([123, " include ", None, None, None])
    book.save(path)
    result = harvest_workbook(path)
    assert result.recorded == 1
    assert result.history[0]["record_id"] == "123" and result.history[0]["decision"] == "include"


def test_sheet_without_decision_columns_is_skipped(tmp_path):
    path = tmp_path / "screening.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["thoughts", "owner"])
    book.active.append(["re-check the highlighted trials", "SK"])
    book.create_sheet("Empty")
    book.save(path)
    assert harvest_workbook(path).recorded == 0


@pytest.mark.parametrize(
    "content",
    [b"not a zip at all", b"PK\x03\x04 truncated", b""],
)
def test_corrupt_file_is_a_decision_file_error(tmp_path, content):
    path = tmp_path / "screening.xlsx"
    path.write_bytes(content)
    with pytest.raises(DecisionFileError, match=r"^screening\.xlsx cannot be read as an Excel"):
        read_sheets(path)


def test_truncated_workbook_is_a_decision_file_error(workbook_path):
    data = workbook_path.read_bytes()
    workbook_path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DecisionFileError, match="cannot be read as an Excel workbook"):
        read_sheets(workbook_path)


def test_csv_renamed_or_missing_file_is_a_decision_file_error(tmp_path):
    csv_path = tmp_path / "screening.csv"
    csv_path.write_text("pmid,decision\n1,include\n", encoding="utf-8")
    with pytest.raises(DecisionFileError, match=r"^screening\.csv cannot be read"):
        read_sheets(csv_path)
    with pytest.raises(DecisionFileError, match="does not exist"):
        read_sheets(tmp_path / "missing.xlsx")


def test_libreoffice_opens_the_workbook(workbook_path, tmp_path):
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        pytest.skip("LibreOffice is not installed")
    out = tmp_path / "out"
    result = subprocess.run(
        [
            office,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "csv",
            "--outdir",
            str(out),
            str(workbook_path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    csv_text = (out / "screening.csv").read_text(encoding="utf-8", errors="replace")
    assert "38000001" in csv_text
    assert "HYPERLINK" in csv_text  # shown as text, not evaluated


def test_overlong_text_is_cut_to_what_a_cell_holds(tmp_path):
    path = tmp_path / "x.xlsx"
    write_workbook(
        path, [Sheet(name="Long", columns=["abstract"], rows=[{"abstract": "a" * 40000}])]
    )
    shown = openpyxl.load_workbook(path)["Long"]["A2"].value
    assert len(shown) == 32767 and shown.endswith(CUT_MARKER.format(n=40000))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (12345678, "12345678"),
        (12345678.0, "12345678"),
        (1.5, "1.5"),
        (True, "true"),
        (" exclude ", "exclude"),
        (dt.datetime(2026, 1, 2), "2026-01-02"),
    ],
)
def test_cell_values_read_back_as_text(value, text):
    assert cell_text(value) == text


def test_text_that_looks_escaped_and_carriage_returns_read_back_as_written(tmp_path):
    # XlsxWriter writes "_x0041_" as "_x005F_x0041_" and a carriage return as "_x000D_"
    # (OOXML's escapes); read back, each cell is the text written, not "A". (A literal
    # "_x005F_" comes back as "_": openpyxl drops every "x005F_" it reads.)
    path = tmp_path / "x.xlsx"
    texts = ["_x0041_ stays", "line\rbreak", "a\r\nb"]
    rows = [{"pmid": str(i), "notes": text} for i, text in enumerate(texts, start=1)]
    write_workbook(path, [Sheet(name="To screen", columns=["pmid", "notes"], rows=rows)])
    [(_, header, read)] = read_sheets(path)
    assert [cells["notes"] for _, cells in read] == ["_x0041_ stays", "line\rbreak", "a\nb"]


def test_past_excels_link_limit_cells_are_shown_unlinked(tmp_path, monkeypatch):
    monkeypatch.setattr("livescreen.review.workbook.MAX_LINKS", 2)
    path = tmp_path / "x.xlsx"
    rows = [
        {"pmid": str(i), "pubmed_url": f"https://pubmed.ncbi.nlm.nih.gov/{i}/"} for i in (1, 2, 3)
    ]
    sheet = Sheet("To screen", ["pmid", "pubmed_url"], rows, link_columns={"pubmed_url": "url"})
    write_workbook(path, [sheet])
    cells = column_cells(openpyxl.load_workbook(path)["To screen"], "pubmed_url")
    assert [cell.value for cell in cells] == [row["pubmed_url"] for row in rows]
    assert [cell.hyperlink is not None for cell in cells] == [True, True, False]
