import csv
import shutil
import subprocess

import openpyxl
import pytest

from livescreen.files import neutralise, write_csv
from livescreen.review.tables import screening_rows


@pytest.mark.parametrize("value", ['=HYPERLINK("x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised(value):
    assert neutralise(value) == "'" + value


def test_plain_cells_are_kept():
    assert neutralise("MDMA = ecstasy") == "MDMA = ecstasy"


def test_csv_is_utf8_bom_crlf_rfc4180(tmp_path):
    path = tmp_path / "t.csv"
    rows = [{"a": 'say "hi", then\nleave', "b": "Müller ‐ 3,4-MDMA", "c": "=1+1"}]
    write_csv(path, rows, ["a", "b", "c"])
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b'"say ""hi"", then\nleave"' in raw
    assert raw.splitlines()[0] == b'\xef\xbb\xbf"a","b","c"'  # every cell quoted
    assert raw.count(b"\r\n") == 2
    with open(path, encoding="utf-8-sig", newline="") as handle:
        back = list(csv.DictReader(handle))
    assert back == [{"a": 'say "hi", then\nleave', "b": "Müller ‐ 3,4-MDMA", "c": "'=1+1"}]


def test_failed_write_leaves_old_file_untouched(tmp_path):
    path = tmp_path / "t.csv"
    write_csv(path, [{"a": "old"}], ["a"])

    def broken_rows():
        yield {"a": "new"}
        raise RuntimeError("crash halfway")

    with pytest.raises(RuntimeError):
        write_csv(path, broken_rows(), ["a"])
    assert "old" in path.read_text(encoding="utf-8-sig")
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_screening_rows_join_lists_and_sort_newest_first():
    records = [
        {"pmid": "1", "title": "Old", "pub_date": "2001", "authors": ["A B", "C D"]},
        {"pmid": "2", "title": "New", "pub_date": "2023-05", "authors": []},
    ]
    rows = screening_rows(
        records,
        {"1": ["openness", "fear_extinction"], "2": []},
        {"1": ("pubmed", "2026-11-26T10:00:00+00:00")},
    )
    assert [row["pmid"] for row in rows] == ["2", "1"]
    assert rows[1]["authors"] == "A B; C D"
    assert rows[1]["mechanisms"] == "openness; fear_extinction"
    assert rows[1]["pubmed_url"] == "https://pubmed.ncbi.nlm.nih.gov/1/"
    assert rows[1]["retrieved"] == "2026-11-26"


def test_libreoffice_default_import_keeps_every_cell_in_its_column(tmp_path):
    """LibreOffice on a fresh profile splits on comma, semicolon and tab: list cells joined
    with '; ' must stay one cell, so every column stays in place."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        pytest.skip("LibreOffice is not installed")
    path = tmp_path / "to_screen.csv"
    rows = [
        {"pmid": "1", "authors": "Mithoefer MC; Feduccia AA", "mechanisms": "a; b", "x": "t\tab"},
        {"pmid": "2", "authors": "Doe J", "mechanisms": "c", "x": 'say "hi"; bye'},
    ]
    write_csv(path, rows, ["pmid", "authors", "mechanisms", "x"])
    result = subprocess.run(
        [
            office,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--infilter=CSV:44/59/9,34,76,1",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "out"),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    ws = openpyxl.load_workbook(tmp_path / "out" / "to_screen.xlsx").active
    cells = [[("" if c is None else str(c)) for c in row] for row in ws.iter_rows(values_only=True)]
    assert cells == [
        ["pmid", "authors", "mechanisms", "x"],
        ["1", "Mithoefer MC; Feduccia AA", "a; b", "t\tab"],
        ["2", "Doe J", "c", 'say "hi"; bye'],
    ]


def test_csv_line_is_what_the_csv_module_writes():
    import csv
    import io
    import random

    from livescreen.files import csv_line

    rng = random.Random(13)
    pieces = ['"', '""', ",", ";", "\r\n", "\n", "\r", "\t", " ", "'", "=1+1", "é", "—", "a", ""]
    for _ in range(3000):
        cells = [
            "".join(rng.choices(pieces, k=rng.randint(0, 6))) for _ in range(rng.randint(1, 6))
        ]
        expected = io.StringIO()
        csv.writer(expected, lineterminator="\r\n", quoting=csv.QUOTE_ALL).writerow(cells)
        assert csv_line(cells) == expected.getvalue(), cells


def test_a_shared_line_cache_writes_the_same_files(tmp_path):
    """write_csv with `lines` shared between a table and views of its rows (other columns
    for one of them) writes byte for byte what separate calls write."""
    from livescreen.files import write_csv

    rows = [
        {"a": f"=x{i}", "b": ["p", "q"] if i % 2 else None, "c": True, "d": f'say "{i}"'}
        for i in range(50)
    ]
    views = [(rows, ["a", "b", "c"]), (rows[::3], ["a", "b", "c"]), (rows[1::2], ["d", "a"])]
    shared: dict = {}
    for n, (view, columns) in enumerate(views):
        write_csv(tmp_path / f"alone{n}.csv", view, columns)
        write_csv(tmp_path / f"shared{n}.csv", view, columns, shared_cells=shared)
        assert (tmp_path / f"shared{n}.csv").read_bytes() == (
            tmp_path / f"alone{n}.csv"
        ).read_bytes()
    assert set(shared) == {("a", "b", "c"), ("d", "a")}
