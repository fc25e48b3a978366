"""The reviewers' screening workbook (.xlsx): one sheet per table, and the decisions read back.

The cells hold the same text as the screening CSVs (already formatted by `livescreen.tables`),
but the workbook adds what a CSV cannot: a bold, frozen header with an autofilter, real
hyperlinks for URL and DOI columns, highlighted rows shaded, a drop-down list on the decision
column, and column widths that fit the content.

Every cell is written as a text cell holding the original text, so a value that starts with
"=", "+", "-", "@", a tab or a carriage return is shown as typed and never run as a formula
(the CSVs need an apostrophe for that; a text cell does not). Characters XML cannot carry are
removed, and a value longer than a cell can hold (32,767 characters) is cut to fit.
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

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

# One error class for every decision file, CSV or workbook (decisions.py imports only errors).
from .decisions import DecisionFileError
from .tables import atomic_path

DEFAULT_DECISIONS = ["include", "exclude", "maybe"]
ID_COLUMNS = ("pmid", "nct_id")
DECISION_COLUMNS = ("decision", "exclusion_reason", "reviewer", "notes")
# A sheet whose first column is one of these keeps it in view when scrolling sideways.
FROZEN_ID_COLUMNS = frozenset({"pmid", "nct_id", "trial_id"})

MIN_WIDTH = 10
MAX_WIDTH = 60
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
    """Cell text: None blank, illegal XML characters removed, cut to what a cell holds."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return _ILLEGAL_XML.sub("", text)[:MAX_CELL_CHARS]


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
    wrapped = [width > MAX_WIDTH for width in widths]

    highlight_index = columns.index(sheet.highlight_column) if sheet.highlight_column else None
    link_kinds = [sheet.link_columns.get(column) for column in columns]
    for row_number, texts in enumerate(texts_by_row, start=2):
        shaded = highlight_index is not None and texts[highlight_index].strip().lower() == "true"
        for index, text in enumerate(texts):
            cell = ws.cell(row=row_number, column=index + 1)
            if text:
                _set_text(cell, text)
                kind = link_kinds[index]
                target = doi_url(text) if kind == "doi" else http_url(text) if kind else None
                if target:
                    cell.hyperlink = target
                    cell.style = "Hyperlink"  # before fill and alignment: a style resets both
            if shaded:
                cell.fill = HIGHLIGHT_FILL
            cell.alignment = TOP_WRAPPED if wrapped[index] else TOP

    for index, width in enumerate(widths, start=1):
        # +2 leaves room for the autofilter's drop-down arrow beside the header text
        ws.column_dimensions[get_column_letter(index)].width = min(
            max(width + 2, MIN_WIDTH), MAX_WIDTH
        )

    ws.freeze_panes = "B2" if columns[0] in FROZEN_ID_COLUMNS else "A2"
    ws.auto_filter.ref = f"A1:{last_letter}{last_row}"

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


def _set_text(cell: Cell, text: str) -> Cell:
    """Store `text` as a text cell, whatever it looks like ("=1+1", "#N/A", "-2")."""
    cell.value = text
    cell.data_type = "s"  # openpyxl makes "=…" a formula and "#N/A" an error; undo that
    return cell


def _display_length(text: str) -> int:
    return max(len(line) for line in text.split("\n"))


def read_workbook_decisions(
    path: str | Path,
    id_columns: Sequence[str] = ID_COLUMNS,
    decision_columns: Sequence[str] = DECISION_COLUMNS,
) -> list[dict]:
    """Every row of every sheet with an id column: its id and the reviewers' decision cells.

    Each row is `{"sheet", "row" (spreadsheet row number, header = 1), "record_id", and one
    key per decision column}`, all text ("" for blank cells; a number typed in a cell comes
    back without ".0"; surrounding whitespace is dropped). `record_id` is the first non-blank
    of the id columns the sheet has. Rows blank in the id and decision columns are left out.
    Headers are matched ignoring case and surrounding spaces.

    Only row 1 is read as the header. Sheets with no id column (a reviewer's notes sheet) and
    sheets with an id column but none of the decision columns (a reference sheet such as the
    essay matches) are skipped. DecisionFileError is raised for a sheet with some but not all
    decision columns (one renamed or deleted), for decision columns without an id column, for
    a column appearing twice, and for a file that is missing or not a readable workbook.
    Decision values are not checked here.
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
        decisions: list[dict] = []
        for ws in workbook.worksheets:
            ws.reset_dimensions()  # a stale <dimension> would hide rows in read-only mode
            decisions.extend(
                _sheet_decisions(
                    ws.iter_rows(values_only=True), ws.title, label, id_columns, decision_columns
                )
            )
        return decisions
    except DecisionFileError:
        raise
    except _UNREADABLE as error:
        raise DecisionFileError(
            f"{label} cannot be read as an Excel workbook: {_describe(error)}"
        ) from error
    finally:
        workbook.close()


def _sheet_decisions(
    rows: Iterable[tuple],
    title: str,
    label: str,
    id_columns: Sequence[str],
    decision_columns: Sequence[str],
) -> list[dict]:
    rows = iter(rows)
    header = next(rows, None)
    if header is None:
        return []
    names = [cell_text(value).casefold() for value in header]
    where = f"{label}, sheet {title!r}"
    ids = [column for column in id_columns if column.casefold() in names]
    if not ids:
        present = [column for column in decision_columns if column.casefold() in names]
        if present:
            raise DecisionFileError(
                f"{where}: has a {present[0]!r} column but no id column "
                f"({' or '.join(repr(c) for c in id_columns)}; renamed or deleted?)"
            )
        return []
    missing = [column for column in decision_columns if column.casefold() not in names]
    if len(missing) == len(decision_columns):
        return []  # a reference sheet (essay matches): ids, but nothing for reviewers to fill
    if len(missing) == 1:
        raise DecisionFileError(f"{where}: column {missing[0]!r} is missing (renamed or deleted?)")
    if missing:
        listed = ", ".join(repr(column) for column in missing)
        raise DecisionFileError(f"{where}: columns {listed} are missing (renamed or deleted?)")
    for column in [*ids, *decision_columns]:
        if names.count(column.casefold()) > 1:
            raise DecisionFileError(f"{where}: column {column!r} appears more than once")

    id_positions = [names.index(column.casefold()) for column in ids]
    positions = {column: names.index(column.casefold()) for column in decision_columns}
    found = []
    for row_number, values in enumerate(rows, start=2):

        def text_at(position: int, values: tuple = values) -> str:
            return cell_text(values[position]) if position < len(values) else ""

        record_id = next((t for t in map(text_at, id_positions) if t), "")
        cells = {column: text_at(position) for column, position in positions.items()}
        if record_id or any(cells.values()):
            found.append({"sheet": title, "row": row_number, "record_id": record_id, **cells})
    return found


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
    return str(value).strip()


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
