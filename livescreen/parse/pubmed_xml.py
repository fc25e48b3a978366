"""Streaming parser for NCBI PubMed XML (efetch ``db=pubmed retmode=xml``).

The input is a ``<PubmedArticleSet>`` holding ``<PubmedArticle>`` and
``<PubmedBookArticle>`` elements. It is read with :func:`lxml.etree.iterparse`
under a safe configuration (no DTD loading or validation, no entity expansion,
no network access, ``huge_tree`` off) and every article element is cleared once
its record has been built, so memory use stays flat as files grow.

A *source* may be a filesystem path (``str`` or :class:`os.PathLike`), a binary
file object, or ``bytes``. Gzip-compressed input (a path ending in ``.gz`` or
data starting with the gzip magic bytes) is decompressed transparently.

Public API
----------
``iter_articles(source)``
    Yield one record dict per article, in document order.
``parse_articles(source)``
    ``list(iter_articles(source))``.
``count_articles(source)``
    Number of ``PubmedArticle`` + ``PubmedBookArticle`` elements, without
    building records (used to check that a response holds every requested id).
``PubmedXmlError``
    A :class:`ValueError` raised for malformed or truncated XML (the message
    names lxml's complaint, the line and, when known, the last PMID parsed),
    for an HTML page, and for any document whose root is not
    ``<PubmedArticleSet>``. The attributes ``line`` and ``last_pmid`` carry the
    same facts for programs.

Record contract
---------------
Every record has exactly the keys in :data:`RECORD_KEYS`, always present:

``pmid`` (str)
    MedlineCitation/PMID (BookDocument/PMID for books).
``doi`` (str | None)
    ArticleId with IdType="doi" in the record's own ArticleIdList, else an
    ELocationID with EIdType="doi" (ValidYN="N" ignored); whitespace stripped,
    case kept.
``pmcid`` (str | None)
    ArticleId with IdType="pmc", e.g. ``"PMC5546677"``.
``title`` (str)
    ArticleTitle, falling back to VernacularTitle when empty; for books the
    BookTitle when there is no ArticleTitle. Inline markup (``<i>``, ``<b>``,
    ``<sup>``, ``<sub>``, ``<u>``, MathML) is flattened to its text and
    whitespace is collapsed. ``""`` when absent.
``abstract`` (str)
    Abstract/AbstractText paragraphs joined with ``"\\n"``; a labelled paragraph
    is rendered ``"LABEL: text"`` (the placeholder label "UNLABELLED" is
    dropped). Markup flattened as for the title. ``""`` when none.
``authors`` (list[str])
    ``"LastName Initials"`` (``"Mitchell JM"``); ``"LastName ForeName"`` when
    there are no initials; CollectiveName as written. Authors with
    ValidYN="N" are skipped. Books use the authors list, not the editors.
``journal`` (str)
    MedlineJournalInfo/MedlineTA, else Journal/ISOAbbreviation, else
    Journal/Title (the BookTitle for books). ``""`` when absent.
``journal_title`` (str)
    Journal/Title (the BookTitle for books). ``""`` when absent.
``volume``, ``issue``, ``pages`` (str | None)
    JournalIssue/Volume and /Issue; Pagination/MedlinePgn, else
    ``"StartPage-EndPage"`` (or StartPage alone).
``pub_date`` (str)
    ISO partial date ``"YYYY"``, ``"YYYY-MM"`` or ``"YYYY-MM-DD"`` from
    Journal/JournalIssue/PubDate (Book/PubDate for books). Months may be names
    or numbers; Season maps Spring->03, Summer->06, Autumn/Fall->09,
    Winter->12; a Season or MedlineDate such as ``"1998 Dec-1999 Jan"``,
    ``"2001 May-Jun"``, ``"2000 Spring"`` or ``"1975-1976"`` gives the first
    year and the first month that can be read. Falls back to ArticleDate when
    PubDate has no year. ``""`` when no year is found.
``year`` (int | None)
    The year of ``pub_date``.
``epub_date`` (str | None)
    Article/ArticleDate with DateType="Electronic" as ``YYYY-MM-DD``.
``entrez_date`` (str | None)
    History/PubMedPubDate with PubStatus="entrez" (else "pubmed") as
    ``YYYY-MM-DD``.
``publication_types`` (list[str])
    PublicationTypeList/PublicationType texts.
``mesh`` (list[str])
    MeshHeading/DescriptorName texts.
``mesh_major`` (list[str])
    Descriptors with MajorTopicYN="Y" on the descriptor or on any of its
    qualifiers.
``keywords`` (list[str])
    KeywordList/Keyword texts (all lists), flattened.
``language`` (list[str])
    Language codes, e.g. ``["eng"]``.
``nct_ids`` (list[str])
    AccessionNumber values under the DataBank named "ClinicalTrials.gov", then NCT ids
    written in the title or abstract (``NCT01234567``, as trial reports cite their
    registration), upper-cased, de-duplicated, in document order.
``status`` (str | None)
    MedlineCitation/@Status ("MEDLINE", "PubMed-not-MEDLINE", "In-Process",
    "In-Data-Review", "Publisher", ...); None for books.
``publication_status`` (str | None)
    PubmedData/PublicationStatus ("ppublish", "epublish", "aheadofprint").
``retraction_notices`` (list[str])
    CommentsCorrections with RefType "RetractionIn" (or
    "RetractedandRepublishedIn"), each ``"RefSource (PMID n)"``, or just
    ``"RefSource"`` when the notice has no PMID.
``errata`` (list[str])
    The same for RefType "ErratumIn".
``republished_in`` (list[str])
    The same for RefType "CorrectedandRepublishedIn".
``expression_of_concern`` (list[str])
    The same for RefType "ExpressionOfConcernIn".
``retracted`` (bool)
    True when there is a retraction notice or the publication types include
    "Retracted Publication".
``article_kind`` (str)
    ``"journal-article"`` for PubmedArticle, ``"book"`` for PubmedBookArticle.

Because the DTD is never loaded, its attribute defaults are never applied; the
parser applies them itself where they matter (a missing ValidYN means "Y", a
missing MajorTopicYN means "N", a missing ArticleDate/@DateType means
"Electronic").
"""

