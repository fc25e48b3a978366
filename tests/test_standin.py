"""The E-utilities stand-in, driven with plain requests (not the project's client).

Answers are also read with Biopython's ``Entrez.read``, which checks them against NCBI's own
DTDs, so a stand-in answer that drifts from NCBI's shapes fails here.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from Bio import Entrez
from lxml import etree

try:
    from tests.standin import (
        RETRIEVAL_CAP,
        EutilsStandIn,
        RecordedRequest,
        StandInQueryError,
        split_pubmed_articles,
    )
except ModuleNotFoundError:  # pytest's default rootdir-less import puts tests/ on sys.path
    from standin import (  # type: ignore[no-redef]
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


@pytest.fixture(scope="module")
def server() -> Iterator[EutilsStandIn]:
    with EutilsStandIn(search, ARTICLES, warnings=warnings) as standin:
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
    ]:
        with pytest.raises(ValueError):
            eutils.inject(endpoint, fault)
    assert eutils.pending_faults("*") == [] and eutils.pending_faults("efetch") == []


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
