"""Readers of database exports (livescreen.sources.imports): real RIS and MEDLINE files,
from ../shared; CSV with a column mapping, format detection, and all-or-nothing failures
naming file and line."""

from pathlib import Path

import pytest

from livescreen.errors import LivescreenError
from livescreen.sources.imports import (
    IMPORT_KEYS,
    ImportFormatError,
    detect_format,
    read_export,
    read_exports,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"
SYNERGY = SHARED / "benchmarks" / "screening" / "synergy"
NBIB = SHARED / "fixtures" / "medline" / "qs-global-ortho-search-queries" / "citations.nbib"
needs_synergy = pytest.mark.skipif(not SYNERGY.is_dir(), reason="../shared is absent")
needs_nbib = pytest.mark.skipif(not NBIB.is_file(), reason="../shared is absent")


# -- real exports -------------------------------------------------------------------------------


@needs_synergy
@pytest.mark.parametrize(
    "name, count", [("included-1", 363), ("included-2", 38), ("included-3", 8)]
)
def test_real_ris_exports_read_every_record(name, count):
    records = read_export(SYNERGY / f"schoot-lgmm-ptsd-{name}.ris", source="endnote")
    assert len(records) == count
    assert all(tuple(r) == IMPORT_KEYS for r in records)
    assert all(r["title"] and r["source"] == "endnote" for r in records)
    assert [r["record_number"] for r in records] == list(range(1, count + 1))
    assert len({r["record_id"] for r in records}) == count


@needs_synergy
def test_real_ris_record_fields_identifiers_and_lines():
    path = SYNERGY / "schoot-lgmm-ptsd-included-1.ris"
    records = read_export(path, source="scopus+pubmed")
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    for record in records:  # every record starts on its TY line
        assert lines[record["line"] - 1].startswith("TY  -")
    first = records[0]
    assert first["line"] == 1 and first["file"] == str(path)
    assert first["authors"][:2] == ["Abbas CC", "Schmid JP"]
    assert first["year"] == 2009 and first["volume"] == "39" and first["pages"] == "359-376"
    assert first["journal"] == "International Journal of Psychiatry in Medicine"
    assert first["accession_numbers"] == ["scopus:2-s2.0-76949085147"]
    second = records[1]
    assert second["doi"] == "10.1037/a0039713"
    assert "Polyvictimization" in second["keywords"] and second["abstract"].startswith("Objective")
    # an NLM record: its accession number is the PMID, its C2 the PMCID
    alway = next(r for r in records if r["authors"][:1] == ["Alway Y"])
    assert alway["pmid"] == "26176500" and alway["database"] == "NLM"
    assert alway["doi"] == "10.1089/neu.2015.3992"
    assert alway["journal"] == "J Neurotrauma"
    assert alway["journal_title"] == "Journal of neurotrauma"
    assert any(r["pmcid"] == "PMC4348420" for r in records)
    assert all(r["doi"] is None or r["doi"] == r["doi"].lower() for r in records)


@needs_nbib
def test_real_nbib_export():
    records = read_export(NBIB)  # detected by its extension; source is the file's stem
    assert len(records) == 200 and records[0]["source"] == "citations"
    assert all(r["pmid"] and r["pmid"].isdigit() for r in records)
    first = records[0]
    assert first["pmid"] == "30514039" and first["line"] == 2  # the file opens with a blank line
    assert first["doi"] == "10.3969/j.issn.1003-0034.2018.11.004"
    assert first["authors"] == ["Lai Z", "Shi SY", "Fei J", "Han GH", "Hu SP"]
    assert first["title"].startswith("[Feasibility study of preoperative percutaneous")
    assert first["year"] == 2018 and first["volume"] == "31" and first["issue"] == "11"
    assert first["pages"] == "998-1004" and first["journal"] == "Zhongguo Gu Shang"
    assert "Journal Article" in first["publication_types"] and first["language"] == ["chi"]
    assert sum(1 for r in records if r["pmcid"]) == 28
    text = NBIB.read_text().splitlines()
    assert all(text[r["line"] - 1].startswith("PMID-") for r in records)


@needs_synergy
def test_real_exports_deduplicate_across_files():
    from livescreen.dedup import deduplicate

    files = [SYNERGY / f"schoot-lgmm-ptsd-included-{n}.ris" for n in (1, 2, 3)]
    records = read_exports([(f, f"stage{n}") for n, f in enumerate(files, start=1)])
    result = deduplicate(records)
    by_record = {rid: c for c in result.clusters for rid in c.record_ids}
    # the later stages are subsets of the first: every one of their records finds its twin
    for record in records:
        if record["source"] != "stage1":
            cluster = by_record[record["record_id"]]
            assert "stage1" in cluster.record["sources"], record["title"]
    assert sum(1 for r in records if r["source"] == "stage2") == 38


# -- CSV and detection --------------------------------------------------------------------------


def test_csv_with_column_mapping_and_recognised_headers(tmp_path):
    path = tmp_path / "scopus.csv"
    path.write_text(
        "Authors,Article Title,Year,Source title,Volume,Issue,Page range,DOI,PubMed ID,EID\n"
        '"Mitchell, J. M.; Bogenschutz, M.","MDMA-assisted therapy for PTSD",2021,'
        "Nature Medicine,27,6,1025-1033,https://doi.org/10.1038/S41591-021-01336-3,"
        "33972795,2-s2.0-85105\n",
        encoding="utf-8",
    )
    (record,) = read_export(path, source="scopus", columns={"title": "Article Title"})
    assert record["authors"] == ["Mitchell JM", "Bogenschutz M"]
    assert record["doi"] == "10.1038/s41591-021-01336-3" and record["pmid"] == "33972795"
    assert record["journal"] == "Nature Medicine" and record["pages"] == "1025-1033"
    assert record["accession_numbers"] == ["2-s2.0-85105"] and record["line"] == 2
    assert record["record_id"] == "scopus/scopus.csv#1"


def test_detect_format_by_extension_and_content(tmp_path):
    assert detect_format("x.ris") == "ris" and detect_format("x.nbib") == "medline"
    ris, medline, table = (tmp_path / n for n in ("a.txt", "b.txt", "c.txt"))
    ris.write_text("TY  - JOUR\nTI  - A\nER  - \n")
    medline.write_text("PMID- 1\nTI  - A\n")
    table.write_text("title,year\nA,2020\n")
    assert [detect_format(p) for p in (ris, medline, table)] == ["ris", "medline", "csv"]
    assert read_export(ris)[0]["title"] == "A" and read_export(medline)[0]["pmid"] == "1"
    assert read_export(table)[0]["year"] == 2020


# -- malformed files: all or nothing, with file and line -----------------------------------------


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("TY  - JOUR\nTI  - One\nER  - \n\nTY  - JOUR\nTI  - Two\n", 5, "no 'ER  - '"),
        ("TY  - JOUR\nTI  - One\nTY  - JOUR\nER  - \n", 3, "before the record of line 1"),
        ("Exported from somewhere\nTY  - JOUR\nER  - \n", 1, "expected 'TY  - '"),
        ("\n\n", None, "no RIS records"),
    ],
)
def test_malformed_ris_names_file_and_line(tmp_path, text, line, words):
    path = tmp_path / "broken.ris"
    path.write_text(text)
    with pytest.raises(ImportFormatError) as caught:
        read_export(path)
    assert caught.value.line == line and words in str(caught.value)
    assert str(path) in str(caught.value)
    assert isinstance(caught.value, LivescreenError)


