"""Probes: crafted answers from the loopback stand-ins that once poisoned the store or the
tables ("Untrusted answers and a shared machine"). One test per probe: the stand-in serves
the answer (persistently, so retries meet it too), the run fails with the exact message,
nothing is stored or overwritten, and a clean rerun gives the clean run's records.
"""

import datetime as dt
import logging
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from lxml import etree

from livescreen.dedup.essay import merge_search_hits
from livescreen.errors import RemoteError
from livescreen.fetch import RecordStore, fetch_missing, refetch_changed
from livescreen.files import read_json
from livescreen.parse.pubmed_xml import iter_articles
from livescreen.search import full_query, run_search
from livescreen.sources.ctgov import CtgovClient
from livescreen.sources.eutils import SAFE_PARSER, EutilsClient
from livescreen.sources.http import excerpt_of
from tests.support.ctgov_standin import BAD_NCT_ID
from tests.support.standin import BAD_ID, FORGED_TITLE, retracted_version
from tests.test_workflow import (
    BATCH,
    copy_project,
    csv_rows,
    live,
    snakemake,
    table,
    without_source,
)

QUERY = '(MDMA[tiab] OR ecstasy[tiab]) AND (PTSD[tiab] OR "posttraumatic stress"[tiab])'
ATTEMPTS = 3  # max_retries=2
TODAY = dt.datetime.now(dt.UTC).date()
TOMORROW = TODAY + dt.timedelta(days=1)


def client_for(server) -> EutilsClient:
    return EutilsClient(
        server.base_url,
        timeout=2,
        max_retries=ATTEMPTS - 1,
        backoff_initial=0.01,
        backoff_max=0.05,
        requests_per_second=100,
    )


def dump(store: RecordStore) -> dict[str, list[tuple]]:
    """Every row of every table of the store, to show nothing was stored or overwritten."""
    with closing(sqlite3.connect(store.path)) as db:
        return {
            table: sorted(db.execute(f"SELECT * FROM {table}"))  # noqa: S608 - fixed names
            for table in ("articles", "article_history", "checked")
        }


def records(store: RecordStore, pmids: list[str]) -> list[dict]:
    with store.open_xml(pmids) as xml:
        return sorted(iter_articles(xml), key=lambda r: r["pmid"])


@pytest.fixture
def hits(snapshot) -> list[str]:
    return snapshot.esearch(QUERY).ids


@pytest.fixture
def clean(standin, hits, tmp_path) -> list[dict]:
    """The clean run's records: the hits fetched from the stand-in with no fault."""
    store = RecordStore(tmp_path / "clean")
    fetch_missing(client_for(standin), store, hits, batch_size=5)
    standin.reset()
    return records(store, hits)


def failed_after_retries(server, endpoint: str, last_error: str) -> str:
    """PoliteClient's message once every attempt met the fault."""
    attempts = f"failed after {ATTEMPTS} attempts"
    return f"{endpoint} at {server.base_url} {attempts}; last error: {last_error}"


# -- 1. an entity declaration in an efetch answer -------------------------------------------


def test_an_xxe_answer_stores_nothing_and_names_the_pmids(standin, hits, clean, tmp_path):
    store = RecordStore(tmp_path / "store")
    batch = hits[:5]
    standin.persist("efetch", "xxe")
    with pytest.raises(RemoteError) as caught:
        fetch_missing(client_for(standin), store, hits, batch_size=5)
    listed = ", ".join(batch)
    assert str(caught.value) == (
        f"fetch stored nothing of batch 1 of {-(-len(hits) // 5)} (5 PMID(s): {listed}): "
        + failed_after_retries(
            standin,
            "efetch.fcgi",
            "efetch answer rejected: it carries a DTD internal subset declaring entities "
            f"'xxe'; entity reference '&xxe;' in PMID(s) {listed}",
        )
    )
    assert len(standin.recorded("efetch")) == ATTEMPTS
    assert dump(store) == {"articles": [], "article_history": [], "checked": []}

    standin.reset()
    fetch_missing(client_for(standin), store, hits, batch_size=5)
    assert records(store, hits) == clean


