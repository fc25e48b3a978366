"""Database exports read into livescreen records: RIS, MEDLINE (`.nbib`) and CSV.

    records = read_export("embase.ris", source="embase")
    records = read_export("pubmed.nbib")                      # format detected, source "pubmed"
    records = read_export("scopus.csv", columns={"title": "Article Title"})

**Formats.** ``ris`` is read with rispy (EndNote, Zotero, Ovid, Scopus, Web of Science RIS);
``medline`` with Biopython's `Bio.Medline` (PubMed's "PubMed format" / `.nbib`); ``csv``
with the standard library, one record per row, its columns named by `columns` (livescreen
field -> CSV header) or, for the fields not named there, recognised from the usual headers
(`Title`/`TI`/`Article Title`, `Authors`/`AU`, `DOI`, `PMID`/`PubMed ID`, …, see
`CSV_HEADERS`). `detect_format` uses the extension (`.ris`, `.nbib`/`.medline`, `.csv`/
`.tsv`) and, for anything else (`.txt`), the first line: `TY  - ` is RIS, `PMID- ` MEDLINE.

**Records.** Every record has exactly the keys in `IMPORT_KEYS`:

``record_id`` (`source/file#n`), ``source`` (the database name given, else the file's stem),
``file`` (the path as given), ``line`` (the line the record starts on, 1-based),
``record_number`` (1-based, in the file); the identifiers it carries: ``pmid`` (digits),
``doi`` (normalised: lower case, no `https://doi.org/` or `doi:`), ``pmcid`` (`PMC…`),
``nct_ids`` (ClinicalTrials.gov ids in the record, including its title and abstract),
``accession_numbers`` (the database's own ids as written, e.g. Embase `L…`, Scopus
`2-s2.0-…`, Web of Science `WOS:…`); and ``title``, ``authors`` (`Surname Initials`, as
PubMed writes them, so the pipeline's author rules apply), ``year`` (int or None),
``pub_date``, ``journal`` (abbreviation when the export has one, else the full title),
``journal_title`` (full title when known), ``volume``, ``issue``, ``pages``, ``abstract``,
``keywords``, ``publication_types``, ``mesh``, ``language``, ``type_of_reference`` (RIS `TY`,
`Journal Article` for MEDLINE) and ``database`` (RIS `DB`/`DP`, MEDLINE `OWN`).

**All or nothing.** A file is parsed whole before any record is returned: a malformed file
raises `ImportFormatError` naming the file and line (text before the first `TY`, a `TY`
without `ER`, a line that is neither a tag nor a continuation, a MEDLINE record without
`PMID`, a CSV row with more or fewer fields than its header, a byte that is not in the
encoding), and no record of that file is returned.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import rispy
from Bio import Medline

from livescreen.errors import ConfigError, LivescreenError
from livescreen.files import write_json, write_jsonl
from livescreen.normalise import (
    author_parts,
    collapse_whitespace,
    extract_doi,
    first_author_key,
    nct_ids_in,
    normalise_pmcid,
    normalise_title,
    year_of,
)

__all__ = [
    "CSV_HEADERS",
    "FORMATS",
    "IMPORT_KEYS",
    "ImportFormatError",
    "configured_files",
    "detect_format",
    "import_ids",
    "read_configured",
    "read_export",
    "read_exports",
    "write_imports",
]

FORMATS = ("ris", "medline", "csv")
IMPORT_KEYS: tuple[str, ...] = (
    "record_id",
    "source",
    "file",
    "line",
    "record_number",
    "pmid",
    "doi",
    "pmcid",
    "nct_ids",
    "accession_numbers",
    "title",
    "authors",
    "year",
    "pub_date",
    "journal",
    "journal_title",
    "volume",
    "issue",
    "pages",
    "abstract",
    "keywords",
    "publication_types",
    "mesh",
    "language",
    "type_of_reference",
    "database",
)
# livescreen field -> headers recognised in a CSV (compared case-insensitively).
CSV_HEADERS: dict[str, tuple[str, ...]] = {
    "title": ("title", "ti", "article title", "document title", "primary title"),
    "authors": ("authors", "author", "au", "author full names", "author names"),
    "year": ("year", "py", "publication year", "pubyear", "year published"),
    "pub_date": ("publication date", "date", "create date"),
    "journal": (
        "journal abbreviation",
        "journal/book",
        "source title",
        "journal",
        "source",
        "so",
        "jo",
        "t2",
        "secondary title",
        "publication title",
    ),  # fmt: skip
    "journal_title": ("journal title", "full journal title"),
    "volume": ("volume", "vl", "vol"),
    "issue": ("issue", "is", "number", "no"),
    "pages": ("pages", "page", "pg", "page range", "pagination"),
    "abstract": ("abstract", "ab"),
    "doi": ("doi", "do"),
    "pmid": ("pmid", "pubmed id", "pubmed_id", "pm"),
    "pmcid": ("pmcid", "pmc", "pmc id"),
    "keywords": ("keywords", "author keywords", "kw", "de"),
    "publication_types": ("publication type", "document type", "publication types", "pt"),
    "accession_numbers": ("accession number", "an", "eid", "ut (unique wos id)", "ut"),
    "language": ("language", "la"),
}
_LIST_SEPARATORS = re.compile(r"\s*;\s*|\s*\|\s*")
_RIS_TAG = re.compile(r"^[A-Z][A-Z0-9]  -( |$)")
_MEDLINE_TAG = re.compile(r"^[A-Z][A-Z0-9]{1,3} {0,2}- ")
_SCOPUS_EID = re.compile(r"\beid=(2-s2\.0-\d+)")
_PUBMED_URL = re.compile(r"(?:ncbi\.nlm\.nih\.gov/pubmed/|pubmed\.ncbi\.nlm\.nih\.gov/)(\d+)")
_LID_DOI = re.compile(r"(\S+)\s*\[doi\]")
_PMID_NOTE = re.compile(r"\bPMID:?\s*(\d{1,9})\b")
_EXTENSIONS = {".ris": "ris", ".nbib": "medline", ".medline": "medline", ".csv": "csv",
               ".tsv": "csv"}  # fmt: skip


class ImportFormatError(LivescreenError, ValueError):
    """A database export that cannot be read; the message names the file and the line."""

    def __init__(self, path: str | Path, line: int | None, problem: str) -> None:
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(f"{where}: {problem}")
        self.path = str(path)
        self.line = line


# -- entry points ---------------------------------------------------------------------------


def detect_format(path: str | Path, text: str | None = None) -> str:
    """``ris``, ``medline`` or ``csv`` (see the module doc)."""
    path = Path(path)
    by_extension = _EXTENSIONS.get(path.suffix.casefold())
    if by_extension:
        return by_extension
    if text is None:
        text = _read_text(path, "utf-8-sig")
    for line in text.splitlines():
        if not line.strip():
            continue
        if _RIS_TAG.match(line):
            return "ris"
        if _MEDLINE_TAG.match(line):
            return "medline"
        return "csv"
    raise ImportFormatError(path, None, "the file is empty")


def read_export(
    path: str | Path,
    *,
    source: str | None = None,
    format: str | None = None,
    columns: Mapping[str, str] | None = None,
    encoding: str = "utf-8-sig",
) -> list[dict[str, Any]]:
    """Every record of one export file, all or nothing (see the module doc)."""
    path = Path(path)
    if format is not None and format not in FORMATS:
        raise ImportFormatError(path, None, f"unknown format {format!r}; use one of {FORMATS}")
    text = _read_text(path, encoding)
    format = format or detect_format(path, text)
    source = source or path.stem
    if format == "ris":
        raw = _read_ris(path, text)
    elif format == "medline":
        raw = _read_medline(path, text)
    else:
        raw = _read_csv(path, text, columns or {})
    records = []
    for number, (line, record) in enumerate(raw, start=1):
        record.update(
            record_id=f"{source}/{path.name}#{number}",
            source=source,
            file=str(path),
            line=line,
            record_number=number,
        )
        records.append({key: record.get(key, _EMPTY.get(key)) for key in IMPORT_KEYS})
    return records


def read_exports(
    paths: Iterable[str | Path | tuple[str | Path, str]], **options: Any
) -> list[dict[str, Any]]:
    """The records of several files in order; a `(path, source)` pair names the database."""
    records: list[dict[str, Any]] = []
    for item in paths:
        path, source = item if isinstance(item, tuple) else (item, None)
        records.extend(read_export(path, source=source, **options))
    return records


_EMPTY: dict[str, Any] = {
    "nct_ids": [],
    "accession_numbers": [],
    "authors": [],
    "keywords": [],
    "publication_types": [],
    "mesh": [],
    "language": [],
    "title": "",
    "abstract": "",
    "journal": "",
    "journal_title": "",
    "pub_date": "",
}


def _read_text(path: Path, encoding: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportFormatError(path, None, f"cannot be read ({error.strerror})") from error
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportFormatError(
            path, line, f"byte {data[error.start]:#04x} is not {encoding}; pass encoding=..."
        ) from error


# -- the workflow's imports (config.yaml `imports:`) -------------------------------------------

CONFIG_FORMATS = {"ris": "ris", "nbib": "medline", "medline": "medline", "csv": "csv"}


def configured_files(
    entries: Iterable[Mapping[str, Any]], base: str | Path = "."
) -> list[list[str]]:
    """Each `imports:` entry's files, its globs expanded (sorted, each file once), relative to
    `base`. A pattern that matches no file is a ConfigError naming the entry."""
    base = Path(base)
    out: list[list[str]] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        files: list[str] = []
        for pattern in entry["files"]:
            matched = base.glob(pattern)
            found = sorted(p.relative_to(base).as_posix() for p in matched if p.is_file())
            if not found:
                raise ConfigError(
                    f"imports[{i}] ({entry['name']}): files {pattern!r} match no file; put the "
                    "export there or correct the path"
                )
            files += [f for f in found if f not in seen and f not in files]
        seen.update(files)
        out.append(files)
    return out


def import_ids(record: Mapping[str, Any]) -> list[str]:
    """The ids an imported record may be screened under, best first: its PMID, `doi:<doi>`,
    and `import:<hash>` of its source, normalised title, year, first author, volume and
    pages — so the same record in a new export of the same search keeps its id (see
    livescreen.dedup.works), and two different records with one title and year do not
    share it."""
    ids = []
    if record.get("pmid"):
        ids.append(str(record["pmid"]))
    if record.get("doi"):
        ids.append(f"doi:{record['doi']}")
    key = f"{record.get('source', '')}|{normalise_title(record.get('title') or '')}|"
    key += str(record.get("year") or "")
    key += f"|{first_author_key(record)}|{record.get('volume') or ''}|{record.get('pages') or ''}"
    ids.append("import:" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16])
    return ids


def read_configured(
    entries: Sequence[Mapping[str, Any]], files: Sequence[Sequence[str]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(records, one summary per entry) of every configured export, all or nothing: a
    malformed file raises ImportFormatError naming file and line before anything is kept.
    Each record carries its source's `name` as `source`, `searched`, and `import_ids`."""
    records: list[dict[str, Any]] = []
    summaries: list[dict[str, Any]] = []
    for entry, paths in zip(entries, files, strict=True):
        fmt = CONFIG_FORMATS.get(entry.get("format") or "")
        name = entry["name"].strip()
        count = 0
        per_file = []
        for path in paths:
            found = read_export(path, source=name, format=fmt, columns=entry.get("columns"))
            for record in found:
                record["record_id"] = f"{name}/{path}#{record['record_number']}"
                record["searched"] = entry.get("searched", "")
                record["import_ids"] = import_ids(record)
            records += found
            count += len(found)
            per_file.append({"file": path, "records": len(found)})
        summaries.append(
            {
                "name": name,
                "files": per_file,
                "format": entry.get("format") or "detected",
                "searched": entry.get("searched", ""),
                "query": entry.get("query", ""),
                "records": count,
            }
        )
    return records, summaries


