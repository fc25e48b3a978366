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
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

# XlsxWriter writes the workbook (1.7 × faster than openpyxl, which stays for reading: it is
# imported only where a workbook is read, so a run that reads none does not import it).
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

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
MAX_MESSAGE_CHARS = 255  # Excel's limit for a drop-down's error message
MAX_SHEET_NAME_CHARS = 31
LINK_KINDS = ("url", "doi")
DOI_RESOLVER = "https://doi.org/"

MAX_ROWS = 1_048_576  # Excel's rows per worksheet, the header included
MAX_LINKS = 65_530  # Excel's hyperlinks per worksheet; cells past it are shown unlinked
HIGHLIGHT_COLOUR = "#FFF2CC"
PIXELS_PER_CHARACTER = 7  # a digit of the default font: XlsxWriter's unit for exact widths

# XML 1.0 forbids these (openpyxl raises IllegalCharacterError for the C0 controls; lone
# surrogates fail when the file is encoded; U+FFFE and U+FFFF make the XML invalid).
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIX = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", re.IGNORECASE)
_WHITESPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")

# What a damaged, truncated or non-Excel file makes openpyxl raise while opening or reading it
# (with openpyxl's InvalidFileException, added where openpyxl is imported: read_sheets).
_UNREADABLE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    SyntaxError,  # xml.etree ParseError and lxml XMLSyntaxError both derive from it
    OSError,
)
# A carriage return as XlsxWriter, Excel and LibreOffice write it in cell text (OOXML's
# "_x000D_" escape). openpyxl reads it as it is (it only drops the "_x005F_" that marks a
# literal "_x…_"), and clean_text leaves no other control character to escape.
_ESCAPED_CR = "_x000D_"


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
    for sheet in sheets:
        _check_sheet(sheet)
    with atomic_path(path) as tmp:
        # every cell is written as text explicitly; these keep XlsxWriter from reading any
        # text as a number, formula or link on its own
        workbook = xlsxwriter.Workbook(
            tmp,
            {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
        )
        styles = _Styles(workbook)
        for sheet in sheets:
            _write_sheet(workbook.add_worksheet(sheet.name), sheet, styles)
        workbook.close()


class _Styles:
    """The workbook's cell formats, each made once: the bold header, and a data cell's by
    (shaded, wrapped, linked). Data cells are aligned to the top."""

    def __init__(self, workbook: xlsxwriter.Workbook):
        self.workbook = workbook
        self.header = workbook.add_format({"bold": True})
        self.cells: dict[tuple[bool, bool, bool], object] = {}

    def cell(self, shaded: bool, wrapped: bool, linked: bool):
        key = (shaded, wrapped, linked)
        if key not in self.cells:
            properties: dict = {"valign": "top", "text_wrap": wrapped}
            if shaded:
                properties |= {"pattern": 1, "bg_color": HIGHLIGHT_COLOUR}
            if linked:  # the built-in Hyperlink cell style, as XlsxWriter's own link format
                properties |= {"hyperlink": True, "font_scheme": "none"}
            self.cells[key] = self.workbook.add_format(properties)
        return self.cells[key]


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
        _check_choices(sheet.allowed_decisions, where)
    if sheet.exclusion_reasons and sheet.reason_column in sheet.columns:
        _check_choices(sheet.exclusion_reasons, where)
    if len(sheet.rows) >= MAX_ROWS:
        raise ValueError(
            f"{where} has {len(sheet.rows):,} rows; a worksheet holds "
            f"{MAX_ROWS - 1:,} below its header"
        )


def _check_choices(choices: list[str], where: str) -> None:
    """A drop-down's choices fit Excel's literal list "a,b,c" (commas separate; no quotes)."""
    if not choices or any(not c or "," in c or '"' in c for c in choices):
        raise ValueError(f'{where}: decisions {choices!r} must be non-empty, without , or "')
    if len(",".join(choices)) > MAX_LIST_FORMULA_CHARS:
        raise ValueError(f"{where}: decisions list is longer than Excel's 255 characters")


def _write_sheet(ws: Worksheet, sheet: Sheet, styles: _Styles) -> None:
    columns = sheet.columns
    last_row = len(sheet.rows)  # zero-based: the header is row 0
    for index, column in enumerate(columns):
        if status := ws.write_string(0, index, clean_text(column), styles.header):
            _not_written(status, sheet, 0, column)

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
    links = 0
    for row_number, texts in enumerate(texts_by_row, start=1):
        shaded = highlight_index is not None and texts[highlight_index].strip().lower() == "true"
        if sheet.max_lines > 1:
            # spreadsheets do not grow rows for wrapped text written by a program: set the
            # height so a title and abstract show (up to max_lines lines) without resizing
            lines = max(
                (_lines(text, widths[i]) for i, text in enumerate(texts) if wrapped[i]), default=1
            )
            ws.set_row(row_number, LINE_POINTS * min(lines, sheet.max_lines))
        for index, text in enumerate(texts):
            if not text:
                ws.write_blank(row_number, index, None, styles.cell(shaded, wrapped[index], False))
                continue
            kind = link_kinds[index]
            target = doi_url(text) if kind == "doi" else http_url(text) if kind else None
            if target and links < MAX_LINKS:
                links += 1
                style = styles.cell(shaded, wrapped[index], True)
                if ws.write_url(row_number, index, target, style, string=text) == 0:
                    continue
            style = styles.cell(shaded, wrapped[index], False)
            if status := ws.write_string(row_number, index, text, style):
                _not_written(status, sheet, row_number, columns[index])

    for index, width in enumerate(widths):
        # in pixels, so that the file holds the width itself (XlsxWriter adds padding to a
        # width given in characters)
        ws.set_column_pixels(index, index, width * PIXELS_PER_CHARACTER)

    frozen = sheet.frozen_columns
    if frozen is None:
        frozen = 1 if columns[0] in FROZEN_ID_COLUMNS else 0
    ws.freeze_panes(1, frozen)
    ws.autofilter(0, 0, last_row, len(columns) - 1)
    # printed (or exported to PDF): landscape, as wide as the page, the header on every page
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)

    if sheet.decision_column in columns and sheet.rows:
        choices = sheet.allowed_decisions
        _drop_down(
            ws,
            columns.index(sheet.decision_column),
            last_row,
            choices,
            title="Decision",
            message=f"Choose {', '.join(choices)} from the list, or leave the cell blank.",
            kind="stop",  # anything else typed is refused
        )
    if sheet.exclusion_reasons and sheet.reason_column in columns and sheet.rows:
        _drop_down(
            ws,
            columns.index(sheet.reason_column),
            last_row,
            sheet.exclusion_reasons,
            title="Exclusion reason",
            message="Not one of the configured reasons (config.yaml exclusion_reasons); keep it?",
            kind="warning",  # a reason outside the list is allowed, after a warning
        )


