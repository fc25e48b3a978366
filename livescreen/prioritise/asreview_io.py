"""Hand-off to and from ASReview LAB: records out in ASReview's dataset format, ASReview's
exported labels back in as decisions.

``write_asreview_dataset(path, records, decisions) -> int``
    Write the records as a dataset ASReview LAB opens (CSV, TSV or XLSX by the file's
    name; RIS too): ``record_id``, ``title``, ``abstract``, ``keywords``, ``authors``,
    ``year``, ``doi`` and ``label_included`` (1 include, 0 exclude, blank undecided —
    ASReview reads those as prior knowledge and unlabelled records). In RIS the record id
    is the ``ID`` tag and a decision the note ``ASReview_relevant`` /
    ``ASReview_irrelevant`` ASReview writes and reads. Returns the rows written.
``asreview_rows(records, decisions) -> list[dict]``
    The same rows, for the caller to write.
``read_asreview_labels(path, records) -> ImportedLabels``
    Read a file ASReview exported ("Export" > dataset; CSV, TSV, XLSX or RIS) and match
    its rows to `records`: by ``record_id`` (the column `write_asreview_dataset` wrote,
    which ASReview keeps), else by DOI, else by title (only a title no other record
    shares). The label is ASReview's ``asreview_label`` column (1 relevant, 0
    irrelevant, blank not seen), else a label column (``included``, ``label_included``,
    ...), else in RIS the ``ASReview_relevant`` / ``ASReview_irrelevant`` note.
    `ImportedLabels.decisions` maps record_id -> ``include`` / ``exclude`` for the
    screening step to record (rows ASReview did not label are left out); rows that match
    no record, and records two rows label differently, are listed, never guessed.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from livescreen.prioritise.text import (
    EXCLUDE,
    INCLUDE,
    decision_label,
    field_text,
    record_id,
    terms,
)

COLUMNS = ["record_id", "title", "abstract", "keywords", "authors", "year", "doi", "label_included"]
LABEL_COLUMNS = (
    "asreview_label",
    "included",
    "label_included",
    "label",
    "final_included",
    "included_label",
    "included_final",
    "include",
)
RIS_RELEVANT, RIS_IRRELEVANT, RIS_NOT_SEEN = (
    "ASReview_relevant",
    "ASReview_irrelevant",
    "ASReview_not_seen",
)


class AsreviewFormatError(ValueError):
    """A file cannot be read as ASReview's export; the message says why."""


def _authors(value: object) -> list[str]:
    if isinstance(value, list | tuple):
        out = []
        for author in value:
            if isinstance(author, Mapping):
                name = " ".join(field_text(author.get(k)) for k in ("last_name", "initials"))
                out.append(name.strip() or field_text(author.get("name")))
            else:
                out.append(field_text(author))
        return [a for a in out if a]
    return terms(value)


def _year(record: Mapping) -> str:
    year = field_text(record.get("year"))
    if not year:
        year = field_text(record.get("pub_date"))[:4]
    return year[:-2] if year.endswith(".0") else year


def asreview_rows(records: Iterable[Mapping], decisions: Mapping[str, object]) -> list[dict]:
    rows = []
    for record in records:
        rid = record_id(record)
        label = decision_label(decisions.get(rid))
        rows.append(
            {
                "record_id": rid,
                "title": field_text(record.get("title")),
                "abstract": field_text(record.get("abstract")),
                "keywords": "; ".join(terms(record.get("keywords")) + terms(record.get("mesh"))),
                "authors": "; ".join(_authors(record.get("authors"))),
                "year": _year(record),
                "doi": field_text(record.get("doi")),
                "label_included": {INCLUDE: "1", EXCLUDE: "0"}.get(label, ""),
            }
        )
    return rows


def write_asreview_dataset(
    path: str | Path, records: Iterable[Mapping], decisions: Mapping[str, object]
) -> int:
    path = Path(path)
    rows = asreview_rows(records, decisions)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".tab"):
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(
                handle, fieldnames=COLUMNS, delimiter="\t" if suffix != ".csv" else ","
            )
            writer.writeheader()
            writer.writerows(rows)
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(COLUMNS)
        for row in rows:
            sheet.append([row[c] for c in COLUMNS])
        book.save(path)
    elif suffix == ".ris":
        import rispy

        entries = []
        for row in rows:
            entry = {"type_of_reference": "JOUR", "id": row["record_id"], "title": row["title"]}
            for key, tag in (("abstract", "abstract"), ("doi", "doi"), ("year", "year")):
                if row[key]:
                    entry[tag] = row[key]
            for key, tag in (("keywords", "keywords"), ("authors", "authors")):
                if row[key]:
                    entry[tag] = row[key].split("; ")
            note = {"1": RIS_RELEVANT, "0": RIS_IRRELEVANT}.get(row["label_included"])
            if note:
                entry["notes"] = [note]
            entries.append(entry)
        with open(path, "w", encoding="utf-8") as handle:
            rispy.dump(entries, handle)
    else:
        raise AsreviewFormatError(f"{path}: write .csv, .tsv, .xlsx or .ris")
    return len(rows)


