"""Prepare: each record's fields as matching keys, computed once per record.

Display values are never changed; `prepare(record)` returns a `Prepared` holding only the
keys the blocking and matching steps compare:

* **title**: HTML tags and entities removed, notes databases append dropped (`[erratum
  appears in …]`, `[Review] [33 refs]`, `[Chinese]`, `(author's transl)`, `<ORIGINAL> …`),
  a leading `Retracted:`/`Withdrawn:` mark dropped (the article itself, see `kinds`), accents
  folded but other scripts kept (a Cyrillic title stays Cyrillic), case folded, hyphens and
  apostrophes deleted (`post-traumatic` = `posttraumatic`), other punctuation a space. Roman
  numerals after `part`/`phase`/`type`/`stage` and number words become digits, so `Phase II`
  = `phase 2`. `title_words` drops a few stop words; `title_numbers` are the numbers in it.
* **authors**: `(surname, initials)` pairs from any written form (`Zuna, R E`, `Zuna RE`,
  `R. E. Zuna`), surnames folded with particles joined (`De Botton` -> `debotton`) and also
  kept without them (`botton`), German transliterations folded (`Müller` = `Mueller` =
  `muller`).
* **journal**: folded, `&` read as `and`, a parenthesised place dropped, stop words dropped;
  `journal_parts` splits `A = B` alternative names (MEDLINE's transliterated titles).
* **volume, issue, pages**: digits as numbers (`030` -> `30`, `30a` -> `30`); `pages` gives
  the first and last page with the last expanded (`1297-306` -> `1297`, `1306`); a page
  equal to the year (a known export error) is dropped; `supplement` is true for `S27`,
  `Suppl 2`, `abstract no.` pages.
* **identifiers**: DOI (normalised), PMID, PMCID — the record's own; NCT ids are what a
  publication cites (its trial), a registration's own id only when the record is one.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from livescreen.dedup.kinds import kind_of
from livescreen.normalise import CORPORATE_WORDS, FOLD, author_parts, extract_doi, normalise_pmcid

TITLE_STOP_WORDS = frozenset(
    "a an the of in on at and or for to with by from as is are does do its their".split()
)
JOURNAL_STOP_WORDS = frozenset("the of and in for on de et la des du der die und".split())
PARTICLES = frozenset(
    "da das de del della den der des di do dos du el la le ten ter van von vom zu".split()
)
NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
}
ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7",
         "viii": "8", "ix": "9", "x": "10"}  # fmt: skip
ROMAN_AFTER = frozenset("part phase type stage grade class study trial volume section".split())

_TAG = re.compile(r"<[^>]{0,40}>")
_ORIGINAL = re.compile(r"<original>.*$", re.IGNORECASE | re.DOTALL)
_NOTE_BRACKETS = re.compile(
    r"\[\s*(?:(?:published\s+)?(?:erratum|errata|corrigendum|correction)\s+(?:appears?|in|published)"
    r"|(?:erratum|errata|corrigendum)\s*\]|retraction\s+(?:in|of|notice)|retracted\b|see\s+"
    r"(?:also|comments?)|comments?\s*\]|update\s+(?:in|of)\b)[^\]]*\]?|\[(?:review|\d+\s*refs?\.?|"
    r"abstract(?: no\.?\s*\w+)?|editorial|letter|[a-z]+(?: language)?|in [a-z]+|"
    r"author'?s transl\.?)\]",
    re.IGNORECASE,
)
_TRAILING_NOTES = re.compile(
    r"(?:[\s.]*(?:\((?:author'?s transl\.?|review|[a-z]+ language|[a-z]+|structured abstract|"
    r"provisional abstract)\)|review \d+ refs|"
    r"\d+ refs?))+\s*\.?\s*$",
    re.IGNORECASE,
)
_LANGUAGE_NAMES = frozenset(
    """chinese german french spanish italian russian japanese polish dutch czech ukrainian
    turkish portuguese hungarian norwegian danish swedish finnish korean greek hebrew slovak
    croatian serbian romanian bulgarian persian arabic english""".split()
)
_LEADING_MARK = re.compile(
    r"^\s*(?:retracted(?: article)?|withdrawn|reprint|proceedings)\s*[:.\-]\s*", re.IGNORECASE
)
_DASHES = re.compile("[-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d]")
_APOSTROPHES = re.compile("['\u2018\u2019\u02bc\u02b9\u2032`\u00b4]")
_WORD = re.compile(r"\w+")
# Words of a proceedings' name that change from year to year (`50th Annual …`, `AMCIS 2017
# Proceedings`), dropped for a second journal key.
_VENUE_NOISE = re.compile(
    r"(?<= )(?:\d+(?:st|nd|rd|th)?|proceedings|proc|annual|vols?|volume|first|second|third|"
    r"(?:four|fif|six|seven|eigh|nine|ten|eleven|twelf|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|twentie|thirtie|fortie|fiftie)th|twenty|thirty|forty|fifty)"
    r"(?= )"
)
_TRAILING_LANGUAGE = re.compile(
    r"\s*\.\s*\[?(?:" + "|".join(sorted(_LANGUAGE_NAMES)) + r")\]?\s*\.?\s*$", re.IGNORECASE
)
_SUPPLEMENT = re.compile(r"^\s*s\d|suppl|abstract|abs\.?\s*no", re.IGNORECASE)
_RANGE_DASH = re.compile(r"(?<=\d)\s*-+\s*(?=\w)")
_RANGE = re.compile(r"\d\s*-\s*\w*\d")
_YEAR = re.compile(r"(1[5-9]\d\d|20\d\d)")
_JOURNAL_SPLIT = re.compile(r"\s[=/:\-\u2013]\s|\.\s*(?=conference\b)", re.IGNORECASE)
_IN_SUPPLEMENT = re.compile(r"\bsuppl|^\s*s\s?\d|\bsp\.?\s*iss", re.IGNORECASE)
_PAGE_STARTS = re.compile(r"(?:^|[,;+]\s*)(\d+)")
_MONTH = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", re.I)
_DIGITS = re.compile(r"\d+")
_DOTTED_ACRONYM = re.compile(r"(?<!\w)(?:[A-Za-z]\.){2,}")


@dataclass(slots=True)
class Prepared:
    """A record's matching keys (see the module doc). `index` is its position in the input."""

    index: int
    record_id: str
    kind: str
    title: str
    title_words: tuple[str, ...]
    title_compact: str
    title_numbers: tuple[str, ...]
    title_alternatives: tuple[tuple[str, ...], ...]
    title_main: tuple[str, ...]
    authors: tuple[tuple[str, str, str, str], ...]  # see author_keys
    year: int | None
    years: frozenset[int]
    journal: str
    journal_parts: tuple[str, ...]
    volume: str | None
    issue: str | None
    first_page: str | None
    last_page: str | None
    page_tail: str | None  # the last number as written, when the field is malformed
    page_starts: frozenset[str]
    in_supplement: bool  # volume, issue or pages say supplement (`10 Suppl 2`, `s2`, `S33-38`)
    e_locator: bool  # `e12724`, `a1754`: an electronic article number, not a page
    supplement: bool
    dois: frozenset[str]
    pmids: frozenset[str]
    pmcids: frozenset[str]
    nct_ids: frozenset[str]
    own_nct: frozenset[str]
    abstract: str
    source: str
    extra: dict[str, Any] = field(default_factory=dict)