def _drop_down(ws: Worksheet, column: int, last_row: int, choices, *, title, message, kind):
    """A drop-down list of `choices` on the column's data cells (rows 1 to `last_row`)."""
    if len(message) > MAX_MESSAGE_CHARS:
        message = "Choose from the list, or leave the cell blank."
    options = {
        "validate": "list",
        "source": list(choices),
        "ignore_blank": True,
        "show_error": True,
        "error_type": kind,
        "error_title": title,
        "error_message": message,
    }
    if ws.data_validation(1, column, last_row, column, options) != 0:
        raise ValueError(f"the drop-down list {choices!r} could not be written")


def _not_written(status: int, sheet: Sheet, row: int, column: str) -> None:
    """XlsxWriter returns a status instead of raising: a cell it did not write is an error."""
    raise ValueError(
        f"sheet {sheet.name!r}, row {row + 1}, column {column!r}: the cell was not written "
        f"(XlsxWriter status {status})"
    )


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
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    unreadable = (*_UNREADABLE, InvalidFileException)
    label = Path(path).name
    if not Path(path).is_file():
        raise DecisionFileError(f"{label} does not exist (looked for {path})")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except unreadable as error:
        raise DecisionFileError(
            f"{label} cannot be read as an Excel workbook: {_describe(error)}"
        ) from error
    try:
        sheets = []
        for ws in workbook.worksheets:
            ws.reset_dimensions()  # a stale <dimension> would hide rows in read-only mode
            sheets.append((ws.title, *_sheet_rows(ws.iter_rows(values_only=True))))
        return sheets
    except unreadable as error:
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
    """A value read from a cell as text: 12345678.0 -> "12345678", True -> "true", and an
    escaped carriage return ("_x000D_") as itself."""
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
    return unescaped(str(value)).replace("\r\n", "\n").strip()


def unescaped(text: str) -> str:
    """Cell text as openpyxl reads it, with an escaped carriage return as itself."""
    return text.replace(_ESCAPED_CR, "\r") if _ESCAPED_CR in text else text


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
