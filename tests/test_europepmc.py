"""Europe PMC: the PubMed -> Europe PMC query translation, and the client against the loopback
stand-in (real HTTP): cursor paging, the hitCount check, faults, rate limit, no key sent."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from livescreen.columns import RECORD_KEYS
from livescreen.config import load_config
from livescreen.errors import BadResponse, IncompleteResults, QueryError, UntranslatableQuery
from livescreen.search import full_query
from livescreen.sources.europepmc import (
    DEFAULT_EUROPEPMC_URL,
    EXTRA_KEYS,
    EuropePmcClient,
    flatten_markup,
    parse_page,
    parse_result,
    translation_log,
)
from livescreen.sources.europepmc_query import EUROPEPMC_NOTES, to_europepmc
from livescreen.sources.query import matches, parse_query
from livescreen.sources.snapshot import EuropePmcSnapshot
from tests.support.europepmc_standin import (
    BAD_ID,
    EuropePmcStandIn,
    StandInQueryError,
    core_result,
    preprint_result,
)

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "resources" / "snapshot" / "snapshot_records.json"
KEY = "secret-ncbi-key-0123456789"


@pytest.fixture(scope="module")
def config():
    return load_config(ROOT / "config.yaml")


@pytest.fixture(scope="module")
def raw_records() -> list[dict]:
    return json.loads(BUNDLED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def results(raw_records) -> list[dict]:
    """The bundled records as Europe PMC MED results, plus two preprints (one of them the
    preprint of a bundled article) and one PMC-only record."""
    med = [core_result(item) for item in raw_records]
    preprints = [
        preprint_result(
            "PPR300001",
            "MDMA-assisted therapy for PTSD: a randomized trial (preprint)",
            published_pmid=raw_records[0]["pmid"],
        ),
        preprint_result("PPR300002", "Emotional breakthrough and trust in MDMA therapy for PTSD"),
    ]
    pmc_only = {
        "id": "PMC9000001",
        "source": "PMC",
        "pmcid": "PMC9000001",
        "title": "Posttraumatic stress and MDMA: a case series",
        "pubTypeList": {"pubType": ["Journal Article"]},
        "firstPublicationDate": "2022-02-02",
    }
    return [*med[:10], *preprints, pmc_only, *med[10:]]


class QueryMatcher:
    """The stand-in's search: each Europe PMC query the tests send is registered with the PubMed
    query it was translated from, and evaluated as that over the result's record; any other
    query is refused (so a client sending something else fails)."""

    def __init__(self):
        self.queries: dict[str, object] = {}

    def register(self, pubmed_query: str) -> str:
        translated = to_europepmc(pubmed_query).query
        self.queries[translated] = parse_query(pubmed_query)
        return translated

    def __call__(self, query: str, result) -> bool:
        node = self.queries.get(query)
        if node is None:
            raise StandInQueryError(f"Syntax error in query: {query[:40]}")
        return matches(node, parse_result(result))


EVERYTHING = "MDMA[tiab] OR PTSD[tiab] OR trauma*[tiab] OR therapy[tiab] OR ecstasy[tiab]"


@pytest.fixture
def matcher():
    m = QueryMatcher()
    m.register(EVERYTHING)
    return m


@pytest.fixture
def epmc(results, matcher):
    with EuropePmcStandIn(results, match=matcher) as server:
        yield server
        assert not server.errors, server.errors


def client_for(server, **overrides) -> EuropePmcClient:
    options = dict(
        timeout=0.5, max_retries=4, backoff_initial=0.01, backoff_max=0.05, requests_per_second=50
    )
    options.update(overrides)
    return EuropePmcClient(server.base_url, **options)


def expected_total(results, pubmed_query: str) -> int:
    node = parse_query(pubmed_query)
    return sum(1 for r in results if matches(node, parse_result(r)))


# -- translation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pubmed", "europepmc"),
    [
        ("MDMA[tiab]", 'TITLE_ABS:"MDMA"'),
        ("insight[ti]", 'TITLE:"insight"'),
        ("oxytocin[ab]", 'ABSTRACT:"oxytocin"'),
        (
            '"Stress Disorders, Post-Traumatic"[mh]',
            'MESH_HEADING:"Stress Disorders, Post-Traumatic"',
        ),
        ('"Clinical Trials as Topic"[mh:noexp]', 'MESH_HEADING:"Clinical Trials as Topic"'),
        ('"Randomized Controlled Trial"[pt]', 'PUB_TYPE:"Randomized Controlled Trial"'),
        ("mithoefer mc[au]", 'AUTH:"mithoefer mc"'),
        ("dropout*[tiab]", "TITLE_ABS:dropout*"),
        (
            '"3,4-methylenedioxymethamphetamine"[tiab]',
            'TITLE_ABS:"3,4-methylenedioxymethamphetamine"',
        ),
        ("fear extinction[tiab]", 'TITLE_ABS:"fear extinction"'),
        ("2019:2024[dp]", "FIRST_PDATE:[2019-01-01 TO 2024-12-31]"),
        ('"2020/02"[dp] : "3000"[dp]', "FIRST_PDATE:[2020-02-01 TO 3000-12-31]"),
        ("2021/05/10[dp]", "FIRST_PDATE:[2021-05-10 TO 2021-05-10]"),
        ("Psychopharmacology[ta]", 'JOURNAL:"Psychopharmacology"'),
        ("eng[la]", 'LANG:"eng"'),
        # PubMed reads left to right; Europe PMC would bind AND first without the parentheses
        ("a[tiab] OR b[tiab] AND c[tiab]", '(TITLE_ABS:"a" OR TITLE_ABS:"b") AND TITLE_ABS:"c"'),
        ("a[tiab] AND (b[tiab] OR c[tiab])", 'TITLE_ABS:"a" AND (TITLE_ABS:"b" OR TITLE_ABS:"c")'),
        ("a[tiab] OR b[tiab] OR c[tiab]", 'TITLE_ABS:"a" OR TITLE_ABS:"b" OR TITLE_ABS:"c"'),
        ("a[tiab] NOT b[tiab] NOT c[tiab]", '(TITLE_ABS:"a" NOT TITLE_ABS:"b") NOT TITLE_ABS:"c"'),
        ("a[tiab] NOT review[pt] OR c[ti]", '(TITLE_ABS:"a" NOT PUB_TYPE:"review") OR TITLE:"c"'),
        # implicit AND and curly quotes
        ("fear[tiab] memory[tiab]", 'TITLE_ABS:"fear" AND TITLE_ABS:"memory"'),
        ("\u201cwindow of tolerance\u201d[tiab]", 'TITLE_ABS:"window of tolerance"'),
        ("back\\slash[tiab]", 'TITLE_ABS:"back\\\\slash"'),
    ],
)
def test_translation(pubmed, europepmc):
    assert to_europepmc(pubmed).query == europepmc


@pytest.mark.parametrize(
    ("pubmed", "term"),
    [
        ("MDMA", "MDMA[all]"),
        ("MDMA[all]", "MDMA[all]"),
        ("a[tiab] OR psilocybin[tw]", "psilocybin[tw]"),
        ('"Memory"[majr]', "Memory[majr]"),
        ("therapy[sh]", "therapy[sh]"),
        ('"fear extinct*"[tiab]', "fear extinct*[tiab]"),
        ('"self-compassion*"[tiab]', "self-compassion*[tiab]"),
    ],
)
def test_untranslatable_terms_fail_naming_the_term(pubmed, term):
    with pytest.raises(UntranslatableQuery) as caught:
        to_europepmc(pubmed)
    assert caught.value.term == term
    assert repr(term) in str(caught.value)
    assert isinstance(caught.value, QueryError)


def test_the_notes_say_where_the_meaning_differs():
    notes = to_europepmc('"Memory"[mh] OR memory[tiab] AND "Review"[pt] AND 2019:2024[dp]').notes
    assert notes[0] == EUROPEPMC_NOTES["preprints"]
    assert EUROPEPMC_NOTES["order"] in notes
    for key in ("mh", "pt", "dp"):
        assert EUROPEPMC_NOTES[key] in notes
    assert "explodes" in EUROPEPMC_NOTES["mh"]
    plain = to_europepmc("a[tiab] OR b[tiab]").notes
    assert plain == (EUROPEPMC_NOTES["preprints"],)  # nothing else differs
    assert EUROPEPMC_NOTES["mh:noexp"] in to_europepmc('"Fear"[mh:noexp]').notes


def test_every_configured_query_translates_without_excluding_preprints(config):
    for keyword in config["keywords"]:
        pubmed = full_query(keyword["query"], config["mdma_terms"], config["ptsd_terms"])
        translation = to_europepmc(pubmed)
        assert "SRC:" not in translation.query and "PPR" not in translation.query
        assert translation.query.count("(") == translation.query.count(")")
        assert "[" not in translation.query.replace("FIRST_PDATE:[", "")  # no PubMed tags left
        assert 'MESH_HEADING:"N-Methyl-3,4-methylenedioxyamphetamine"' in translation.query
        log = translation_log(translation)
        assert log["pubmed_query"] == pubmed and log["europepmc_query"] == translation.query
        assert "preprints (SRC:PPR) included" in log["translation_notes"]


def test_a_configured_query_translates_exactly(config):
    engagement = next(k for k in config["keywords"] if k["slug"] == "engagement_avoidance")
    translated = to_europepmc(engagement["query"]).query
    assert translated.startswith(
        'MESH_HEADING:"Patient Dropouts" OR MESH_HEADING:"Treatment Refusal" OR '
        'MESH_HEADING:"Patient Compliance" OR TITLE_ABS:dropout* OR TITLE_ABS:"drop out" OR '
        'TITLE_ABS:"drop-out"'
    )
    assert translated.endswith('OR TITLE_ABS:"window of tolerance"')


# -- paging -----------------------------------------------------------------------------------


def test_paging_to_the_end_takes_the_minimum_requests(epmc, results):
    total = expected_total(results, EVERYTHING)
    assert total == len(results) == 37
    result = client_for(epmc).search_pubmed(EVERYTHING, page_size=5)
    assert result["total"] == total == len(result["records"])
    assert result["pages"] == math.ceil(total / 5) == 8
    assert len(epmc.recorded()) == 8  # no request past the last page
    assert [r["europepmc_id"] for r in result["records"]] == [r["id"] for r in results]
    first, *later = epmc.recorded()
    assert first.params == {
        "query": to_europepmc(EVERYTHING).query,
        "format": "json",
        "resultType": "core",
        "pageSize": "5",
        "synonym": "false",
        "cursorMark": "*",
    }
    cursors = [r.params["cursorMark"] for r in later]
    assert len(set(cursors)) == 7 and "*" not in cursors
    assert result["translation"].query == first.params["query"]
    assert result["source"] == "europepmc"
    assert result["source_label"] == f"Europe PMC via {epmc.base_url}"


def test_a_result_that_fills_its_last_page_needs_no_empty_page(epmc, matcher, results):
    query = "MDMA[tiab] OR PTSD[tiab]"
    matcher.register(query)
    total = expected_total(results, query)
    size = next(s for s in range(2, total) if total % s == 0)
    result = client_for(epmc).search_pubmed(query, page_size=size)
    assert result["total"] == total
    assert len(epmc.recorded()) == total // size


def test_no_match_is_one_request_and_the_default_page_is_1000(epmc, matcher):
    matcher.register("zzzqqq[tiab]")
    result = client_for(epmc).search_pubmed("zzzqqq[tiab]")
    assert (result["total"], result["records"], result["pages"]) == (0, [], 1)
    everything = client_for(epmc).search_pubmed(EVERYTHING)
    assert everything["pages"] == 1
    assert epmc.recorded()[-1].params["pageSize"] == "1000"


def test_preprints_are_found_and_linked_to_their_journal_version(epmc, raw_records):
    records = client_for(epmc).search_pubmed(EVERYTHING)["records"]
    by_id = {r["europepmc_id"]: r for r in records}
    preprint = by_id["PPR300001"]
    assert preprint["preprint"] is True and preprint["article_kind"] == "preprint"
    assert preprint["pmid"] is None and preprint["europepmc_source"] == "PPR"
    assert preprint["published_version"] == [f"MED:{raw_records[0]['pmid']}"]
    assert preprint["published_pmid"] == raw_records[0]["pmid"]
    assert preprint["journal"] == "medRxiv" and preprint["pub_date"] == "2021-03-04"
    assert preprint["abstract"] == "Background: MDMA-assisted therapy for PTSD. Methods: a trial."
    assert by_id["PPR300002"]["published_pmid"] is None
    med = by_id[raw_records[0]["pmid"]]
    assert med["preprint"] is False and med["pmid"] == raw_records[0]["pmid"]
    assert by_id["PMC9000001"]["pmcid"] == "PMC9000001" and by_id["PMC9000001"]["pmid"] is None
    for record in records:
        assert set(record) == set(RECORD_KEYS) | set(EXTRA_KEYS)


# -- the count check and the cursor -----------------------------------------------------------


def test_a_hit_count_that_disagrees_fails(epmc):
    epmc.hit_delta = 1
    # one page more is asked for the record announced: it comes back empty
    with pytest.raises(IncompleteResults, match=r"collected 37 records over 9 page\(s\)"):
        client_for(epmc).search_pubmed(EVERYTHING, page_size=5)
    epmc.hit_delta = -3  # fewer announced than served: stops as soon as it knows
    with pytest.raises(IncompleteResults, match="announced hitCount 34"):
        client_for(epmc).search_pubmed(EVERYTHING, page_size=5)


@pytest.mark.parametrize("fault", ["repeat-cursor", "no-cursor"])
def test_a_cursor_that_stops_early_is_an_error_not_a_truncation(epmc, fault):
    epmc.inject("ok", fault)
    with pytest.raises(IncompleteResults, match=r"collected 10 records over 2 page\(s\)"):
        client_for(epmc).search_pubmed(EVERYTHING, page_size=5)
    assert len(epmc.recorded()) == 2


def test_a_record_served_twice_fails(epmc, results):
    epmc.results.append(results[0])
    with pytest.raises(IncompleteResults, match="came on page 1 and again on page 8"):
        client_for(epmc).search_pubmed(EVERYTHING, page_size=5)


def test_a_hit_count_that_changes_while_paging_fails(epmc, results):
    client = client_for(epmc)
    epmc.inject("ok", "ok")
    original = epmc._match

    calls = {"n": 0}

    def shrinking(query, result):
        calls["n"] += 1
        return original(query, result) and not (calls["n"] > 40 and result is results[-1])

    epmc._match = shrinking
    with pytest.raises(IncompleteResults, match="page 2 announced hitCount 36"):
        client.search_pubmed(EVERYTHING, page_size=5)


# -- faults -----------------------------------------------------------------------------------

FAULTS = [
    "429",
    "429-retry-after",
    "500",
    "502",
    "503",
    "html200",
    "truncated",
    "reset",
    "slow:1.5",
    "wrong-type",
    "bad-id",
    "no-results",
]


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_mid_paging_is_retried_with_identical_results(epmc, fault):
    clean = client_for(epmc).search_pubmed(EVERYTHING, page_size=10)
    epmc.reset()
    epmc.inject("ok", fault)
    again = client_for(epmc).search_pubmed(EVERYTHING, page_size=10)
    assert again["records"] == clean["records"] and again["total"] == clean["total"]
    assert [r.fault for r in epmc.recorded()] == ["ok", fault, None, None, None]
    assert not epmc.pending_faults()


def test_exhausted_retries_name_the_search_and_page(epmc):
    epmc.inject("ok", "500", "502", "503")
    with pytest.raises(Exception) as caught:
        client_for(epmc, max_retries=2).search_pubmed(EVERYTHING, page_size=10)
    message = str(caught.value)
    assert "page 2" in message and "failed after 3 attempts" in message and "HTTP 503" in message
    assert "Europe PMC search" in message


def test_a_query_europe_pmc_rejects_fails_at_once(epmc):
    with pytest.raises(QueryError, match="Europe PMC rejected the query: 'Syntax error"):
        client_for(epmc).search('TITLE_ABS:"unregistered"')
    assert len(epmc.recorded()) == 1


def test_an_empty_query_or_bad_page_size_sends_nothing():
    client = EuropePmcClient("http://127.0.0.1:9/")
    with pytest.raises(QueryError):
        client.search("  ")
    with pytest.raises(QueryError, match="page_size"):
        client.search("x", page_size=1001)
    assert client.requests_sent == 0


# -- rate limit and the key -------------------------------------------------------------------


def test_the_default_rate_is_5_per_second_and_holds(epmc):
    client = EuropePmcClient(epmc.base_url, timeout=2, backoff_initial=0.01, backoff_max=0.05)
    assert client.limiter.rate == 5
    epmc.max_per_second = 5  # the stand-in answers 429 past 5 a second
    epmc.inject("ok", "500")  # a retry counts too
    result = client.search_pubmed(EVERYTHING, page_size=4)
    assert result["total"] == 37
    assert len(epmc.recorded()) == 11 == client.requests_sent
    assert epmc.max_requests_in_window(1.0) <= 5
    assert all(r.fault != "rate-limit" for r in epmc.recorded())


def test_the_ncbi_key_is_never_sent_to_europe_pmc(epmc, monkeypatch):
    monkeypatch.setenv("NCBI_API_KEY", KEY)
    client = EuropePmcClient.from_config(
        {"europepmc": {"base_url": epmc.base_url, "requests_per_second": 50}, "timeout": 1}
    )
    epmc.inject("429", "ok")
    client.search_pubmed(EVERYTHING, page_size=10)
    assert client.http.secrets == []
    for request in epmc.recorded():
        assert "api_key" not in request.params
        assert KEY not in request.path and KEY.encode() not in request.body
        assert all(KEY not in value for value in request.headers.values())


def test_from_config_defaults():
    client = EuropePmcClient.from_config({})
    assert client.base_url == DEFAULT_EUROPEPMC_URL
    assert (client.page_size, client.limiter.rate, client.source) == (1000, 5, "europepmc")
    tuned = EuropePmcClient.from_config(
        {"europepmc": {"page_size": 200, "requests_per_second": 2}, "timeout": 7, "max_retries": 2}
    )
    assert (tuned.page_size, tuned.limiter.rate, tuned.http.timeout) == (200, 2, 7)
    assert tuned.http.max_retries == 2


# -- reading answers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"hitCount": 1, "resultList": {"result": [', "truncated or malformed JSON"),
        (b"<!DOCTYPE html><html><body>down</body></html>", "HTML page"),
        (b"[]", "not a JSON object"),
        (b'{"resultList": {"result": []}}', "no hitCount"),
        (b'{"hitCount": "3", "resultList": {"result": []}}', "no hitCount"),
        (b'{"hitCount": true, "resultList": {"result": []}}', "no hitCount"),
        (b'{"hitCount": 3}', "no resultList.result"),
        (b'{"hitCount": 1, "resultList": {"result": {}}}', "no resultList.result"),
        (b'{"hitCount": 1, "nextCursorMark": 7, "resultList": {"result": []}}', "not a string"),
        (b'{"hitCount": 1, "resultList": {"result": ["x"]}}', "not an object"),
        (b'{"hitCount": 1, "resultList": {"result": [{"id": "1"}]}}', "has source None"),
        (b'{"hitCount": 1, "resultList": {"result": [{"id": "12a", "source": "MED"}]}}',
         "has id '12a', not a MED id"),
        (b'{"hitCount": 1, "resultList": {"result": [{"id": "PPR1", "source": "MED"}]}}',
         "not a MED id"),
        (b'{"hitCount": 1, "resultList": {"result": [{"id": "=1+1", "source": "PPR"}]}}',
         "not a PPR id"),
        (b'{"hitCount": 1, "resultList": {"result": [{"id": "PPR1", "source": "PPR",'
         b' "pmid": "=1"}]}}', "pmid '=1', not a pmid"),
        (b'{"hitCount": 1, "resultList": {"result": [{"id": "1", "source": "MED",'
         b' "doi": "javascript:x"}]}}', "not a DOI"),
    ],
)  # fmt: skip
def test_bad_pages_are_bad_responses(body, message):
    with pytest.raises(BadResponse, match=message):
        parse_page(body)


def test_a_zero_hit_page_may_have_no_results_and_errmsg_is_a_query_error():
    assert parse_page(b'{"hitCount": 0, "resultList": {}}').results == []
    with pytest.raises(QueryError, match="rejected"):
        parse_page(b'{"hitCount": 0, "errMsg": "bad syntax"}')


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"title": ["a list"]}, "title is"),
        ({"authorList": "Smith J"}, "authorList is"),
        ({"authorList": {"author": ["Smith J"]}}, "authorList.author"),
        ({"pubTypeList": {"pubType": [3]}}, "pubTypeList.pubType"),
        ({"journalInfo": {"journal": "Nature"}}, "journal is"),
        (
            {"commentCorrectionList": {"commentCorrection": [
                {"id": BAD_ID, "source": "MED", "type": "Preprint of"}]}},
            "not a MED id|a MED id",
        ),
    ],
)  # fmt: skip
def test_wrong_types_in_a_record_are_bad_responses(extra, message):
    with pytest.raises(BadResponse, match=message):
        parse_result({"id": "PPR1", "source": "PPR", **extra})


def test_a_record_reads_like_a_pubmed_record():
    record = parse_result(
        {
            "id": "31234567",
            "source": "MED",
            "pmid": "31234567",
            "doi": "10.1/x",
            "title": "An <i>MDMA</i> trial &amp; more (NCT01234567)",
            "authorList": {"author": [{"lastName": "Mitchell", "initials": "JM"},
                                      {"collectiveName": "MAPP Study Group"}]},
            "journalInfo": {"volume": "27", "issue": "6", "yearOfPublication": 2021,
                            "monthOfPublication": 6,
                            "journal": {"title": "Nature medicine",
                                        "medlineAbbreviation": "Nat Med"}},
            "pageInfo": "1025-1033",
            "pubTypeList": {"pubType": ["Randomized Controlled Trial", "Journal Article"]},
            "meshHeadingList": {"meshHeading": [
                {"majorTopic_YN": "N", "descriptorName": "Humans"},
                {"majorTopic_YN": "N", "descriptorName": "Stress Disorders, Post-Traumatic",
                 "meshQualifierList": {"meshQualifier": [{"majorTopic_YN": "Y"}]}}]},
            "keywordList": {"keyword": ["MDMA", "PTSD"]},
            "language": "eng",
            "commentCorrectionList": {"commentCorrection": [
                {"id": "35000001", "source": "MED", "type": "Erratum in", "reference": "Nat Med"},
                {"id": "PPR200001", "source": "PPR", "type": "Preprint in"}]},
            "electronicPublicationDate": "2021-05-10",
            "firstPublicationDate": "2021-05-10",
        }
    )  # fmt: skip
    assert record["title"] == "An MDMA trial & more (NCT01234567)"
    assert record["authors"] == ["Mitchell JM", "MAPP Study Group"]
    assert (record["journal"], record["journal_title"]) == ("Nat Med", "Nature medicine")
    assert (record["volume"], record["issue"], record["pages"]) == ("27", "6", "1025-1033")
    assert (record["pub_date"], record["year"], record["epub_date"]) == (
        "2021-06",
        2021,
        "2021-05-10",
    )
    assert record["mesh"] == ["Humans", "Stress Disorders, Post-Traumatic"]
    assert record["mesh_major"] == ["Stress Disorders, Post-Traumatic"]
    assert record["language"] == ["eng"] and record["nct_ids"] == ["NCT01234567"]
    assert record["errata"] == ["Nat Med (PMID 35000001)"] and not record["retracted"]
    assert record["preprint_versions"] == ["PPR:PPR200001"] and not record["preprint"]


def test_flatten_markup():
    assert flatten_markup("plain") == "plain"
    assert (
        flatten_markup("<h4>Aims</h4><p>x &lt; y</p><h4>Results:</h4>z")
        == "Aims: x < y\nResults: z"
    )


# -- offline ----------------------------------------------------------------------------------


def test_the_snapshot_answers_europe_pmc_searches_like_pubmed(config, snapshot):
    offline = EuropePmcSnapshot(snapshot)
    for keyword in config["keywords"]:
        pubmed = full_query(keyword["query"], config["mdma_terms"], config["ptsd_terms"])
        result = offline.search_pubmed(pubmed)
        assert [r["pmid"] for r in result["records"]] == snapshot.esearch(pubmed).ids
        assert result["total"] == len(result["records"])
        assert result["translation"] == to_europepmc(pubmed)
        assert all(set(r) == set(RECORD_KEYS) | set(EXTRA_KEYS) for r in result["records"])
    with pytest.raises(UntranslatableQuery):
        offline.search_pubmed("MDMA")


def test_a_record_has_the_same_bytes_in_every_process(results, tmp_path):
    """Field order must not follow a set's order, which changes with each process's string
    hashing: the records file would change on every run (and with it every step after)."""
    source = tmp_path / "result.json"
    source.write_text(json.dumps(results[:3]), encoding="utf-8")
    code = (
        "import json, sys; from livescreen.sources.europepmc import parse_result; "
        "print(json.dumps([parse_result(r) for r in json.load(open(sys.argv[1]))]))"
    )
    printed = {
        subprocess.run(
            [sys.executable, "-c", code, str(source)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3", "4")
    }
    assert len(printed) == 1
