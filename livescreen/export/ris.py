"""RIS export: the screening tables as files Zotero and EndNote import.

``results/screening/to_screen.ris`` and ``highlighted_trials.ris`` hold the records of
``to_screen.csv`` and ``highlighted_trials.csv``, in the same order, with their
classification and the reviewers' decisions. The rows come from the screening step's
machine-readable output, ``results/screening/screening.json`` (its ``publications`` and
``highlighted`` lists: the tables' rows as text, with the decision store's current
decisions), never from the CSVs reviewers edit. They are written with rispy (the RIS reader
and writer this project keeps) and read back with it in the tests.

Public API
----------
``record_entry(record, row=None) -> dict``
    A rispy entry for one publication: a parsed (and classified) record from
    ``classified.jsonl``, plus its table row (mechanisms, trial ids, decision...) if given.
``registration_entry(registration, row=None) -> dict``
    A rispy entry for one trial registration (``registrations.jsonl``), for
    ``highlighted_trials.ris``.
``to_screen_entries(rows, records)`` / ``highlighted_entries(rows, records, registrations)``
    The entries for a table's rows, in the table's order; a row whose record is not in the
    data (a record the latest searches no longer find) is exported from the row itself.
``write_ris(path, entries)``
    Write entries atomically (see "File format").
``read_ris(path) -> list[dict]``
    Read a RIS file back with rispy (byte-order mark understood).
``screening_rows(screening) -> (publications, highlighted)``
    The rows of ``to_screen.csv`` and ``highlighted_trials.csv`` from ``screening.json``'s
    content; `RisError` names what is missing from a screening.json of another version.
``ris_author(name) -> str``
    ``"Mitchell JM"`` -> ``"Mitchell, J. M."``; a collective name -> ``"Name,"``.

Tags, and why (Zotero's RIS translator and EndNote's RIS import read them so)
-----------------------------------------------------------------------------
=====  ===========================================  ===========================================
tag    publication                                  registration (``TY RPRT``)
=====  ===========================================  ===========================================
TY     ``JOUR``; ``CHAP`` for a chapter of a book   ``RPRT``: Zotero's own ClinicalTrials.gov
       on the NCBI Bookshelf (``article_kind``      translator saves a registration as a
       ``book`` with an article title), ``BOOK``    *report* (institution, number, type);
       for a whole book                             EndNote: Report. ``GEN`` would import into
                                                    Zotero as a journal article and ``DBASE``
                                                    as a dataset (a document before Zotero
                                                    6.0.24)
TI     title                                        official title, else brief title
ST     --                                           brief title (Zotero: Short Title)
AU     ``Surname, I. I.``; collective name          the lead sponsor, as a corporate name
       ``Name,`` (see `ris_author`)
T2     journal's full title (Zotero: Publication;   --
       EndNote: Journal); the book of a chapter
J2     NLM title abbreviation (Zotero: Journal      --
       Abbr; EndNote: Alternate Journal)
PB     --                                           ``ClinicalTrials.gov`` (Zotero:
                                                    Institution; EndNote: Publisher)
SN     --                                           NCT id (Zotero: Report Number)
M3     --                                           ``Clinical trial registration`` (Type)
PY     year                                         year of DA
DA     ``YYYY/MM/DD`` or ``YYYY/MM``                first posted, else start date
VL IS  volume, issue                                --
SP EP  first and last page (MEDLINE's ``1025-33``   --
       written out as 1025 and 1033); pages that
       are not a range stay whole in SP
DO     DOI (absent when the record has none)        --
AB     abstract, one paragraph (structured label)   brief summary
       per line
LA     language codes                               --
UR     PubMed page                                  registry page
AN     PMID (EndNote: Accession Number; Zotero:     NCT id
       Loc. in Archive)
DB DP  ``PubMed``, ``NLM`` (EndNote: Name of        ``ClinicalTrials.gov``
       Database, Database Provider)
ID     PMID (Zotero ignores ID)                     NCT id
KW     author keywords, MeSH, then                  conditions, then ``livescreen:...`` tags
       ``livescreen:...`` tags (design, relation,
       comparator, treatments, mechanisms,
       highlight, decision) to filter on
N1     one note: the classification with the        the same, with status, phase, enrolment,
       highlight reason, mechanisms, trial ids,     dates, arms, linked PMIDs and the bundled
       the decision, and, for snapshot records,     registration's caveats
       that the abstract is a summary written for
       livescreen
=====  ===========================================  ===========================================

A record always has at least two ``KW`` tags (design and relation), because Zotero splits a
record's only tag at its commas (``Stress Disorders, Post-Traumatic``).

File format
-----------
UTF-8 with a byte-order mark, CRLF line ends (the RIS specification's), each entry ``TY``
first and ``ER`` last, a blank line between entries, no numbering lines (rispy's writer puts
``1.``, ``2.`` before entries; ours does not). The byte-order mark is how EndNote tells UTF-8
from the system's code page without the user choosing a text translation (Zotero detects it
too, strips it, and without one guesses UTF-8). It stands on a line of its own, so
a reader that does not strip it sees an empty line before the first ``TY`` instead of a
damaged ``TY`` tag that would lose the first record.

A value never breaks the file: in single-line fields a line break becomes a space; the
abstract and the note keep one line per paragraph, without blank lines; every line is
stripped at its ends (as RIS readers strip it); and a continuation line that would read as a
tag (``ER  - ...``, ``AB - ...``) is indented by one space, which readers strip. rispy reads
a multi-line ``AB`` back with its lines joined by spaces and a multi-line ``N1`` as a list of
its lines; Zotero keeps the line breaks in both.

Known limits: a collective name with a comma in it (``University of California, San
Francisco``) is split at that comma by Zotero and EndNote; Zotero also splits keywords at
``;``. A PubMed author with a forename and no initials (``LastName ForeName``) cannot be told
from a two-word collective name and is kept whole. Zotero reads a note with something like an
HTML tag in it as HTML, so such a note has its ``<`` written ``&lt;`` (EndNote shows that as
written).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import rispy

from livescreen.columns import SUMMARY_LABEL
from livescreen.files import LIST_SEPARATOR, atomic_path
from livescreen.parse.registrations import arm_summary
from livescreen.review.tables import PUBMED_URL, REGISTRY_URL

RIS_ENCODING = "utf-8-sig"
LIVESCREEN_TAG = "livescreen"
REGISTRATION_TYPE = "Clinical trial registration"
REGISTRY_NAME = "ClinicalTrials.gov"

# rispy field names of the tags whose value may span lines (one paragraph per line).
MULTILINE_FIELDS = ("abstract", "notes")
# A line a RIS reader would take for a tag: two characters, one or two spaces, a hyphen
# (Zotero accepts one space, rispy needs two; any two characters, not only A-Z, to be safe).
_TAG_LIKE = re.compile(r"^\S\S {1,2}-")
# What makes Zotero's RIS import read a note as HTML.
_HTML_TAG = re.compile(r"<[^>]+>")
_KNOWN_FIELDS = frozenset(rispy.TAG_KEY_MAPPING.values())
_LIST_FIELDS = frozenset(rispy.TAG_KEY_MAPPING[tag] for tag in rispy.LIST_TYPE_TAGS)

# Words that make a name a group, not a person ("MAPP1 Study Group", "NICE Guideline Panel").
_COLLECTIVE_WORDS = frozenset(
    """
    academy agency alliance and association board center centre coalition collaboration
    collaborative collaborators committee consortium council department for foundation group
    initiative institute investigators network of on organisation organization panel program
    programme project registry society study team the trial trialists university working
    writing
    """.split()
)


class RisError(ValueError):
    """An entry that cannot be written as RIS; the message names the entry and field."""


# -- names ------------------------------------------------------------------------------------


def ris_author(name: str) -> str:
    """A PubMed author as RIS wants it: ``"Mitchell JM"`` -> ``"Mitchell, J. M."``.

    The last word is read as initials when it is one to four capital letters and the rest
    is a surname (``"de Wit H"`` -> ``"de Wit, H."``, ``"Ot’alora G M"`` ->
    ``"Ot’alora G, M."``). Anything else -- a collective name (``"MAPP1 Study Group"``), a
    single word, ``LastName ForeName`` -- is kept whole and ends with a comma
    (``"MAPP1 Study Group,"``): EndNote reads a name without a comma as "Given Family" and
    inverts it, and takes a trailing comma as the mark of a corporate author; Zotero reads a
    name with nothing after its comma as one field (an institution), not as a person.
    """
    name = " ".join(name.split())
    words = name.split(" ")
    initials = words[-1]
    surname = words[:-1]
    is_person = (
        bool(surname)
        and 1 <= len(initials) <= 4
        and initials.isalpha()
        and initials.isupper()
        and not any(char.isdigit() for char in name)
        and not any(word.casefold() in _COLLECTIVE_WORDS for word in surname)
    )
    if not name:
        return ""
    if not is_person:
        return name if name.endswith(",") else name + ","
    return f"{' '.join(surname)}, {' '.join(letter + '.' for letter in initials)}"


# -- entries ----------------------------------------------------------------------------------


def record_entry(record: Mapping[str, Any], row: Mapping[str, Any] | None = None) -> dict:
    """A rispy entry for one publication (keys: rispy's field names, in writing order).

    `record` is a parsed record (``livescreen.parse.pubmed_xml`` keys) with its classification;
    `row` is its row in a screening table, which adds what only the table knows: mechanisms,
    the NCT ids of registrations that name the record, the decision, conflict, essay note,
    whether the latest searches still find it, and its source.
    """
    row = row or {}
    pmid = _one_line(record.get("pmid") or row.get("pmid"))
    title = _one_line(record.get("title"))
    full_title = _one_line(record.get("journal_title"))  # the journal's, or the book's
    kind = _type_of_reference(record, title, full_title)

    entry: dict[str, Any] = {"type_of_reference": kind, "title": title or full_title}
    entry["authors"] = [a for a in (ris_author(n) for n in record.get("authors") or []) if a]
    abbreviation = _one_line(record.get("journal"))
    if kind == "JOUR":
        entry["secondary_title"] = full_title or abbreviation
        entry["alternate_title1"] = abbreviation
    elif kind == "CHAP":
        entry["secondary_title"] = full_title
    entry["abstract"] = _paragraphs(record.get("abstract"))
    pub_date = _one_line(record.get("pub_date"))
    entry["date"] = _ris_date(pub_date)
    entry["year"] = _one_line(record.get("year") or pub_date[:4])
    entry["doi"] = _one_line(record.get("doi"))
    entry["volume"] = _one_line(record.get("volume"))
    entry["number"] = _one_line(record.get("issue"))
    entry["start_page"], entry["end_page"] = _pages(record.get("pages"))
    entry["language"] = LIST_SEPARATOR.join(_list(record.get("language")))
    entry["urls"] = [PUBMED_URL.format(pmid=pmid)] if pmid else []
    entry["accession_number"] = pmid
    entry["name_of_database"] = "PubMed"
    entry["database_provider"] = "NLM"
    entry["id"] = pmid
    entry["notes"] = [_publication_note(record, row, pmid)]
    entry["keywords"] = _unique(
        [
            *_list(record.get("keywords")),
            *_list(record.get("mesh")),
            *_classification_tags(record, row),
        ]
    )
    return _without_empty(entry)


def registration_entry(
    registration: Mapping[str, Any], row: Mapping[str, Any] | None = None
) -> dict:
    """A rispy entry for one ClinicalTrials.gov registration (``TY RPRT``, see module doc)."""
    row = row or {}
    nct_id = _one_line(registration.get("nct_id") or row.get("trial_id"))
    title = _one_line(registration.get("title") or registration.get("brief_title"))
    brief = _one_line(registration.get("brief_title"))
    date = _one_line(registration.get("first_posted") or registration.get("start_date"))
    sponsor = _one_line(registration.get("sponsor"))
    url = _one_line(registration.get("url") or row.get("registry_url"))
    entry: dict[str, Any] = {
        "type_of_reference": "RPRT",
        "title": title,
        "short_title": brief if brief != title else "",
        "authors": [ris_author(sponsor)] if sponsor else [],
        "abstract": _paragraphs(registration.get("summary")),
        "date": _ris_date(date),
        "year": date[:4],
        "publisher": REGISTRY_NAME,
        "issn": nct_id,
        "type_of_work": REGISTRATION_TYPE,
        "urls": [url or REGISTRY_URL.format(nct_id=nct_id)] if nct_id or url else [],
        "accession_number": nct_id,
        "name_of_database": REGISTRY_NAME,
        "id": nct_id,
        "notes": [_registration_note(registration, row, nct_id)],
        "keywords": _unique(
            [
                *_list(registration.get("conditions")),
                *_classification_tags(registration, row),
                *(
                    [f"{LIVESCREEN_TAG}:status:{registration['status']}"]
                    if registration.get("status")
                    else []
                ),
            ]
        ),
    }
    return _without_empty(entry)


def to_screen_entries(rows: Iterable[Mapping], records: Mapping[str, Mapping]) -> list[dict]:
    """Entries for the rows of ``to_screen.csv``, in order; `records` by PMID."""
    return [record_entry(records.get(row["pmid"]) or record_from_row(row), row) for row in rows]


def highlighted_entries(
    rows: Iterable[Mapping],
    records: Mapping[str, Mapping],
    registrations: Mapping[str, Mapping],
) -> list[dict]:
    """Entries for the rows of ``highlighted_trials.csv`` (publications and registrations)."""
    entries = []
    for row in rows:
        if row.get("record_type") == "registration":
            nct_id = row.get("trial_id") or row.get("nct_ids", "").split(LIST_SEPARATOR)[0]
            registration = registrations.get(nct_id) or registration_from_row(row, nct_id)
            entries.append(registration_entry(registration, row))
        else:
            record = records.get(row["pmid"]) or record_from_row(row)
            entries.append(record_entry(record, row))
    return entries


def record_from_row(row: Mapping[str, Any]) -> dict:
    """A record built from a table row alone (for a record the data no longer holds)."""
    record: dict[str, Any] = {
        key: row.get(key) or None
        for key in ("pmid", "title", "journal", "doi", "pub_date", "abstract", "year")
    }
    for key in ("authors", "keywords", "mesh", "language", "publication_types"):
        record[key] = _split(row.get(key))
    record["established_treatments"] = _split(row.get("established_treatments"))
    for key in ("design", "comparator", "relation_to_established", "highlight_reason"):
        record[key] = row.get(key) or ""
    for key in ("involves_mdma", "new_since_essay", "retracted", "highlight"):
        record[key] = {"true": True, "false": False}.get(row.get(key) or "")  # "" -> unknown
    return record


def registration_from_row(row: Mapping[str, Any], nct_id: str) -> dict:
    """A registration built from a ``highlighted_trials.csv`` row alone."""
    record = record_from_row(row)
    record.update(
        nct_id=nct_id,
        status=row.get("status") or None,
        phase=row.get("phase") or None,
        linked_pmids=_split(row.get("linked_pmids")),
        url=row.get("registry_url") or None,
    )
    return record


# -- reading and writing ----------------------------------------------------------------------


class _RisWriter(rispy.RisWriter):
    """rispy's writer without the ``1.``, ``2.`` lines it puts before each entry."""

    def set_header(self, count: int) -> str:
        return ""


def write_ris(path: str | Path, entries: Sequence[Mapping[str, Any]]) -> None:
    """Write `entries` to `path` as RIS (see "File format"), atomically.

    Raises `RisError` for an entry with a field rispy does not know (rispy would drop it
    with a warning), a list field that is not a list, a line break in a single-line field,
    or an empty or badly spaced line in a multi-line one.
    """
    prepared = [_prepared(entry, number) for number, entry in enumerate(entries, 1)]
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\r\n") as handle:
        handle.write("\ufeff\n")
        rispy.dump(prepared, handle, implementation=_RisWriter)


def read_ris(path: str | Path) -> list[dict]:
    """The entries of a RIS file, as rispy reads them."""
    return rispy.load(Path(path), encoding=RIS_ENCODING)


def screening_rows(screening: Mapping[str, Any]) -> tuple[list[dict], list[dict]]:
    """The rows of ``to_screen.csv`` and ``highlighted_trials.csv``, in their order, from the
    content of ``screening.json`` (its ``publications`` and ``highlighted``)."""
    missing = [key for key in ("publications", "highlighted") if key not in screening]
    if missing:
        raise RisError(
            f"screening.json has no {', '.join(missing)}; it is not from this version of "
            "livescreen: run the workflow again (snakemake --forcerun screening_tables)"
        )
    return list(screening["publications"]), list(screening["highlighted"])


def _prepared(entry: Mapping[str, Any], number: int) -> dict:
    """`entry` checked, empty fields left out, tag-like continuation lines indented."""
    out: dict[str, Any] = {}
    where = f"RIS entry {number} ({entry.get('id') or entry.get('title') or 'no id'})"
    for field, value in entry.items():
        if field not in _KNOWN_FIELDS:
            raise RisError(f"{where}: rispy has no tag for field {field!r}")
        if value in ("", [], ()):
            continue
        if field in _LIST_FIELDS:
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise RisError(f"{where}: {field} must be a list of strings, not {value!r}")
            for item in value:
                _check_value(item, field, where)
            if field == "urls" and any(";" in url for url in value):
                raise RisError(f"{where}: RIS readers split a URL at ';': {value!r}")
            out[field] = [_indent_tag_like(item) for item in value]
        elif isinstance(value, str):
            _check_value(value, field, where)
            out[field] = _indent_tag_like(value)
        else:
            raise RisError(f"{where}: {field} must be a string, not {value!r}")
    return out


def _check_value(value: str, field: str, where: str) -> None:
    """One line (several for `MULTILINE_FIELDS`), each non-empty and without stray spaces."""
    lines = value.split("\n")
    if len(lines) > 1 and field not in MULTILINE_FIELDS:
        raise RisError(f"{where}: {field} has a line break: {value!r}")
    if value.splitlines() != lines or any(not line or line != _one_line(line) for line in lines):
        raise RisError(
            f"{where}: {field} has an empty line, a line break other than \\n, or whitespace "
            f"that a RIS reader would not keep: {value!r}"
        )


def _indent_tag_like(value: str) -> str:
    first, *rest = value.split("\n")
    return "\n".join([first, *(" " + line if _TAG_LIKE.match(line) else line for line in rest)])


# -- helpers ----------------------------------------------------------------------------------


def _type_of_reference(record: Mapping[str, Any], title: str, book_title: str) -> str:
    if record.get("article_kind") != "book":
        return "JOUR"
    return "CHAP" if title and book_title and title != book_title else "BOOK"


def _publication_note(record: Mapping[str, Any], row: Mapping[str, Any], pmid: str) -> str:
    lines = [f"livescreen classification (PMID {pmid})" if pmid else "livescreen classification"]
    lines += _classification_lines(record)
    lines += _field_lines(
        [
            ("mechanisms (keyword searches that found it)", row.get("mechanisms")),
            ("trial registrations", row.get("nct_ids") or _list(record.get("nct_ids"))),
            ("trial id in highlighted_trials", row.get("trial_id")),
            ("publication types", _list(record.get("publication_types"))),
            ("first published online", record.get("epub_date")),
            ("retraction notices", _list(record.get("retraction_notices"))),
            ("errata", _list(record.get("errata"))),
            ("PMC", record.get("pmcid")),
            ("essay note", row.get("essay_note")),
        ]
    )
    lines += _review_lines(row)
    abstract = _one_line(record.get("abstract"))
    if abstract and (row.get("source") == "snapshot" or abstract.startswith(SUMMARY_LABEL)):
        lines.append(
            "abstract: a summary written for livescreen from the bundled snapshot, "
            "not the publisher's abstract"
        )
    return _note_text(lines)


def _registration_note(registration: Mapping[str, Any], row: Mapping[str, Any], nct_id: str) -> str:
    lines = [f"livescreen classification ({nct_id})" if nct_id else "livescreen classification"]
    lines += _classification_lines(registration)
    enrollment = registration.get("enrollment")
    if enrollment is not None and registration.get("enrollment_type"):
        enrollment = f"{enrollment} ({registration['enrollment_type'].lower()})"
    completion = registration.get("completion_date")
    if completion and registration.get("completion_date_type"):
        completion = f"{completion} ({registration['completion_date_type'].lower()})"
    lines += _field_lines(
        [
            ("status", registration.get("status")),
            ("phase", registration.get("phase")),
            ("enrollment", enrollment),
            ("first posted", registration.get("first_posted")),
            ("start", registration.get("start_date")),
            ("completion", completion),
            ("sponsor", registration.get("sponsor")),
            ("arms", arm_summary(registration) if registration.get("arms") else ""),
            ("linked PMIDs", row.get("linked_pmids") or _list(registration.get("linked_pmids"))),
        ]
    )
    lines += _review_lines(row)
    caveats = registration.get("notes") or {}
    if row.get("source") == "snapshot" or caveats:
        lines.append(
            "source: the bundled snapshot (registration facts gathered for livescreen, "
            "arm descriptions in its own words)"
        )
    if isinstance(caveats, Mapping):
        lines += [f"caveat, {key.removesuffix('_note')}: {value}" for key, value in caveats.items()]
    return _note_text(lines)


def _note_text(lines: Iterable[str]) -> str:
    """The note's lines as one ``N1`` value. Zotero takes a note with anything like an HTML
    tag in it (``p < 0.05 ... > 18``) for HTML, losing its line breaks and the "tag"; such a
    note has its ``<`` written ``&lt;``, which Zotero shows as ``<`` (EndNote as ``&lt;``)."""
    text = "\n".join(_paragraph_lines(lines))
    return text.replace("<", "&lt;") if _HTML_TAG.search(text) else text


def _classification_lines(item: Mapping[str, Any]) -> list[str]:
    treatments = _list(item.get("established_treatments"))
    if not treatments and item.get("design"):
        treatments = ["none named"]
    return _field_lines(
        [
            ("design", item.get("design")),
            ("involves MDMA", item.get("involves_mdma")),
            ("comparator", item.get("comparator")),
            ("established treatments", treatments),
            ("relation to established treatments", item.get("relation_to_established")),
            ("new since essay", item.get("new_since_essay")),
            ("retracted", item.get("retracted")),
            ("highlight", item.get("highlight")),
            ("highlight reason", item.get("highlight_reason")),
        ]
    )


def _review_lines(row: Mapping[str, Any]) -> list[str]:
    lines = [f"decision: {row.get('decision') or 'none recorded'}"]
    lines += _field_lines(
        [
            ("exclusion reason", row.get("exclusion_reason")),
            ("reviewer", row.get("reviewer")),
            ("reviewer notes", row.get("notes")),
            ("decision conflict", row.get("conflict")),
        ]
    )
    if row.get("still_found") == "false":
        lines.append("still found: false (the latest searches no longer find this record)")
    return lines


def _classification_tags(item: Mapping[str, Any], row: Mapping[str, Any]) -> list[str]:
    tag = LIVESCREEN_TAG
    tags = [
        f"{tag}:design:{item.get('design') or 'unclassified'}",
        f"{tag}:relation:{item.get('relation_to_established') or 'unclassified'}",
    ]
    if item.get("comparator"):
        tags.append(f"{tag}:comparator:{item['comparator']}")
    tags += [f"{tag}:treatment:{name}" for name in _list(item.get("established_treatments"))]
    tags += [f"{tag}:mechanism:{slug}" for slug in _split(row.get("mechanisms"))]
    flags = ("highlight", "new_since_essay", "retracted")
    tags += [f"{tag}:{flag.replace('_', '-')}" for flag in flags if _true(item.get(flag))]
    if row.get("decision"):
        tags.append(f"{tag}:decision:{row['decision']}")
    if row.get("conflict"):
        tags.append(f"{tag}:decision-conflict")
    return tags


def _field_lines(pairs: Iterable[tuple[str, Any]]) -> list[str]:
    lines = []
    for label, value in pairs:
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, list | tuple):
            value = LIST_SEPARATOR.join(str(v) for v in value)
        text = "" if value is None else str(value)
        if text.strip():
            lines.append(f"{label}: {text}")
    return lines


