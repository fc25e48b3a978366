"""Offline evaluator for a documented subset of PubMed query syntax.

Used in snapshot mode: the configured PubMed query is evaluated against
in-memory records, so editing the query really changes the offline result,
and anything outside the subset below fails with a :class:`QueryError`
instead of being silently ignored.

Public API
----------
``parse_query(text) -> Node`` (an AST of frozen dataclasses ``Term``,
``DateRange`` and ``BinaryOp``), ``matches(node, record) -> bool``,
``search_records(query, records) -> list[str]`` (PMIDs in input order; the
query may be a string or a parsed node, the records dicts or indexes),
``translate(node) -> str`` (canonical rendering, like PubMed's query
translation), ``build_index(record)`` / ``index_records(records)`` to
precompute the normalised tokens of records evaluated against many queries,
and ``QueryError`` (a ``ValueError``).

Records are dicts with the keys ``pmid``, ``title``, ``abstract``,
``authors`` ("Surname Initials"), ``journal``, ``journal_title``,
``pub_date`` (ISO partial: "2021", "2021-05", "2021-05-10"), ``year``,
``publication_types``, ``mesh``, ``keywords`` and ``language``. Missing keys
and ``None`` values are treated as empty. There is no ``summary`` fallback:
callers holding records with a ``summary`` instead of an ``abstract`` must map
it themselves.

Supported subset (exactly)
--------------------------
* Boolean operators ``AND``, ``OR``, ``NOT``, upper case only; lower-case
  ``and``/``or``/``not`` are ordinary words. All operators have equal
  precedence and are applied left to right, as PubMed does:
  ``a OR b AND c`` means ``(a OR b) AND c``. ``a NOT b`` means "a and not b";
  there is no unary ``NOT``.
* Parentheses, nested to any depth. A field tag after ``)`` is an error.
* Implicit ``AND``: adjacent terms are ANDed (``fear memory`` is
  ``fear AND memory``), except that a run of unquoted words directly followed
  by a field tag is one phrase (``fear extinction[tiab]`` is
  ``"fear extinction"[tiab]``).
* Quoted phrases ``"..."`` (curly double quotes are accepted as quotes).
* Truncation: ``*`` at the very end of a term (``trauma*``, ``"fear extinct*"``)
  makes its last word a prefix; ``*`` anywhere else is an error.
* Field tags, case-insensitive (runs of spaces inside the brackets count as one):

  ======================================  ==============================================
  tag and aliases                         matches
  ======================================  ==============================================
  [tiab] [Title/Abstract]                 words of title, abstract and keywords
  [ti] [Title]                            words of the title
  [ab] [Abstract]                         words of the abstract
  [tw] [Text Word]                        words of title, abstract, MeSH, keywords and
                                          publication types
  [all] [All Fields], or no tag           words of title, abstract, MeSH, keywords,
                                          publication types, journal and authors
  [mh] [MeSH] [MeSH Terms] [mh:noexp]     a whole MeSH descriptor name (case-insensitive;
  [MeSH Terms:noexp] [mesh:noexp]         "*" major marks and "/subheading" parts of the
  [majr] [MeSH Major Topic] [majr:noexp]  record's entries are ignored); [majr] = [mh]
  [sh] [Subheading] [MeSH Subheading]     nothing: records carry no subheadings, so false
  [pt] [Publication Type]                 a whole publication type name
  [ta] [Journal]                          a whole journal name (``journal`` or
                                          ``journal_title``)
  [la] [lang] [Language]                  a whole language name or its MARC/ISO 639 code
                                          (``eng`` = ``english``, ``ger`` = ``german``...)
  [au] [Author]                           an author, see below
  [dp] [pdat] [Publication Date]          a date or date range, see below
  ======================================  ==============================================

* Word matching: text is normalised with NFKC, curly quotes and Unicode
  hyphens/dashes are mapped to ASCII, then case-folded and stripped of
  diacritics (``Schröder`` = ``schroder``). Tokens are maximal runs of letters
  and digits; every other character (hyphen, apostrophe, punctuation) only
  separates tokens, on both the query and the record side. A term matches
  when its tokens occur contiguously and in order within one field value, so
  ``post-traumatic`` matches "post-traumatic" and "post traumatic" but not
  "posttraumatic"; ``3,4-methylenedioxymethamphetamine`` matches
  "3,4-Methylenedioxymethamphetamine" and "3 4 methylenedioxymethamphetamine".
  Phrases never span two field values (e.g. title and abstract).
* Whole-name fields ([mh], [majr], [pt], [ta], [la]) compare the normalised
  token sequence of the whole name (``"Randomized Controlled Trial"[pt]`` does
  not match "Randomized Controlled Trial, Veterinary"); with ``*`` the name
  only has to start with the term.
* [au]: like PubMed, ``smith j[au]`` matches "Smith J", "Smith JA"... (initials
  are automatically truncated) and ``smith[au]`` matches any "Smith X" but not
  "Smithson X". A quoted author (``"smith j"[au]``) must match exactly; with
  ``*`` the author name only has to start with the term.
* [dp]: ``YYYY``, ``YYYY/MM`` or ``YYYY/MM/DD`` (``-`` also accepted as the
  separator), or an inclusive range written ``2019:2024[dp]``,
  ``"2019/01/01":"2024/06"[dp]`` or ``"2019/01/01"[dp] : "3000"[dp]``. A
  partial bound covers its whole year or month. A record's date is the first
  day of its (possibly partial) ``pub_date`` (falling back to ``year``), so a
  record dated only "2021" matches ``2021[dp]`` but not ``2021/05[dp]``.
  Records without a date never match [dp].

Anything else raises :class:`QueryError` naming the offending part and its
0-based character position: unknown field tags, proximity searches
(``"a b"[tiab:~3]``), unbalanced parentheses, empty queries or parentheses,
operators missing an operand, unterminated quotes or tags, a stray ``]``,
``*`` not at the end of a term, ``:`` outside a [dp] range, invalid or
relative dates (``"last 5 years"[dp]``), terms without any letter or digit,
tags after ``)``, before any term or given twice, search history references
(``#1``) and the ``hasabstract``/``hasfulltext`` filters.

Known differences from PubMed
-----------------------------
* No automatic term mapping: untagged terms are searched literally in the
  fields listed under [all]; they are not expanded to MeSH or synonyms.
* No MeSH explosion: [mh] and [mh:noexp] are identical and match only the
  descriptor itself, never narrower descriptors; [majr] does not check the
  major-topic flag; [sh] never matches.
* No stemming or plural folding, no stopword removal (lower-case ``and`` in a
  phrase must appear in the text) and no phrase index: every multi-word term is
  a strict contiguous-token phrase, whereas PubMed splits unknown unquoted
  phrases into ANDed words.
* No publication type hierarchy (``review[pt]`` does not include
  "Systematic Review").
* Truncation roots shorter than four characters are not ignored, and no limit
  on the number of expansions applies.
* [tiab] has no "other abstract"/collection title, [tw] no substance names or
  other secondary fields, [all] no affiliations, grants or identifiers, [ta]
  no ISSN matching, [au] no full-name or investigator matching.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field  # Term has a field named `field`
from functools import lru_cache
from typing import Any, Literal, cast

from livescreen import errors

__all__ = [
    "BinaryOp",
    "DateRange",
    "Node",
    "QueryError",
    "RecordIndex",
    "Term",
    "build_index",
    "index_records",
    "matches",
    "parse_query",
    "search_records",
    "translate",
]


class QueryError(errors.QueryError):
    """A query outside the supported subset; the message gives the position."""

    def __init__(self, problem: str, position: int, query: str, hint: str = "") -> None:
        message = f"{problem} at position {position} in query: {query}"
        super().__init__(f"{message} -- {hint}" if hint else message)
        self.problem = problem
        self.position = position
        self.query = query
        self.hint = hint

    def __reduce__(self) -> tuple[type[QueryError], tuple[str, int, str, str]]:
        return type(self), (self.problem, self.position, self.query, self.hint)


# --------------------------------------------------------------------------- AST


@dataclass(frozen=True, slots=True)
class Term:
    """A word or phrase searched in ``field`` (``"all"`` for untagged terms).

    ``phrase`` is true for quoted terms and for multi-word runs joined by a
    tag; ``quoted`` records double quotes (only [au] treats them specially).
    Every term is matched as a contiguous token sequence either way.
    """

    text: str
    field: str = "all"
    phrase: bool = False
    truncated: bool = False
    quoted: bool = False
    # written [mh:noexp]: the same meaning here (no explosion either way), kept so that the
    # translation shows the query as written; not part of a term's identity
    noexp: bool = dataclass_field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class DateRange:
    """Inclusive publication date range; bounds are "YYYY", "YYYY/MM" or "YYYY/MM/DD"."""

    start: str
    end: str


_Op = Literal["AND", "OR", "NOT"]


@dataclass(frozen=True, slots=True)
class BinaryOp:
    """``left op right``; operators are applied left to right with equal precedence."""

    op: _Op
    left: Node
    right: Node


Node = Term | DateRange | BinaryOp

# ------------------------------------------------------------------ normalisation

_QUOTE_CHARS = "\u201c\u201d\u201e\u201f\u2033\u301d\u301e\uff02"
_CHAR_MAP = str.maketrans(
    {
        **{c: '"' for c in _QUOTE_CHARS},
        **{c: "'" for c in "\u2018\u2019\u201a\u201b\u2032"},
        **{c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"},
    }
)
_QUERY_QUOTES = str.maketrans({c: '"' for c in _QUOTE_CHARS})
_TOKEN_RE = re.compile(r"[^\W_]+")


def normalize_text(text: str) -> str:
    """NFKC, ASCII quotes/hyphens, case-folded, diacritics removed."""
    if text.isascii():
        return text.lower()
    folded = unicodedata.normalize("NFKC", text).translate(_CHAR_MAP).casefold()
    decomposed = unicodedata.normalize("NFKD", folded)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped)


def tokenize(text: str) -> tuple[str, ...]:
    """Normalised word tokens (runs of letters and digits) of ``text``."""
    return tuple(_TOKEN_RE.findall(normalize_text(text)))


@lru_cache(maxsize=4096)
def _term_tokens(text: str) -> tuple[str, ...]:
    return tokenize(text)


# --------------------------------------------------------------------- field tags

_TAG_ALIASES: dict[str, tuple[str, ...]] = {
    "tiab": ("tiab", "title/abstract"),
    "ti": ("ti", "title"),
    "ab": ("ab", "abstract"),
    "tw": ("tw", "text word"),
    "all": ("all", "all fields"),
    "mh": ("mh", "mesh", "mesh terms", "mh:noexp", "mesh:noexp", "mesh terms:noexp"),
    "majr": ("majr", "mesh major topic", "majr:noexp", "mesh major topic:noexp"),
    "sh": ("sh", "subheading", "mesh subheading"),
    "pt": ("pt", "publication type"),
    "ta": ("ta", "journal"),
    "la": ("la", "lang", "language"),
    "au": ("au", "author"),
    "dp": ("dp", "pdat", "publication date"),
}
_FIELD_BY_TAG = {alias: field for field, aliases in _TAG_ALIASES.items() for alias in aliases}

# Text sources (see RecordIndex.text) searched word-wise by each text field.
_TEXT_SOURCES: dict[str, tuple[str, ...]] = {
    "ti": ("ti",),
    "ab": ("ab",),
    "tiab": ("ti", "ab", "kw"),
    "tw": ("ti", "ab", "mh", "kw", "pt"),
    "all": ("ti", "ab", "mh", "kw", "pt", "ta", "au"),
}
_LANGUAGE_CODES = {
    "eng": "english", "fre": "french", "fra": "french", "ger": "german", "deu": "german",
    "spa": "spanish", "ita": "italian", "por": "portuguese", "dut": "dutch", "nld": "dutch",
    "rus": "russian", "jpn": "japanese", "chi": "chinese", "zho": "chinese", "kor": "korean",
    "pol": "polish", "swe": "swedish", "dan": "danish", "nor": "norwegian", "fin": "finnish",
    "tur": "turkish", "heb": "hebrew", "ara": "arabic", "per": "persian", "fas": "persian",
    "cze": "czech", "ces": "czech", "hun": "hungarian", "gre": "greek", "ell": "greek",
}  # fmt: skip


def _language_key(name: str) -> str:
    return _LANGUAGE_CODES.get(name, name)


# -------------------------------------------------------------------------- lexer


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: Literal["WORD", "QUOTED", "TAG", "LPAREN", "RPAREN", "OP", "COLON", "EOF"]
    value: str
    pos: int


_SPECIAL = '()"[]:'


def _lex_delimited(text: str, start: int, query: str) -> _Tok:
    """A quoted phrase or a field tag starting at ``text[start]``."""
    quoted = text[start] == '"'
    end = text.find('"' if quoted else "]", start + 1)
    if end < 0:
        problem = 'unterminated quote "' if quoted else f"unterminated field tag {text[start:]!r}"
        raise QueryError(problem, start, query)
    return _Tok("QUOTED" if quoted else "TAG", text[start + 1 : end], start)


def _lex(query: str) -> list[_Tok]:
    text = query.translate(_QUERY_QUOTES)  # 1:1 character mapping keeps positions
    tokens: list[_Tok] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(_Tok("LPAREN" if char == "(" else "RPAREN", char, i))
            i += 1
        elif char == ":":
            tokens.append(_Tok("COLON", char, i))
            i += 1
        elif char == "]":
            raise QueryError("unexpected ']'", i, query)
        elif char in '"[':
            tokens.append(_lex_delimited(text, i, query))
            i += len(tokens[-1].value) + 2
        else:
            end = i
            while end < len(text) and not text[end].isspace() and text[end] not in _SPECIAL:
                end += 1
            word = text[i:end]
            tokens.append(_Tok("OP" if word in ("AND", "OR", "NOT") else "WORD", word, i))
            i = end
    tokens.append(_Tok("EOF", "", len(text)))
    return tokens


# ------------------------------------------------------------------------- parser

_PUBMED_FILTERS = frozenset({"hasabstract", "hasfulltext"})
_DATE_RE = re.compile(r"(\d{4})(?:[/-](\d{1,2})(?:[/-](\d{1,2}))?)?")
_RANGE_HINT = 'date ranges are written 2019:2024[dp] or "2019/01/01"[dp] : "3000"[dp]'


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.toks = _lex(query)
        self.i = 0

    # token helpers
    def peek(self, offset: int = 0) -> _Tok:
        return self.toks[min(self.i + offset, len(self.toks) - 1)]

    def advance(self) -> _Tok:
        tok = self.peek()
        self.i = min(self.i + 1, len(self.toks) - 1)
        return tok

    def error(self, problem: str, pos: int, hint: str = "") -> QueryError:
        return QueryError(problem, pos, self.query, hint)

    # grammar
    def parse(self) -> Node:
        if self.peek().kind == "EOF":
            raise self.error("empty query", 0)
        node = self.expression()
        tok = self.peek()
        if tok.kind == "RPAREN":
            raise self.error("unbalanced ')'", tok.pos)
        return node

    def expression(self) -> Node:
        left = self.operand()
        while self.peek().kind not in ("EOF", "RPAREN"):
            op = "AND"
            if self.peek().kind == "OP":
                op_tok = self.advance()
                op = op_tok.value
                if self.peek().kind in ("EOF", "RPAREN", "OP"):
                    raise self.error(f"operator {op} has no right operand", op_tok.pos)
            left = BinaryOp(cast(_Op, op), left, self.operand())
        return left

    def operand(self) -> Node:
        tok = self.peek()
        if tok.kind == "LPAREN":
            return self.group()
        if tok.kind in ("WORD", "QUOTED"):
            return self.term()
        problems = {
            "RPAREN": "unbalanced ')'",
            "OP": f"operator {tok.value} has no left operand",
            "TAG": f"field tag [{tok.value}] does not follow a term",
            "COLON": "':' outside a date range",
            "EOF": "unexpected end of query",
        }
        raise self.error(problems[tok.kind], tok.pos, _RANGE_HINT if tok.kind == "COLON" else "")

    def group(self) -> Node:
        opening = self.advance()
        if self.peek().kind == "RPAREN":
            raise self.error("empty parentheses '()'", opening.pos)
        if self.peek().kind == "EOF":
            raise self.error("unbalanced '('", opening.pos)
        node = self.expression()
        if self.peek().kind != "RPAREN":
            raise self.error("unbalanced '('", opening.pos)
        self.advance()
        tag = self.peek()
        if tag.kind == "TAG":
            raise self.error(
                f"field tag [{tag.value}] after ')'", tag.pos, "tag each term inside instead"
            )
        return node

    def starts_date_range(self) -> bool:
        if self.peek(1).kind == "COLON":
            return True
        return self.peek(1).kind == "TAG" and self.peek(2).kind == "COLON"

    def term(self) -> Node:
        if self.starts_date_range():
            return self.date_range()
        first = self.peek()
        parts = [self.advance()]
        if first.kind == "WORD":
            run = self.word_run()
            if self.peek(len(run)).kind == "TAG":
                parts += [self.advance() for _ in run]
        field, noexp = self.optional_tag()
        text = " ".join(part.value for part in parts)
        if field == "dp":
            if text.endswith("*"):
                raise self.error(f"truncation is not supported for dates: {text!r}", first.pos)
            date = self.parse_date(text, first.pos)
            return DateRange(date, date)
        term = self.make_term(text, field, first, multiword=len(parts) > 1)
        return replace(term, noexp=noexp) if noexp else term

    def word_run(self) -> list[_Tok]:
        """Further WORD tokens after the current one, stopping before a date range start."""
        run: list[_Tok] = []
        while self.peek(len(run)).kind == "WORD":
            after = self.peek(len(run) + 1)
            if after.kind == "COLON" or (
                after.kind == "TAG" and self.peek(len(run) + 2).kind == "COLON"
            ):
                break
            run.append(self.peek(len(run)))
        return run

    def optional_tag(self) -> tuple[str, bool]:
        """(field, whether the tag said :noexp) of the tag after a term, if any."""
        if self.peek().kind != "TAG":
            return "all", False
        tag = self.advance()
        field = self.resolve_tag(tag)
        extra = self.peek()
        if extra.kind == "TAG":
            raise self.error(f"second field tag [{extra.value}] on one term", extra.pos)
        return field, "".join(tag.value.split()).lower().endswith(":noexp")

    def resolve_tag(self, tok: _Tok) -> str:
        name = " ".join(tok.value.split()).lower()
        if ":~" in name.replace(" ", ""):
            raise self.error(f"proximity search [{tok.value}] is not supported", tok.pos)
        field = _FIELD_BY_TAG.get(name)
        if field is None:
            raise self.error(f"unknown field tag [{tok.value}]", tok.pos)
        return field

    def make_term(self, text: str, field: str, first: _Tok, multiword: bool) -> Term:
        truncated = text.endswith("*")
        core = text[:-1] if truncated else text
        if "*" in core:
            raise self.error(
                f"truncation '*' is only supported at the end of a term: {text!r}", first.pos
            )
        if not tokenize(core):
            raise self.error(f"term {text!r} has no searchable words", first.pos)
        if first.kind == "WORD" and (text.startswith("#") or text.lower() in _PUBMED_FILTERS):
            raise self.error(f"PubMed search history/filter {text!r} is not supported", first.pos)
        if truncated and not normalize_text(core)[-1:].isalnum():
            raise self.error(f"'*' must directly follow a letter or digit: {text!r}", first.pos)
        quoted = first.kind == "QUOTED"
        return Term(" ".join(core.split()), field, quoted or multiword, truncated, quoted)

    def date_range(self) -> DateRange:
        start_tok = self.advance()
        start_tag = self.advance() if self.peek().kind == "TAG" else None
        colon = self.advance()
        end_tok, end_tag = self.advance(), self.advance()
        not_range = self.error("':' outside a date range", colon.pos, _RANGE_HINT)
        if end_tok.kind not in ("WORD", "QUOTED") or end_tag.kind != "TAG":
            raise not_range
        if any(self.resolve_tag(tag) != "dp" for tag in (start_tag, end_tag) if tag):
            raise not_range
        start = self.parse_date(start_tok.value, start_tok.pos)
        end = self.parse_date(end_tok.value, end_tok.pos)
        if _date_bounds(start)[0] > _date_bounds(end)[1]:
            raise self.error(f"date range {start}:{end} ends before it starts", start_tok.pos)
        return DateRange(start, end)

    def parse_date(self, text: str, pos: int) -> str:
        match = _DATE_RE.fullmatch(text.strip())
        if match is None:
            raise self.error(f"invalid publication date {text!r} (use YYYY[/MM[/DD]])", pos)
        year, month, day = (int(g) if g else None for g in match.groups())
        if month is not None and not 1 <= month <= 12:
            raise self.error(f"invalid month in publication date {text!r}", pos)
        if day is not None and month is not None:
            if not 1 <= day <= calendar.monthrange(year or 1, month)[1]:
                raise self.error(f"invalid day in publication date {text!r}", pos)
        parts = [f"{year:04d}"] + [f"{p:02d}" for p in (month, day) if p is not None]
        return "/".join(parts)


def parse_query(text: str) -> Node:
    """Parse ``text`` into an AST, raising :class:`QueryError` outside the subset."""
    return _Parser(text).parse()


# -------------------------------------------------------------------------- dates

_Date = tuple[int, int, int]


@lru_cache(maxsize=1024)
def _date_bounds(date: str) -> tuple[_Date, _Date]:
    """First and last day covered by a "YYYY[/MM[/DD]]" string."""
    parts = [int(p) for p in date.split("/")]
    year = parts[0]
    if len(parts) == 1:
        return (year, 1, 1), (year, 12, 31)
    month = parts[1]
    if len(parts) == 2:
        return (year, month, 1), (year, month, calendar.monthrange(year, month)[1])
    return (year, month, parts[2]), (year, month, parts[2])


def _record_date(record: Mapping[str, Any]) -> _Date | None:
    match = re.match(r"\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", str(record.get("pub_date") or ""))
    if match:
        year, month, day = match.groups()
        return int(year), int(month or 1), int(day or 1)
    year = record.get("year")
    return (int(year), 1, 1) if isinstance(year, int) else None


# -------------------------------------------------------------------------- index


@dataclass(frozen=True, slots=True)
class RecordIndex:
    """Normalised tokens of one record, computed once by :func:`build_index`."""

    pmid: str
    text: dict[str, str]  # text source -> "| tok tok | tok |", one "|" cell per value
    mesh: tuple[str, ...]
    publication_types: tuple[str, ...]
    journals: tuple[str, ...]
    languages: tuple[str, ...]
    authors: tuple[tuple[str, ...], ...]
    date: _Date | None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value if item is not None]


def _mesh_descriptor(entry: str) -> str:
    return entry.split("/", 1)[0].replace("*", " ")


def _joined(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(" ".join(tokenize(value)) for value in values)


def _searchable(values: list[str]) -> str:
    """Tokens of each value between spaces, values separated by "|"."""
    cells = "".join(f" {' '.join(tokenize(value))} |" for value in values)
    return f"|{cells}"


def build_index(record: Mapping[str, Any]) -> RecordIndex:
    """Precompute the normalised tokens :func:`matches` needs for ``record``."""
    mesh = _as_list(record.get("mesh"))
    pub_types = _as_list(record.get("publication_types"))
    journals = _as_list(record.get("journal")) + _as_list(record.get("journal_title"))
    authors = _as_list(record.get("authors"))
    values = {
        "ti": _as_list(record.get("title")),
        "ab": _as_list(record.get("abstract")),
        "mh": mesh,
        "kw": _as_list(record.get("keywords")),
        "pt": pub_types,
        "ta": journals,
        "au": authors,
    }
    return RecordIndex(
        pmid=str(record.get("pmid") or ""),
        text={source: _searchable(vals) for source, vals in values.items()},
        mesh=_joined(_mesh_descriptor(entry) for entry in mesh),
        publication_types=_joined(pub_types),
        journals=_joined(journals),
        languages=_joined(_as_list(record.get("language"))),
        authors=tuple(tokenize(author) for author in authors),
        date=_record_date(record),
    )


def index_records(records: Iterable[Mapping[str, Any]]) -> list[RecordIndex]:
    """:func:`build_index` for every record, for evaluating several queries."""
    return [build_index(record) for record in records]


# --------------------------------------------------------------------- evaluation


def _text_match(index: RecordIndex, field: str, term: Term) -> bool:
    # Tokens are letters and digits only, so " a b " can only match whole
    # consecutive tokens of one value; without the trailing space the last
    # query token only has to start a token (truncation).
    needle = f" {' '.join(_term_tokens(term.text))}"
    if not term.truncated:
        needle += " "
    text = index.text
    return any(needle in text[source] for source in _TEXT_SOURCES[field])


def _name_match(names: tuple[str, ...], term: Term) -> bool:
    wanted = " ".join(_term_tokens(term.text))
    return any(name == wanted or (term.truncated and name.startswith(wanted)) for name in names)


def _language_match(index: RecordIndex, term: Term) -> bool:
    wanted = " ".join(_term_tokens(term.text))
    return any(
        _language_key(name) == _language_key(wanted) or (term.truncated and name.startswith(wanted))
        for name in index.languages
    )


def _author_match(author: tuple[str, ...], term: Term) -> bool:
    query = _term_tokens(term.text)
    if term.truncated:
        return " ".join(author).startswith(" ".join(query))
    if term.quoted:
        return author == query
    size = len(query)
    if size > len(author) or author[: size - 1] != query[:-1]:
        return False
    word = author[size - 1]
    is_initials = len(author) > 1 and size == len(author)
    return word.startswith(query[-1]) if is_initials else word == query[-1]


def _term_match(term: Term, index: RecordIndex) -> bool:
    field = term.field
    if field in _TEXT_SOURCES:
        return _text_match(index, field, term)
    if field in ("mh", "majr"):
        return _name_match(index.mesh, term)
    if field == "pt":
        return _name_match(index.publication_types, term)
    if field == "ta":
        return _name_match(index.journals, term)
    if field == "la":
        return _language_match(index, term)
    if field == "au":
        return any(_author_match(author, term) for author in index.authors)
    if field == "sh":
        return False
    raise ValueError(f"unsupported field {field!r} in {term!r}")


def _evaluate(node: Node, index: RecordIndex) -> bool:
    if isinstance(node, Term):
        return _term_match(node, index)
    if isinstance(node, DateRange):
        if index.date is None:
            return False
        return _date_bounds(node.start)[0] <= index.date <= _date_bounds(node.end)[1]
    left = _evaluate(node.left, index)
    if node.op == "AND":
        return left and _evaluate(node.right, index)
    if node.op == "OR":
        return left or _evaluate(node.right, index)
    return left and not _evaluate(node.right, index)


def matches(node: Node, record: Mapping[str, Any] | RecordIndex) -> bool:
    """Whether ``record`` (a record dict or its :class:`RecordIndex`) satisfies ``node``."""
    index = record if isinstance(record, RecordIndex) else build_index(record)
    return _evaluate(node, index)


def search_records(
    query: str | Node, records: Iterable[Mapping[str, Any] | RecordIndex]
) -> list[str]:
    """PMIDs of the records matching ``query``, in input order."""
    node = parse_query(query) if isinstance(query, str) else query
    hits = []
    for record in records:
        index = record if isinstance(record, RecordIndex) else build_index(record)
        if _evaluate(node, index):
            hits.append(index.pmid)
    return hits


# ---------------------------------------------------------------------- translate


def _render_term(term: Term) -> str:
    text = " ".join(normalize_text(term.text).replace('"', " ").split())
    text += "*" if term.truncated else ""
    if term.field == "au" and not term.quoted:
        return f"{text}[au]"
    return f'"{text}"[{term.field}{":noexp" if term.noexp else ""}]'


def translate(node: Node) -> str:
    """Canonical rendering of a parsed query; parsing it again gives the same meaning.

    Terms are lower-cased, quoted and tagged with their short tag (untagged
    terms get ``[all]``); nested operations are parenthesised except a left
    operand using the same operator, so ``a OR b AND c`` becomes
    ``("a"[all] OR "b"[all]) AND "c"[all]``.
    """
    if isinstance(node, Term):
        return _render_term(node)
    if isinstance(node, DateRange):
        if node.start == node.end:
            return f'"{node.start}"[dp]'
        return f"{node.start}:{node.end}[dp]"
    left = translate(node.left)
    if isinstance(node.left, BinaryOp) and node.left.op != node.op:
        left = f"({left})"
    right = translate(node.right)
    if isinstance(node.right, BinaryOp):
        right = f"({right})"
    return f"{left} {node.op} {right}"