import gzip
import io
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from lxml import etree

from livescreen.columns import RECORD_KEYS
from livescreen.errors import LivescreenError

__all__ = [
    "RECORD_KEYS",
    "PubmedXmlError",
    "count_articles",
    "iter_articles",
    "parse_articles",
]

Source = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]

ROOT_TAG = "PubmedArticleSet"
ARTICLE_TAGS = ("PubmedArticle", "PubmedBookArticle")
GZIP_MAGIC = b"\x1f\x8b"
MATHML_PREFIX = "{http://www.w3.org/1998/Math/MathML}"
SNIFF_BYTES = 2048

# The parser never fetches or expands anything the document points at.
_PARSER_OPTIONS: dict[str, Any] = {
    "load_dtd": False,
    "dtd_validation": False,
    "attribute_defaults": False,
    "resolve_entities": False,
    "no_network": True,
    "huge_tree": False,
    "recover": False,
}

_NOTICE_KEYS: dict[str, str] = {
    "RetractionIn": "retraction_notices",
    "RetractedandRepublishedIn": "retraction_notices",
    "ErratumIn": "errata",
    "CorrectedandRepublishedIn": "republished_in",
    "ExpressionOfConcernIn": "expression_of_concern",
}

_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}
_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
_MONTH_TOKEN = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?:\s+(\d{1,2})\b)?"
    r"|\b(spring|summer|autumn|fall|winter)\b",
    re.IGNORECASE,
)
_YEAR_TOKEN = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_HTML_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b",
    re.IGNORECASE | re.DOTALL,
)