def _paragraphs(text: Any) -> str:
    """One paragraph per line: whitespace collapsed, empty lines dropped."""
    return "\n".join(_paragraph_lines(str(text or "").splitlines()))


def _paragraph_lines(lines: Iterable[str]) -> list[str]:
    out = []
    for line in lines:
        for part in str(line).splitlines():
            part = _one_line(part)
            if part:
                out.append(part)
    return out


def _one_line(value: Any) -> str:
    """`value` on one line: line breaks become spaces, the ends are stripped (what a RIS reader
    strips); other whitespace is kept."""
    if value is None:
        return ""
    return " ".join(part.strip() for part in str(value).splitlines() if part.strip())


def _ris_date(iso: str) -> str:
    """``YYYY-MM-DD`` -> ``YYYY/MM/DD``, ``YYYY-MM`` -> ``YYYY/MM``; a bare year -> "" (PY)."""
    parts = iso.split("-")
    return "/".join(parts) if len(parts) > 1 and all(p.isdigit() for p in parts) else ""


def _pages(pages: Any) -> tuple[str, str]:
    """MEDLINE pagination -> (first, last): ``1025-33`` -> (1025, 1033); ``e123`` -> (e123, "")."""
    text = _one_line(pages)
    match = re.fullmatch(r"([^\s,;-]+)\s*-\s*([^\s,;-]+)", text)
    if not match:
        return text, ""
    first, last = match.groups()
    if first.isdigit() and last.isdigit() and len(last) < len(first):
        last = first[: len(first) - len(last)] + last
    return first, last


