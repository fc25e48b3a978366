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

from livescreen.errors import LivescreenError

__all__ = [
    "RECORD_KEYS",
    "PubmedXmlError",
    "count_articles",
    "iter_articles",
    "parse_articles",
]

Source = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]

RECORD_KEYS: tuple[str, ...] = (
    "pmid",
    "doi",
    "pmcid",
    "title",
    "abstract",
    "authors",
    "journal",
    "journal_title",
    "volume",
    "issue",
    "pages",
    "pub_date",
    "year",
    "epub_date",
    "entrez_date",
    "publication_types",
    "mesh",
    "mesh_major",
    "keywords",
    "language",
    "nct_ids",
    "status",
    "publication_status",
    "retraction_notices",
    "errata",
    "republished_in",
    "expression_of_concern",
    "retracted",
    "article_kind",
)

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

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
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
    pmid = elem.findtext("MedlineCitation/PMID")
    if pmid is None:
        pmid = elem.findtext("BookDocument/PMID")
    return pmid.strip() if pmid else None


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


# --------------------------------------------------------------------------- text helpers


def _clean(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


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
        if isinstance(child.tag, str):
            _gather_text(child, parts, in_math)
        elif child.tag is etree.Entity:
            parts.append(child.text)
        if _keep(child.tail, in_math):
            parts.append(child.tail)


def _opt(elem: Any, path: str) -> str | None:
    if elem is None:
        return None
    return _flat(elem.find(path)) or None


def _texts(elems: Iterable[Any]) -> list[str]:
    return [text for text in (_flat(e) for e in elems) if text]


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


# --------------------------------------------------------------------------- dates


def _month_number(value: str | None) -> int | None:
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
    value = _clean(value)
    if value.isdigit() and 1 <= int(value) <= 31:
        return int(value)
    return None


def _iso(year: int | None, month: int | None = None, day: int | None = None) -> str:
    if year is None:
        return ""
    text = f"{year:04d}"
    if month is None:
        return text
    text += f"-{month:02d}"
    return text if day is None else f"{text}-{day:02d}"


def _year_of(value: str | None) -> int | None:
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
    year = _year_of(date.findtext("Year"))
    if year is None:
        return _free_text_date(_clean(date.findtext("MedlineDate")))
    month = _month_number(date.findtext("Month"))
    if month is None:
        season = _clean(date.findtext("Season"))
        return _free_text_date(f"{year} {season}") if season else _iso(year)
    return _iso(year, month, _day_number(date.findtext("Day")))


def _electronic_date(article: Any) -> str | None:
    if article is None:
        return None
    for date in article.findall("ArticleDate"):
        if date.get("DateType", "Electronic") == "Electronic":
            return _structured_date(date) or None
    return None


def _history_date(data: Any) -> str | None:
    if data is None:
        return None
    for status in ("entrez", "pubmed"):
        for date in data.findall("History/PubMedPubDate"):
            if date.get("PubStatus") == status:
                return _structured_date(date) or None
    return None


def _publication_date(pub_date: Any, article: Any) -> str:
    date = _structured_date(pub_date)
    if date:
        return date
    if article is None:
        return ""
    return next((d for d in map(_structured_date, article.findall("ArticleDate")) if d), "")


# --------------------------------------------------------------------------- fields


def _abstract(abstract: Any) -> str:
    if abstract is None:
        return ""
    paragraphs = []
    for part in abstract.findall("AbstractText"):
        text = _flat(part)
        label = _clean(part.get("Label"))
        if label and label.upper() != "UNLABELLED":
            text = f"{label}: {text}" if text else label
        if text:
            paragraphs.append(text)
    return "\n".join(paragraphs)


def _author_name(author: Any) -> str:
    names: dict[str, str | None] = {}
    for child in author:  # one pass over the author's fields
        if child.tag == "CollectiveName":
            return _flat(child)
        names.setdefault(child.tag, child.text)
    last = _clean(names.get("LastName"))
    given = _clean(names.get("Initials")) or _clean(names.get("ForeName"))
    return f"{last} {given}".strip()


def _authors(author_lists: Iterable[Any]) -> list[str]:
    names: list[str] = []
    for author_list in author_lists:
        for author in author_list.findall("Author"):
            if author.get("ValidYN", "Y") == "N":
                continue
            name = _author_name(author)
            if name:
                names.append(name)
    return names


def _doi(id_list: Any, elocations: Iterable[Any]) -> str | None:
    doi = _article_id(id_list, "doi")
    if doi:
        return doi
    for eloc in elocations:
        if eloc.get("EIdType") == "doi" and eloc.get("ValidYN", "Y") != "N":
            value = _clean(eloc.text)
            if value:
                return value
    return None


def _article_id(id_list: Any, id_type: str) -> str | None:
    if id_list is None:
        return None
    for article_id in id_list.findall("ArticleId"):
        if article_id.get("IdType", "pubmed") == id_type:
            value = _clean(article_id.text)
            if value:
                return value
    return None


def _pages(pagination: Any) -> str | None:
    if pagination is None:
        return None
    pages = _clean(pagination.findtext("MedlinePgn"))
    if pages:
        return pages
    start = _clean(pagination.findtext("StartPage"))
    end = _clean(pagination.findtext("EndPage"))
    if start and end:
        return f"{start}-{end}"
    return start or None


def _mesh(citation: Any) -> tuple[list[str], list[str]]:
    mesh: list[str] = []
    major: list[str] = []
    for heading in citation.findall("MeshHeadingList/MeshHeading"):
        descriptor = heading.find("DescriptorName")
        name = _flat(descriptor)
        if not name:
            continue
        mesh.append(name)
        flags = [descriptor.get("MajorTopicYN", "N")]
        flags += [q.get("MajorTopicYN", "N") for q in heading.findall("QualifierName")]
        if "Y" in flags:
            major.append(name)
    return mesh, major


NCT_ID = re.compile(r"\bNCT\s?(\d{8})\b", re.IGNORECASE)


def _nct_ids(article: Any) -> list[str]:
    ids: list[str] = []
    for bank in article.findall("DataBankList/DataBank"):
        if _clean(bank.findtext("DataBankName")).lower() != "clinicaltrials.gov":
            continue
        numbers = bank.findall("AccessionNumberList/AccessionNumber")
        ids += [_clean(n.text).upper() for n in numbers if _clean(n.text)]
    return _unique(ids)


def _notices(citation: Any) -> dict[str, list[str]]:
    notices: dict[str, list[str]] = {key: [] for key in _NOTICE_KEYS.values()}
    for item in citation.findall("CommentsCorrectionsList/CommentsCorrections"):
        key = _NOTICE_KEYS.get(item.get("RefType", ""))
        if key is None:
            continue
        source = _flat(item.find("RefSource"))
        pmid = _clean(item.findtext("PMID"))
        text = f"{source} (PMID {pmid})" if pmid else source
        notices[key].append(text.strip() or f"PMID {pmid}")
    return notices


def _journal(article: Any, citation: Any) -> tuple[str, str]:
    journal = article.find("Journal")
    title = _flat(journal.find("Title")) if journal is not None else ""
    abbreviation = _flat(citation.find("MedlineJournalInfo/MedlineTA"))
    if not abbreviation and journal is not None:
        abbreviation = _flat(journal.find("ISOAbbreviation"))
    return abbreviation or title, title


def _title(*candidates: Any) -> str:
    return next((text for text in map(_flat, candidates) if text), "")


def _finish(record: dict[str, Any]) -> dict[str, Any]:
    """Fill the derived keys (year, retracted) and enforce the key order."""
    pub_date = record["pub_date"]
    record["year"] = int(pub_date[:4]) if pub_date else None
    record["retracted"] = bool(record["retraction_notices"]) or (
        "Retracted Publication" in record["publication_types"]
    )
    cited = [
        f"NCT{digits}"
        for text in (record["title"], record["abstract"])
        for digits in NCT_ID.findall(text)
    ]
    record["nct_ids"] = _unique([*record["nct_ids"], *cited])
    return {key: record[key] for key in RECORD_KEYS}


# --------------------------------------------------------------------------- records


def _build_record(elem: Any) -> dict[str, Any]:
    if elem.tag == "PubmedBookArticle":
        return _book_record(elem)
    return _journal_record(elem)


def _journal_record(elem: Any) -> dict[str, Any]:
    citation = elem.find("MedlineCitation")
    if citation is None:
        citation = etree.Element("MedlineCitation")
    article = citation.find("Article")
    if article is None:
        article = etree.Element("Article")
    data = elem.find("PubmedData")
    id_list = data.find("ArticleIdList") if data is not None else None
    journal, journal_title = _journal(article, citation)
    mesh, mesh_major = _mesh(citation)
    issue = article.find("Journal/JournalIssue")
    return _finish(
        {
            "pmid": _clean(citation.findtext("PMID")),
            "doi": _doi(id_list, article.findall("ELocationID")),
            "pmcid": _article_id(id_list, "pmc"),
            "title": _title(article.find("ArticleTitle"), article.find("VernacularTitle")),
            "abstract": _abstract(article.find("Abstract")),
            "authors": _authors(article.findall("AuthorList")),
            "journal": journal,
            "journal_title": journal_title,
            "volume": _opt(issue, "Volume"),
            "issue": _opt(issue, "Issue"),
            "pages": _pages(article.find("Pagination")),
            "pub_date": _publication_date(article.find("Journal/JournalIssue/PubDate"), article),
            "epub_date": _electronic_date(article),
            "entrez_date": _history_date(data),
            "publication_types": _texts(article.findall("PublicationTypeList/PublicationType")),
            "mesh": mesh,
            "mesh_major": mesh_major,
            "keywords": _texts(citation.findall("KeywordList/Keyword")),
            "language": _texts(article.findall("Language")),
            "nct_ids": _nct_ids(article),
            "status": citation.get("Status"),
            "publication_status": _opt(data, "PublicationStatus"),
            **_notices(citation),
            "article_kind": "journal-article",
        }
    )


def _book_authors(document: Any, book: Any) -> list[str]:
    """Chapter authors, else the book's authors; editors are never listed as authors."""

    def authors_only(lists: list[Any]) -> list[Any]:
        return [a for a in lists if a.get("Type", "authors") == "authors"]

    chapter = _authors(authors_only(document.findall("AuthorList")))
    return chapter or _authors(authors_only(book.findall("AuthorList")))


def _book_record(elem: Any) -> dict[str, Any]:
    document = elem.find("BookDocument")
    if document is None:
        document = etree.Element("BookDocument")
    book = document.find("Book")
    if book is None:
        book = etree.Element("Book")
    data = elem.find("PubmedBookData")
    id_list = data.find("ArticleIdList") if data is not None else None
    book_title = _flat(book.find("BookTitle"))
    return _finish(
        {
            "pmid": _clean(document.findtext("PMID")),
            "doi": _doi(document.find("ArticleIdList"), book.findall("ELocationID"))
            or _article_id(id_list, "doi"),
            "pmcid": _article_id(id_list, "pmc")
            or _article_id(document.find("ArticleIdList"), "pmc"),
            "title": _title(
                document.find("ArticleTitle"),
                document.find("VernacularTitle"),
                book.find("BookTitle"),
            ),
            "abstract": _abstract(document.find("Abstract")),
            "authors": _book_authors(document, book),
            "journal": book_title,
            "journal_title": book_title,
            "volume": _opt(book, "Volume"),
            "issue": None,
            "pages": _pages(document.find("Pagination")),
            "pub_date": _publication_date(book.find("PubDate"), None),
            "epub_date": None,
            "entrez_date": _history_date(data),
            "publication_types": _texts(document.findall("PublicationType")),
            "mesh": [],
            "mesh_major": [],
            "keywords": _texts(document.findall("KeywordList/Keyword")),
            "language": _texts(document.findall("Language")),
            "nct_ids": [],
            "status": None,
            "publication_status": _opt(data, "PublicationStatus"),
            **_notices(document),
            "article_kind": "book",
        }
    )