class PubmedXmlError(LivescreenError, ValueError):
    """The input is not well-formed PubMed XML (truncated, corrupt, HTML, ...)."""

    def __init__(
        self, message: str, *, line: int | None = None, last_pmid: str | None = None
    ) -> None:
        super().__init__(message)
        self.line = line
        self.last_pmid = last_pmid


# --------------------------------------------------------------------------- public API


def iter_articles(source: Source) -> Iterator[dict[str, Any]]:
    """Yield one record dict (keys: :data:`RECORD_KEYS`) per article, in document order."""
    for elem in _iter_article_elements(source):
        yield _build_record(elem)


def parse_articles(source: Source) -> list[dict[str, Any]]:
    """Parse every article of ``source`` into a list of record dicts."""
    return list(iter_articles(source))


def count_articles(xml_bytes: Source) -> int:
    """Count PubmedArticle + PubmedBookArticle elements without building records."""
    return sum(1 for _ in _iter_article_elements(xml_bytes))


# --------------------------------------------------------------------------- input handling


class _Prepended(io.RawIOBase):
    """A read-only stream: ``head`` bytes already read, then the rest of ``rest``."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            count = min(len(view), len(self._head))
            view[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        data = self._rest.read(len(view))
        view[: len(data)] = data
        return len(data)


def _read_upto(stream: IO[bytes], size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        if not isinstance(chunk, bytes | bytearray):
            raise TypeError("the file object must be opened in binary mode")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _peek(stream: IO[bytes], size: int) -> tuple[bytes, IO[bytes]]:
    """Read up to ``size`` bytes and return them with a stream that still starts at them."""
    head = _read_upto(stream, size)
    return head, io.BufferedReader(_Prepended(head, stream))


def _maybe_gunzip(stream: IO[bytes]) -> IO[bytes]:
    magic, stream = _peek(stream, 2)
    if magic == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=stream, mode="rb")
    return stream


@contextmanager
def _open_source(source: Source) -> Iterator[IO[bytes]]:
    if isinstance(source, bytes | bytearray | memoryview):
        yield _maybe_gunzip(io.BytesIO(bytes(source)))
    elif isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        if isinstance(path, str) and path.lstrip().startswith("<"):
            raise TypeError("pass XML content as bytes; a str source is taken as a path")
        with open(path, "rb") as handle:
            yield _maybe_gunzip(handle)
    elif hasattr(source, "read"):
        yield _maybe_gunzip(source)
    else:
        raise TypeError(f"unsupported source type: {type(source).__name__}")


# --------------------------------------------------------------------------- streaming


def _looks_like_html(head: bytes) -> bool:
    return bool(_HTML_START.match(head))


def _html_error(last_pmid: str | None = None) -> PubmedXmlError:
    return PubmedXmlError(
        "the document is HTML, not PubMed XML (NCBI answers with HTML when retmode is "
        "missing or on a server error page)",
        last_pmid=last_pmid,
    )


def _root_error(tag: Any) -> PubmedXmlError:
    if isinstance(tag, str) and tag.lower() == "html":
        return _html_error()
    return PubmedXmlError(f"root element is <{tag}>, not <{ROOT_TAG}>: not PubMed article XML")


def _check_placement(elem: Any) -> None:
    """An article must be a child of the <PubmedArticleSet> root."""
    parent = elem.getparent()
    if parent is not None and parent.tag == ROOT_TAG and parent.getparent() is None:
        return  # the usual case, without building a tree object per article
    root = elem.getroottree().getroot()
    if root.tag != ROOT_TAG:
        raise _root_error(root.tag)
    parent = elem.getparent()
    if parent is not root:
        raise PubmedXmlError(
            f"<{elem.tag}> sits inside <{parent.tag}>, not directly under <{ROOT_TAG}>"
        )


def _syntax_error(exc: etree.XMLSyntaxError, last_pmid: str | None) -> PubmedXmlError:
    where = f" (line {exc.lineno})" if exc.lineno else ""
    after = f"; last PMID parsed: {last_pmid}" if last_pmid else "; no article was parsed"
    return PubmedXmlError(
        f"malformed PubMed XML{where}: {exc.msg}{after}", line=exc.lineno, last_pmid=last_pmid
    )


def _article_pmid(elem: Any) -> str | None:
    """``findtext("MedlineCitation/PMID")``, else ``findtext("BookDocument/PMID")``, stripped."""
    for parent_tag in ("MedlineCitation", "BookDocument"):
        for parent in elem:
            if parent.tag == parent_tag:
                for child in parent:
                    if child.tag == "PMID":
                        return child.text.strip() if child.text else None
    return None


def _release(elem: Any) -> None:
    """Free an article element and every sibling parsed before it."""
    elem.clear(keep_tail=True)
    parent = elem.getparent()
    if parent is None:
        return
    while elem.getprevious() is not None:
        del parent[0]


def _iter_article_elements(source: Source) -> Iterator[Any]:
    """Yield each article element; it is cleared as soon as the consumer moves on."""
    with _open_source(source) as raw:
        head, stream = _peek(raw, SNIFF_BYTES)
        if _looks_like_html(head):
            raise _html_error()
        yield from _stream_articles(stream)


def _stream_articles(stream: IO[bytes]) -> Iterator[Any]:
    last_pmid: str | None = None
    context = etree.iterparse(stream, events=("end",), tag=ARTICLE_TAGS, **_PARSER_OPTIONS)
    try:
        for _event, elem in context:
            _check_placement(elem)
            yield elem
            last_pmid = _article_pmid(elem) or last_pmid
            _release(elem)
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, last_pmid) from exc
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise PubmedXmlError(f"corrupt or truncated gzip data: {exc}", last_pmid=last_pmid) from exc
    root = context.root
    if root is not None and root.tag != ROOT_TAG:
        raise _root_error(root.tag)


# --------------------------------------------------------------------------- tree access
# A record is built from one pass over the children of each element it reads (_kids),
# not from a find()/findall() per field: each ElementPath search costs more from Python
# than visiting a handful of children. kids[tag][0] is elem.find(tag), kids[tag] is
# elem.findall(tag) and _under(kids[a], b) is elem.findall(f"{a}/{b}").


def _kids(elem: Any) -> dict[Any, list[Any]]:
    """The children of ``elem`` grouped by tag, each group in document order; {} for None."""
    groups: dict[Any, list[Any]] = {}
    if elem is not None:
        for child in elem:
            tag = child.tag
            if tag in groups:
                groups[tag].append(child)
            else:
                groups[tag] = [child]
    return groups


def _first(groups: dict[Any, list[Any]], tag: str) -> Any:
    found = groups.get(tag)
    return found[0] if found else None


def _one(elems: list[Any]) -> Any:
    return elems[0] if elems else None


def _under(parents: Iterable[Any], tag: str) -> list[Any]:
    """The ``tag`` children of every element in ``parents``, in order."""
    found = []
    for parent in parents:
        for child in parent:
            if child.tag == tag:
                found.append(child)
    return found


def _text_of(elem: Any) -> str | None:
    return None if elem is None else elem.text


def _first_texts(elem: Any) -> dict[Any, str | None]:
    """The text of the first child of each tag (``findtext`` for every tag at once)."""
    texts: dict[Any, str | None] = {}
    for child in elem:
        texts.setdefault(child.tag, child.text)
    return texts


# --------------------------------------------------------------------------- text helpers


def _clean(text: str | None) -> str:
    """Whitespace collapsed. A long text that is already collapsed (no whitespace but single
    inner spaces: every other whitespace character is unprintable) is returned as it is,
    which saves splitting an abstract into words and joining them again."""
    if not text:
        return ""
    if len(text) > 60 and text.isprintable() and "  " not in text:
        if text[0] != " " and text[-1] != " ":
            return text
    return " ".join(text.split())


def _flat(elem: Any) -> str:
    """Text of ``elem`` with inline markup (i, b, sup, sub, u, MathML) flattened."""
    if elem is None:
        return ""
    if not len(elem):  # a leaf (most fields): its text is all there is
        return _clean(elem.text)
    parts: list[str] = []
    _gather_text(elem, parts, in_math=False)
    return _clean("".join(parts))


def _keep(text: str | None, in_math: bool) -> bool:
    """Drop the layout whitespace of pretty-printed MathML; keep every other text node."""
    return bool(text) and not (in_math and text.isspace() and "\n" in text)


def _gather_text(elem: Any, parts: list[str], in_math: bool) -> None:
    """Like ``itertext()``: element text and tails in order; comments and PIs skipped.

    An entity reference left unexpanded (``resolve_entities=False``) is kept as
    its literal ``&name;`` text.
    """
    in_math = in_math or str(elem.tag).startswith(MATHML_PREFIX)
    if _keep(elem.text, in_math):
        parts.append(elem.text)
    for child in elem:
        tag = child.tag
        if isinstance(tag, str):
            if in_math or len(child) or tag.startswith(MATHML_PREFIX):
                _gather_text(child, parts, in_math)
            elif child.text:  # a leaf outside MathML (<i>, <sup>): what the call would add
                parts.append(child.text)
        elif tag is etree.Entity:
            parts.append(child.text)
        if _keep(child.tail, in_math):
            parts.append(child.tail)


def _texts(elems: Iterable[Any]) -> list[str]:
    texts = []
    for elem in elems:
        text = _flat(elem) if len(elem) else _clean(elem.text)
        if text:
            texts.append(text)
    return texts


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


# --------------------------------------------------------------------------- dates


def _month_number(value: str | None) -> int | None:
    if value in _COMMON_MONTHS:
        return _COMMON_MONTHS[value]
    value = _clean(value)
    if not value:
        return None
    if value.isdigit():
        number = int(value)
        return number if 1 <= number <= 12 else None
    token = _MONTH_TOKEN.search(value)
    return _token_month(token) if token else None


def _token_month(token: re.Match[str]) -> int | None:
    if token.group(1):
        return _MONTHS[token.group(1).lower()]
    return _SEASONS[token.group(3).lower()]


def _day_number(value: str | None) -> int | None:
    if value in _COMMON_DAYS:
        return _COMMON_DAYS[value]
    value = _clean(value)
    if value.isdigit() and 1 <= int(value) <= 31:
        return int(value)
    return None


# The forms nearly every date is written in, read once by the functions above.
_COMMON_MONTHS: dict[str | None, int | None] = {}
_COMMON_DAYS: dict[str | None, int | None] = {}
_COMMON_MONTHS.update(
    (form, _month_number(form))
    for number in range(1, 13)
    for form in (str(number), f"{number:02d}", _MONTH_NAMES[number - 1].title())
)
_COMMON_DAYS.update(
    (form, _day_number(form)) for number in range(1, 32) for form in {str(number), f"{number:02d}"}
)


def _iso(year: int | None, month: int | None = None, day: int | None = None) -> str:
    if year is None:
        return ""
    text = f"{year:04d}"
    if month is None:
        return text
    text += f"-{month:02d}"
    return text if day is None else f"{text}-{day:02d}"


def _year_of(value: str | None) -> int | None:
    if value and len(value) == 4 and value.isascii() and value.isdigit():
        return int(value)  # what the search below finds in a plain year
    match = _YEAR_TOKEN.search(value or "")
    return int(match.group(1)) if match else None


def _free_text_date(value: str) -> str:
    """First year and month of a MedlineDate/Season-like string ("1998 Dec-1999 Jan")."""
    year = _year_of(value)
    token = _MONTH_TOKEN.search(value)
    if year is None or token is None:
        return _iso(year)
    day = _day_number(token.group(2)) if token.group(2) else None
    return _iso(year, _token_month(token), day)


def _structured_date(date: Any) -> str:
    """ISO partial date of an element holding Year/Month/Day, Season or MedlineDate."""
    if date is None:
        return ""
    texts = _first_texts(date)
    year = _year_of(texts.get("Year"))
    if year is None:
        return _free_text_date(_clean(texts.get("MedlineDate")))
    month = _month_number(texts.get("Month"))
    if month is None:
        season = _clean(texts.get("Season"))
        return _free_text_date(f"{year} {season}") if season else _iso(year)
    return _iso(year, month, _day_number(texts.get("Day")))


def _electronic_date(article_dates: Iterable[Any]) -> str | None:
    for date in article_dates:
        if date.get("DateType", "Electronic") == "Electronic":
            return _structured_date(date) or None
    return None


def _history_date(histories: Iterable[Any]) -> str | None:
    """The first History/PubMedPubDate with PubStatus "entrez", else the first "pubmed"."""
    chosen = None
    for date in _under(histories, "PubMedPubDate"):
        status = date.get("PubStatus")
        if status == "entrez":
            chosen = date
            break
        if status == "pubmed" and chosen is None:
            chosen = date
    return _structured_date(chosen) or None


def _publication_date(pub_date: Any, article_dates: Iterable[Any]) -> str:
    date = _structured_date(pub_date)
    if date:
        return date
    return next((d for d in map(_structured_date, article_dates) if d), "")


# --------------------------------------------------------------------------- fields


def _abstract(abstract: Any) -> str:
    if abstract is None:
        return ""
    paragraphs = []
    for part in abstract:
        if part.tag != "AbstractText":
            continue
        text = _flat(part)
        label = _clean(part.get("Label"))
        if label and label.upper() != "UNLABELLED":
            text = f"{label}: {text}" if text else label
        if text:
            paragraphs.append(text)
    return "\n".join(paragraphs)


_NAME_PARTS = frozenset(("LastName", "Initials", "ForeName"))


def _author_name(author: Any) -> str:
    names: dict[str, str | None] = {}
    for child in author:  # one pass over the author's fields
        tag = child.tag
        if tag in _NAME_PARTS:
            if tag not in names:
                names[tag] = child.text
        elif tag == "CollectiveName":
            return _flat(child)
    last = _clean(names.get("LastName"))
    given = _clean(names.get("Initials")) or _clean(names.get("ForeName"))
    return f"{last} {given}".strip()


def _authors(author_lists: Iterable[Any]) -> list[str]:
    names: list[str] = []
    for author in _under(author_lists, "Author"):
        if author.get("ValidYN", "Y") == "N":
            continue
        name = _author_name(author)
        if name:
            names.append(name)
    return names


def _ids(id_list: Any) -> dict[str, str]:
    """The first non-empty ArticleId of IdType "doi" and of "pmc" (the keys found)."""
    found: dict[str, str] = {}
    for article_id in _under(() if id_list is None else (id_list,), "ArticleId"):
        id_type = article_id.get("IdType", "pubmed")
        if id_type in ("doi", "pmc") and id_type not in found:
            value = _clean(article_id.text)
            if value:
                found[id_type] = value
    return found


def _doi(ids: dict[str, str], elocations: Iterable[Any]) -> str | None:
    if "doi" in ids:
        return ids["doi"]
    for eloc in elocations:
        if eloc.get("EIdType") == "doi" and eloc.get("ValidYN", "Y") != "N":
            value = _clean(eloc.text)
            if value:
                return value
    return None


def _pages(pagination: Any) -> str | None:
    if pagination is None:
        return None
    texts = _first_texts(pagination)
    pages = _clean(texts.get("MedlinePgn"))
    if pages:
        return pages
    start = _clean(texts.get("StartPage"))
    end = _clean(texts.get("EndPage"))
    if start and end:
        return f"{start}-{end}"
    return start or None


def _mesh(heading_lists: Iterable[Any]) -> tuple[list[str], list[str]]:
    mesh: list[str] = []
    major: list[str] = []
    for heading in _under(heading_lists, "MeshHeading"):
        descriptor = None
        major_qualifier = False
        for child in heading:
            tag = child.tag
            if tag == "DescriptorName":
                if descriptor is None:
                    descriptor = child
            elif tag == "QualifierName" and child.get("MajorTopicYN", "N") == "Y":
                major_qualifier = True
        name = _flat(descriptor)
        if name:
            mesh.append(name)
            if major_qualifier or descriptor.get("MajorTopicYN", "N") == "Y":
                major.append(name)
    return mesh, major


NCT_ID = re.compile(r"\bNCT\s?(\d{8})\b", re.IGNORECASE)


def _nct_ids(databank_lists: Iterable[Any]) -> list[str]:
    ids: list[str] = []
    for bank in _under(databank_lists, "DataBank"):
        fields = _kids(bank)
        if _clean(_text_of(_first(fields, "DataBankName"))).lower() != "clinicaltrials.gov":
            continue
        numbers = _under(fields.get("AccessionNumberList", ()), "AccessionNumber")
        ids += [_clean(n.text).upper() for n in numbers if _clean(n.text)]
    return _unique(ids)


def _cited_nct_ids(*texts: str) -> list[str]:
    """``NCT_ID.findall`` over the texts, trying the pattern only where "nct" is written in
    any case (the only characters IGNORECASE matches to N, C and T are n, c and t)."""
    found: list[str] = []
    for text in texts:
        lowered = text.lower()
        start = lowered.find("nct")
        if start < 0:
            continue
        if len(lowered) != len(text):  # a character lowered to two: offsets differ
            found += NCT_ID.findall(text)
            continue
        while start >= 0:
            match = NCT_ID.match(text, start)  # \b still sees the character before start
            if match:
                found.append(match.group(1))
            start = lowered.find("nct", match.end() if match else start + 1)
    return [f"NCT{digits}" for digits in found]


def _notices(comment_lists: Iterable[Any]) -> dict[str, list[str]]:
    notices: dict[str, list[str]] = {key: [] for key in _NOTICE_KEYS.values()}
    for item in _under(comment_lists, "CommentsCorrections"):
        key = _NOTICE_KEYS.get(item.get("RefType", ""))
        if key is None:
            continue
        fields = _kids(item)
        source = _flat(_first(fields, "RefSource"))
        pmid = _clean(_text_of(_first(fields, "PMID")))
        text = f"{source} (PMID {pmid})" if pmid else source
        notices[key].append(text.strip() or f"PMID {pmid}")
    return notices


def _title(*candidates: Any) -> str:
    return next((text for text in map(_flat, candidates) if text), "")


def _finish(record: dict[str, Any]) -> dict[str, Any]:
    """Fill the derived keys (year, retracted, cited NCT ids); the keys are in order."""
    pub_date = record["pub_date"]
    record["year"] = int(pub_date[:4]) if pub_date else None
    record["retracted"] = bool(record["retraction_notices"]) or (
        "Retracted Publication" in record["publication_types"]
    )
    cited = _cited_nct_ids(record["title"], record["abstract"])
    if cited:
        record["nct_ids"] = _unique([*record["nct_ids"], *cited])
    return record


# --------------------------------------------------------------------------- records
# Both builders list the keys in RECORD_KEYS order (year and retracted are filled by
# _finish), so the dict needs no reordering; a test checks the order.


def _build_record(elem: Any) -> dict[str, Any]:
    if elem.tag == "PubmedBookArticle":
        return _book_record(elem)
    return _journal_record(elem)


def _journal_record(elem: Any) -> dict[str, Any]:
    top = _kids(elem)
    citation = _first(top, "MedlineCitation")
    cited = _kids(citation)
    article = _kids(_first(cited, "Article"))
    data = _kids(_first(top, "PubmedData"))
    ids = _ids(_first(data, "ArticleIdList"))
    journals = article.get("Journal", [])
    journal = _kids(_one(journals))
    issues = _under(journals, "JournalIssue")
    issue = _kids(_one(issues))
    journal_title = _flat(_first(journal, "Title"))
    abbreviation = _flat(_one(_under(cited.get("MedlineJournalInfo", ()), "MedlineTA")))
    mesh, mesh_major = _mesh(cited.get("MeshHeadingList", ()))
    article_dates = article.get("ArticleDate", ())
    return _finish(
        {
            "pmid": _clean(_text_of(_first(cited, "PMID"))),
            "doi": _doi(ids, article.get("ELocationID", ())),
            "pmcid": ids.get("pmc"),
            "title": _title(_first(article, "ArticleTitle"), _first(article, "VernacularTitle")),
            "abstract": _abstract(_first(article, "Abstract")),
            "authors": _authors(article.get("AuthorList", ())),
            "journal": abbreviation or _flat(_first(journal, "ISOAbbreviation")) or journal_title,
            "journal_title": journal_title,
            "volume": _flat(_first(issue, "Volume")) or None,
            "issue": _flat(_first(issue, "Issue")) or None,
            "pages": _pages(_first(article, "Pagination")),
            "pub_date": _publication_date(_one(_under(issues, "PubDate")), article_dates),
            "year": None,
            "epub_date": _electronic_date(article_dates),
            "entrez_date": _history_date(data.get("History", ())),
            "publication_types": _texts(
                _under(article.get("PublicationTypeList", ()), "PublicationType")
            ),
            "mesh": mesh,
            "mesh_major": mesh_major,
            "keywords": _texts(_under(cited.get("KeywordList", ()), "Keyword")),
            "language": _texts(article.get("Language", ())),
            "nct_ids": _nct_ids(article.get("DataBankList", ())),
            "status": None if citation is None else citation.get("Status"),
            "publication_status": _flat(_first(data, "PublicationStatus")) or None,
            **_notices(cited.get("CommentsCorrectionsList", ())),
            "retracted": False,
            "article_kind": "journal-article",
        }
    )


def _book_authors(chapter_lists: list[Any], book_lists: list[Any]) -> list[str]:
    """Chapter authors, else the book's authors; editors are never listed as authors."""

    def authors_only(lists: list[Any]) -> list[Any]:
        return [a for a in lists if a.get("Type", "authors") == "authors"]

    return _authors(authors_only(chapter_lists)) or _authors(authors_only(book_lists))


