"""The one reader of reviewers' CSV files, as Excel or LibreOffice may have saved them.

Accepted: UTF-8 with or without a byte-order mark, UTF-16 with its byte-order mark (Excel's
"Unicode text"), Windows-1252 (Excel's "CSV (MS-DOS)"); `,`, `;` or tab between cells (the
one the header line uses most, outside quotes); any line ends. Refused, with the file, row
and what was found: a file cut off inside a quoted cell, a row with more or fewer cells than
the header (cut off, or columns shifted), text in no known encoding.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from livescreen.review.decisions import DecisionFileError

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


def read_csv_table(path: str | Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """(header, [(row number, {column: text})]) — row numbers are the spreadsheet's (the
    header is row 1). Header names are stripped; cell text is kept exactly, except that
    CRLF inside a cell reads as LF. Wholly blank rows are left out."""
    path = Path(path)
    text, encoding = decode(path.read_bytes(), path)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    where = f"{path.name} ({encoding}, {DELIMITERS[delimiter]}-separated)"
    try:
        header = [name.strip() for name in next(reader, [])]
        rows = []
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                raise DecisionFileError(
                    f"{where}, row {number}: {len(cells)} cells where the header has "
                    f"{len(header)} — the file looks cut off or its columns shifted; "
                    "nothing was recorded: save the table again from the spreadsheet"
                )
            rows.append(
                (number, {k: v.replace("\r\n", "\n") for k, v in zip(header, cells, strict=True)})
            )
    except csv.Error as error:
        raise DecisionFileError(
            f"{where}, row {reader.line_num}: {error} — the file looks cut off inside a cell; "
            "nothing was recorded: save the table again from the spreadsheet"
        ) from None
    if len(set(header)) != len(header):
        twice = sorted({name for name in header if header.count(name) > 1})
        raise DecisionFileError(f"{where}: column(s) {', '.join(twice)} appear more than once")
    return header, rows


def decode(raw: bytes, path: Path) -> tuple[str, str]:
    """(text, encoding name) of a spreadsheet-saved CSV."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as error:
            raise DecisionFileError(f"{path.name}: broken UTF-16 text ({error})") from None
    if b"\x00" in raw[:4096]:
        raise DecisionFileError(
            f"{path.name}: looks like UTF-16 without a byte-order mark (NUL bytes); save it "
            "as 'CSV UTF-8' or 'Unicode Text' from the spreadsheet"
        )
    for encoding, name in (("utf-8-sig", "UTF-8"), ("cp1252", "Windows-1252")):
        try:
            return raw.decode(encoding), name
        except UnicodeDecodeError:
            continue
    raise DecisionFileError(f"{path.name}: not UTF-8, UTF-16 or Windows-1252 text")


def sniff_delimiter(text: str) -> str:
    """The delimiter the header line uses most (quoted text does not count)."""
    first_line = text.split("\n", 1)[0]
    unquoted = first_line.split('"')[::2]
    counts = {d: sum(part.count(d) for part in unquoted) for d in DELIMITERS}
    return max(counts, key=lambda d: (counts[d], d == ","))
