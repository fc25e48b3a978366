"""The E-utilities stand-in, driven with plain requests (not the project's client).

Answers are also read with Biopython's ``Entrez.read``, which checks them against NCBI's own
DTDs, so a stand-in answer that drifts from NCBI's shapes fails here.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from Bio import Entrez
from lxml import etree

try:
    from tests.support.standin import (
        BAD_ID,
        DEFAULT_MDAT,
        FORGED_TITLE,
        RETRIEVAL_CAP,
        EutilsStandIn,
        RecordedRequest,
        StandInQueryError,
        split_pubmed_articles,
    )
except ModuleNotFoundError:  # pytest's default rootdir-less import puts tests/ on sys.path
    from standin import (  # type: ignore[no-redef]
        BAD_ID,
        DEFAULT_MDAT,
        FORGED_TITLE,
        RETRIEVAL_CAP,
        EutilsStandIn,
        RecordedRequest,
        StandInQueryError,
        split_pubmed_articles,
    )

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "ncbi" / "biopython"
PMIDS = ["101", "205", "303", "99", "1000"]
BIG = [str(n) for n in range(1, 12_001)]  # a set past the 9,999-record retrieval cap


def article(pmid: str) -> bytes:
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
        f'<PMID Version="1">{pmid}</PMID><Article PubModel="Print">'
        f"<ArticleTitle>Title {pmid}</ArticleTitle></Article></MedlineCitation>"
        f"</PubmedArticle>"
    ).encode()


ARTICLES = {p: article(p) for p in PMIDS}


def search(term: str, mindate: str | None, maxdate: str | None) -> list[str]:
    if "badfield" in term:
        raise StandInQueryError("FieldNotFound", "badfield")
    if "nosuchphrase" in term:
        raise StandInQueryError("PhraseNotFound", "nosuchphrase")
    if term == "big":
        return BIG
    if term == "none":
        return []
    if mindate == "2024/01/01":
        return ["205", "101"]
    return list(PMIDS)


def warnings(term: str) -> list[tuple[str, str]]:
    if term.startswith('"quoted'):
        return [("OutputMessage", "Quoted phrase not found."), ("QuotedPhraseNotFound", term)]
    return []


AMBIGUOUS = ["33057196", "32076266", "32025019"]


def citmatch(citation: dict[str, str]) -> str | list[str] | None:
    journal, page = citation["journal"].lower(), citation["first_page"]
    if journal == "boom":
        raise RuntimeError("citmatch failed")
    if journal == "bad shape":
        return "maybe"
    if journal == "nosuchjournal":
        return "NOT_FOUND;INVALID_JOURNAL"
    if journal == "proc natl acad sci u s a" and page == "3248":
        return "2014248"
    if journal == "science" and page == "182":
        return "3026048"
    if journal == "nature" and not page:
        return AMBIGUOUS
    return None


@pytest.fixture(scope="module")
def server() -> Iterator[EutilsStandIn]:
    with EutilsStandIn(search, ARTICLES, warnings=warnings, citmatch=citmatch) as standin:
        yield standin


@pytest.fixture
def eutils(server: EutilsStandIn) -> Iterator[EutilsStandIn]:
    server.reset()
    yield server
    assert server.errors == []


def get(eutils: EutilsStandIn, endpoint: str, **params: str) -> requests.Response:
    return requests.get(f"{eutils.base_url}{endpoint}.fcgi", params=params, timeout=5)


def esearch(eutils: EutilsStandIn, **params: str) -> requests.Response:
    return get(eutils, "esearch", db="pubmed", **params)


def efetch(eutils: EutilsStandIn, **params: str) -> requests.Response:
    return get(eutils, "efetch", db="pubmed", retmode="xml", **params)


def ids_of(response: requests.Response) -> list[str]:
    return etree.fromstring(response.content).xpath("//IdList/Id/text()")


def pmids_of(response: requests.Response) -> list[str]:
    return etree.fromstring(response.content).xpath("//PubmedArticle/MedlineCitation/PMID/text()")


def entrez_read(response: requests.Response) -> object:
    return Entrez.read(io.BytesIO(response.content))


def ecitmatch(eutils: EutilsStandIn, *citations: str, **params: str) -> requests.Response:
    """GET ecitmatch.cgi with the citation strings joined by CR, as NCBI documents."""
    query = {"db": "pubmed", "retmode": "xml", "bdata": "\r".join(citations), **params}
    return requests.get(f"{eutils.base_url}ecitmatch.cgi", params=query, timeout=5)


def lines_of(response: requests.Response) -> list[str]:
    assert response.text.endswith("\n")
    return response.text.split("\n")[:-1]


PNAS = "proc natl acad sci u s a|1991|88|3248|mann bj|Art1|"


# -- esearch ---------------------------------------------------------------------------------


def test_esearch_answers_ncbi_shaped_xml(eutils: EutilsStandIn) -> None:
    response = esearch(eutils, term="mdma ptsd", retmax="3")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    assert response.content.startswith(
        b'<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC '
        b'"-//NLM//DTD esearch 20060628//EN" '
        b'"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
        b"<eSearchResult><Count>5</Count><RetMax>3</RetMax><RetStart>0</RetStart><IdList>\n"
        b"<Id>1000</Id>\n<Id>303</Id>\n<Id>205</Id>\n</IdList><TranslationSet/>"
        b"<QueryTranslation>mdma ptsd</QueryTranslation></eSearchResult>"
    )
    record = entrez_read(response)
    assert record["Count"] == "5" and record["IdList"] == ["1000", "303", "205"]
    assert "WebEnv" not in record


def test_esearch_pages_with_retstart_and_defaults_to_twenty(eutils: EutilsStandIn) -> None:
    assert ids_of(esearch(eutils, term="x", retstart="3", retmax="10")) == ["101", "99"]
    assert len(ids_of(esearch(eutils, term="big"))) == 20
    assert ids_of(esearch(eutils, term="x", retstart="50")) == []


def test_esearch_passes_dates_as_sent_and_translates_the_range(eutils: EutilsStandIn) -> None:
    response = esearch(
        eutils, term="x", mindate="2024/01/01", maxdate="2024/12/31", datetype="edat"
    )

    assert ids_of(response) == ["205", "101"]
    assert entrez_read(response)["QueryTranslation"] == (
        "x AND 2024/01/01:2024/12/31[Date - Entry]"
    )


def test_esearch_accepts_urlencoded_post(eutils: EutilsStandIn) -> None:
    response = requests.post(
        f"{eutils.base_url}esearch.fcgi?db=pubmed",
        data={"term": "x", "retmax": "2"},
        timeout=5,
    )

    assert ids_of(response) == ["1000", "303"]
    (recorded,) = eutils.requests
    assert recorded.method == "POST"
    assert recorded.params == {"db": "pubmed", "term": "x", "retmax": "2"}


def test_esearch_refuses_json(eutils: EutilsStandIn) -> None:
    assert esearch(eutils, term="x", retmode="json").status_code == 400


def test_esearch_with_history_then_efetch_from_it(eutils: EutilsStandIn) -> None:
    record = entrez_read(esearch(eutils, term="x", usehistory="y", retmax="0"))
    assert record["QueryKey"] == "1" and record["WebEnv"].startswith("MCID_")
    assert record["IdList"] == []

    history = {"WebEnv": record["WebEnv"], "query_key": "1"}
    assert pmids_of(efetch(eutils, **history, retstart="1", retmax="3")) == ["303", "205", "101"]
    assert pmids_of(efetch(eutils, **history)) == ["1000", "303", "205", "101", "99"]

    again = entrez_read(esearch(eutils, term="none", usehistory="y", WebEnv=record["WebEnv"]))
    assert again["WebEnv"] == record["WebEnv"] and again["QueryKey"] == "2"
    assert pmids_of(efetch(eutils, WebEnv=record["WebEnv"], query_key="2")) == []

    stale = efetch(eutils, WebEnv="MCID_gone", query_key="1")
    assert stale.status_code == 400 and b"<ERROR>" in stale.content


def test_field_not_found_is_a_zero_count_error_list(eutils: EutilsStandIn) -> None:
    response = esearch(eutils, term="x[badfield]")

    assert response.status_code == 200
    assert b"<Count>0</Count><RetMax>0</RetMax>" in response.content
    assert b"<ErrorList><FieldNotFound>badfield</FieldNotFound></ErrorList>" in response.content
    assert b"<WarningList><OutputMessage>No items found.</OutputMessage></WarningList>" in (
        response.content
    )
    record = entrez_read(response)
    assert record["ErrorList"]["FieldNotFound"] == ["badfield"]


def test_phrase_not_found_matches_the_recorded_ncbi_answer(eutils: EutilsStandIn) -> None:
    body = esearch(eutils, term="nosuchphrase").content
    assert body.endswith(
        b"<eSearchResult><Count>0</Count><RetMax>0</RetMax><RetStart>0</RetStart><IdList/>"
        b"<TranslationSet/><QueryTranslation>nosuchphrase</QueryTranslation><ErrorList>"
        b"<PhraseNotFound>nosuchphrase</PhraseNotFound></ErrorList><WarningList>"
        b"<OutputMessage>No items found.</OutputMessage></WarningList></eSearchResult>\n"
    )
    recorded = FIXTURES / "esearch8.xml"
    if recorded.is_file():  # the same elements in the same order as NCBI's own answer
        tags = [e.tag for e in etree.fromstring(body).iter()]
        assert tags == [e.tag for e in etree.fromstring(recorded.read_bytes()).iter()]


def test_warnings_are_listed_in_dtd_order(eutils: EutilsStandIn) -> None:
    body = esearch(eutils, term='"quoted phrase"').content
    assert (
        b'<WarningList><QuotedPhraseNotFound>"quoted phrase"</QuotedPhraseNotFound>'
        b"<OutputMessage>Quoted phrase not found.</OutputMessage></WarningList>"
    ) in body


def test_retstart_past_the_cap_is_ncbis_in_band_error(eutils: EutilsStandIn) -> None:
    response = esearch(eutils, term="big", retstart=str(RETRIEVAL_CAP), retmax="10")

    assert response.status_code == 200
    assert b"<eSearchResult><ERROR>Search Backend failed: Exception:\n'retstart' cannot" in (
        response.content
    )
    with pytest.raises(RuntimeError, match="cannot be larger than 9998"):
        entrez_read(response)


def test_a_window_crossing_the_cap_is_clamped_with_a_warning(eutils: EutilsStandIn) -> None:
    response = esearch(eutils, term="big", retstart="9990", retmax="20")

    record = entrez_read(response)
    assert record["Count"] == "12000" and record["RetMax"] == "9"
    assert len(record["IdList"]) == 9
    assert record["WarningList"]["OutputMessage"] == [
        "Restrictions achieved. start and count adjusted to 9990, 9"
    ]


def test_strict_cap_refuses_a_crossing_window() -> None:
    with EutilsStandIn(search, ARTICLES, strict_cap=True) as eutils:
        assert b"<ERROR>" in esearch(eutils, term="big", retstart="9990", retmax="20").content
        assert b"<ERROR>" not in esearch(eutils, term="big", retstart="9980", retmax="19").content


def test_history_efetch_past_the_cap_is_a_400_and_a_crossing_page_is_clamped() -> None:
    # BIG by descending PMID puts "2002" at index 9998 (the last served) and "2001" at 9999
    with EutilsStandIn(search, {p: article(p) for p in ("2001", "2002")}) as eutils:
        record = entrez_read(esearch(eutils, term="big", usehistory="y", retmax="0"))
        history = {"WebEnv": record["WebEnv"], "query_key": record["QueryKey"]}

        refused = efetch(eutils, **history, retstart=str(RETRIEVAL_CAP), retmax="10")
        assert refused.status_code == 400
        assert b"'retstart' cannot be larger than 9998" in refused.content
        assert pmids_of(efetch(eutils, **history, retstart="9998", retmax="10")) == ["2002"]


# -- modification dates and PMID lists (the fetch step's change check) -----------------------


@pytest.fixture
def fresh() -> Iterator[EutilsStandIn]:
    """A server of its own: update_article changes its records for the rest of its life."""
    with EutilsStandIn(search, ARTICLES) as standin:
        yield standin
        assert standin.errors == []


def test_a_pmid_list_is_answered_from_the_articles_held(fresh: EutilsStandIn) -> None:
    response = esearch(fresh, term="101[uid] OR 42[uid] OR 303[PMID]")
    assert ids_of(response) == ["303", "101"]  # 42 is not held: left out, as PubMed does
    assert entrez_read(response)["Count"] == "2"
    assert ids_of(esearch(fresh, term="(205[uid])")) == ["205"]


def test_modification_dates_limit_a_pmid_list(fresh: EutilsStandIn) -> None:
    term = "101[uid] OR 205[uid] OR 303[uid]"
    window = {"datetype": "mdat", "mindate": "2026/03/01", "maxdate": "3000"}
    assert fresh.modification_date("101") == DEFAULT_MDAT < dt.date(2026, 3, 1)
    assert ids_of(esearch(fresh, term=term, **window)) == []

    fresh.update_article("205", article("205").replace(b">Title", b">New title"), "2026/03/01")
    fresh.update_article("303", article("303"), dt.date(2026, 2, 28))
    response = esearch(fresh, term=term, **window)
    assert ids_of(response) == ["205"]  # mindate is inclusive; 303 changed the day before
    assert entrez_read(response)["QueryTranslation"] == (
        f"{term} AND 2026/03/01:3000[Date - Modification]"
    )
    assert b"<ArticleTitle>New title 205</ArticleTitle>" in efetch(fresh, id="205").content
    assert ids_of(esearch(fresh, term=term, datetype="mdat", mindate="2026/02", maxdate="2026/02"))
    assert ids_of(esearch(fresh, term=term, **window, retmax="0")) == []


def test_modification_dates_filter_any_search(fresh: EutilsStandIn) -> None:
    """The search callable's own windows are publication dates; mdat windows are the
    stand-in's, so the callable is asked without dates."""
    fresh.update_article("99", article("99"), "2026/05/02")
    response = esearch(fresh, term="x", datetype="mdat", mindate="2026", maxdate="2026")
    assert ids_of(response) == ["99"]


