"""The reviewers' screening workbook (.xlsx): one sheet per table, and the decisions read back.

The cells hold the same text as the screening CSVs (already formatted by
`livescreen.review.tables`), but the workbook adds what a CSV cannot: a bold, frozen header
with an autofilter, real hyperlinks for URL and DOI columns, highlighted rows shaded, a
drop-down list on the decision column, and column widths that fit the content.

Every cell is written as a text cell holding the original text, so a value that starts with
"=", "+", "-", "@", a tab or a carriage return is shown as typed and never run as a formula
(the CSVs need an apostrophe for that; a text cell does not). Characters XML cannot carry are
shown as their control pictures (U+0007 as "␇"), and a value longer than a cell can hold
(32,767 characters) is shown cut, ending in a marker that says so. Neither is ever read back
as an edit: `livescreen.review.views` compares each cell with what was written to it, and an
unchanged cell keeps the full text of the decision store.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from livescreen.files import atomic_path

# One error class for every decision file, CSV or workbook (decisions.py imports only errors).
from livescreen.review.decisions import DecisionFileError

DEFAULT_DECISIONS = ["include", "exclude", "maybe"]
# A sheet whose first column is one of these keeps it in view when scrolling sideways.
FROZEN_ID_COLUMNS = frozenset({"pmid", "nct_id", "trial_id"})

MIN_WIDTH = 10
MAX_WIDTH = 60
LINE_POINTS = 15  # height of one line of 11-point text
MAX_CELL_CHARS = 32767  # Excel's limit for the text of one cell
MAX_LINK_CHARS = 2079  # Excel's limit for a hyperlink address
MAX_LIST_FORMULA_CHARS = 255  # Excel's limit for a literal drop-down list, quotes excluded
MAX_SHEET_NAME_CHARS = 31
LINK_KINDS = ("url", "doi")
DOI_RESOLVER = "https://doi.org/"

HEADER_FONT = Font(bold=True)
HIGHLIGHT_FILL = PatternFill(fill_type="solid", start_color="FFFFF2CC", end_color="FFFFF2CC")
TOP = Alignment(vertical="top")
TOP_WRAPPED = Alignment(vertical="top", wrap_text=True)

# XML 1.0 forbids these (openpyxl raises IllegalCharacterError for the C0 controls; lone
# surrogates fail when the file is encoded; U+FFFE and U+FFFF make the XML invalid).
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIX = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", re.IGNORECASE)
_WHITESPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")

# What a damaged, truncated or non-Excel file makes openpyxl raise while opening or reading it.
_UNREADABLE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    InvalidFileException,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    SyntaxError,  # xml.etree ParseError and lxml XMLSyntaxError both derive from it
    OSError,
)


@dataclass
class Sheet:
    """One worksheet of the screening workbook.

    `rows` map column names to cell text (missing keys are blank). `link_columns` maps a
    column to "url" (the cell holds a full http(s) URL) or "doi" (the cell holds a DOI, linked
    through https://doi.org/). Rows whose `highlight_column` holds "true" are shaded. The
    `decision_column`, when present in `columns`, gets a drop-down of `allowed_decisions`.
    """

    name: str
    columns: list[str]
    rows: list[dict[str, str]]
    link_columns: dict[str, str] = field(default_factory=dict)
    highlight_column: str | None = None
    decision_column: str = "decision"
    allowed_decisions: list[str] = field(default_factory=lambda: list(DEFAULT_DECISIONS))
    # Screening layout: how many leading columns stay in view when scrolling sideways (the
    # id and decision columns), fixed widths for reading columns (title, abstract), the
    # lines of wrapped text a row shows at most, and the drop-down list of exclusion reasons.
    frozen_columns: int | None = None
    widths: dict[str, float] = field(default_factory=dict)
    max_lines: int = 1
    reason_column: str = "exclusion_reason"
    exclusion_reasons: list[str] = field(default_factory=list)


def write_workbook(path: str | Path, sheets: Sequence[Sheet]) -> None:
    """Write `sheets` to an .xlsx file at `path`, atomically (temporary file, then rename)."""
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    _check_sheet_names([sheet.name for sheet in sheets])
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet in sheets:
        _check_sheet(sheet)
        _write_sheet(workbook.create_sheet(sheet.name), sheet)
    workbook.active = 0
    with atomic_path(path) as tmp:
        workbook.save(tmp)


def clean_text(value: object) -> str:
    """Cell text: None blank, characters XML cannot carry shown as control pictures (or
    U+FFFD), and text longer than a cell holds cut with a marker saying how long it is."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = _ILLEGAL_XML.sub(_picture, text)
    if len(text) > MAX_CELL_CHARS:
        marker = CUT_MARKER.format(n=len(text))
        text = text[: MAX_CELL_CHARS - len(marker)] + marker
    return text


def _picture(match: re.Match) -> str:
    char = match.group()
    return chr(0x2400 + ord(char)) if ord(char) < 0x20 else "\ufffd"


CUT_MARKER = " […cut here: {n:,} characters in all; the full text is in the CSV table]"


def http_url(text: str) -> str | None:
    """`text` as a link target if it is a plain http(s) URL, else None."""
    url = text.strip()
    if not url or len(url) > MAX_LINK_CHARS or _WHITESPACE_OR_CONTROL.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def doi_url(text: str) -> str | None:
    """The https://doi.org/ link for a DOI (a "doi:" or resolver prefix is tolerated)."""
    doi = _DOI_PREFIX.sub("", text.strip())
    if not _DOI.match(doi):
        return None
    return http_url(DOI_RESOLVER + quote(doi, safe="/:;()._-"))


def _check_sheet_names(names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if not name or len(name) > MAX_SHEET_NAME_CHARS:
            raise ValueError(
                f"sheet name {name!r} must have 1 to {MAX_SHEET_NAME_CHARS} characters"
            )
        if _SHEET_NAME_FORBIDDEN.search(name) or name.startswith("'") or name.endswith("'"):
            raise ValueError(f"sheet name {name!r} may not contain [ ] : * ? / \\ or end in '")
        if name.casefold() in seen:  # openpyxl would silently rename the second one
            raise ValueError(f"sheet name {name!r} is used twice (names ignore case)")
        seen.add(name.casefold())


def _check_sheet(sheet: Sheet) -> None:
    where = f"sheet {sheet.name!r}"
    if not sheet.columns:
        raise ValueError(f"{where} has no columns")
    if len(set(sheet.columns)) != len(sheet.columns):
        raise ValueError(f"{where} names a column twice: {sheet.columns}")
    for column, kind in sheet.link_columns.items():
        if column not in sheet.columns:
            raise ValueError(f"{where}: link column {column!r} is not one of its columns")
        if kind not in LINK_KINDS:
            raise ValueError(
                f"{where}: link kind {kind!r} for {column!r} is not one of {LINK_KINDS}"
            )
    if sheet.highlight_column is not None and sheet.highlight_column not in sheet.columns:
        raise ValueError(f"{where}: highlight column {sheet.highlight_column!r} is not a column")
    if sheet.decision_column in sheet.columns:
        _list_formula(sheet.allowed_decisions, where)


def _list_formula(choices: list[str], where: str) -> str:
    """The literal list of a drop-down: "a,b,c" (commas separate; no quotes allowed)."""
    if not choices or any(not c or "," in c or '"' in c for c in choices):
        raise ValueError(f'{where}: decisions {choices!r} must be non-empty, without , or "')
    listed = ",".join(choices)
    if len(listed) > MAX_LIST_FORMULA_CHARS:
        raise ValueError(f"{where}: decisions list is longer than Excel's 255 characters")
    return f'"{listed}"'


def _write_sheet(ws: Worksheet, sheet: Sheet) -> None:
    columns = sheet.columns
    last_row = len(sheet.rows) + 1
    last_letter = get_column_letter(len(columns))

    for index, column in enumerate(columns, start=1):
        _set_text(ws.cell(row=1, column=index), clean_text(column)).font = HEADER_FONT

    widths = [len(column) for column in columns]
    texts_by_row = [[clean_text(row.get(column)) for column in columns] for row in sheet.rows]
    for texts in texts_by_row:
        for index, text in enumerate(texts):
            if text:
                widths[index] = max(widths[index], _display_length(text))
    widths = [
        sheet.widths.get(column, min(max(width + 2, MIN_WIDTH), MAX_WIDTH))
        for column, width in zip(columns, widths, strict=True)
    ]  # +2 leaves room for the autofilter's drop-down arrow beside the header text
    wrapped = [
        column in sheet.widths or width >= MAX_WIDTH
        for column, width in zip(columns, widths, strict=True)
    ]

    highlight_index = columns.index(sheet.highlight_column) if sheet.highlight_column else None
    link_kinds = [sheet.link_columns.get(column) for column in columns]
    # A cell's formatting is an index array into the workbook's style lists; setting fill and
    # alignment per cell looks both up by hash each time (most of the sheet's time), so each
    # combination is set once and its array copied, as openpyxl's copy_worksheet does.
    formats: dict[tuple[bool, bool], object] = {}
    for row_number, texts in enumerate(texts_by_row, start=2):
        shaded = highlight_index is not None and texts[highlight_index].strip().lower() == "true"
        for index, text in enumerate(texts):
            cell = ws.cell(row=row_number, column=index + 1)
            target = None
            if text:
                _set_text(cell, text)
                kind = link_kinds[index]
                target = doi_url(text) if kind == "doi" else http_url(text) if kind else None
                if target:
                    cell.hyperlink = target
                    cell.style = "Hyperlink"  # before fill and alignment: a style resets both
            key = (shaded, wrapped[index])
            if not target and key in formats:
                cell._style = copy(formats[key])
                continue
            if shaded:
                cell.fill = HIGHLIGHT_FILL
            cell.alignment = TOP_WRAPPED if wrapped[index] else TOP
            if not target:
                formats[key] = copy(cell._style)
        if sheet.max_lines > 1:
            # spreadsheets do not grow rows for wrapped text written by a program: set the
            # height so a title and abstract show (up to max_lines lines) without resizing
            lines = max(
                (_lines(text, widths[i]) for i, text in enumerate(texts) if wrapped[i]), default=1
            )
            ws.row_dimensions[row_number].height = LINE_POINTS * min(lines, sheet.max_lines)

    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width

    frozen = sheet.frozen_columns
    if frozen is None:
        frozen = 1 if columns[0] in FROZEN_ID_COLUMNS else 0
    ws.freeze_panes = f"{get_column_letter(frozen + 1)}2"
    ws.auto_filter.ref = f"A1:{last_letter}{last_row}"
    # printed (or exported to PDF): landscape, as wide as the page, the header on every page
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.print_title_rows = "1:1"

    if sheet.decision_column in columns and sheet.rows:
        letter = get_column_letter(columns.index(sheet.decision_column) + 1)
        choices = sheet.allowed_decisions
        validation = DataValidation(
            type="list",
            formula1=_list_formula(choices, f"sheet {sheet.name!r}"),
            allow_blank=True,
            showErrorMessage=True,  # openpyxl's default (False) would accept anything typed
            errorTitle="Decision",
            error=f"Choose {', '.join(choices)} from the list, or leave the cell blank.",
        )
        validation.add(f"{letter}2:{letter}{last_row}")
        ws.add_data_validation(validation)
    if sheet.exclusion_reasons and sheet.reason_column in columns and sheet.rows:
        letter = get_column_letter(columns.index(sheet.reason_column) + 1)
        reasons = DataValidation(
            type="list",
            formula1=_list_formula(sheet.exclusion_reasons, f"sheet {sheet.name!r}"),
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="warning",  # a reason outside the list is allowed, after a warning
            errorTitle="Exclusion reason",
            error="Not one of the configured reasons (config.yaml exclusion_reasons); keep it?",
        )
        reasons.add(f"{letter}2:{letter}{last_row}")
        ws.add_data_validation(reasons)


def _set_text(cell: Cell, text: str) -> Cell:
    """Store `text` as a text cell, whatever it looks like ("=1+1", "#N/A", "-2")."""
    cell.value = text
    cell.data_type = "s"  # openpyxl makes "=…" a formula and "#N/A" an error; undo that
    return cell


def _lines(text: str, width: float) -> int:
    """Lines `text` takes in a wrapped cell `width` characters wide."""
    per_line = max(int(width) - 1, 1)
    return sum(max(1, -(-len(line) // per_line)) for line in text.split("\n"))


def _display_length(text: str) -> int:
    return max(len(line) for line in text.split("\n"))


def read_sheets(path: str | Path) -> list[tuple[str, list[str], list[tuple[int, dict]]]]:
    """Every sheet of a workbook as (title, header, [(row number, {column: text})]).

    Row 1 is the header (names stripped; blank names dropped); row numbers are the sheet's.
    Cells read back as text (`cell_text`: a number typed in a cell comes back without ".0").
    Wholly blank rows are left out. DecisionFileError for a file that is missing or is not a
    readable workbook (truncated, damaged, or another format under an .xlsx name).
    """
    label = Path(path).name
    if not Path(path).is_file():
        raise DecisionFileError(f"{label} does not exist (looked for {path})")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except _UNREADABLE as error:
        raise DecisionFileError(
            f"{label} cannot be read as an Excel workbook: {_describe(error)}"
        ) from error
    try:
        sheets = []
        for ws in workbook.worksheets:
            ws.reset_dimensions()  # a stale <dimension> would hide rows in read-only mode
            sheets.append((ws.title, *_sheet_rows(ws.iter_rows(values_only=True))))
        return sheets
    except _UNREADABLE as error:
        raise DecisionFileError(
            f"{label} cannot be read as an Excel workbook: {_describe(error)}"
        ) from error
    finally:
        workbook.close()


def _sheet_rows(rows: Iterable[tuple]) -> tuple[list[str], list[tuple[int, dict]]]:
    rows = iter(rows)
    header = [cell_text(value) for value in next(rows, None) or ()]
    positions = [(i, name) for i, name in enumerate(header) if name]
    found = []
    for number, values in enumerate(rows, start=2):
        cells = {name: cell_text(values[i]) if i < len(values) else "" for i, name in positions}
        if any(cells.values()):
            found.append((number, cells))
    return [name for _, name in positions], found


def cell_text(value: object) -> str:
    """A value read from a cell as text: 12345678.0 -> "12345678", True -> "true"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").strip()


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
