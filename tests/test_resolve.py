"""Resolving essay references to PubMed through the loopback stand-in, and offline."""

from pathlib import Path

import pytest

from livescreen.config import load_schema
from livescreen.dedup.essay import match_essay_references
from livescreen.references.parse import read_reference_list
from livescreen.references.resolve import TITLE_MATCH, resolve_references, title_query, verify
from livescreen.sources.eutils import EutilsClient

ROOT = Path(__file__).resolve().parents[1]

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


# -- a year one off: e-pub vs print ---------------------------------------------------------
# Hysek's record (24097374) has only the year 2014; the essay could cite its e-pub or print year.
ONE_OFF_NOTE = (
    "year 2014 in PubMed, 2015 cited; accepted: e-pub/print year differs by one, "
    "author, journal and title agree"
)


def test_year_one_off_is_accepted_when_author_journal_and_title_agree(standin):
    standin.citmatch_answers["ref16"] = "24097374"
    (row,) = resolve_references([{**HYSEK, "year": 2015}], client_for(standin))
    assert (row["pmid"], row["method"], row["confidence"]) == ("24097374", "ecitmatch", "medium")
    assert row["note"] == f"verified: {ONE_OFF_NOTE}"


def test_year_one_off_with_another_journal_is_rejected_naming_the_journal(standin):
    standin.citmatch_answers["ref16"] = "24097374"
    ref = {**HYSEK, "year": 2015, "journal": "J Psychopharmacol"}
    (row,) = resolve_references([ref], client_for(standin))
    assert row["pmid"] == "" and row["method"] == "none"
    assert (
        "24097374 rejected: year 2014 in PubMed, 2015 cited; one year off, but journal "
        "Soc Cogn Affect Neurosci in PubMed, J Psychopharmacol cited" in row["note"]
    )
    assert "title similarity" not in row["note"]  # the title agreed


def test_year_one_off_with_another_title_is_rejected_naming_the_title(standin):
    standin.citmatch_answers["ref16"] = "24097374"
    ref = {**HYSEK, "year": 2015, "title": "MDMA and oxytocin in social cognition"}
    (row,) = resolve_references([ref], client_for(standin))
    assert row["pmid"] == "" and row["method"] == "none"
    assert (
        "24097374 rejected: year 2014 in PubMed, 2015 cited; one year off, but title"
        in (row["note"])
    )
    assert f"is below {TITLE_MATCH:g}" in row["note"] and "journal" not in row["note"]


def test_year_two_off_is_rejected_even_when_everything_else_agrees(standin):
    standin.citmatch_answers["ref16"] = "24097374"
    (row,) = resolve_references([{**HYSEK, "year": 2016}], client_for(standin))
    assert row["pmid"] == ""
    assert row["note"].startswith(
        "ECitMatch PMID 24097374 rejected: year 2014 in PubMed, 2016 cited;"
    )
    assert "accepted" not in row["note"] and "one year off" not in row["note"]


def test_ambiguous_is_settled_by_a_year_one_off_candidate_at_lower_confidence(standin):
    standin.citmatch_answers["ref16"] = ["30371148", "24097374"]  # Ot'alora's fails on author
    (row,) = resolve_references([{**HYSEK, "year": 2013}], client_for(standin))
    assert (row["pmid"], row["confidence"]) == ("24097374", "low")
    assert "only 24097374 passes: year 2014 in PubMed, 2013 cited; accepted:" in row["note"]


def test_journal_may_agree_through_the_full_journal_title():
    """PubMed's abbreviation (`JAMA`) is not the essay's; the journal's full title matches."""
    ref = {"authors": ["Smith J"], "year": 2020, "title": "A trial", "journal": "J Am Med Assoc"}
    record = {
        "authors": ["Smith J"],
        "year": 2019,
        "epub_date": None,
        "title": "A trial.",
        "journal": "JAMA",
        "journal_title": "Journal of the American Medical Association",
    }
    verdict = verify(ref, record)
    assert verdict.problem is None and not verdict.exact
    assert (
        "journal JAMA / Journal of the American"
        in verify({**ref, "journal": "BMJ"}, record).problem
    )


def test_title_threshold_is_dedups_default():
    schema = load_schema()["properties"]["essay_title_match"]["properties"]["match"]
    assert TITLE_MATCH == schema["default"] == 93


def test_snapshot_resolves_reference_27_and_dedup_then_matches_it_by_pmid(snapshot, raw_config):
    """Doss et al. is cited as 2018; the snapshot record has its 2017 e-pub year. Resolution
    and essay matching now tell one story: the record is reference 27, by its PMID."""
    references = read_reference_list(ROOT / raw_config["references"])
    resolved = by_ref(
        resolve_references(
            references, snapshot, title_match=raw_config["essay_title_match"]["match"]
        )
    )
    doss = resolved[27]
    assert (doss["pmid"], doss["method"], doss["confidence"]) == ("28825422", "title-search", "low")
    assert doss["note"].endswith(
        "year 2017 in PubMed, 2018 cited; accepted: e-pub/print year differs by one, "
        "author, journal and title agree"
    )
    matches, possible = match_essay_references(
        snapshot.records, list(resolved.values()), **raw_config["essay_title_match"]
    )
    assert [(m["essay_ref"], m["method"]) for m in matches if m["pmid"] == "28825422"] == [
        (27, "pmid")
    ]
    assert not [p for p in possible if p["pmid"] == "28825422"]


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