def test_updates_stay_with_their_server(fresh: EutilsStandIn) -> None:
    fresh.update_article("101", b"<PubmedArticle/>", "2026/01/01")
    assert ARTICLES["101"] == article("101")
    with EutilsStandIn(search, ARTICLES) as other:
        assert other.modification_date("101") == DEFAULT_MDAT


def test_an_unreadable_date_is_an_in_band_error(fresh: EutilsStandIn) -> None:
    response = esearch(
        fresh, term="101[uid]", datetype="mdat", mindate="2026-03-01", maxdate="3000"
    )
    assert response.status_code == 200
    assert b"<ERROR>Invalid date: 2026-03-01" in response.content


def test_a_pmid_list_by_publication_date_is_not_modelled(fresh: EutilsStandIn) -> None:
    response = esearch(fresh, term="101[uid]", mindate="2020", maxdate="2026")
    assert response.status_code == 400


def test_foreign_id_adds_a_pmid_not_asked_about(fresh: EutilsStandIn) -> None:
    fresh.inject("esearch", "foreign-id")
    response = esearch(fresh, term="1[uid] OR 101[uid]")
    assert ids_of(response) == ["101", "2"]
    assert entrez_read(response)["Count"] == "2"
    assert ids_of(esearch(fresh, term="1[uid] OR 101[uid]")) == ["101"]


