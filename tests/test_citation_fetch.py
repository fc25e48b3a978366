"""Citation chasing's fetch step and seeds, against loopback stand-ins (real HTTP): chased
PMIDs PubMed no longer serves (deleted or withdrawn, still listed by iCite) are dropped and
reported instead of failing the run, the others fetched and parsed with minimal requests; the
PMIDs linked to highlighted registrations are seeds."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from livescreen.errors import RemoteError
from livescreen.fetch import RecordStore
from livescreen.files import read_jsonl
from livescreen.other_sources import (
    EXISTENCE_CHECK_CHUNK,
    citation_seeds,
    fetch_chased,
    in_pubmed,
    run_chase,
)
from livescreen.sources.citations import IciteClient
from livescreen.sources.eutils import EutilsClient
from livescreen.sources.snapshot import Snapshot, article_xml
from tests.support.citation_standin import IciteStandIn
from tests.support.standin import EutilsStandIn

ROOT = Path(__file__).resolve().parents[1]
FAST = dict(timeout=0.5, max_retries=4, backoff_initial=0.01, backoff_max=0.05)
# seed 100 cites 10, 11 and 12; 300 cites it. PubMed deleted 11; iCite still lists it.
GRAPH = {"100": ["10", "11", "12"], "300": ["100"]}
DELETED = "11"
FORWARD = "citation:forward of PMID {}"
BACKWARD = "citation:backward of PMID {}"


def article(pmid: str) -> bytes:
    return article_xml(
        {
            "pmid": pmid,
            "title": f"Record {pmid} on MDMA-assisted therapy for PTSD",
            "summary": "A study.",
            "journal": "J Psychopharmacol",
            "authors": ["Roe R"],
            "pub_date": "2024-02",
            "publication_types": ["Journal Article"],
        }
    )


HELD = {pmid: article(pmid) for pmid in ("10", "12", "100", "300")}


def no_search(term, mindate, maxdate):
    raise AssertionError(f"only PMID lists are asked about here, not {term!r}")


@pytest.fixture
def eutils():
    with EutilsStandIn(no_search, HELD) as server:
        yield server
        assert not server.errors, server.errors


@pytest.fixture
def icite():
    with IciteStandIn(GRAPH) as server:
        yield server
        assert not server.errors, server.errors


def pubmed(server) -> EutilsClient:
    return EutilsClient(server.base_url, email="me@example.org", requests_per_second=50, **FAST)


def chase(icite_server) -> dict:
    source = IciteClient(icite_server.base_url, requests_per_second=50, **FAST)
    return run_chase(source, {"100": ["essay reference 3"]})


def asked_pmids(request) -> list[str]:
    return [part.removesuffix("[uid]") for part in request.params["term"].split(" OR ")]


def test_a_chased_pmid_pubmed_does_not_serve_is_dropped_and_reported(
    tmp_path, eutils, icite, caplog
):
    chased = chase(icite)
    assert {f["pmid"] for f in chased["found"]} == {"10", DELETED, "12", "300"}
    store = RecordStore(tmp_path / "store")
    store.put([("12", HELD["12"])], "pubmed")  # stored by an earlier run: not asked about
    source = pubmed(eutils)
    records_path = tmp_path / "citation_records.jsonl"

    with caplog.at_level(logging.WARNING, logger="livescreen"):
        stats = fetch_chased(source, store, chased, [], 200, records_path)

    # one esearch for the chased PMIDs not stored, one efetch for those PubMed holds
    (check,) = eutils.recorded("esearch")
    assert sorted(asked_pmids(check), key=int) == ["10", DELETED, "300"]
    assert "datetype" not in check.params and check.params["retmax"] == "3"
    (batch,) = eutils.recorded("efetch")
    assert sorted(batch.params["id"].split(","), key=int) == ["10", "300"]
    assert source.requests_sent == 2
    assert stats["not_in_pubmed"] == [DELETED]
    assert stats["chased"] == 4 and stats["existence_check_requests"] == 1
    assert (stats["requested"], stats["already_stored"], stats["fetched"]) == (3, 1, 2)
    assert (stats["efetch_requests"], stats["change_check_requests"]) == (1, 0)
    assert f"not in PubMed (deleted or withdrawn) and are left out: {DELETED}" in caplog.text

    # the others stored, parsed, and found by what found them
    assert store.stored(GRAPH["100"] + ["300"]) == {"10", "12", "300"}
    records = {r["pmid"]: r for r in read_jsonl(records_path)}
    assert set(records) == {"10", "12", "300"}
    assert records["300"]["found_by"] == [FORWARD.format("100")]
    assert records["10"]["found_by"] == [BACKWARD.format("100")]
    assert records["12"]["title"] == "Record 12 on MDMA-assisted therapy for PTSD"
    assert all(r["source"] == "citation chasing" for r in records.values())


def test_nothing_new_to_fetch_sends_no_existence_check(tmp_path, eutils, icite):
    chased = chase(icite)
    chased["found"] = [f for f in chased["found"] if f["pmid"] != DELETED]
    store = RecordStore(tmp_path / "store")
    store.put([(p, HELD[p]) for p in ("10", "12", "300")], "pubmed")
    source = pubmed(eutils)
    stats = fetch_chased(source, store, chased, [], 200, tmp_path / "records.jsonl")
    assert eutils.recorded() == [] and source.requests_sent == 0
    assert stats["existence_check_requests"] == 0 and stats["not_in_pubmed"] == []
    assert len(read_jsonl(tmp_path / "records.jsonl")) == 3


def test_one_existence_check_per_5000_pmids(eutils):
    wanted = [str(n) for n in range(1000, 1000 + EXISTENCE_CHECK_CHUNK)] + ["10", "300"]
    source = pubmed(eutils)
    held, requests = in_pubmed(source, wanted)
    assert held == ["10", "300"] and requests == 2 == len(eutils.recorded("esearch"))
    sizes = [len(asked_pmids(r)) for r in eutils.recorded("esearch")]
    assert sizes == [EXISTENCE_CHECK_CHUNK, 2]
    assert in_pubmed(source, []) == ([], 0) and len(eutils.recorded()) == 2


def test_an_answer_naming_a_pmid_not_asked_about_fails_and_stores_nothing(tmp_path, eutils, icite):
    chased = chase(icite)
    eutils.inject("esearch", "foreign-id")
    store = RecordStore(tmp_path / "store")
    with pytest.raises(RemoteError, match="existence check of 4 chased PMID.*not asked about"):
        fetch_chased(pubmed(eutils), store, chased, [], 200, tmp_path / "records.jsonl")
    assert eutils.recorded("efetch") == [] and store.stored(HELD) == set()


def test_offline_the_snapshot_answers_the_existence_check(tmp_path):
    snapshot = Snapshot(ROOT / "resources" / "snapshot" / "snapshot_records.json")
    bundled = next(iter(snapshot.articles))
    chased = {
        "found": [
            {"pmid": bundled, "found_by": [FORWARD.format("1")], "level": 1},
            {"pmid": "999999999", "found_by": [FORWARD.format("1")], "level": 1},
        ]
    }
    store = RecordStore(tmp_path / "store")
    stats = fetch_chased(snapshot, store, chased, [], 200, tmp_path / "records.jsonl")
    assert stats["not_in_pubmed"] == ["999999999"] and stats["existence_check_requests"] == 1
    assert stats["fetched"] == 1 and snapshot.requests_sent == 2  # the check and one efetch
    assert [r["pmid"] for r in read_jsonl(tmp_path / "records.jsonl")] == [bundled]


# -- seeds ------------------------------------------------------------------------------------

REFERENCES = [{"essay_ref": 3, "pmid": "100"}, {"essay_ref": 4, "pmid": None}]
CLASSIFIED = [{"pmid": "200", "highlight": True}, {"pmid": "201", "highlight": False}]
REGISTRATIONS = [
    {"nct_id": "NCT01234567", "highlight": True, "linked_pmids": ["500", "200", "100"]},
    {"nct_id": "NCT07654321", "highlight": False, "linked_pmids": ["600"]},
    {"nct_id": "NCT01111111", "highlight": True, "linked_pmids": []},
    {"nct_id": "NCT02222222", "highlight": True, "linked_pmids": ["500"]},
]


def test_seeds_include_the_pmids_linked_to_highlighted_registrations():
    seeds = citation_seeds(REFERENCES, CLASSIFIED, ["essay", "highlighted"], REGISTRATIONS)
    assert seeds == {
        "100": ["essay reference 3", "linked to highlighted registration NCT01234567"],
        "200": ["highlighted", "linked to highlighted registration NCT01234567"],
        "500": [
            "linked to highlighted registration NCT01234567",
            "linked to highlighted registration NCT02222222",
        ],
    }
    assert list(seeds) == ["100", "200", "500"]  # essay, highlighted records, registrations
    only_essay = citation_seeds(REFERENCES, CLASSIFIED, ["essay"], REGISTRATIONS)
    assert only_essay == {"100": ["essay reference 3"]}
    assert citation_seeds(REFERENCES, CLASSIFIED, ["highlighted"]) == {"200": ["highlighted"]}


def test_registration_seeds_are_chased(icite):
    source = IciteClient(icite.base_url, requests_per_second=50, **FAST)
    registrations = [{"nct_id": "NCT01234567", "highlight": True, "linked_pmids": ["100"]}]
    seeds = citation_seeds([], [], ["essay", "highlighted"], registrations)
    chased = run_chase(source, seeds)
    assert chased["seeds"] == [
        {"pmid": "100", "why": ["linked to highlighted registration NCT01234567"]}
    ]
    assert {f["pmid"] for f in chased["found"]} == {"10", DELETED, "12", "300"}
    assert len(icite.recorded()) == 1


def test_the_citations_rule_reads_the_registrations():
    rule = (ROOT / "rules" / "citations.smk").read_text(encoding="utf-8")
    assert 'registrations="results/data/registrations.jsonl"' in rule