MAX_AUTHORS = 30  # matching compares the first 25


def fold(text: str) -> str:
    """Accents and compatibility forms folded, case folded; letters of every script kept."""
    if text.isascii():
        return text.casefold()
    text = _APOSTROPHES.sub("'", _DASHES.sub("-", text.translate(FOLD)))
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def title_key(title: str | None) -> str:
    """The matching form of a title (see the module doc), words joined by single spaces."""
    if not title:
        return ""
    text = html.unescape(_ORIGINAL.sub("", title))
    text = _TAG.sub(" ", text)
    text = _LEADING_MARK.sub("", text)
    text = _DOTTED_ACRONYM.sub(lambda m: m.group(0).replace(".", ""), text)  # M.D.M.A. = MDMA
    text = _NOTE_BRACKETS.sub(lambda m: _keep_bracket(m.group(0)), text)
    text = _TRAILING_NOTES.sub(lambda m: _keep_trailing(m.group(0)), text)
    text = _TRAILING_LANGUAGE.sub("", text)
    text = fold(text).replace("&", " and ").replace("+", " plus ")
    text = _APOSTROPHES.sub("", text).replace("-", "")
    words = _WORD.findall(text.replace("_", " "))
    out: list[str] = []
    for i, word in enumerate(words):
        if word in NUMBER_WORDS:
            word = NUMBER_WORDS[word]
        elif word in ROMAN and i > 0 and words[i - 1] in ROMAN_AFTER:
            word = ROMAN[word]
        out.append(word)
    return " ".join(out)


