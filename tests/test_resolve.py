"""Resolving essay references to PubMed through the loopback stand-in, and offline."""

import pytest

from livescreen.eutils import EutilsClient
from livescreen.resolve import resolve_references, title_query

HYSEK = {
    "essay_ref": 16,
    "kind": "journal-article",
    "authors": ["Hysek CM", "Schmid Y", "Simmler LD"],
    "title": "MDMA enhances emotional empathy and prosocial behavior",
    "journal": "Soc Cogn Affect Neurosci",
    "year": 2014,
    "volume": "9",
    "first_page": "1645",
}
OTALORA = {
    "essay_ref": 17,
    "kind": "journal-article",
    "authors": ["Ot’alora G M", "Grigsby J"],
    "title": "3,4-Methylenedioxymethamphetamine-assisted psychotherapy for treatment of chronic "
    "posttraumatic stress disorder: A randomized phase 2 controlled trial",
    "journal": "J Psychopharmacol",
    "year": 2018,
    "volume": "32",
    "first_page": "1295",
}
NOT_INDEXED = {
    "essay_ref": 23,
    "kind": "journal-article",
    "authors": ["Brewin CR"],
    "title": "Memory and Forgetting",
    "journal": "Curr Psychiatry Rep",
    "year": 2018,
    "volume": "20",
    "first_page": "87",
}
BOOK = {
    "essay_ref": 24,
    "kind": "book",
    "authors": ["Schauer M"],
    "title": "Narrative Exposure Therapy",
    "journal": None,
    "year": None,
}


def client_for(server):
    return EutilsClient(server.base_url, timeout=2, backoff_initial=0.01, requests_per_second=50)


def by_ref(rows):
    return {row["essay_ref"]: row for row in rows}


def test_verified_hit(standin):
    standin.citmatch_answers["ref16"] = "24097374"
    (row,) = resolve_references([HYSEK], client_for(standin))
    assert (row["pmid"], row["method"], row["confidence"]) == ("24097374", "ecitmatch", "high")
    assert row["doi"]  # taken from the verified record
    assert [r.endpoint for r in standin.recorded()] == ["ecitmatch", "efetch"]


def test_ambiguous_is_settled_by_verification_and_keeps_candidates(standin):
    standin.citmatch_answers["ref16"] = ["30371148", "24097374"]
    (row,) = resolve_references([HYSEK], client_for(standin))
    assert (row["pmid"], row["method"], row["confidence"]) == ("24097374", "ecitmatch", "medium")
    assert "30371148" in row["note"] and "24097374" in row["note"]


def test_hit_whose_author_disagrees_is_rejected(standin):
    standin.citmatch_answers["ref23"] = "24097374"  # Hysek 2014, not Brewin 2018
    (row,) = resolve_references([NOT_INDEXED], client_for(standin))
    assert row["pmid"] == "" and row["method"] == "none"
    assert "24097374 rejected: first author hysek in PubMed, brewin cited" in row["note"]


def test_not_found_falls_back_to_a_verified_title_search(standin):
    (row,) = resolve_references([OTALORA], client_for(standin))  # no citmatch answer
    assert (row["pmid"], row["method"], row["confidence"]) == ("30371148", "title-search", "medium")
    assert row["note"].startswith("ECitMatch NOT_FOUND")
    endpoints = [r.endpoint for r in standin.recorded()]
    assert endpoints == ["ecitmatch", "esearch", "efetch"]


def test_unresolvable_and_non_journal_references_are_listed_with_reasons(standin):
    rows = by_ref(resolve_references([NOT_INDEXED, BOOK], client_for(standin)))
    assert rows[23]["method"] == "none" and "title search found nothing" in rows[23]["note"]
    assert rows[24]["note"] == "not_in_pubmed: a book is not a PubMed record"


def test_one_batched_ecitmatch_request_for_all_journal_references(standin):
    standin.citmatch_answers.update(ref16="24097374", ref17="30371148")
    rows = resolve_references([HYSEK, OTALORA, BOOK], client_for(standin))
    assert [r["pmid"] for r in rows] == ["24097374", "30371148", ""]
    assert [r.endpoint for r in standin.recorded()] == ["ecitmatch", "efetch"]


def test_snapshot_resolves_offline(snapshot):
    rows = by_ref(resolve_references([HYSEK, OTALORA, NOT_INDEXED, BOOK], snapshot))
    assert rows[16]["pmid"] == "24097374" and rows[16]["method"] == "ecitmatch"
    assert rows[17]["pmid"] == "30371148"
    assert rows[23]["pmid"] == ""


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        (
            HYSEK,
            "emotional[ti] AND prosocial[ti] AND enhances[ti] AND behavior[ti] AND "
            "empathy[ti] AND MDMA[ti] AND Hysek[au] AND 2013:2015[dp]",
        ),
        (
            OTALORA,
            "Methylenedioxymethamphetamine[ti] AND psychotherapy[ti] AND "
            "posttraumatic[ti] AND randomized[ti] AND controlled[ti] AND treatment[ti] "
            "AND Ot'alora[au] AND 2017:2019[dp]",
        ),
    ],
)
def test_title_query(ref, expected):
    assert title_query(ref) == expected
