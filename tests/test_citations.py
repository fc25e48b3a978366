"""Citation chasing through NCBI ELink and NIH iCite, against loopback stand-ins (real HTTP):
who found what (per seed, per direction), minimal request counts, faults, rate, the key."""

from __future__ import annotations

import math

import pytest

from livescreen.errors import BadResponse, RemoteError
from livescreen.sources.citations import (
    BACKWARD,
    FORWARD,
    ElinkCitations,
    IciteClient,
    chase_citations,
    open_citations,
    parse_elink,
    parse_icite,
)
from livescreen.sources.eutils import EutilsClient
from livescreen.sources.snapshot import SnapshotCitations
from tests.support.citation_standin import BAD_ID, ElinkStandIn, IciteStandIn

KEY = "secret-ncbi-key-0123456789"
# seeds 100 and 200; 300-302 cite them; they cite 10-13; 300 also cites 14, and 400 cites 300
GRAPH = {
    "100": ["10", "11", "12"],
    "200": ["11", "13"],
    "300": ["100", "14"],
    "301": ["100", "200"],
    "302": ["200"],
    "400": ["300"],
}
SEEDS = ["100", "200"]
EXPECTED = {
    "301": ["citation:forward of PMID 100", "citation:forward of PMID 200"],
    "300": ["citation:forward of PMID 100"],
    "12": ["citation:backward of PMID 100"],
    "11": ["citation:backward of PMID 100", "citation:backward of PMID 200"],
    "10": ["citation:backward of PMID 100"],
    "302": ["citation:forward of PMID 200"],
    "13": ["citation:backward of PMID 200"],
}
FAST = dict(timeout=0.5, max_retries=4, backoff_initial=0.01, backoff_max=0.05)


@pytest.fixture
def icite():
    with IciteStandIn(GRAPH) as server:
        yield server
        assert not server.errors, server.errors


@pytest.fixture
def elink():
    with ElinkStandIn(GRAPH) as server:
        yield server
        assert not server.errors, server.errors


def icite_client(server, **overrides) -> IciteClient:
    return IciteClient(server.base_url, **{**FAST, "requests_per_second": 50, **overrides})


def elink_source(server, api_key=None, batch_size=200, **overrides) -> ElinkCitations:
    eutils = EutilsClient(
        server.base_url,
        email="me@example.org",
        api_key=api_key,
        **{**FAST, "requests_per_second": 50, **overrides},
    )
    return ElinkCitations(eutils, batch_size=batch_size)


def sorted_found(result) -> dict[str, list[str]]:
    return {pmid: sorted(found) for pmid, found in result.found_by().items()}


# -- who found what ---------------------------------------------------------------------------


def test_icite_finds_both_directions_in_one_request(icite):
    result = chase_citations(SEEDS, icite_client(icite))
    assert sorted_found(result) == {k: sorted(v) for k, v in EXPECTED.items()}
    assert result.requests == 1 == len(icite.recorded())
    (request,) = icite.recorded()
    assert request.method == "GET" and request.path.startswith("/api/pubs?")
    assert dict(request.pairs) == {
        "pmids": "100,200",
        "fields": "pmid,cited_by,references",
        "limit": "2",
        "format": "json",
    }
    assert result.counts() == {FORWARD: 3, BACKWARD: 4}
    assert all(found.level == 1 for found in result.found.values())
    assert result.unknown == [] and result.seeds == SEEDS


def test_elink_finds_the_same_with_one_request_per_direction(elink, icite):
    result = chase_citations(SEEDS, elink_source(elink))
    assert result.found_by() == chase_citations(SEEDS, icite_client(icite)).found_by()
    assert result.requests == 2 == len(elink.recorded())
    citedin, refs = elink.recorded()
    for request, linkname in ((citedin, "pubmed_pubmed_citedin"), (refs, "pubmed_pubmed_refs")):
        assert request.method == "POST" and request.path == "/entrez/eutils/elink.fcgi"
        assert request.values("id") == SEEDS  # one id= per seed: links stay per seed
        assert dict(request.pairs)["linkname"] == linkname
        assert dict(request.pairs)["dbfrom"] == "pubmed" == dict(request.pairs)["db"]


def test_one_direction_only(icite, elink):
    forward = chase_citations(SEEDS, elink_source(elink), directions=[FORWARD])
    assert set(forward.found) == {"300", "301", "302"} and len(elink.recorded()) == 1
    backward = chase_citations(SEEDS, icite_client(icite), directions=[BACKWARD])
    assert set(backward.found) == {"10", "11", "12", "13"}
    with pytest.raises(ValueError):
        chase_citations(SEEDS, icite_client(icite), directions=["sideways"])