def test_records_stored_before_the_checks_are_found_and_fetched_again(
    standin, snapshot, hits, clean, tmp_path, caplog
):
    store = RecordStore(tmp_path / "store")
    fetch_missing(client_for(standin), store, hits, batch_size=5)
    xxe, forged, cut = hits[0], hits[1], hits[2]
    poisoned = [
        (xxe, snapshot.articles[xxe].replace(b"<ArticleTitle>", b"<ArticleTitle>&xxe; ")),
        (forged, snapshot.articles[hits[3]]),  # another record's XML under this PMID
        (cut, snapshot.articles[cut][:300]),
    ]
    store.put(poisoned, "pubmed")  # as the client before these checks stored them
    standin.reset()

    caplog.set_level(logging.WARNING, logger="livescreen")
    stats = fetch_missing(client_for(standin), store, hits, batch_size=5)
    try:
        etree.fromstring(snapshot.articles[cut][:300], SAFE_PARSER)
    except etree.XMLSyntaxError as error:
        unparsable = excerpt_of(str(error).encode())
    assert caplog.messages == [
        "record store: 3 stored record(s) cannot be parsed and will be fetched again: "
        f"{xxe} (it holds entity reference(s) '&xxe;'); "
        f"{forged} (its PMID element says '{hits[3]}', not '{forged}'); "
        f"{cut} (it does not parse: {unparsable})"
    ]
    assert stats["unusable_refetched"] == [xxe, forged, cut] and stats["fetched"] == 3
    (request,) = standin.recorded("efetch")
    assert request.params["id"] == ",".join([xxe, forged, cut])
    assert records(store, hits) == clean
    assert store.unusable(hits) == {}


# -- 2. articles not asked for, or a second copy of one --------------------------------------


def test_a_foreign_article_overwrites_nothing(standin, snapshot, hits, clean, tmp_path):
    """The stand-in forges the lowest-numbered article it holds that was not asked for; it
    is stored already, from an earlier run, and must keep its real title."""
    target = min(snapshot.articles, key=int)
    assert target not in hits
    store = RecordStore(tmp_path / "store")
    fetch_missing(client_for(standin), store, [target], batch_size=5)
    (real,) = records(store, [target])
    before = dump(store)

    standin.persist("efetch", "foreign-article")
    with pytest.raises(RemoteError) as caught:
        fetch_missing(client_for(standin), store, hits, batch_size=5)
    assert str(caught.value) == (
        f"fetch stored nothing of batch 1 of {-(-len(hits) // 5)} "
        f"(5 PMID(s): {', '.join(hits[:5])}): "
        + failed_after_retries(
            standin, "efetch.fcgi", f"efetch answer rejected: PMID(s) not asked for: {target}"
        )
    )
    assert dump(store) == before
    assert records(store, [target]) == [real] and real["title"] != FORGED_TITLE

    standin.reset()
    fetch_missing(client_for(standin), store, hits, batch_size=5)
    assert records(store, hits) == clean


def test_a_duplicate_article_replaces_nothing(standin, snapshot, hits, clean, tmp_path):
    """A second, forged copy of a record the change check fetches again would replace the
    corrected one if the last copy won."""
    store = RecordStore(tmp_path / "store")
    fetch_missing(client_for(standin), store, hits, batch_size=5)
    standin.reset()
    changed = hits[0]
    corrected = retracted_version(snapshot.articles[changed], "RETRACTED: A corrected title")
    standin.update_article(changed, corrected, TODAY)
    before = dump(store)

    standin.persist("efetch", "duplicate-article")
    with pytest.raises(RemoteError) as caught:
        refetch_changed(client_for(standin), store, hits, 5, today=TOMORROW)
    assert str(caught.value) == (
        f"fetch stored nothing of the change check's batch from PMID {changed} "
        f"(1 PMID(s): {changed}): "
        + failed_after_retries(
            standin,
            "efetch.fcgi",
            f"efetch answer rejected: PMID(s) served more than once: {changed}",
        )
    )
    assert dump(store) == before  # not replaced, and not marked checked: asked again next run

    standin.reset()
    stats = refetch_changed(client_for(standin), store, hits, 5, today=TOMORROW)
    assert stats["changed_pmids"] == [changed]
    (record,) = records(store, [changed])
    assert record["title"] == "RETRACTED: A corrected title" and record["retracted"]
    assert records(store, hits[1:]) == [r for r in clean if r["pmid"] != changed]