# -- efetch ----------------------------------------------------------------------------------


def test_efetch_by_id_keeps_the_order_asked_and_omits_unknown(eutils: EutilsStandIn) -> None:
    response = efetch(eutils, id="303,42,101,1000")

    assert response.status_code == 200
    assert response.content.startswith(
        b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
        b'1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
        b"<PubmedArticleSet>\n<PubmedArticle>"
    )
    assert pmids_of(response) == ["303", "101", "1000"]
    articles = entrez_read(response)["PubmedArticle"]
    assert [a["MedlineCitation"]["PMID"] for a in articles] == ["303", "101", "1000"]


def test_efetch_by_post(eutils: EutilsStandIn) -> None:
    response = requests.post(
        f"{eutils.base_url}efetch.fcgi",
        data={"db": "pubmed", "retmode": "xml", "id": ",".join(PMIDS)},
        timeout=5,
    )
    assert pmids_of(response) == PMIDS


def test_efetch_without_retmode_is_an_html_page(eutils: EutilsStandIn) -> None:
    response = get(eutils, "efetch", db="pubmed", id="101")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert b"PmFetch response" in response.content


def test_efetch_without_ids_is_an_error(eutils: EutilsStandIn) -> None:
    assert efetch(eutils).status_code == 400


def test_real_fixture_articles_round_trip(eutils: EutilsStandIn) -> None:
    source = FIXTURES / "pubmed1.xml"
    if not source.is_file():
        pytest.skip("shared fixtures not present")
    articles = split_pubmed_articles(source.read_bytes())
    assert sorted(articles) == ["12091962", "9997"]
    with EutilsStandIn(search, articles) as real:
        response = efetch(real, id="9997,12091962")
    parsed = entrez_read(response)["PubmedArticle"]
    assert [a["MedlineCitation"]["PMID"] for a in parsed] == ["9997", "12091962"]