def write_imports(
    entries: Sequence[Mapping[str, Any]],
    files: Sequence[Sequence[str]],
    records_path: str | Path,
    summary_path: str | Path,
) -> list[dict[str, Any]]:
    """The `imports` rule: every configured export read (all or nothing) into `records_path`
    (JSONL) and the per-source summary into `summary_path`, each written atomically."""
    records, summaries = read_configured(entries, files)
    write_jsonl(records_path, records)
    write_json(summary_path, {"imports": summaries})
    return summaries


# -- RIS ------------------------------------------------------------------------------------


def _ris_chunks(path: Path, text: str) -> list[tuple[int, str]]:
    """(first line, text) of each TY … ER record, after checking the file's structure."""
    chunks: list[tuple[int, str]] = []
    start: int | None = None
    lines: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if number == 1:
            line = line.lstrip("\ufeff")
        if start is None:
            if not line.strip() or re.fullmatch(r"\s*\d+\.\s*", line):
                continue  # blank lines and the `1.` numbering some writers put between records
            if not line.startswith("TY  -"):
                raise ImportFormatError(
                    path, number, f"expected 'TY  - ' to start a record: {line[:60]!r}"
                )
            start, lines = number, [line]
            continue
        if line.startswith("TY  -"):
            raise ImportFormatError(
                path,
                number,
                f"a new record starts before the record of line {start} ended (no 'ER  - ')",
            )
        lines.append(line)
        if line.startswith("ER  -"):
            chunks.append((start, "\n".join(lines)))
            start = None
    if start is not None:
        raise ImportFormatError(
            path, start, "the record starting here has no 'ER  - ' (truncated file?)"
        )
    if not chunks:
        raise ImportFormatError(path, None, "no RIS records (no 'TY  - ' line)")
    return chunks