# -- 3. ids that are not ids ------------------------------------------------------------------


def test_a_non_numeric_id_from_esearch_fails_the_search_naming_the_keyword(standin, hits):
    standin.persist("esearch", "bad-id")
    with pytest.raises(RemoteError) as caught:
        run_search(client_for(standin), "demo", QUERY)
    assert str(caught.value) == "keyword 'demo': " + failed_after_retries(
        standin,
        "esearch.fcgi",
        f"esearch for {QUERY[:60]!r}... ({len(QUERY)} characters): the answer lists 1 id(s) "
        f"that are not PMIDs (1 to 9 digits): {BAD_ID!r}",
    )
    assert len(standin.recorded("esearch")) == ATTEMPTS

    standin.reset()
    assert sorted(run_search(client_for(standin), "demo", QUERY)["pmids"]) == sorted(hits)


def test_a_non_numeric_id_from_the_change_check_marks_and_fetches_nothing(
    standin, hits, clean, tmp_path
):
    store = RecordStore(tmp_path / "store")
    fetch_missing(client_for(standin), store, hits, batch_size=5)
    standin.reset()
    before = dump(store)

    standin.persist("esearch", "bad-id")
    with pytest.raises(RemoteError) as caught:
        refetch_changed(client_for(standin), store, hits, 5, today=TOMORROW)
    since = (TODAY - dt.timedelta(days=1)).strftime("%Y/%m/%d")
    asked = sorted(hits)  # a chunk is asked oldest first, then by PMID: all fetched today
    assert str(caught.value) == failed_after_retries(
        standin,
        "esearch.fcgi",
        f"change check of {len(hits)} PMID(s) ({asked[0]} ... {asked[-1]}) modified "
        f"{since}-3000: the answer lists 1 id(s) that are not PMIDs (1 to 9 digits): {BAD_ID!r}",
    )
    assert standin.recorded("efetch") == [] and dump(store) == before

    standin.reset()
    stats = refetch_changed(client_for(standin), store, hits, 5, today=TOMORROW)
    assert stats["change_check_requests"] == 1 and stats["refetched"] == 0
    assert records(store, hits) == clean


def test_a_non_numeric_id_from_ecitmatch_is_no_answer(standin):
    citations = [
        {"journal": "J Psychopharmacol", "year": "2020", "author": "Doe J", "key": "ref1"},
        {"journal": "Lancet", "year": "2019", "author": "Roe R", "key": "ref2"},
    ]
    standin.citmatch_answers.update(ref1="30371148", ref2=None)
    clean_matches = client_for(standin).ecitmatch(citations)
    standin.reset()

    standin.persist("ecitmatch", "bad-id")
    with pytest.raises(RemoteError) as caught:
        client_for(standin).ecitmatch(citations)
    assert str(caught.value) == failed_after_retries(
        standin,
        "ecitmatch.cgi",
        f"ecitmatch answer for citation 'ref1': {BAD_ID!r} is neither a PMID (1 to 9 digits), "
        "AMBIGUOUS nor NOT_FOUND",
    )

    standin.reset()
    assert client_for(standin).ecitmatch(citations) == clean_matches
    assert [m.status for m in clean_matches] == ["found", "not_found"]


def test_an_nct_id_that_is_not_one_fails_the_registry_search(ctgov_standin):
    client = CtgovClient(
        ctgov_standin.base_url,
        condition="PTSD",
        intervention="MDMA",
        requests_per_second=50,
        timeout=2,
        max_retries=ATTEMPTS - 1,
        backoff_initial=0.01,
        backoff_max=0.05,
    )
    clean_result = client.search_studies()
    ctgov_standin.reset()

    ctgov_standin.inject(*["bad-nct-id"] * ATTEMPTS)
    with pytest.raises(RemoteError) as caught:
        client.search_studies()
    assert str(caught.value) == (
        "ClinicalTrials.gov search (query.cond='PTSD', query.intr='MDMA'), page 1: "
        + failed_after_retries(
            ctgov_standin,
            "studies",
            f"study 1 of the page has nctId {BAD_NCT_ID!r}, not an NCT id (NCT and 8 digits)",
        )
    )

    assert client.search_studies()["studies"] == clean_result["studies"]