_NOTE_WORDS = frozenset("abstract review editorial letter comment erratum".split())
_TRAILING_NOTE_WORDS = frozenset(
    "author authors s transl review refs ref language structured provisional abstract".split()
)


def _keep_bracket(note: str) -> str:
    """A bracketed note is dropped; a bracketed single word that is neither a language nor a
    note (`[Review]`, `[Abstract]`) is kept, being part of the title."""
    inner = note[1:-1].strip().casefold()
    if re.fullmatch(r"[a-z]+(?: language)?", inner):
        word = inner.split()[0]
        return " " if word in _LANGUAGE_NAMES or word in _NOTE_WORDS else note
    return " "


def _keep_trailing(note: str) -> str:
    words = re.findall(r"[a-z]+", note.casefold())
    if all(w in _LANGUAGE_NAMES | _TRAILING_NOTE_WORDS for w in words):
        return ""
    return note


_ALTERNATIVE_SPLIT = re.compile(r";\s+|\s+TO:\s+|\s+=\s+|\]\s*\[|\]\s+(?=[A-Z])")
_MAIN_SPLIT = re.compile(r"\s*(?::|\?|\s[-\u2013\u2014]\s|\.\s)\s*")


def content_words(title_text: str) -> tuple[str, ...]:
    return tuple(w for w in title_key(title_text).split() if w not in TITLE_STOP_WORDS)


def title_alternatives(title: str | None) -> tuple[tuple[str, ...], ...]:
    """The parts of a title that holds two (`Original; English`, `[English] TO: Original`,
    `A = B`), each as content words; () for a title in one part."""
    if not title or not _ALTERNATIVE_SPLIT.search(title):
        return ()
    parts = [content_words(p) for p in _ALTERNATIVE_SPLIT.split(_ORIGINAL.sub("", title))]
    parts = [p for p in parts if len(p) >= 3]
    return tuple(parts) if len(parts) > 1 else ()


def main_title(title: str | None) -> tuple[str, ...]:
    """The content words before a subtitle (`Diminished control in crowdsourcing: An
    investigation …` -> diminished control crowdsourcing); () when there is no subtitle."""
    if not title:
        return ()
    pieces = _MAIN_SPLIT.split(title.strip(), maxsplit=1)
    if len(pieces) < 2 or not _WORD.search(pieces[1]):
        return ()
    words = content_words(pieces[0])
    return words if len(words) >= 2 else ()


def name_key(surname: str) -> str:
    """`De Botton` -> `debotton`; `Müller`/`Mueller` -> `muller`; `O'Neill` -> `oneill`."""
    text = fold(surname)
    text = text.replace("ae", "a").replace("oe", "o").replace("ue", "u")
    return "".join(c for c in text if c.isalnum())