def test_unknown_paths_are_404(eutils: EutilsStandIn) -> None:
    eutils.inject("*", "500")
    response = requests.get(f"{eutils.base_url}esummary.fcgi", timeout=5)
    assert response.status_code == 404
    assert eutils.requests[0].endpoint == "other" and eutils.requests[0].fault is None
    assert eutils.pending_faults("*") == ["500"]  # "*" faults are kept for esearch/efetch


# -- ecitmatch -------------------------------------------------------------------------------


def test_ecitmatch_answers_ncbis_quick_start_example(eutils: EutilsStandIn) -> None:
    # the example URL of NCBI's "E-utilities Quick Start" (NBK25500), sent as written there
    response = requests.get(
        f"{eutils.base_url}ecitmatch.cgi?db=pubmed&retmode=xml&bdata=proc+natl+acad+sci+u+s+a"
        "|1991|88|3248|mann+bj|Art1|%0Dscience|1987|235|182|palmenberg+ac|Art2|",
        timeout=5,
    )

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.headers["X-RateLimit-Limit"] == "3"
    assert response.content == (  # NBK25500's sample output
        b"proc natl acad sci u s a|1991|88|3248|mann bj|Art1|2014248\n"
        b"science|1987|235|182|palmenberg ac|Art2|3026048\n"
    )
    (recorded,) = eutils.requests
    assert recorded.endpoint == "ecitmatch" and recorded.method == "GET"
    assert recorded.params["bdata"].split("\r")[1] == "science|1987|235|182|palmenberg ac|Art2|"
    assert recorded.status == 200 and recorded.fault is None


def test_ecitmatch_matches_biopythons_recorded_answer(eutils: EutilsStandIn) -> None:
    # Bio.Entrez.ecitmatch joins the six fields with "|" (no final "|"), url-encodes with "+"
    # for spaces and leaves "|" bare; NCBI's answer, recorded in Biopython's
    # Tests/Entrez/ecitmatch.txt, still has one "|" between key and PMID
    fields = ["proc natl acad sci u s a", "1991", "88", "3248", "mann bj", "citation_1"]
    query = urlencode({"retmode": "xml", "db": "pubmed", "bdata": "|".join(fields)})
    response = requests.get(
        f"{eutils.base_url}ecitmatch.cgi?{query.replace('%7C', '|')}", timeout=5
    )
    assert response.content == (
        b"proc natl acad sci u s a|1991|88|3248|mann bj|citation_1|2014248\n"
    )


def test_ecitmatch_echoes_fields_as_sent_and_passes_them_on() -> None:
    seen: list[dict[str, str]] = []

    def recording(citation: dict[str, str]) -> str | list[str] | None:
        seen.append(citation)
        return citmatch(citation)

    with EutilsStandIn(search, ARTICLES, citmatch=recording) as eutils:
        response = ecitmatch(eutils, "Proc Natl Acad Sci U S A|1991||3248|Mann BJ|Art 1|")
    assert lines_of(response) == ["Proc Natl Acad Sci U S A|1991||3248|Mann BJ|Art 1|2014248"]
    assert seen == [
        {
            "journal": "Proc Natl Acad Sci U S A",
            "year": "1991",
            "volume": "",
            "first_page": "3248",
            "author": "Mann BJ",
            "key": "Art 1",
        }
    ]