def test_malformed_medline_and_csv(tmp_path):
    nbib = tmp_path / "bad.nbib"
    nbib.write_text("PMID- 1\nTI  - Fine\n\nPMID- 2\nthis line is no tag\n")
    with pytest.raises(ImportFormatError, match=r"bad\.nbib, line 5: not a MEDLINE tag"):
        read_export(nbib)
    nbib.write_text("TI  - No PMID first\n")
    with pytest.raises(ImportFormatError, match="line 1: a MEDLINE record must start"):
        read_export(nbib)
    table = tmp_path / "bad.csv"
    table.write_text('title,year\n"A",2020\n"B",2021,extra\n"C",2022\n')
    with pytest.raises(
        ImportFormatError, match=r"bad\.csv, line 3: 3 fields, but the header has 2"
    ):
        read_export(table)
    table.write_text('title,year\n"A",2020\n"B unterminated,2021\n')
    with pytest.raises(ImportFormatError, match="malformed CSV"):
        read_export(table)
    table.write_text("heading,year\nA,2020\n")
    with pytest.raises(ImportFormatError, match="no title column"):
        read_export(table)


def test_bad_encoding_names_the_line(tmp_path):
    path = tmp_path / "latin.ris"
    path.write_bytes(b"TY  - JOUR\nTI  - Caf\xe9\nER  - \n")
    with pytest.raises(ImportFormatError, match="line 2: byte 0xe9 is not utf-8-sig"):
        read_export(path)
    assert read_export(path, encoding="latin-1")[0]["title"] == "Café"


def test_unknown_format_and_missing_file(tmp_path):
    with pytest.raises(ImportFormatError, match="unknown format"):
        read_export(tmp_path / "x.ris", format="bibtex")
    with pytest.raises(ImportFormatError, match="cannot be read"):
        read_export(tmp_path / "missing.ris")