def _list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [_one_line(value)]
    return [_one_line(v) for v in value if _one_line(v)]


def _split(cell: Any) -> list[str]:
    return [part.strip() for part in str(cell or "").split(LIST_SEPARATOR) if part.strip()]


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _true(value: Any) -> bool:
    return value is True or value == "true"


def _without_empty(entry: dict) -> dict:
    return {key: value for key, value in entry.items() if value not in ("", [], None)}


def write_exports(
    records: dict[str, dict],
    registrations: dict[str, dict],
    screening: dict,
    to_screen_path,
    highlighted_path,
) -> list[str]:
    """The `ris` rule: to_screen.ris and highlighted_trials.ris from screening.json's rows
    and the classified records; returns a log line per file."""
    to_screen, highlighted = screening_rows(screening)
    known = set(records) | set(registrations)
    lines = []
    for path, rows, entries in (
        (to_screen_path, to_screen, to_screen_entries(to_screen, records)),
        (highlighted_path, highlighted, highlighted_entries(highlighted, records, registrations)),
    ):
        write_ris(path, entries)
        ids = [
            r.get("trial_id") if r.get("record_type") == "registration" else r["pmid"] for r in rows
        ]
        missing = sum(record_id not in known for record_id in ids)
        lines.append(
            f"{path}: {len(entries)} entries ({missing} from the table row alone: no longer "
            "in the data)"
        )
    return lines