def test_ecitmatch_not_found_with_and_without_a_reason(eutils: EutilsStandIn) -> None:
    response = ecitmatch(
        eutils, "jama|1994|271|698|colditz ga|ref1|", "nosuchjournal|2000|40|885||ref2|"
    )
    assert lines_of(response) == [
        "jama|1994|271|698|colditz ga|ref1|NOT_FOUND",
        "nosuchjournal|2000|40|885||ref2|NOT_FOUND;INVALID_JOURNAL",
    ]


def test_ecitmatch_without_a_callable_finds_nothing() -> None:
    with EutilsStandIn(search, ARTICLES) as eutils:
        response = ecitmatch(eutils, PNAS)
    assert response.status_code == 200
    assert lines_of(response) == [PNAS + "NOT_FOUND"]


def test_ecitmatch_ambiguous_lists_the_candidates(eutils: EutilsStandIn) -> None:
    response = ecitmatch(eutils, "nature|2020|||zhang f|ref1|")
    assert lines_of(response) == ["nature|2020|||zhang f|ref1|AMBIGUOUS 33057196,32076266,32025019"]


@pytest.mark.parametrize(
    ("answer", "result"),
    [
        ("2014248", "2014248"),
        (["2014248"], "2014248"),
        (["2", "1"], "AMBIGUOUS 2,1"),
        ([], "NOT_FOUND"),
        (None, "NOT_FOUND"),
        ("NOT_FOUND;INVALID_JOURNAL", "NOT_FOUND;INVALID_JOURNAL"),
    ],
)
def test_ecitmatch_result_for_each_callable_answer(
    answer: str | list[str] | None, result: str
) -> None:
    with EutilsStandIn(search, ARTICLES, citmatch=lambda citation: answer) as eutils:
        assert lines_of(ecitmatch(eutils, PNAS)) == [PNAS + result]


def test_ecitmatch_answers_several_citations_in_order_with_their_keys(
    eutils: EutilsStandIn,
) -> None:
    citations = [
        "science|1987|235|182|palmenberg ac|k1|",
        "nature|2020|||zhang f|k2|",
        "jama|1994|271|698|colditz ga|k3|",
        "science|1987|235|182|palmenberg ac|k1|",  # a repeated key is answered again
        "proc natl acad sci u s a|1991|88|3248|mann bj|k5",  # no final "|", as Biopython sends
        "science|1987",  # too few fields: padded with empty ones
        "science|1987|235|182|palmenberg ac|k7|extra|",  # fields past the sixth are ignored
    ]
    response = requests.post(
        f"{eutils.base_url}ecitmatch.cgi",
        data={"db": "pubmed", "retmode": "xml", "bdata": "\r".join(citations) + "\r"},
        timeout=5,
    )

    assert response.status_code == 200
    lines = lines_of(response)
    assert lines == [
        "science|1987|235|182|palmenberg ac|k1|3026048",
        "nature|2020|||zhang f|k2|AMBIGUOUS 33057196,32076266,32025019",
        "jama|1994|271|698|colditz ga|k3|NOT_FOUND",
        "science|1987|235|182|palmenberg ac|k1|3026048",
        "proc natl acad sci u s a|1991|88|3248|mann bj|k5|2014248",
        "science|1987|||||NOT_FOUND",
        "science|1987|235|182|palmenberg ac|k7|3026048",
    ]
    assert [line.split("|")[5] for line in lines] == ["k1", "k2", "k3", "k1", "k5", "", "k7"]
    assert all(line.count("|") == 6 for line in lines)
    assert eutils.requests[0].method == "POST" and eutils.requests[0].endpoint == "ecitmatch"


def test_ecitmatch_takes_cr_separators_only(eutils: EutilsStandIn) -> None:
    assert len(lines_of(ecitmatch(eutils, PNAS, PNAS))) == 2  # "\r" goes out as %0D
    for separator in ("\n", "\r\n"):
        refused = ecitmatch(eutils, PNAS + separator + PNAS)
        assert refused.status_code == 400
        assert refused.headers["Content-Type"].startswith("text/plain")
        assert b"CR (%0D)" in refused.content


@pytest.mark.parametrize(
    "params",
    [
        {"db": "pmc"},
        {"db": ""},
        {"retmode": "json"},
        {"retmode": ""},
        {"bdata": ""},
        {"bdata": "\r\r"},
    ],
)
def test_ecitmatch_refuses_what_ncbi_does_not_document(
    eutils: EutilsStandIn, params: dict[str, str]
) -> None:
    query = {"db": "pubmed", "retmode": "xml", "bdata": PNAS, **params}
    response = requests.get(f"{eutils.base_url}ecitmatch.cgi", params=query, timeout=5)
    assert response.status_code == 400 and response.content.startswith(b"stand-in: ")


def test_ecitmatch_needs_retmode(eutils: EutilsStandIn) -> None:
    query = {"db": "pubmed", "bdata": PNAS}
    response = requests.get(f"{eutils.base_url}ecitmatch.cgi", params=query, timeout=5)
    assert response.status_code == 400 and b"retmode=xml" in response.content


