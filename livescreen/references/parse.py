"""The essay's numbered reference list: parse each Vancouver-style reference into fields.

`resources/essay_references.txt` holds one reference per line, `N. text`; lines starting with
`#` are comments and blank lines are ignored. `parse_reference_list` turns the text into one
dict per reference (keys below); `read_reference_list` is the thin file-reading wrapper.

Display and matching are kept apart:

* **Display** fields (`authors`, `title`, `journal`, `raw`) are as written: internal whitespace
  collapsed and a trailing period dropped, but curly quotes (’), Unicode hyphens (‐) and
  accents kept. The one repair is an author written `Elber, T.` (initials split off by a
  comma), shown as `Elber T` with a note.
* **Matching** keys are normalised:
  - `title_normalised` (`normalise_title`): NFKC, casefolded, dashes and apostrophes deleted
    (so `post‐traumatic`, `post-traumatic` and `posttraumatic` agree), every other punctuation
    mark replaced by a space, whitespace collapsed. Accents are kept.
  - `journal_normalised` (`normalise_journal`): the title rule, then a parenthesised
    qualifier (`(Berl)`) and the words of/and/the/in/for/on dropped, so `The Lancet Psychiatry`
    and `Lancet Psychiatry` agree; `journal_abbreviation_matches` compares a full name with an
    NLM/ISO 4 abbreviation word by word (`European Journal of Psychotraumatology` ~
    `Eur J Psychotraumatol`).
  - `first_author_surname` (`author_surname_key`): the family name of the first author as
    PubMed stores it (`LastName`), NFKD-folded to unaccented lower case with everything but
    letters and digits removed. Particles written after the initials move to the front
    (`Kleine RA de` -> `de Kleine` -> `dekleine`; `Minnen A van` -> `vanminnen`), a leading
    particle stays (`Van Woudenberg C` -> `vanwoudenberg`), hyphens and apostrophes go
    (`Carhart-Harris` -> `carhartharris`, `Müller` -> `muller`). Every trailing token of
    capitals is read as initials, so `Ot’alora G M` is surname `Ot’alora`, initials `G M`, key
    `otalora` -- the same key `livescreen.normalise.surname_key` gives, so a PubMed author
    string (`Ot’alora G M`, `de Wit H`) and the essay's agree. (PubMed's LastName for this
    author is `Ot'alora G`; a reference written `Smith J M`, with spaced initials, is the more
    common case.) A corporate author (`Multidisciplinary Association for Psychedelic Studies
    Canada`) has no surname: the key is None.
  - Page ranges use an ASCII hyphen (`2485–97` -> `2485-97`); `first_page` and `last_page`
    (expanded: `2497`) are given separately. `issue` is kept as written (`04`);
    `normalise_number` drops leading zeros for comparison.

Keys of a parsed reference: `essay_ref`, `raw`, `authors`, `et_al`, `first_author_surname`,
`title`, `title_normalised`, `journal`, `journal_normalised`, `year`, `month`, `volume`,
`issue`, `pages`, `first_page`, `last_page`, `kind`, `edition`, `place`, `publisher`, `url`,
`doi`, `parse_status`, `notes`.

`kind` is `journal-article`, `book`, `dissertation` or `web-page`. `parse_status` is `ok`, or
`partial: ` followed by every problem, `; `-separated: a missing field the kind needs
(`no authors`, `no title`, `no journal`, `no year`, `no volume`, `no pages`, `no publisher`;
an issue is optional, as Vancouver omits it for continuously paginated volumes), `title may be
missing its first word` (a title starting with an all-lower-case word), or `source not
recognised`. `notes` records what a reviewer should know: `[Internet]`, `cited 2021 Jun 8`,
`link lost after 'Available from:'`, a repaired author, a corporate author, a page number
that is an article number.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from livescreen.errors import ConfigError
from livescreen.normalise import (
    DASHES,
    INITIALS,
    ascii_dashes,
    collapse_whitespace,
    normalise_journal,
    normalise_title,
    split_author,
    surname_key,
)

# Columns of the essay-references table, in order (list cells are `; `-joined by the writer).
REFERENCE_COLUMNS = [
    "essay_ref",
    "raw",
    "authors",
    "title",
    "journal",
    "year",
    "volume",
    "issue",
    "pages",
    "kind",
    "parse_status",
]

KINDS = ("journal-article", "book", "dissertation", "web-page")

# Fields each kind needs; a missing one makes the reference `partial: no <field>`.
REQUIRED_FIELDS = {
    "journal-article": ("authors", "title", "journal", "year", "volume", "pages"),
    "book": ("authors", "title", "publisher", "year"),
    "dissertation": ("authors", "title", "publisher", "year"),
    "web-page": ("authors", "title", "year"),
}

NOTE_MISSING_FIRST_WORD = "title may be missing its first word"
NOTE_LINK_LOST = "link lost after 'Available from:'"
NOTE_CORPORATE = "corporate author"

# --------------------------------------------------------------------------------------------
# Characters and small patterns
# --------------------------------------------------------------------------------------------

MONTH = (
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Spring|Summer|Autumn|Fall|Winter)"
    r"[a-z]*\.?"
)
_MONTH_SPAN = rf"{MONTH}(?:\s*[{DASHES}/]\s*{MONTH})?"
_DAY = rf"\d{{1,2}}(?:\s*[{DASHES}]\s*\d{{1,2}})?"

# `[cited 2021 Jun 8]`, `[updated 2020 Jan 2; cited 2021 Jun 8]`
_CITED = r"(?:\s*\[(?P<cited>(?:updated|cited)[^\]]*)\])?"
# `Available from: https://...` (the link is often lost), `doi: 10.x/y`
_TAIL = (
    r"\s*\.?"
    r"(?:\s*doi:\s*(?P<doi>\S+?))?\s*\.?"
    r"(?:\s*(?P<available>Available\s+from:?)\s*(?P<url>\S+)?)?"
    r"\s*\.?\s*$"
)

# Vancouver journal source after the title:
#   `Journal[ [Internet]]. YYYY[ Mon[ DD]][ [cited ...]];VOL(ISSUE):PAGES.`
JOURNAL_REFERENCE = re.compile(
    r"^(?P<title>.+?[.?!])\s+"
    r"(?P<journal>[^.\[\];]+?)(?:\s*\[(?P<medium>Internet)\])?\.\s*"
    r"(?P<year>\d{4})"
    rf"(?:\s+(?P<month>{_MONTH_SPAN})(?:\s+(?P<day>{_DAY}))?)?" + _CITED + r"\s*(?:;\s*"
    r"(?P<volume>\d[^\s(:;.]*)?"
    r"(?:\s*\((?P<issue>[^)]*)\))?"
    r"(?:\s*:\s*(?P<pages>[^\s.;,]+))?"
    r")?" + _TAIL,
    re.IGNORECASE,
)

# `Title [dissertation on the Internet]. Place: Publisher; YYYY [cited ...]. Available from:`
DISSERTATION_REFERENCE = re.compile(
    r"^(?P<title>.+?)\s*\[(?P<medium>(?:dissertation|thesis)[^\]]*)\]\.\s*"
    r"(?:(?P<place>[^:;\[\]]+?):\s*)?(?P<publisher>[^;\[\]]+?)?\s*;?\s*"
    r"(?P<year>\d{4})?" + _CITED + _TAIL,
    re.IGNORECASE,
)

# `Title. 2nd ed. Place: Publisher[; YYYY].`
BOOK_REFERENCE = re.compile(
    r"^(?P<title>.+?[.?!])\s+"
    r"(?:(?P<edition>\d+(?:st|nd|rd|th)\s+ed|[A-Z][a-z]+\s+ed)\.\s*)?"
    r"(?P<place>[^.:;\[\]]+?):\s*(?P<publisher>[^.;\[\]]+?)"
    r"(?:\s*;\s*(?P<year>\d{4}))?" + _CITED + _TAIL
)

# `Title [Internet]. [Place: Publisher; ][YYYY][ [cited ...]]. Available from:`
WEB_PAGE_REFERENCE = re.compile(
    r"^(?P<title>.+?)\s*\[(?P<medium>Internet)\]\.\s*"
    r"(?:(?P<place>[^:;\[\]]+?):\s*(?P<publisher>[^;\[\]]+?)\s*;?\s*)?"
    rf"(?P<year>\d{{4}})?(?:\s+(?P<month>{_MONTH_SPAN})(?:\s+(?P<day>{_DAY}))?)?" + _CITED + _TAIL,
    re.IGNORECASE,
)

NUMBERED_LINE = re.compile(r"^(?P<number>\d+)\.\s+(?P<text>\S.*?)\s*$")
# Initials: `A`, `RA`, `SAM`, `G-J` (optionally with periods: `J.A.`).
ET_AL = re.compile(r"et\.?\s+al\.?", re.IGNORECASE)


# --------------------------------------------------------------------------------------------
# The numbered list
# --------------------------------------------------------------------------------------------


def read_reference_list(path: str | Path) -> list[dict[str, Any]]:
    """Read a numbered reference list file (UTF-8, with or without BOM) and parse it."""
    return parse_reference_list(Path(path).read_text(encoding="utf-8-sig"))


def parse_reference_list(text: str) -> list[dict[str, Any]]:
    """Every `N. reference` line of `text`, parsed, in the order written.

    Blank lines and lines starting with `#` are skipped. Raises ConfigError naming the line
    when a line is not `N. reference` or a number is used twice.
    """
    return [parse_reference(number, raw) for number, raw in split_numbered_lines(text)]


def split_numbered_lines(text: str) -> list[tuple[int, str]]:
    """(number, reference text) for each numbered line; ConfigError on anything else."""
    entries: list[tuple[int, str]] = []
    seen: dict[int, int] = {}
    for line_number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip().lstrip("\ufeff")
        if not stripped or stripped.startswith("#"):
            continue
        match = NUMBERED_LINE.match(stripped)
        if match is None:
            shown = stripped if len(stripped) <= 60 else stripped[:57] + "..."
            raise ConfigError(f'line {line_number}: expected "N. reference", got {shown!r}')
        number = int(match["number"])
        if number in seen:
            raise ConfigError(
                f"line {line_number}: reference number {number} is used twice "
                f"(first on line {seen[number]})"
            )
        seen[number] = line_number
        entries.append((number, match["text"]))
    return entries


# --------------------------------------------------------------------------------------------
# One reference
# --------------------------------------------------------------------------------------------


def parse_reference(number: int, raw: str) -> dict[str, Any]:
    """One Vancouver-style reference (without its number) as a dict of fields.

    Fields that cannot be read are None (or empty lists) and named in `parse_status`.
    """
    text = collapse_whitespace(raw)
    author_block, rest = split_author_block(text)
    authors, et_al, notes = parse_authors(author_block)
    source = parse_source(rest)
    notes.extend(source.pop("notes"))
    if authors and not split_author(authors[0])[1]:
        notes.append(NOTE_CORPORATE)

    title = source["title"]
    problems = [
        f"no {field}"
        for field in REQUIRED_FIELDS[source["kind"]]
        if not (authors if field == "authors" else source.get(field))
    ]
    if title and title_missing_first_word(title):
        notes.append(NOTE_MISSING_FIRST_WORD)
        problems.append(NOTE_MISSING_FIRST_WORD)
    if not source.pop("recognised"):
        problems.insert(0, "source not recognised")

    return {
        "essay_ref": number,
        "raw": raw.strip(),
        "authors": authors,
        "et_al": et_al,
        "first_author_surname": surname_key_or_none(authors[0]) if authors else None,
        "title": title,
        "title_normalised": normalise_title(title) if title else None,
        "journal": source["journal"],
        "journal_normalised": normalise_journal(source["journal"]) if source["journal"] else None,
        "year": source["year"],
        "month": source["month"],
        "volume": source["volume"],
        "issue": source["issue"],
        "pages": source["pages"],
        "first_page": source["first_page"],
        "last_page": source["last_page"],
        "kind": source["kind"],
        "edition": source["edition"],
        "place": source["place"],
        "publisher": source["publisher"],
        "url": source["url"],
        "doi": source["doi"],
        "parse_status": "partial: " + "; ".join(problems) if problems else "ok",
        "notes": notes,
    }


def split_author_block(text: str) -> tuple[str, str]:
    """(author block, rest): the authors end at the first period followed by a space."""
    match = re.search(r"\.\s+", text)
    if match is None:
        return "", text
    return text[: match.start()], text[match.end() :]


# --------------------------------------------------------------------------------------------
# Authors
# --------------------------------------------------------------------------------------------


def parse_authors(block: str) -> tuple[list[str], bool, list[str]]:
    """(authors as written, et al. present, notes) from `Surname AB, Surname C, et al`.

    An item that is only initials after an item without initials (`Elber, T`) is joined to
    it (`Elber T`) and noted.
    """
    items = [item.strip() for item in block.split(",")]
    items = [item for item in items if item]
    et_al = False
    if items and ET_AL.fullmatch(items[-1]):
        et_al = True
        items.pop()
    elif items and (match := re.search(r"\s+et\.?\s+al\.?$", items[-1], re.IGNORECASE)):
        et_al = True
        items[-1] = items[-1][: match.start()]

    authors: list[str] = []
    notes: list[str] = []
    for item in items:
        previous = authors[-1] if authors else None
        if (
            previous is not None
            and INITIALS.fullmatch(item)
            and len(previous.split()) == 1
            and not split_author(previous)[1]
        ):
            joined = f"{previous} {item.replace('.', '')}"
            notes.append(f"author '{previous}, {item}' read as '{joined}'")
            authors[-1] = joined
        else:
            authors.append(item)
    return authors, et_al, notes


# --------------------------------------------------------------------------------------------
# Title and source
# --------------------------------------------------------------------------------------------


def parse_source(rest: str) -> dict[str, Any]:
    """Title and source fields of the text after the authors, trying each kind's grammar.

    Dissertation first (its `[dissertation` label is unambiguous), then journal article,
    book, web page; text that fits none is a journal article whose source was not recognised.
    """
    fields: dict[str, Any] = dict.fromkeys(SOURCE_FIELDS)
    fields["notes"] = []
    fields["recognised"] = True
    grammar = match_grammar(rest)
    if grammar is None:
        title, _, _ = rest.partition(". ")
        fields.update(kind="journal-article", title=clean_display(title) or None)
        fields["recognised"] = False
        return fields

    kind, match = grammar
    fields["kind"] = kind
    found = {key: value for key, value in match.groupdict().items() if value}
    fields["title"] = clean_display(found.get("title", "")) or None
    for key in ("journal", "month", "volume", "issue", "edition", "place", "publisher"):
        if key in found:
            fields[key] = clean_display(found[key])
    if "year" in found:
        fields["year"] = int(found["year"])
    if "pages" in found:
        fields["pages"] = ascii_dashes(found["pages"])
        fields["first_page"], fields["last_page"] = page_range(fields["pages"])
        if fields["last_page"] is None:
            fields["notes"].append(
                f"pages '{fields['pages']}' is one number: an article or e-location number, "
                "not a page range"
            )
    fields["doi"] = found.get("doi")
    fields["url"] = found.get("url")
    if "medium" in found:
        fields["notes"].append(f"[{found['medium']}]")
    if "cited" in found:
        fields["notes"].append(clean_display(found["cited"]))
    if "available" in found and "url" not in found:
        fields["notes"].append(NOTE_LINK_LOST)
    return fields


SOURCE_FIELDS = (
    "journal year month volume issue pages first_page last_page edition place publisher url doi"
).split()

# Tried in this order: a dissertation's `[dissertation` label is unambiguous; a journal source
# (`Journal. YYYY;VOL:PAGES`) is the most specific of the rest.
GRAMMARS = (
    ("dissertation", DISSERTATION_REFERENCE),
    ("journal-article", JOURNAL_REFERENCE),
    ("book", BOOK_REFERENCE),
    ("web-page", WEB_PAGE_REFERENCE),
)


def match_grammar(rest: str) -> tuple[str, re.Match[str]] | None:
    """(kind, match) of the first grammar that reads the text after the authors, or None."""
    for kind, pattern in GRAMMARS:
        match = pattern.match(rest)
        if match is not None:
            return kind, match
    return None


def title_missing_first_word(title: str) -> bool:
    """True when the title starts with an all-lower-case word (`of an intensive ...`)."""
    first = title.split(" ", 1)[0]
    return first.isalpha() and first.islower()


def page_range(pages: str) -> tuple[str, str | None]:
    """(first page, last page expanded) of `2485-97` -> ("2485", "2497"); single -> (p, None)."""
    first, dash, last = pages.partition("-")
    if not dash:
        return first, None
    if first.isdigit() and last.isdigit() and len(last) < len(first):
        last = first[: len(first) - len(last)] + last
    return first, last


# --------------------------------------------------------------------------------------------
# Text helpers: display and matching
# --------------------------------------------------------------------------------------------


def clean_display(text: str) -> str:
    """Display text: whitespace collapsed, one trailing period removed; characters as written."""
    text = collapse_whitespace(text)
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1].rstrip()
    return text


def surname_key_or_none(name: str) -> str | None:
    """The first-author key for the table: None for a corporate author."""
    return surname_key(name) or None