def _read_ris(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    out = []
    for line, chunk in _ris_chunks(path, text):
        entries = rispy.loads(chunk)
        if len(entries) != 1:
            raise ImportFormatError(path, line, "rispy could not read this record")
        out.append((line, _from_ris(entries[0])))
    return out


def _first(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return collapse_whitespace(str(value or ""))


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [collapse_whitespace(str(v)) for v in items if str(v).strip()]


def _from_ris(entry: Mapping[str, Any]) -> dict[str, Any]:
    unknown = entry.get("unknown_tag") or {}
    notes = _listed(entry.get("notes")) + _listed(entry.get("note"))
    urls = _listed(entry.get("urls"))
    database = _first(entry.get("name_of_database")) or _first(entry.get("database_provider"))
    accession = _first(entry.get("accession_number"))
    pmid = ""
    if accession.isdigit() and re.search(r"pubmed|medline|nlm", database, re.IGNORECASE):
        pmid = accession
    for text in notes + urls + _listed(unknown.get("PM")) + _listed(unknown.get("PMID")):
        found = _PMID_NOTE.search(text) or _PUBMED_URL.search(text)
        if not pmid and found:
            pmid = found.group(1)
        if not pmid and text.isdigit() and text in _listed(unknown.get("PM")):
            pmid = text
    accessions = [accession] if accession and accession != pmid else []
    accessions += [f"scopus:{m}" for u in urls for m in _SCOPUS_EID.findall(u)]
    doi = extract_doi(_first(entry.get("doi"))) or next(
        (d for d in (extract_doi(u) for u in urls) if d), None
    )
    pmcid = None
    for text in [_first(entry.get("custom2")), *notes, *urls]:
        pmcid = pmcid or normalise_pmcid(text)
    title = _first(entry.get("title")) or _first(entry.get("primary_title"))
    title = title or _first(entry.get("short_title"))
    # T2/JF/JO/JA/J2 hold the journal's name and abbreviation, which one where depends on
    # the writer: the shortest is taken as the abbreviation, the longest as the full title
    names = [_first(entry.get(key)) for key in ("secondary_title", "alternate_title3",
             "journal_name", "alternate_title2", "alternate_title1")]  # fmt: skip
    names = [n for n in names if n]
    full = max(names, key=len) if names else ""
    abbreviation = min(names, key=len) if names else ""
    authors = _listed(entry.get("authors")) + _listed(entry.get("first_authors"))
    start, end = _first(entry.get("start_page")), _first(entry.get("end_page"))
    pages = start if not end or end == start else f"{start}-{end}" if start else end
    year_text = _first(entry.get("year")) or _first(entry.get("publication_year"))
    abstract = _first(entry.get("abstract")) or _first(entry.get("notes_abstract"))
    kinds = _listed(entry.get("type_of_work"))
    return {
        "pmid": pmid or None,
        "doi": doi,
        "pmcid": pmcid,
        "nct_ids": nct_ids_in(" ".join([title, abstract, *notes])),
        "accession_numbers": accessions,
        "title": title,
        "authors": [_pubmed_author(a) for a in authors],
        "year": _year(year_text) or year_of(_first(entry.get("date"))),
        "pub_date": _year_text(year_text),
        "journal": abbreviation,
        "journal_title": full,
        "volume": _first(entry.get("volume")) or None,
        "issue": _first(entry.get("number")) or None,
        "pages": pages or None,
        "abstract": abstract,
        "keywords": _listed(entry.get("keywords")),
        "publication_types": kinds,
        "language": _listed(entry.get("language")),
        "type_of_reference": _first(entry.get("type_of_reference")),
        "database": database,
    }


def _year(text: str) -> int | None:
    found = re.search(r"\b(1[5-9]\d\d|20\d\d)\b", text or "")
    return int(found.group(1)) if found else None


def _year_text(text: str) -> str:
    year = _year(text)
    return str(year) if year else ""


def _pubmed_author(name: str) -> str:
    """`Abbas, C. C.` -> `Abbas CC`; a corporate author as written."""
    surname, initials = author_parts(name)
    return f"{surname} {initials}" if initials else collapse_whitespace(name)


# -- MEDLINE --------------------------------------------------------------------------------


def _medline_chunks(path: Path, text: str) -> list[tuple[int, list[str]]]:
    chunks: list[tuple[int, list[str]]] = []
    start: int | None = None
    lines: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if number == 1:
            line = line.lstrip("\ufeff")
        if not line.strip():
            if start is not None:
                chunks.append((start, lines))
                start, lines = None, []
            continue
        if line.startswith("      "):
            if start is None:
                raise ImportFormatError(path, number, "a continuation line outside a record")
            lines.append(line + "\n")
            continue
        if not _MEDLINE_TAG.match(line):
            raise ImportFormatError(path, number, f"not a MEDLINE tag line: {line[:60]!r}")
        if start is None:
            if not line.startswith("PMID-"):
                raise ImportFormatError(path, number, "a MEDLINE record must start with 'PMID- '")
            start = number
        lines.append(line + "\n")
    if start is not None:
        chunks.append((start, lines))
    if not chunks:
        raise ImportFormatError(path, None, "no MEDLINE records (no 'PMID- ' line)")
    return chunks


def _read_medline(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    out = []
    for line, lines in _medline_chunks(path, text):
        record = Medline.read(lines)
        if not str(record.get("PMID", "")).strip().isdigit():
            raise ImportFormatError(path, line, "the record's PMID is not a number")
        out.append((line, _from_medline(record)))
    return out


def _medline_ids(values: Iterable[str], kind: str) -> list[str]:
    return [v.rsplit("[", 1)[0].strip() for v in values if v.strip().endswith(f"[{kind}]")]


def _from_medline(record: Mapping[str, Any]) -> dict[str, Any]:
    lid = record.get("LID", "")
    lid = " ".join(lid) if isinstance(lid, list) else lid
    dois = _medline_ids(record.get("AID", []), "doi") + _LID_DOI.findall(lid)
    doi = next((d for d in (extract_doi(x) for x in dois) if d), None)
    title = collapse_whitespace(record.get("TI", "") or record.get("BTI", ""))
    abstract = collapse_whitespace(record.get("AB", ""))
    databank = [a for a in record.get("SI", []) if a.upper().startswith("CLINICALTRIALS.GOV/")]
    nct = [a.split("/", 1)[1].upper() for a in databank] + nct_ids_in(f"{title} {abstract}")
    authors = list(record.get("AU", [])) + list(record.get("CN", []))
    date = record.get("DP", "")
    return {
        "pmid": record.get("PMID", "").strip(),
        "doi": doi,
        "pmcid": normalise_pmcid(record.get("PMC", "")),
        "nct_ids": list(dict.fromkeys(nct)),
        "accession_numbers": [],
        "title": title,
        "authors": [collapse_whitespace(a) for a in authors],
        "year": _year(date),
        "pub_date": _year_text(date),
        "journal": collapse_whitespace(record.get("TA", ""))
        or collapse_whitespace(record.get("JT", "")),  # fmt: skip
        "journal_title": collapse_whitespace(record.get("JT", "")),
        "volume": record.get("VI") or None,
        "issue": record.get("IP") or None,
        "pages": record.get("PG") or None,
        "abstract": abstract,
        "keywords": [collapse_whitespace(k) for k in record.get("OT", [])],
        "publication_types": list(record.get("PT", [])),
        "mesh": [m.split("/")[0].lstrip("*") for m in record.get("MH", [])],
        "language": list(record.get("LA", [])),
        "type_of_reference": "Journal Article",
        "database": record.get("OWN", ""),
    }


# -- CSV ------------------------------------------------------------------------------------


def _column_map(path: Path, header: list[str], columns: Mapping[str, str]) -> dict[str, str]:
    present = {h.strip().casefold(): h for h in header}
    mapping: dict[str, str] = {}
    for field, name in columns.items():
        if field not in IMPORT_KEYS:
            raise ImportFormatError(path, 1, f"unknown livescreen field {field!r} in columns")
        if name.strip().casefold() not in present:
            raise ImportFormatError(path, 1, f"no column {name!r} (for {field}) in the header")
        mapping[field] = present[name.strip().casefold()]
    for field, names in CSV_HEADERS.items():
        if field in mapping:
            continue
        found = next((present[n] for n in names if n in present), None)
        if found and found not in mapping.values():
            mapping[field] = found
    if "title" not in mapping:
        raise ImportFormatError(path, 1, "no title column; name it with columns={'title': ...}")
    return mapping


def _read_csv(
    path: Path, text: str, columns: Mapping[str, str]
) -> list[tuple[int, dict[str, Any]]]:
    delimiter = "\t" if path.suffix.casefold() == ".tsv" else ","
    if path.suffix.casefold() not in {".csv", ".tsv"}:
        first = text.split("\n", 1)[0]
        delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFormatError(path, None, "the file is empty") from None
    except csv.Error as error:
        raise ImportFormatError(path, reader.line_num, f"malformed CSV ({error})") from error
    header = [h.lstrip("\ufeff") for h in header]
    mapping = _column_map(path, header, columns)
    index = {name: header.index(name) for name in mapping.values()}
    out = []
    line = reader.line_num + 1
    try:
        for row in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise ImportFormatError(
                    path, start, f"{len(row)} fields, but the header has {len(header)}"
                )
            values = {field: row[index[name]].strip() for field, name in mapping.items()}
            out.append((start, _from_csv(values)))
    except csv.Error as error:
        raise ImportFormatError(path, line, f"malformed CSV ({error})") from error
    return out


def _split_list(text: str) -> list[str]:
    return [p for p in (collapse_whitespace(x) for x in _LIST_SEPARATORS.split(text)) if p]


def _from_csv(values: Mapping[str, str]) -> dict[str, Any]:
    authors_text = values.get("authors", "")
    authors = (
        [a.strip() for a in authors_text.split(" and ")]
        if " and " in authors_text
        else _split_list(authors_text)
    )
    pmid = re.sub(r"\D", "", values.get("pmid", "")) or None
    title = collapse_whitespace(values.get("title", ""))
    abstract = collapse_whitespace(values.get("abstract", ""))
    year = _year(values.get("year", "")) or _year(values.get("pub_date", ""))
    return {
        "pmid": pmid,
        "doi": extract_doi(values.get("doi")),
        "pmcid": normalise_pmcid(values.get("pmcid", "")),
        "nct_ids": nct_ids_in(f"{title} {abstract}"),
        "accession_numbers": _split_list(values.get("accession_numbers", "")),
        "title": title,
        "authors": [_pubmed_author(a) for a in authors],
        "year": year,
        "pub_date": values.get("pub_date", "") or (str(year) if year else ""),
        "journal": values.get("journal", "") or values.get("journal_title", ""),
        "journal_title": values.get("journal_title", "") or values.get("journal", ""),
        "volume": values.get("volume") or None,
        "issue": values.get("issue") or None,
        "pages": values.get("pages") or None,
        "abstract": abstract,
        "keywords": _split_list(values.get("keywords", "")),
        "publication_types": _split_list(values.get("publication_types", "")),
        "language": _split_list(values.get("language", "")),
        "type_of_reference": "",
        "database": "",
    }