# -- reading back ----------------------------------------------------------------------------


@dataclass
class ImportedLabels:
    decisions: dict[str, str] = field(default_factory=dict)  # record_id -> include/exclude
    matched_by: dict[str, str] = field(default_factory=dict)  # record_id -> how
    unlabelled: int = 0  # rows ASReview had not labelled
    unmatched: list[str] = field(default_factory=list)  # "row N: title" of rows matching none
    conflicts: list[str] = field(default_factory=list)  # record ids labelled both ways

    def summary(self) -> str:
        how = {}
        for way in self.matched_by.values():
            how[way] = how.get(way, 0) + 1
        ways = ", ".join(f"{n} by {w}" for w, n in sorted(how.items())) or "none"
        return (
            f"{len(self.decisions)} decisions read from ASReview ({ways}); "
            f"{self.unlabelled} rows unlabelled, {len(self.unmatched)} rows matched no "
            f"record, {len(self.conflicts)} records labelled both ways (left out)"
        )


def normalise_doi(value: object) -> str:
    doi = field_text(value).strip().lower()
    doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", doi)
    return doi


def normalise_title(value: object) -> str:
    text = unicodedata.normalize("NFKD", field_text(value)).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def _label(value: object) -> str | None:
    text = field_text(value).lower()
    if text in ("1", "1.0", "true", "yes", "include", "included", "relevant"):
        return INCLUDE
    if text in ("0", "0.0", "false", "no", "exclude", "excluded", "irrelevant"):
        return EXCLUDE
    return None


def _read_rows(path: Path) -> list[dict]:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".tab", ".txt"):
        import pandas as pd

        sep = "\t" if suffix in (".tsv", ".tab") else ","
        frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
        rows = frame.to_dict("records")
    elif suffix == ".xlsx":
        import pandas as pd

        rows = pd.read_excel(path, dtype=str).fillna("").to_dict("records")
    elif suffix == ".ris":
        import rispy

        with open(path, encoding="utf-8-sig") as handle:
            entries = rispy.load(handle)
        rows = []
        for entry in entries:
            notes = " ".join(terms(entry.get("notes", [])))
            label = "1" if RIS_RELEVANT in notes else "0" if RIS_IRRELEVANT in notes else ""
            rows.append(
                {
                    "record_id": field_text(entry.get("id")),
                    "title": field_text(entry.get("title") or entry.get("primary_title")),
                    "doi": field_text(entry.get("doi")),
                    "asreview_label": label,
                }
            )
    else:
        raise AsreviewFormatError(f"{path}: read .csv, .tsv, .xlsx or .ris")
    return [{str(k).strip().lower(): v for k, v in row.items()} for row in rows]


def read_asreview_labels(path: str | Path, records: Iterable[Mapping]) -> ImportedLabels:
    path = Path(path)
    if not path.exists():
        raise AsreviewFormatError(f"{path}: no such file")
    rows = _read_rows(path)
    if not rows:
        return ImportedLabels()
    label_column = next((c for c in LABEL_COLUMNS if c in rows[0]), None)
    if label_column is None:
        raise AsreviewFormatError(
            f"{path}: no label column (ASReview's export has asreview_label; one of "
            f"{', '.join(LABEL_COLUMNS)} is needed)"
        )
    records = list(records)
    ids = {record_id(r) for r in records}
    by_doi: dict[str, set[str]] = {}
    by_title: dict[str, set[str]] = {}
    for record in records:
        rid = record_id(record)
        if doi := normalise_doi(record.get("doi")):
            by_doi.setdefault(doi, set()).add(rid)
        if title := normalise_title(record.get("title")):
            by_title.setdefault(title, set()).add(rid)
    out = ImportedLabels()
    seen: dict[str, str] = {}
    conflicting: set[str] = set()
    for number, row in enumerate(rows, start=2 if path.suffix.lower() != ".ris" else 1):
        label = _label(row.get(label_column))
        if label is None:
            out.unlabelled += 1
            continue
        rid, how = field_text(row.get("record_id")), "record_id"
        if rid.endswith(".0") and rid[:-2] in ids:
            rid = rid[:-2]
        if rid not in ids:
            rid, how = "", ""
            doi_ids = by_doi.get(normalise_doi(row.get("doi")), set())
            title_ids = by_title.get(normalise_title(row.get("title")), set())
            if len(doi_ids) == 1 and normalise_doi(row.get("doi")):
                rid, how = next(iter(doi_ids)), "doi"
            elif len(title_ids) == 1:
                rid, how = next(iter(title_ids)), "title"
        if not rid:
            out.unmatched.append(f"row {number}: {field_text(row.get('title'))[:80]}")
            continue
        if rid in seen and seen[rid] != label:
            conflicting.add(rid)
        seen.setdefault(rid, label)
        out.matched_by.setdefault(rid, how)
    for rid, label in seen.items():
        if rid in conflicting:
            out.matched_by.pop(rid, None)
            continue
        out.decisions[rid] = label
    out.conflicts = sorted(conflicting)
    return out
