"""The offline snapshot: bundled real PubMed records that stand in for E-utilities.

`Snapshot` answers `esearch` and `efetch` like `EutilsClient`, so the search, fetch and
parse steps run the same code offline. Searches evaluate the configured queries over the
bundled records (the PubMed subset in `livescreen.sources.query`), so editing a query changes the
offline result or fails with a message. efetch serves each record as PubMed XML built from
its bibliographic facts; its `summary`, written for this project in place of the
publisher's abstract, goes into the abstract under a label that says so.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from lxml import etree
from lxml.builder import E

from livescreen.columns import SUMMARY_LABEL
from livescreen.normalise import first_author_key, journal_abbreviation_matches, surname_key
from livescreen.parse.pubmed_xml import parse_articles
from livescreen.sources.eutils import PUBMED_RETRIEVAL_CAP, CitationMatch, ESearchResult
from livescreen.sources.query import index_records, matches, parse_query, translate

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Snapshot:
    """Bundled records behind the esearch/efetch interface of `EutilsClient`."""

    source = "snapshot"
    # The bundled records never change, so the fetch step's change check sends nothing.
    changes_upstream = False

    def __init__(self, path: str | Path):
        self.path = Path(path)
        raw = json.loads(self.path.read_text(encoding="utf-8"))
        self.articles = {str(item["pmid"]): article_xml(item) for item in raw}
        self.records = parse_articles(
            b"<PubmedArticleSet>" + b"".join(self.articles.values()) + b"</PubmedArticleSet>"
        )
        self.index = index_records(self.records)  # normalised text, built once
        self.requests_sent = 0

    @property
    def label(self) -> str:
        return f"offline snapshot {self.path.name} ({len(self.records)} records)"

    def esearch(
        self,
        term: str,
        *,
        retmax: int = PUBMED_RETRIEVAL_CAP,
        mindate: str | None = None,
        maxdate: str | None = None,
    ) -> ESearchResult:
        self.requests_sent += 1
        node = parse_query(term)
        ids = [
            record["pmid"]
            for record, index in zip(self.records, self.index, strict=True)
            if matches(node, index) and _in_window(record["pub_date"], mindate, maxdate)
        ]
        return ESearchResult(count=len(ids), ids=ids[:retmax], translation=translate(node))

    def ecitmatch(self, citations: Sequence[dict]) -> list[CitationMatch]:
        """Citation matching over the bundled records, which carry no volume or pages:
        a record matches when year, first author and journal (full or abbreviated) agree."""
        self.requests_sent += 1
        return [self._match_citation(c) for c in citations]

    def _match_citation(self, citation: dict) -> CitationMatch:
        key, year = str(citation["key"]), str(citation.get("year") or "")
        author = surname_key(citation.get("author") or "")
        pmids = [
            r["pmid"]
            for r in self.records
            if str(r["year"]) == year
            and first_author_key(r) == author
            and journal_abbreviation_matches(citation.get("journal") or "", r["journal"])
        ]
        if len(pmids) == 1:
            return CitationMatch(key, "found", pmid=pmids[0])
        if pmids:
            return CitationMatch(key, "ambiguous", candidates=pmids, detail="AMBIGUOUS")
        return CitationMatch(key, "not_found")

    def efetch(self, pmids: Sequence[str]) -> bytes:
        self.requests_sent += 1
        found = [self.articles[pmid] for pmid in dict.fromkeys(pmids) if pmid in self.articles]
        return b"<PubmedArticleSet>" + b"".join(found) + b"</PubmedArticleSet>"


def article_xml(item: dict) -> bytes:
    """One bundled record as a `<PubmedArticle>` in the shape efetch returns."""
    ids = [E.ArticleId(item["pmid"], IdType="pubmed")]
    if item.get("doi"):
        ids.append(E.ArticleId(item["doi"], IdType="doi"))
    if item.get("pmcid"):
        ids.append(E.ArticleId(item["pmcid"], IdType="pmc"))
    article = E.Article(
        E.Journal(E.JournalIssue(_pub_date(item.get("pub_date")), CitedMedium="Internet")),
        E.ArticleTitle(item.get("title") or ""),
        E.Abstract(E.AbstractText(item.get("summary") or "", Label=SUMMARY_LABEL)),
        E.AuthorList(*[_author(name) for name in item.get("authors") or []]),
        E.PublicationTypeList(*[E.PublicationType(t) for t in item.get("publication_types") or []]),
    )
    if item.get("nct_ids"):
        accessions = [E.AccessionNumber(nct) for nct in item["nct_ids"]]
        article.append(
            E.DataBankList(
                E.DataBank(E.DataBankName("ClinicalTrials.gov"), E.AccessionNumberList(*accessions))
            )
        )
    citation = E.MedlineCitation(
        E.PMID(item["pmid"], Version="1"),
        article,
        E.MedlineJournalInfo(E.MedlineTA(item.get("journal") or "")),
        Status="PubMed-not-MEDLINE",
        Owner="NLM",
    )
    pubmed_data = E.PubmedData(E.ArticleIdList(*ids))
    return etree.tostring(E.PubmedArticle(citation, pubmed_data), encoding="UTF-8")


def _pub_date(value: str | None) -> etree._Element:
    parts = (value or "").split("-")
    date = E.PubDate()
    if parts[0]:
        date.append(E.Year(parts[0]))
    if len(parts) > 1:
        date.append(E.Month(MONTHS[int(parts[1]) - 1]))
    if len(parts) > 2:
        date.append(E.Day(parts[2]))
    return date


def _author(name: str) -> etree._Element:
    surname, _, initials = name.rpartition(" ")
    if not surname or not initials.isupper():
        return E.Author(E.CollectiveName(name), ValidYN="Y")
    return E.Author(E.LastName(surname), E.Initials(initials), ValidYN="Y")


def _in_window(pub_date: str | None, mindate: str | None, maxdate: str | None) -> bool:
    """esearch's mindate/maxdate ("YYYY/MM/DD") on a record's ISO partial date."""
    if not (mindate or maxdate):
        return True
    day = (pub_date or "").replace("-", "")
    low = (mindate or "").replace("/", "")
    high = (maxdate or "9999").replace("/", "")
    return bool(day) and low <= day <= high


class EuropePmcSnapshot:
    """The bundled records behind `EuropePmcClient.search_pubmed`, for offline runs.

    The bundled records are PubMed records, so the snapshot evaluates the PubMed query itself
    (as `Snapshot.esearch` does) and serves each match as Europe PMC would a ``MED`` record;
    the translation is made and returned all the same, so an untranslatable query fails
    offline as it would live, and the search log shows what would be sent. It holds no
    preprints: offline, Europe PMC finds what PubMed finds.
    """

    source = "europepmc-snapshot"
    changes_upstream = False

    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot
        self.requests_sent = 0

    @property
    def label(self) -> str:
        return f"{self.snapshot.label}, answering for Europe PMC"

    def search_pubmed(self, pubmed_query: str, *, page_size: int | None = None) -> dict:
        from livescreen.sources.europepmc_query import to_europepmc

        translation = to_europepmc(pubmed_query)
        self.requests_sent += 1
        node = parse_query(pubmed_query)
        records = [
            europepmc_record(record)
            for record, index in zip(self.snapshot.records, self.snapshot.index, strict=True)
            if matches(node, index)
        ]
        return {
            "total": len(records),
            "records": records,
            "pages": 1,
            "query": translation.query,
            "source": self.source,
            "source_label": self.label,
            "translation": translation,
        }


def europepmc_record(record: dict) -> dict:
    """A parsed PubMed record with the keys a Europe PMC ``MED`` record adds."""
    return {
        **record,
        "europepmc_id": record["pmid"],
        "europepmc_source": "MED",
        "preprint": False,
        "published_version": [],
        "published_pmid": None,
        "preprint_versions": [],
        "first_publication_date": record.get("epub_date") or None,
    }


class SnapshotCitations:
    """Citation lookups offline: the snapshot bundles no citation links, so every PMID is
    answered with none (``known=False``), and a chase finds nothing, saying why in its label."""

    batch_size = 1000

    def __init__(self) -> None:
        self.requests_sent = 0

    @property
    def label(self) -> str:
        return "offline snapshot (no citation links bundled: citation chasing finds nothing)"

    def links(self, pmids: Sequence[str], directions: Sequence[str] = ("forward", "backward")):
        from livescreen.sources.citations import CitationLinks

        self.requests_sent += 1
        return {pmid: CitationLinks(pmid, known=False) for pmid in dict.fromkeys(pmids)}