def author_keys(authors: Iterable[str] | str | None) -> tuple[tuple[str, str, str, str], ...]:
    """(surname key, surname key without particles, first initial, given-name key) per
    author; the given-name key is the first given name when written out (`Andrea`), else ""."""
    if not authors:
        return ()
    if isinstance(authors, str):
        authors = split_author_list(authors)
    keys = []
    for name in list(authors)[:MAX_AUTHORS]:
        name = str(name)
        surname, initials = author_parts(name)
        if not surname:
            continue
        words = fold(surname).split()
        core = [w for w in words if w not in PARTICLES] or words
        key = name_key(surname)
        if not key:
            continue
        given = ""
        if "," in name:
            first_given = re.findall(r"\w+", fold(name.partition(",")[2]))
            if first_given and len(first_given[0]) > 1:
                given = name_key(first_given[0])
        if not initials and _is_corporate(surname):
            continue  # `ALTS Study Group`: not a person to compare
        keys.append((key, name_key(" ".join(core)), fold(initials)[:1], given))
    return tuple(keys)


def _is_corporate(name: str) -> bool:
    return any(w.strip(".,()").casefold() in CORPORATE_WORDS for w in name.split())


def split_author_list(text: str) -> list[str]:
    """`Zuna, R E and Wang, S S` (BibTeX) or `Zuna RE; Wang SS` -> one name each."""
    text = text.strip()
    if not text:
        return []
    if " and " in text:
        return [p.strip() for p in text.split(" and ") if p.strip()]
    if ";" in text:
        return [p.strip() for p in text.split(";") if p.strip()]
    return [text]


def journal_key(journal: str | None) -> str:
    if not journal:
        return ""
    text = fold(html.unescape(journal)).replace("&", " and ")
    text = re.sub(r"\s*\([^)]*\)\s*", " ", text)
    text = _APOSTROPHES.sub("", text).replace("-", " ")
    return " ".join(w for w in _WORD.findall(text) if w not in JOURNAL_STOP_WORDS)


