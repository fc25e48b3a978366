"""Files livescreen writes and reads back: atomic writes, JSON and JSONL, and the CSV writer
with its cell rules.

CSV files are UTF-8 with a byte-order mark (so Excel detects the encoding), RFC 4180 quoting
with CRLF line ends and every cell quoted, and cells that a spreadsheet would run as a formula
neutralised with a leading apostrophe (OWASP CSV injection guidance). Every file is written
to a temporary name and renamed into place, so a crash never leaves half a file. (Reviewers'
CSVs are read back by `livescreen.review.spreadsheet`.)
"""

from __future__ import annotations

import gc
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

LIST_SEPARATOR = "; "
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Prefix a cell a spreadsheet would read as a formula, so it shows as text."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def unneutralise(text: str) -> str:
    """Undo `neutralise` exactly: one apostrophe before a formula character goes, any other
    apostrophe ('t Hooft) stays."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES) else text


def write_csv(
    path: str | Path,
    rows: Iterable[Mapping],
    columns: list[str],
    bom: bool = True,
    shared_cells: dict | None = None,
) -> None:
    """Every cell quoted: a spreadsheet that splits on `;` or tabs as well as `,` (as
    LibreOffice's import does on a fresh profile, and Excel in `;` locales) keeps list
    cells such as `authors` ("A B; C D") in one cell. `bom=False` for a file another
    program reads first (ASReview LAB takes a byte-order mark for part of the first name).
    `shared_cells`: a dict shared by calls that write the same row objects (a table and its views
    by mechanism), so that each row's cells are made once for the same columns (the cells,
    mostly the row's own strings, not the line: a line per row would hold every abstract
    again); the rows must not change while it is shared."""
    encoding = "utf-8-sig" if bom else "utf-8"
    made = shared_cells.setdefault(tuple(columns), {}) if shared_cells is not None else None
    with atomic_path(path) as tmp, open(tmp, "w", encoding=encoding, newline="") as handle:
        handle.write(csv_line(columns))
        for row in rows:
            if made is not None:
                known = made.get(id(row))
                if known is None or known[0] is not row:  # (the row itself is kept beside)
                    known = made[id(row)] = (row, _row_cells(row, columns))
                handle.write(csv_line(known[1]))
            else:
                handle.write(csv_line(_row_cells(row, columns)))


def _row_cells(row: Mapping, columns: list[str]) -> list[str]:
    # most cells are text or empty: cell() only for the others; neutralise() inlined
    texts = [v if type(v) is str else "" if v is None else cell(v) for v in map(row.get, columns)]
    return ["'" + v if v.startswith(FORMULA_PREFIXES) else v for v in texts]


def csv_line(cells: list[str]) -> str:
    """One CSV row as ``csv.writer(quoting=csv.QUOTE_ALL, lineterminator="\\r\\n")`` writes
    it: every cell in double quotes, a quote inside doubled, nothing else changed. Joined
    here because the csv module copies a row a character at a time (~25 ns a character:
    most of the time of writing a 100,000-row table with abstracts)."""
    return '"' + '","'.join(c.replace('"', '""') for c in cells) + '"\r\n'


def write_jsonl(path: str | Path, items: Iterable[Mapping]) -> None:
    write_lines(path, (json.dumps(item, ensure_ascii=False) for item in items))


def write_lines(path: str | Path, lines: Iterable[str]) -> None:
    """Lines of text (each without its newline) into `path`, atomically: JSONL written
    elsewhere (worker processes) as `write_jsonl` writes it."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line + "\n")


def iter_jsonl(path: str | Path) -> Iterator[dict]:
    """Each item of a JSONL file. An object's keys are interned: the json module makes each
    record's keys strings of their own, and with 100,000 records held at once those copies
    are a third of their memory."""
    intern = sys.intern
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                item = json.loads(line)
                yield {intern(k): v for k, v in item.items()} if type(item) is dict else item


def read_jsonl(path: str | Path) -> list[dict]:
    """All items at once; the garbage collector is paused while loading, as building 100k
    small dicts otherwise triggers collections whose cost grows with the heap."""
    gc.disable()
    try:
        return list(iter_jsonl(path))
    finally:
        gc.enable()


def write_json(path: str | Path, data) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)


def read_json(path: str | Path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside `path`; rename it into place only on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp makes owner-only files; tables are for sharing
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cell(value) -> str:
    """A value as table text: None blank, booleans true/false, lists joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return str(value)