def test_ecitmatch_is_cgi_not_fcgi(eutils: EutilsStandIn) -> None:
    response = requests.get(f"{eutils.base_url}ecitmatch.fcgi", params={"bdata": PNAS}, timeout=5)
    assert response.status_code == 404 and eutils.requests[0].endpoint == "other"


def test_ecitmatch_callable_failures_are_500s(eutils: EutilsStandIn) -> None:
    assert ecitmatch(eutils, "boom|2000|1|1|x|k|").status_code == 500
    assert ecitmatch(eutils, "bad shape|2000|1|1|x|k|").status_code == 500
    assert len(eutils.errors) == 2
    assert "citmatch failed" in eutils.errors[0] and "'maybe'" in eutils.errors[1]
    eutils.errors.clear()


@pytest.mark.parametrize(
    ("fault", "status", "content_type"),
    [
        ("429", 429, "application/json"),
        ("429-retry-after", 429, "application/json"),
        ("500", 500, "text/html"),
        ("502", 502, "text/html"),
        ("503", 503, "text/html"),
        ("html200", 200, "text/html"),
    ],
)
def test_ecitmatch_status_faults(
    eutils: EutilsStandIn, fault: str, status: int, content_type: str
) -> None:
    eutils.inject("ecitmatch", fault)
    response = ecitmatch(eutils, PNAS)

    assert response.status_code == status
    assert response.headers["Content-Type"].startswith(content_type)
    assert eutils.requests[0].fault == fault and eutils.requests[0].status == status
    assert lines_of(ecitmatch(eutils, PNAS)) == [PNAS + "2014248"]  # consumed


def test_star_faults_reach_ecitmatch(eutils: EutilsStandIn) -> None:
    eutils.inject("*", "503", "html200")
    assert ecitmatch(eutils, PNAS).status_code == 503
    assert esearch(eutils, term="x").headers["Content-Type"].startswith("text/html")
    assert ecitmatch(eutils, PNAS).status_code == 200
    assert [r.fault for r in eutils.requests] == ["503", "html200", None]


def test_ecitmatch_truncated_ends_mid_line(eutils: EutilsStandIn) -> None:
    citations = [PNAS, "science|1987|235|182|palmenberg ac|Art2|", "jama|1994|271|698|x|Art3|"]
    whole = ecitmatch(eutils, *citations).content
    eutils.inject("ecitmatch", "truncated")
    response = ecitmatch(eutils, *citations)

    cut = response.content
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(cut)
    assert 0 < len(cut) < len(whole) and whole.startswith(cut)
    assert not cut.endswith(b"\n")
    *complete, partial = cut.split(b"\n")
    line = whole.split(b"\n")[len(complete)]
    assert partial and line.startswith(partial) and len(partial) < len(line)
    assert partial.count(b"|") < 6  # the truncated line has lost its result


def test_ecitmatch_truncated_single_line(eutils: EutilsStandIn) -> None:
    eutils.inject("ecitmatch", "truncated")
    cut = ecitmatch(eutils, PNAS).content
    assert b"\n" not in cut and (PNAS + "2014248").encode().startswith(cut)
    assert cut.count(b"|") < 6


def test_ecitmatch_short_drops_the_last_line(eutils: EutilsStandIn) -> None:
    eutils.inject("ecitmatch", "short")
    response = ecitmatch(eutils, PNAS, "science|1987|235|182|palmenberg ac|Art2|")
    assert lines_of(response) == [PNAS + "2014248"]


def test_ecitmatch_reset_and_slow(eutils: EutilsStandIn) -> None:
    eutils.inject("ecitmatch", "reset", "slow:1.5")
    with pytest.raises(requests.exceptions.ConnectionError):
        ecitmatch(eutils, PNAS)
    with pytest.raises(requests.exceptions.Timeout):
        requests.get(
            f"{eutils.base_url}ecitmatch.cgi",
            params={"db": "pubmed", "retmode": "xml", "bdata": PNAS},
            timeout=(1, 0.2),
        )
    assert [r.fault for r in eutils.requests] == ["reset", "slow:1.5"]
    assert eutils.requests[0].status is None


