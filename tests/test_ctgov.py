"""The ClinicalTrials.gov client against the loopback stand-in: real HTTP, paging, faults.

The stand-in serves the bundled registrations (as API v2 study objects) plus a few decoys,
filtered by the offline search, so the live client and the offline snapshot can be compared.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from livescreen.errors import BadResponse, QueryError, RemoteError
from livescreen.parse.registrations import parse_studies
from livescreen.sources.ctgov import DEFAULT_CTGOV_URL, CtgovClient, parse_studies_page
from livescreen.sources.registry import RegistrySnapshot, study_json, study_matches
from tests.support.ctgov_standin import BAD_NCT_ID, CtgovStandIn, StandInQueryError

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "resources" / "snapshot" / "registered_trials.json"
CONDITION = "PTSD OR posttraumatic stress"
INTERVENTION = "MDMA OR midomafetamine OR methylenedioxymethamphetamine"
DECOYS = [  # one fails each side of the search; the last fails both
    {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT09000001", "briefTitle": "Exposure for PTSD"},
            "conditionsModule": {"conditions": ["PTSD"]},
            "armsInterventionsModule": {
                "interventions": [{"type": "BEHAVIORAL", "name": "Prolonged exposure"}]
            },
        }
    },
    {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT09000002", "briefTitle": "MDMA in volunteers"},
            "conditionsModule": {"conditions": ["Healthy"]},
            "armsInterventionsModule": {"interventions": [{"type": "DRUG", "name": "MDMA"}]},
        }
    },
    {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT09000003", "briefTitle": "Metformin"},
            "conditionsModule": {"conditions": ["Type 2 Diabetes"]},
        },
        "hasResults": True,
    },
]


def nct_ids(studies: list[dict]) -> list[str]:
    return [s["protocolSection"]["identificationModule"]["nctId"] for s in studies]


def snapshot_match(params, study) -> bool:
    """The stand-in's search: the offline evaluator, its errors as the service's 400."""
    try:
        return study_matches(study, params.get("query.cond", ""), params.get("query.intr", ""))
    except QueryError as error:
        raise StandInQueryError(f"Error parsing query in ConditionSearch: {error}") from None


@pytest.fixture(scope="module")
def bundled_studies() -> list[dict]:
    return [study_json(item) for item in json.loads(BUNDLED.read_text(encoding="utf-8"))]


@pytest.fixture
def ctgov(bundled_studies):
    studies = [DECOYS[0], *bundled_studies[:4], DECOYS[1], *bundled_studies[4:], DECOYS[2]]
    with CtgovStandIn(studies, match=snapshot_match) as server:
        yield server
        assert not server.errors, server.errors


def client_for(server, **overrides) -> CtgovClient:
    """A fast client (the tests' own rate-limiter files; the 1/s default is tested alone)."""
    options = dict(
        timeout=0.5,
        max_retries=4,
        backoff_initial=0.01,
        backoff_max=0.05,
        requests_per_second=50,
        condition=CONDITION,
        intervention=INTERVENTION,
    )
    options.update(overrides)
    return CtgovClient(server.base_url, **options)


# -- paging -----------------------------------------------------------------------------------


def test_paging_returns_every_study_once_and_equals_total(ctgov, bundled_studies):
    result = client_for(ctgov).search_studies(page_size=3)
    assert result["total"] == 8 == len(result["studies"])
    assert nct_ids(result["studies"]) == nct_ids(bundled_studies)  # served order, no decoys
    assert result["pages"] == 3
    assert result["query"] == {"query.cond": CONDITION, "query.intr": INTERVENTION}
    assert result["source"] == "ctgov"
    assert result["source_label"] == f"ClinicalTrials.gov API v2 via {ctgov.base_url}"

    first, *later = ctgov.recorded()
    assert len(later) == 2
    assert first.method == "GET" and first.path.startswith("/api/v2/studies?")
    assert first.params == {
        "query.cond": CONDITION,
        "query.intr": INTERVENTION,
        "pageSize": "3",
        "countTotal": "true",
        "format": "json",
    }
    for request in later:  # same search, plus the token the previous page gave
        assert {k: v for k, v in request.params.items() if k != "pageToken"} == first.params
        assert request.params["pageToken"]
    assert len({r.params["pageToken"] for r in later}) == 2


def test_a_full_last_page_is_followed_by_an_empty_one(ctgov):
    """The service mints a token whenever a page is full; the page after it is empty."""
    result = client_for(ctgov).search_studies(page_size=4)
    assert result["total"] == 8 == len(result["studies"])
    assert result["pages"] == 3
    last = ctgov.recorded()[-1]
    assert last.status == 200 and last.params["pageToken"]


def test_one_page_and_no_match(ctgov):
    client = client_for(ctgov)
    assert client.search_studies()["pages"] == 1  # default page size 100
    nothing = client.search_studies("Type 1 Diabetes", INTERVENTION)
    assert (nothing["total"], nothing["studies"], nothing["pages"]) == (0, [], 1)


def test_live_search_and_offline_snapshot_agree(ctgov):
    live = client_for(ctgov).search_studies(page_size=3)
    offline = RegistrySnapshot(BUNDLED).search_studies(CONDITION, INTERVENTION)
    assert offline["total"] == live["total"]
    assert parse_studies(offline["studies"]) == parse_studies(live["studies"])
    assert set(offline) == set(live)


def test_the_client_honours_one_request_per_second(ctgov):
    client = CtgovClient(
        ctgov.base_url,
        condition=CONDITION,
        intervention=INTERVENTION,
        timeout=2,
        backoff_initial=0.01,
        backoff_max=0.05,
    )
    assert client.limiter.rate == 1
    ctgov.inject("ok", "500")  # a retry counts too
    result = client.search_studies(page_size=3)
    assert result["total"] == 8
    assert len(ctgov.recorded()) == 4 == client.requests_sent
    assert ctgov.max_requests_in_window(1.0) <= 1


# -- faults -----------------------------------------------------------------------------------

FAULTS = [
    "429",
    "429-retry-after",
    "500",
    "502",
    "503",
    "html200",
    "truncated",
    "no-studies",
    "reset",
    "slow:1.5",
]


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_mid_paging_is_survived_with_identical_results(ctgov, fault):
    clean = client_for(ctgov).search_studies(page_size=3)
    ctgov.reset()
    ctgov.inject("ok", fault)  # the second page fails once
    again = client_for(ctgov).search_studies(page_size=3)
    assert again == clean
    assert [r.fault for r in ctgov.recorded()] == ["ok", fault, None, None]
    assert not ctgov.pending_faults()


def test_a_fault_on_the_first_page_is_survived(ctgov):
    clean = client_for(ctgov).search_studies(page_size=3)
    ctgov.inject("truncated", "503", "html200")
    assert client_for(ctgov).search_studies(page_size=3) == clean


def test_exhausted_retries_name_the_request(ctgov):
    ctgov.inject("ok", "500", "502", "503")
    with pytest.raises(RemoteError) as caught:
        client_for(ctgov, max_retries=2).search_studies(page_size=3)
    message = str(caught.value)
    assert f"query.cond={CONDITION!r}" in message and f"query.intr={INTERVENTION!r}" in message
    assert "page 2" in message
    assert f"studies at {ctgov.base_url} failed after 3 attempts" in message
    assert "HTTP 503" in message
    assert len(ctgov.recorded()) == 4


def test_a_total_count_that_disagrees_fails(ctgov):
    ctgov.total_delta = 1
    with pytest.raises(RemoteError, match=r"collected 8 studies over 3 page\(s\) but the first "):
        client_for(ctgov).search_studies(page_size=3)
    ctgov.total_delta = -2  # fewer announced than served: stops paging as soon as it knows
    with pytest.raises(RemoteError, match="announced totalCount 6"):
        client_for(ctgov).search_studies(page_size=3)


def test_a_study_served_twice_fails(ctgov, bundled_studies):
    ctgov.studies.append(bundled_studies[0])  # as if the registry changed while paging
    with pytest.raises(RemoteError, match="NCT03537014 came on page 1 and again on page 3"):
        client_for(ctgov).search_studies(page_size=3)


def test_a_rejected_query_fails_at_once_with_the_services_message(ctgov):
    with pytest.raises(RemoteError) as caught:
        client_for(ctgov).search_studies("PTSD AND (chronic", INTERVENTION)
    message = str(caught.value)
    assert "HTTP 400 (request rejected, not retried)" in message
    assert "Error parsing query in" in message and "page 1" in message
    assert len(ctgov.recorded()) == 1


def test_searches_that_would_return_everything_are_refused():
    client = CtgovClient("http://127.0.0.1:9/api/v2/")
    with pytest.raises(QueryError, match="registry.condition or registry.intervention"):
        client.search_studies()
    with pytest.raises(QueryError, match="page_size"):
        client.search_studies(CONDITION, INTERVENTION, page_size=1001)
    assert client.requests_sent == 0


# -- page validation ---------------------------------------------------------------------------

PAGE = {"totalCount": 1, "studies": [DECOYS[0]]}


@pytest.mark.parametrize(
    ("body", "first", "message"),
    [
        (json.dumps(PAGE)[:40].encode(), True, "truncated or malformed JSON"),
        (b"<!DOCTYPE html><html><body>down</body></html>", True, "HTML page"),
        (b'{"totalCount": 1}', True, "no 'studies' list"),
        (b'{"studies": {}}', False, "no 'studies' list"),
        (b'{"studies": []}', True, "no totalCount"),
        (b'{"studies": [], "totalCount": "7"}', True, "no totalCount"),
        (b'{"studies": [{"protocolSection": {}}], "totalCount": 1}', True, "study 1 of the page"),
        (b'{"studies": [], "nextPageToken": 5}', False, "not a string"),
        (
            json.dumps(
                {"studies": [{"protocolSection": {"identificationModule": {"nctId": "NCT1"}}}]}
            ).encode(),
            False,
            r"study 1 of the page has nctId 'NCT1', not an NCT id \(NCT and 8 digits\)",
        ),
        (
            json.dumps(
                {
                    "studies": [
                        {"protocolSection": {"identificationModule": {"nctId": "nct01234567"}}}
                    ]
                }
            ).encode(),
            False,
            "nctId 'nct01234567', not an NCT id",
        ),
        (
            json.dumps(
                {
                    "studies": [
                        {
                            "protocolSection": {
                                "identificationModule": {"nctId": "NCT01234567"},
                                "referencesModule": {
                                    "references": [{"pmid": "123"}, {"pmid": "=1+1"}, {"pmid": 7}]
                                },
                            }
                        }
                    ]
                }
            ).encode(),
            False,
            r"study NCT01234567 \(study 1 of the page\) lists reference PMID\(s\) '=1\+1', 7, "
            r"not PMIDs \(1 to 9 digits\)",
        ),
    ],
)
def test_incomplete_pages_are_bad_responses(body, first, message):
    with pytest.raises(BadResponse, match=message):
        parse_studies_page(body, first=first)


def test_the_bad_nct_id_fault_serves_a_formula_as_the_first_studys_id(ctgov):
    def first_id() -> str:
        page = requests.get(f"{ctgov.base_url}studies", params={"pageSize": "3"}, timeout=5)
        return nct_ids(page.json()["studies"])[0]

    ctgov.inject("bad-nct-id")
    assert first_id() == BAD_NCT_ID
    assert first_id() == "NCT09000001"  # one request only


def test_a_good_page_is_read():
    page = parse_studies_page(json.dumps({**PAGE, "nextPageToken": "abc"}).encode(), first=True)
    assert (page.total_count, page.next_page_token, page.nct_ids) == (1, "abc", ["NCT09000001"])
    later = parse_studies_page(b'{"studies": [], "nextPageToken": ""}')
    assert (later.total_count, later.next_page_token, later.studies) == (None, None, [])


# -- configuration -------------------------------------------------------------------------------


def test_from_config_reads_the_registry_block():
    config = {
        "timeout": 12,
        "max_retries": 3,
        "ctgov_base_url": "http://127.0.0.1:8000/api/v2",
        "registry": {
            "condition": CONDITION,
            "intervention": INTERVENTION,
            "page_size": 50,
        },
    }
    client = CtgovClient.from_config(config)
    assert client.base_url == "http://127.0.0.1:8000/api/v2/"
    assert (client.condition, client.intervention, client.page_size) == (
        CONDITION,
        INTERVENTION,
        50,
    )
    assert (client.http.timeout, client.http.max_retries, client.limiter.rate) == (12, 3, 1)
    assert client.source == "ctgov" and client.requests_sent == 0
    default = CtgovClient.from_config({"registry": {"condition": "PTSD"}})
    assert default.base_url == DEFAULT_CTGOV_URL == "https://clinicaltrials.gov/api/v2/"
    assert default.page_size == 100