# -- the whole workflow against a mirror that always answers with an entity declaration ------


@pytest.mark.workflow
def test_workflow_an_xxe_mirror_fails_the_run_and_poisons_nothing(
    standin, ctgov_standin, raw_config, tmp_path_factory
):
    clean = copy_project(tmp_path_factory.mktemp("clean"), ctgov_standin.base_url)
    snakemake(clean, *live(standin))
    standin.reset()

    workdir = copy_project(tmp_path_factory.mktemp("poisoned"), ctgov_standin.base_url)
    standin.persist("efetch", "xxe")
    result = snakemake(workdir, "--keep-going", *live(standin, "max_retries=2"), check=False)
    assert result.returncode != 0
    searches = workdir / "results" / "search"
    hits = list(
        merge_search_hits(read_json(searches / f"{k['slug']}.json") for k in raw_config["keywords"])
    )
    listed = ", ".join(hits[:BATCH])
    message = (
        f"fetch stored nothing of batch 1 of {-(-len(hits) // BATCH)} ({BATCH} PMID(s): {listed}): "
        + failed_after_retries(
            standin,
            "efetch.fcgi",
            "efetch answer rejected: it carries a DTD internal subset declaring entities "
            f"'xxe'; entity reference '&xxe;' in PMID(s) {listed}",
        )
    )
    assert f"RemoteError: {message}\n" in (workdir / "logs" / "fetch.log").read_text()
    assert message in result.stderr
    assert not (workdir / "results" / "data" / "records.jsonl").exists()
    assert not (workdir / "results" / "screening" / "to_screen.csv").exists()
    store = workdir / "results" / "store" / "records.sqlite"
    with closing(sqlite3.connect(store)) as db:
        stored = [bytes(xml) for (xml,) in db.execute("SELECT xml FROM articles")]
        stored += [bytes(xml) for (xml,) in db.execute("SELECT xml FROM article_history")]
    assert stored == []
    assert b"&xxe;" not in store.read_bytes() and b"ENTITY" not in store.read_bytes()

    standin.reset()
    snakemake(workdir, *live(standin))
    screened = workdir / "results" / "screening" / "to_screen.csv"
    assert len(csv_rows(screened)) == len(
        csv_rows(clean / "results" / "screening" / "to_screen.csv")
    )
    assert without_source(table(workdir)) == without_source(table(clean))
    parsed = Path("results") / "data" / "records.jsonl"
    assert (workdir / parsed).read_bytes() == (clean / parsed).read_bytes()


@pytest.mark.workflow
def test_workflow_a_formula_for_a_pmid_fails_each_search_and_reaches_no_table(
    standin, ctgov_standin, raw_config, tmp_path_factory
):
    clean = copy_project(tmp_path_factory.mktemp("clean"), ctgov_standin.base_url)
    snakemake(clean, *live(standin))
    standin.reset()

    workdir = copy_project(tmp_path_factory.mktemp("poisoned"), ctgov_standin.base_url)
    standin.persist("esearch", "bad-id")
    result = snakemake(workdir, "--keep-going", *live(standin, "max_retries=2"), check=False)
    assert result.returncode != 0
    for entry in raw_config["keywords"]:
        query = full_query(entry["query"], raw_config["mdma_terms"], raw_config["ptsd_terms"])
        message = f"RemoteError: keyword {entry['slug']!r}: " + failed_after_retries(
            standin,
            "esearch.fcgi",
            f"esearch for {query[:60]!r}... ({len(query)} characters): the answer lists 1 id(s) "
            f"that are not PMIDs (1 to 9 digits): {BAD_ID!r}",
        )
        log = workdir / "logs" / "search" / f"{entry['slug']}.log"
        assert f"{message}\n" in log.read_text(), log
    assert list((workdir / "results" / "search").glob("*.json")) == []
    assert not (workdir / "results" / "screening" / "to_screen.csv").exists()
    written = [path for path in (workdir / "results").rglob("*") if path.is_file()]
    assert not [path for path in written if BAD_ID.encode() in path.read_bytes()]

    standin.reset()
    snakemake(workdir, *live(standin))
    assert without_source(table(workdir)) == without_source(table(clean))