def test_depth_two_chases_what_level_one_found(icite):
    result = chase_citations(SEEDS, icite_client(icite), depth=2)
    assert result.found["400"].found_by == ["citation:forward of PMID 300"]
    assert result.found["14"].found_by == ["citation:backward of PMID 300"]
    assert result.found["400"].level == 2 and result.found["300"].level == 1
    assert set(result.found) == set(EXPECTED) | {"14", "400"}
    # level 1: the 2 seeds; level 2: the 7 found (never a seed again): one request each
    assert result.requests == 2 == len(icite.recorded())
    assert icite.recorded()[1].values("pmids")[0].split(",") == list(EXPECTED)
    with pytest.raises(ValueError):
        chase_citations(SEEDS, icite_client(icite), depth=0)


def test_seeds_are_checked_and_deduplicated(icite):
    result = chase_citations(["100", "100", " 200 "], icite_client(icite))
    assert result.seeds == SEEDS and len(icite.recorded()) == 1
    with pytest.raises(BadResponse, match="not PMIDs"):
        chase_citations(["100", "=1+1"], icite_client(icite))
    assert len(icite.recorded()) == 1


# -- minimal request counts ---------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 999, 1000, 1001, 2500])
def test_icite_request_count_is_the_minimum_for_the_batches(icite, count):
    seeds = [str(10_000_000 + i) for i in range(count)]
    result = chase_citations(seeds, icite_client(icite))
    assert result.requests == math.ceil(count / 1000) == len(icite.recorded())
    assert all(len(r.values("pmids")[0].split(",")) <= 1000 for r in icite.recorded())
    assert result.unknown == seeds  # the stand-in holds none of them


@pytest.mark.parametrize(("count", "batch"), [(1, 200), (200, 200), (201, 200), (450, 200)])
def test_elink_request_count_is_two_per_batch(elink, count, batch):
    seeds = [str(10_000_000 + i) for i in range(count)]
    result = chase_citations(seeds, elink_source(elink, batch_size=batch))
    assert result.requests == 2 * math.ceil(count / batch) == len(elink.recorded())
    assert sorted(p for r in elink.recorded()[::2] for p in r.values("id")) == sorted(seeds)


# -- faults -----------------------------------------------------------------------------------

FAULTS = ["429", "429-retry-after", "500", "502", "503", "html200", "truncated", "reset",
          "foreign-id", "bad-id"]  # fmt: skip


@pytest.mark.parametrize("fault", FAULTS)
def test_icite_faults_are_retried(icite, fault):
    icite.inject(fault)
    result = chase_citations(SEEDS, icite_client(icite))
    assert sorted_found(result) == {k: sorted(v) for k, v in EXPECTED.items()}
    assert [r.fault for r in icite.recorded()] == [fault, None]


@pytest.mark.parametrize("fault", [*FAULTS, "missing"])
def test_elink_faults_are_retried(elink, fault):
    elink.inject("ok", fault)  # the second request (pubmed_pubmed_refs) fails once
    result = chase_citations(SEEDS, elink_source(elink))
    assert sorted_found(result) == {k: sorted(v) for k, v in EXPECTED.items()}
    assert [r.fault for r in elink.recorded()] == ["ok", fault, None]


def test_a_pmid_icite_does_not_hold_is_reported_not_fatal(icite):
    icite.inject("missing")  # the answer leaves out seed 200
    result = chase_citations(SEEDS, icite_client(icite))
    assert result.unknown == ["200"]
    assert "302" not in result.found and len(icite.recorded()) == 1


def test_exhausted_retries_fail_naming_the_request(elink):
    elink.inject("500", "502", "503")
    with pytest.raises(RemoteError, match="elink.fcgi at .* failed after 3 attempts"):
        chase_citations(SEEDS, elink_source(elink, max_retries=2))


# -- rate limit and the key -------------------------------------------------------------------


def test_elink_shares_the_eutils_rate_limit(elink):
    eutils = EutilsClient(elink.base_url, **FAST)  # no key: NCBI's 3 a second
    assert eutils.limiter.rate == 3
    elink.max_per_second = 3
    seeds = [str(10_000_000 + i) for i in range(5)]
    elink.inject("ok", "500")
    result = chase_citations(seeds, ElinkCitations(eutils, batch_size=2))
    assert result.requests == 7 == len(elink.recorded())  # 3 batches x 2 directions + 1 retry
    assert elink.max_requests_in_window(1.0) <= 3
    assert all(r.fault != "rate-limit" for r in elink.recorded())


def test_icite_rate_defaults_to_3_per_second(icite):
    client = IciteClient(icite.base_url, **FAST)
    assert client.limiter.rate == 3 and client.batch_size == 1000
    icite.max_per_second = 3
    for start in range(0, 8, 2):
        client.links([str(10_000_000 + start + i) for i in range(2)])
    assert icite.max_requests_in_window(1.0) <= 3 and len(icite.recorded()) == 4