def number_key(value: Any) -> str | None:
    """The leading number of a volume or issue (`030` -> `30`, `30a` -> `30`, `Suppl 2` ->
    `2`), or the text folded when it has no digits; None when empty."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or text.casefold() in {"nan", "unknown", "n/a", "na", "none"}:
        return None
    if re.fullmatch(r"\d+\.0", text):  # a float written by a spreadsheet
        text = text[:-2]
    found = _DIGITS.search(text)
    if found:
        return str(int(found.group(0)))
    return fold(text)


def page_keys(pages: Any, year: int | None) -> tuple[str | None, str | None, bool]:
    """(first page, last page, supplement) of a page field (see the module doc)."""
    if pages is None:
        return None, None, False
    text = str(pages).strip()
    if not text or text.casefold() in {"nan", "unknown", "n/a", "na", "no pagination"}:
        return None, None, False
    supplement = bool(_SUPPLEMENT.search(text))
    if _MONTH.search(text):  # `01-Jun`: a page range a spreadsheet read as a date
        return None, None, supplement
    text = _RANGE_DASH.sub("-", _DASHES.sub("-", text))
    numbers = _DIGITS.findall(text)
    if not numbers:
        return None, None, supplement
    first = str(int(numbers[0]))
    if year is not None and first == str(year) and len(numbers) == 1:
        return None, None, supplement
    last = None
    if len(numbers) > 1 and _RANGE.search(text):
        tail = str(int(numbers[1]))
        if len(tail) < len(first):
            tail = first[: len(first) - len(tail)] + tail
        last = tail
    return first, last, supplement


_E_LOCATOR = re.compile(r"[a-rt-z]\d{3,}", re.IGNORECASE)
_WELL_FORMED_PAGES = re.compile(r"[a-z]{0,2}\d+[a-z]?(?:\s*-+\s*[a-z]{0,2}\d+[a-z]?)?", re.I)


def malformed_page_tail(pages: Any) -> str | None:
    """The last number of a page field an export mangled (`Suppl-29` for `Suppl 2:S417-29`,
    `t-8`), as written; None for a well-formed field (`288-297`, `S417-S429`, `e43268`)."""
    text = _DASHES.sub("-", str(pages or "").strip())
    if not text or _WELL_FORMED_PAGES.fullmatch(text):
        return None
    numbers = _DIGITS.findall(text)
    return str(int(numbers[-1])) if numbers else None


def year_key(value: Any) -> int | None:
    if value is None:
        return None
    found = _YEAR.search(str(value))
    return int(found.group(1)) if found else None


def _ids(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(v) for v in value if v]
    return [str(value)]


def prepare(record: Mapping[str, Any], index: int, record_id: str) -> Prepared:
    """The matching keys of one record (a livescreen record or an imported one)."""
    title = title_key(record.get("title"))
    words = tuple(w for w in title.split() if w not in TITLE_STOP_WORDS)
    year = year_key(record.get("year"))
    if year is None:
        year = year_key(record.get("pub_date"))
    years = {year} if year else set()
    epub = year_key(record.get("epub_date"))
    if epub:
        years.add(epub)
    journal_text = record.get("journal_title") or record.get("journal") or ""
    parts = set()
    for text in (record.get("journal"), record.get("journal_title"), record.get("booktitle")):
        for part in [str(text or ""), *_JOURNAL_SPLIT.split(str(text or ""))]:
            key = journal_key(part)
            core = _VENUE_NOISE.sub(" ", f" {key} ").split()
            parts.update(k for k in (key, " ".join(core)) if k)
    first, last, supplement = page_keys(record.get("pages"), year)
    tail = malformed_page_tail(record.get("pages")) if first else None
    starts = (
        frozenset(str(int(n)) for n in _PAGE_STARTS.findall(str(record.get("pages") or "")))
        if first
        else frozenset()
    )
    dois = {d for d in (extract_doi(v) for v in _ids(record.get("doi"))) if d}
    dois |= {d for d in (extract_doi(v) for v in _ids(record.get("dois"))) if d}
    pmids = {p.strip() for p in _ids(record.get("pmid")) + _ids(record.get("pmids"))}
    pmids = {p for p in pmids if p.isdigit()}
    pmcids = {
        p for p in (normalise_pmcid(v) for v in _ids(record.get("pmcid")) + _ids(
            record.get("pmcids"))) if p
    }  # fmt: skip
    nct = {n.upper() for n in _ids(record.get("nct_ids")) + _ids(record.get("nct_id"))}
    kind = kind_of(record, dois)
    issue = number_key(record.get("issue", record.get("number")))
    return Prepared(
        index=index,
        record_id=record_id,
        kind=kind,
        title=title,
        title_words=words,
        title_compact="".join(words),
        title_numbers=tuple(n for w in title.split() for n in _DIGITS.findall(w)),
        title_alternatives=title_alternatives(record.get("title")),
        title_main=main_title(record.get("title")),
        authors=author_keys(record.get("authors") or record.get("author")),
        year=year,
        years=frozenset(years),
        journal=journal_key(journal_text),
        journal_parts=tuple(sorted(parts)),
        volume=number_key(record.get("volume")),
        issue=issue,
        first_page=first,
        last_page=last,
        page_tail=tail,
        page_starts=starts,
        in_supplement=supplement
        or any(
            _IN_SUPPLEMENT.search(str(record.get(k) or "")) for k in ("volume", "issue", "number")
        ),
        e_locator=bool(_E_LOCATOR.fullmatch(str(record.get("pages") or "").strip())),
        supplement=supplement,
        dois=frozenset(dois),
        pmids=frozenset(pmids),
        pmcids=frozenset(pmcids),
        nct_ids=frozenset(nct),
        own_nct=frozenset(nct) if kind == "registration" else frozenset(),
        abstract=str(record.get("abstract") or "")[:500],
        source=str(record.get("source") or ""),
    )