# -- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["429", "429-retry-after"])
def test_429_carries_ncbis_json_body(eutils: EutilsStandIn, fault: str) -> None:
    eutils.inject("esearch", fault)
    response = esearch(eutils, term="x")

    assert response.status_code == 429
    assert response.headers["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert sorted(body) == ["api-key", "count", "error", "limit"]
    assert body["error"] == "API rate limit exceeded" and body["api-key"] == "127.0.0.1"
    assert body["limit"] == "3" and int(body["count"]) > 3
    assert response.headers.get("Retry-After") == ("1" if fault == "429-retry-after" else None)
    assert esearch(eutils, term="x").status_code == 200  # consumed


def test_429_names_the_api_key_when_one_is_sent(eutils: EutilsStandIn) -> None:
    eutils.inject("efetch", "429")
    body = efetch(eutils, id="101", api_key="SECRET").json()
    assert body["api-key"] == "SECRET" and body["limit"] == "10"
    assert eutils.requests[0].params["api_key"] == "SECRET"


@pytest.mark.parametrize("status", ["500", "502", "503"])
def test_5xx_is_an_html_page(eutils: EutilsStandIn, status: str) -> None:
    eutils.inject("efetch", status)
    response = efetch(eutils, id="101")
    assert response.status_code == int(status)
    assert response.headers["Content-Type"].startswith("text/html")
    assert eutils.requests[0].fault == status and eutils.requests[0].status == int(status)


def test_html200_is_a_page_where_xml_was_expected(eutils: EutilsStandIn) -> None:
    eutils.inject("esearch", "html200")
    response = esearch(eutils, term="x")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.content.lstrip().lower().startswith(b"<!doctype html>")


def test_truncated_body_is_complete_http_but_broken_xml(eutils: EutilsStandIn) -> None:
    whole = efetch(eutils, id="101,205").content
    eutils.inject("efetch", "truncated")
    response = efetch(eutils, id="101,205")

    assert response.status_code == 200
    assert response.content == whole[: len(whole) // 2]
    assert int(response.headers["Content-Length"]) == len(response.content)
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(response.content)


def test_short_drops_the_last_article(eutils: EutilsStandIn) -> None:
    eutils.inject("efetch", "short")
    assert pmids_of(efetch(eutils, id="101,205,303")) == ["101", "205"]


def test_reset_raises_connection_error(eutils: EutilsStandIn) -> None:
    eutils.inject("efetch", "reset")
    with pytest.raises(requests.exceptions.ConnectionError):
        efetch(eutils, id="101")
    assert eutils.requests[0].fault == "reset" and eutils.requests[0].status is None
    assert pmids_of(efetch(eutils, id="101")) == ["101"]


def test_slow_exceeds_a_timeout_without_blocking_others(eutils: EutilsStandIn) -> None:
    eutils.inject("esearch", "slow:1.5")
    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        requests.get(f"{eutils.base_url}esearch.fcgi", params={"term": "x"}, timeout=(1, 0.2))
    assert time.monotonic() - started < 1.0
    assert efetch(eutils, id="101").status_code == 200  # served while the slow one sleeps


def test_slow_then_answers_normally(eutils: EutilsStandIn) -> None:
    eutils.inject("esearch", "slow:0.1")
    assert ids_of(esearch(eutils, term="x", retmax="1")) == ["1000"]


def test_in_band_backend_errors(eutils: EutilsStandIn) -> None:
    eutils.inject("esearch", "esearch-error")
    eutils.inject("efetch", "efetch-error")

    response = esearch(eutils, term="x")
    assert response.status_code == 200
    with pytest.raises(RuntimeError, match="Search Backend failed"):
        entrez_read(response)
    fetched = efetch(eutils, id="101")
    assert fetched.status_code == 200 and b"<eFetchResult>" in fetched.content
    assert pmids_of(fetched) == []


# -- hostile answers: well-formed XML a trusting client would store ------------------------


def titles_of(response: requests.Response) -> list[str]:
    return etree.fromstring(response.content).xpath("//ArticleTitle/text()")


def test_xxe_declares_an_external_entity_and_uses_it_in_every_title(eutils: EutilsStandIn) -> None:
    eutils.inject("efetch", "xxe")
    response = efetch(eutils, id="101,205")
    assert response.status_code == 200
    assert b'<!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' in (
        response.content
    )
    assert response.content.count(b"<ArticleTitle>&xxe; Title ") == 2
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(response.content, parser)  # well-formed: the entity is declared
    assert [e.text for e in root.iter(etree.Entity)] == ["&xxe;", "&xxe;"]
    assert root.xpath("//PMID/text()") == ["101", "205"]
    assert b"&xxe;" not in efetch(eutils, id="101,205").content  # one request only


def test_foreign_article_adds_a_forged_copy_of_one_not_asked_for(eutils: EutilsStandIn) -> None:
    eutils.inject("efetch", "foreign-article")
    response = efetch(eutils, id="205,303")
    assert pmids_of(response) == ["205", "303", "99"]  # 99: the lowest PMID not asked for
    assert titles_of(response) == ["Title 205", "Title 303", FORGED_TITLE]


def test_duplicate_article_serves_the_first_twice_the_copy_forged(eutils: EutilsStandIn) -> None:
    eutils.inject("efetch", "duplicate-article")
    response = efetch(eutils, id="205,303")
    assert pmids_of(response) == ["205", "303", "205"]
    assert titles_of(response) == ["Title 205", "Title 303", FORGED_TITLE]


def test_bad_id_lists_a_formula_where_a_pmid_belongs(eutils: EutilsStandIn) -> None:
    eutils.inject("esearch", "bad-id")
    response = esearch(eutils, term="x")
    assert ids_of(response) == ["1000", "303", "205", "101", "99", BAD_ID]
    assert entrez_read(response)["Count"] == "6"
    eutils.inject("ecitmatch", "bad-id")
    response = ecitmatch(eutils, PNAS, "science|1987|235|182|palmenberg ac|Art2|")
    assert lines_of(response) == [PNAS + BAD_ID, "science|1987|235|182|palmenberg ac|Art2|3026048"]


def test_a_persistent_fault_outlasts_retries_until_reset(eutils: EutilsStandIn) -> None:
    eutils.persist("efetch", "xxe")
    eutils.inject("efetch", "500")  # queued faults come first
    assert [efetch(eutils, id="101").status_code for _ in range(2)] == [500, 200]
    assert [r.fault for r in eutils.requests] == ["500", "xxe"]
    assert b"&xxe;" in efetch(eutils, id="101").content
    with pytest.raises(ValueError):
        eutils.persist("esearch", "xxe")
    eutils.reset()
    assert b"&xxe;" not in efetch(eutils, id="101").content


def test_faults_are_consumed_in_order_endpoint_queue_first(eutils: EutilsStandIn) -> None:
    eutils.inject("*", "503", "502")
    eutils.inject("efetch", "500")

    statuses = [efetch(eutils, id="101").status_code for _ in range(3)]
    statuses.append(esearch(eutils, term="x").status_code)
    assert statuses == [500, 503, 502, 200]
    assert [r.fault for r in eutils.requests] == ["500", "503", "502", None]


def test_inject_rejects_what_it_cannot_serve(eutils: EutilsStandIn) -> None:
    for endpoint, fault in [
        ("efetch", "404"),
        ("esearch", "short"),
        ("*", "esearch-error"),
        ("efetch", "slow:soon"),
        ("esummary", "500"),
        ("ecitmatch", "esearch-error"),
        ("ecitmatch", "efetch-error"),
        ("*", "short"),
        ("esearch", "xxe"),
        ("ecitmatch", "foreign-article"),
        ("*", "duplicate-article"),
        ("efetch", "bad-id"),
        ("*", "bad-id"),
    ]:
        with pytest.raises(ValueError):
            eutils.inject(endpoint, fault)
    assert eutils.pending_faults("*") == [] and eutils.pending_faults("efetch") == []
    assert eutils.pending_faults("ecitmatch") == []
    eutils.inject("ecitmatch", "short")
    assert eutils.pending_faults("ecitmatch") == ["short"]


def test_reset_clears_requests_and_faults(eutils: EutilsStandIn) -> None:
    eutils.inject("esearch", "500")
    esearch(eutils, term="x")
    eutils.inject("esearch", "500")
    eutils.reset()
    assert eutils.requests == [] and eutils.pending_faults("esearch") == []
    assert esearch(eutils, term="x").status_code == 200


# -- recording and rate ----------------------------------------------------------------------


def test_requests_are_recorded_with_time_and_headers(eutils: EutilsStandIn) -> None:
    before = time.monotonic()
    esearch(eutils, term="x", api_key="KEY", tool="livescreen")
    (recorded,) = eutils.requests
    assert before <= recorded.time <= time.monotonic()
    assert recorded.endpoint == "esearch" and recorded.method == "GET"
    assert recorded.params["api_key"] == "KEY" and recorded.params["tool"] == "livescreen"
    assert recorded.status == 200 and recorded.fault is None
    assert recorded.headers["User-Agent"].startswith("python-requests")


def test_concurrent_requests_are_all_recorded(eutils: EutilsStandIn) -> None:
    threads = [
        threading.Thread(target=esearch, args=(eutils,), kwargs={"term": "x"}) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(eutils.requests) == 8
    assert eutils.max_requests_in_window(1.0) == 8


def test_max_requests_in_window_uses_half_open_windows(eutils: EutilsStandIn) -> None:
    for t in [0.0, 1 / 3, 2 / 3, 1.0, 1.2, 5.0]:
        eutils.requests.append(RecordedRequest(t, "esearch", "GET", {}))
    assert eutils.max_requests_in_window(1.0) == 4  # 1/3, 2/3, 1.0, 1.2
    assert eutils.max_requests_in_window(0.5) == 2
    assert eutils.max_requests_in_window(10.0) == 6
    eutils.reset()
    assert eutils.max_requests_in_window() == 0


def test_rate_limit_headers_and_enforcement() -> None:
    with EutilsStandIn(search, ARTICLES, enforce_rate_limit=True) as eutils:
        session = requests.Session()
        url = f"{eutils.base_url}esearch.fcgi"
        first = session.get(url, params={"term": "x"}, timeout=5)
        assert first.headers["X-RateLimit-Limit"] == "3"
        statuses = [session.get(url, params={"term": "x"}, timeout=5).status_code]
        statuses += [session.get(url, params={"term": "x"}, timeout=5).status_code for _ in "ab"]
        keyed = [
            session.get(url, params={"term": "x", "api_key": "K"}, timeout=5).status_code
            for _ in range(4)
        ]
    assert statuses[:1] == [200] and 429 in statuses
    assert [r.fault for r in eutils.requests if r.status == 429] == ["rate-limit"] * (
        statuses.count(429)
    )
    assert keyed == [200] * 4


def test_stop_does_not_wait_for_a_slow_handler() -> None:
    eutils = EutilsStandIn(search, ARTICLES).start()
    eutils.inject("esearch", "slow:30")
    esearch_url = f"{eutils.base_url}esearch.fcgi"
    with pytest.raises(requests.exceptions.Timeout):
        requests.get(esearch_url, params={"term": "x"}, timeout=(1, 0.1))
    started = time.monotonic()
    eutils.stop()
    assert time.monotonic() - started < 1.0
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(esearch_url, params={"term": "x"}, timeout=1)