def _book_record(elem: Any) -> dict[str, Any]:
    top = _kids(elem)
    document = _kids(_first(top, "BookDocument"))
    book = _kids(_first(document, "Book"))
    data = _kids(_first(top, "PubmedBookData"))
    ids = _ids(_first(data, "ArticleIdList"))
    own_ids = _ids(_first(document, "ArticleIdList"))
    book_title = _flat(_first(book, "BookTitle"))
    return _finish(
        {
            "pmid": _clean(_text_of(_first(document, "PMID"))),
            "doi": _doi(own_ids, book.get("ELocationID", ())) or ids.get("doi"),
            "pmcid": ids.get("pmc") or own_ids.get("pmc"),
            "title": _title(
                _first(document, "ArticleTitle"),
                _first(document, "VernacularTitle"),
                _first(book, "BookTitle"),
            ),
            "abstract": _abstract(_first(document, "Abstract")),
            "authors": _book_authors(document.get("AuthorList", []), book.get("AuthorList", [])),
            "journal": book_title,
            "journal_title": book_title,
            "volume": _flat(_first(book, "Volume")) or None,
            "issue": None,
            "pages": _pages(_first(document, "Pagination")),
            "pub_date": _publication_date(_first(book, "PubDate"), ()),
            "year": None,
            "epub_date": None,
            "entrez_date": _history_date(data.get("History", ())),
            "publication_types": _texts(document.get("PublicationType", ())),
            "mesh": [],
            "mesh_major": [],
            "keywords": _texts(_under(document.get("KeywordList", ()), "Keyword")),
            "language": _texts(document.get("Language", ())),
            "nct_ids": [],
            "status": None,
            "publication_status": _flat(_first(data, "PublicationStatus")) or None,
            **_notices(document.get("CommentsCorrectionsList", ())),
            "retracted": False,
            "article_kind": "book",
        }
    )