def test_the_api_key_goes_to_ncbi_only(elink, icite, monkeypatch):
    monkeypatch.setenv("NCBI_API_KEY", KEY)
    chase_citations(SEEDS, elink_source(elink, api_key=KEY))
    assert all(r.values("api_key") == [KEY] for r in elink.recorded())
    assert all(KEY not in r.path for r in elink.recorded())  # in the POST body, not the URL
    client = open_citations(
        {"source": "pubmed", "citations": {"icite_base_url": icite.base_url}, "timeout": 1}
    )
    assert isinstance(client, IciteClient) and client.http.secrets == []
    chase_citations(SEEDS, client)
    for request in icite.recorded():
        assert "api_key" not in dict(request.pairs)
        assert KEY not in request.path and KEY.encode() not in request.body
        assert all(KEY not in value for value in request.headers.values())


def test_open_citations_picks_the_source(elink):
    config = {
        "source": "pubmed",
        "eutils_base_url": elink.base_url,
        "citations": {"source": "elink", "batch_size": 50},
    }
    source = open_citations(config)
    assert isinstance(source, ElinkCitations) and source.batch_size == 50
    assert source.eutils.base_url == elink.base_url
    assert isinstance(open_citations({"source": "snapshot"}), SnapshotCitations)


def test_the_snapshot_finds_nothing_and_says_so():
    result = chase_citations(SEEDS, SnapshotCitations(), depth=2)
    assert result.found == {} and result.unknown == SEEDS
    assert "no citation links bundled" in result.source_label


# -- reading answers --------------------------------------------------------------------------


def test_a_recorded_elink_answer_with_two_ids_in_one_linkset_is_refused(shared):
    """NCBI's own answer to id=11812492,11774222 (one id= for both) merges their links into
    one LinkSet: per-seed provenance is lost, so the client sends one id= per PMID and
    refuses such an answer."""
    body = (shared / "fixtures" / "ncbi" / "biopython" / "elink3.xml").read_bytes()
    with pytest.raises(BadResponse, match="names 2 PMIDs, not one"):
        parse_elink(body, ["11812492", "11774222"], "pubmed_pubmed")
    single = (shared / "fixtures" / "ncbi" / "biopython" / "elink1.xml").read_bytes()
    links = parse_elink(single, ["9298984"], "pubmed_pubmed")
    assert links["9298984"][:3] == ["9298984", "8794856", "9700164"]
    with pytest.raises(BadResponse, match="lacks 1 PMID"):
        parse_elink(single, ["9298984", "1"], "pubmed_pubmed")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html><body>x</body></html>", "HTML page"),
        (b"<eLinkResult><LinkSet>", "truncated or malformed XML"),
        (b"<eSearchResult/>", "not <eLinkResult>"),
        (b"<eLinkResult><ERROR>Invalid db</ERROR></eLinkResult>", "reports an error"),
        (b"<eLinkResult><LinkSet><IdList><Id>7</Id></IdList></LinkSet></eLinkResult>",
         "PMID 7, not asked about"),
        (b"<eLinkResult><LinkSet><IdList><Id>1</Id></IdList></LinkSet>"
         b"<LinkSet><IdList><Id>1</Id></IdList></LinkSet></eLinkResult>", "answered twice"),
        (b"<eLinkResult><LinkSet><IdList><Id>1</Id></IdList><LinkSetDb><LinkName>l</LinkName>"
         b"<Link><Id>x1</Id></Link></LinkSetDb></LinkSet></eLinkResult>", "not PMIDs"),
    ],
)  # fmt: skip
def test_bad_elink_answers(body, message):
    with pytest.raises(BadResponse, match=message):
        parse_elink(body, ["1"], "l")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"data": [', "truncated or malformed JSON"),
        (b'{"meta": {}}', "no 'data' list"),
        (b'{"data": ["x"]}', "not an object"),
        (b'{"data": [{"pmid": "=1"}]}', "has pmid"),
        (b'{"data": [{"pmid": true}]}', "has pmid"),
        (b'{"data": [{"pmid": 2}]}', "PMID 2, not asked about"),
        (b'{"data": [{"pmid": 1}, {"pmid": 1}]}', "twice"),
        (b'{"data": [{"pmid": 1, "cited_by": {"a": 1}}]}', "not a list"),
        (f'{{"data": [{{"pmid": 1, "references": ["{BAD_ID}"]}}]}}'.encode(), "not a PMID"),
    ],
)
def test_bad_icite_answers(body, message):
    with pytest.raises(BadResponse, match=message):
        parse_icite(body, ["1"])


def test_icite_lists_may_be_numbers_or_text():
    links = parse_icite(b'{"data": [{"pmid": 1, "cited_by": "5 6 5", "references": [7]}]}', ["1"])
    assert (links["1"].cited_by, links["1"].references, links["1"].known) == (
        ["5", "6"],
        ["7"],
        True,
    )
