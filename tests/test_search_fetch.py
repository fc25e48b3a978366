"""Search (with date windows past the retrieval cap), fetch into the record store, and fetch
again what PubMed changed."""

import datetime as dt

import pytest

from livescreen.errors import LivescreenError, RemoteError
from livescreen.fetch import (
    RecordStore,
    check_searched,
    ensure_complete,
    fetch_missing,
    record_problem,
    refetch_changed,
    unreadable_store,
)
from livescreen.parse.pubmed_xml import PubmedXmlError, iter_articles
from livescreen.search import SearchIncomplete, run_search
from livescreen.sources.eutils import EutilsClient
from tests.support.standin import retracted_version

QUERY = '(MDMA[tiab] OR ecstasy[tiab]) AND (PTSD[tiab] OR "posttraumatic stress"[tiab])'


def client_for(server):
    # The rate limit is tested elsewhere; a fast one keeps date bisection quick here.
    return EutilsClient(
        server.base_url, timeout=2, backoff_initial=0.01, backoff_max=0.05, requests_per_second=100
    )


def test_search_under_the_cap_is_one_request(standin, snapshot):
    result = run_search(client_for(standin), "demo", QUERY)
    assert result["count"] == len(result["pmids"]) == len(snapshot.esearch(QUERY).ids)
    assert result["windows"] == []
    assert len(standin.recorded()) == 1
    assert result["source"] == "pubmed" and standin.base_url in result["source_label"]


def test_search_over_the_cap_is_split_into_date_windows(standin, snapshot):
    """With a cap of 3, the ~18 hits must be gathered window by window, none lost."""
    result = run_search(client_for(standin), "demo", QUERY, cap=3)
    expected = snapshot.esearch(QUERY).ids
    assert sorted(result["pmids"]) == sorted(expected)
    assert result["count"] == len(expected)
    assert result["windows"] and all(w["count"] <= 3 for w in result["windows"])
    assert sum(w["count"] for w in result["windows"]) == len(expected)
    sent = standin.recorded("esearch")
    assert all(r.params.get("datetype") == "pdat" for r in sent[1:])


def test_one_day_with_more_records_than_the_cap_fails_clearly(standin):
    # with a cap of 0, the first day holding any record cannot be retrieved
    with pytest.raises(SearchIncomplete, match="share the publication date"):
        run_search(client_for(standin), "demo", QUERY, cap=0)


def test_fetch_batches_then_fetches_nothing_already_stored(standin, snapshot, tmp_path):
    pmids = snapshot.esearch(QUERY).ids
    store = RecordStore(tmp_path / "store")
    client = client_for(standin)
    first = fetch_missing(client, store, pmids + pmids[:3], batch_size=5)
    assert first["fetched"] == len(pmids)
    assert first["efetch_requests"] == -(-len(pmids) // 5)
    assert len(standin.recorded("efetch")) == first["efetch_requests"]

    second = fetch_missing(client, store, pmids, batch_size=5)
    assert second["fetched"] == 0 and second["efetch_requests"] == 0
    assert len(standin.recorded("efetch")) == first["efetch_requests"]

    with store.open_xml(pmids) as xml:
        records = list(ensure_complete(pmids, iter_articles(xml)))
    assert sorted(r["pmid"] for r in records) == sorted(pmids)


def test_a_failed_batch_stores_nothing_of_it(standin, snapshot, tmp_path):
    pmids = snapshot.esearch(QUERY).ids[:4]
    store = RecordStore(tmp_path / "store")
    standin.inject("efetch", "500", "500", "500")
    client = EutilsClient(standin.base_url, max_retries=2, backoff_initial=0.01)
    with pytest.raises(Exception, match="failed after 3 attempts"):
        fetch_missing(client, store, pmids, batch_size=2)
    assert store.stored(pmids) == set()


def test_store_missing_a_record_is_an_error(tmp_path):
    with pytest.raises(Exception, match="lacks 1 PMID"):
        list(ensure_complete(["1", "2"], [{"pmid": "1"}]))


# -- records changed upstream: asked about once a day, fetched again when PubMed changed them


TODAY = dt.datetime.now(dt.UTC).date()  # the day fetch_missing stamps on what it stores
TOMORROW = TODAY + dt.timedelta(days=1)


@pytest.fixture
def stored(standin, snapshot, tmp_path):
    """(client, store, PMIDs): the query's records fetched today, the requests forgotten."""
    pmids = snapshot.esearch(QUERY).ids
    store = RecordStore(tmp_path / "store")
    client = client_for(standin)
    fetch_missing(client, store, pmids, batch_size=5)
    standin.reset()
    return client, store, pmids


def test_nothing_stored_sends_no_change_check(standin, snapshot, tmp_path):
    stats = refetch_changed(
        client_for(standin), RecordStore(tmp_path / "store"), snapshot.esearch(QUERY).ids, 5
    )
    assert stats["change_check_requests"] == stats["refetched"] == 0
    assert standin.recorded() == []


def test_records_fetched_today_need_no_check(standin, stored):
    client, store, pmids = stored
    assert refetch_changed(client, store, pmids, 5, today=TODAY)["change_check_requests"] == 0
    assert standin.recorded() == []


def test_unchanged_records_cost_one_esearch_and_no_efetch(standin, stored):
    client, store, pmids = stored
    stats = refetch_changed(client, store, pmids, 5, today=TOMORROW)
    assert stats["change_check_requests"] == 1 and stats["change_checked"] == len(pmids)
    assert stats["refetch_requests"] == stats["refetched"] == stats["changed"] == 0
    (check,) = standin.recorded()
    assert check.endpoint == "esearch" and check.params["datetype"] == "mdat"
    since = TODAY - dt.timedelta(days=1)  # a day's margin before the records' day
    assert check.params["mindate"] == since.strftime("%Y/%m/%d")
    assert stats["change_check_since"] == since.isoformat()
    assert sorted(check.params["term"].split(" OR ")) == sorted(f"{p}[uid]" for p in pmids)

    # checked tomorrow: a second run that day asks nothing
    assert refetch_changed(client, store, pmids, 5, today=TOMORROW)["change_check_requests"] == 0
    assert len(standin.recorded()) == 1


def test_a_record_changed_upstream_is_fetched_again_and_its_old_copy_kept(
    standin, snapshot, stored
):
    client, store, pmids = stored
    pmid = pmids[0]
    with store.open_xml([pmid]) as xml:
        (before,) = iter_articles(xml)
    retitled = retracted_version(snapshot.articles[pmid], "RETRACTED: A corrected title")
    standin.update_article(pmid, retitled, TODAY)  # changed after it was fetched, same day

    stats = refetch_changed(client, store, pmids, 5, today=TOMORROW)
    assert stats["change_check_requests"] == stats["refetch_requests"] == 1
    assert stats["refetched_pmids"] == stats["changed_pmids"] == [pmid]
    (fetch,) = standin.recorded("efetch")
    assert fetch.params["id"] == pmid
    with store.open_xml([pmid]) as xml:
        (record,) = iter_articles(xml)
    assert record["title"] == "RETRACTED: A corrected title" and record["retracted"]
    ((old_xml, source, fetched_at, replaced_at),) = store.history(pmid)
    (old,) = iter_articles(b"<PubmedArticleSet>" + old_xml + b"</PubmedArticleSet>")
    assert old == before and not old["retracted"]
    assert source == "pubmed" and fetched_at <= replaced_at
    assert store.history(pmids[1]) == []


def test_a_record_modified_but_identical_is_not_counted_as_changed(standin, snapshot, stored):
    client, store, pmids = stored
    standin.update_article(pmids[0], snapshot.articles[pmids[0]], TODAY)  # new date only
    stats = refetch_changed(client, store, pmids, 5, today=TOMORROW)
    assert stats["refetched_pmids"] == [pmids[0]] and stats["changed_pmids"] == []
    assert store.history(pmids[0]) == []


def test_a_check_answer_naming_a_pmid_not_asked_about_fails_and_marks_nothing(standin, stored):
    _, store, pmids = stored
    client = EutilsClient(standin.base_url, max_retries=1, backoff_initial=0.01)
    standin.inject("esearch", "foreign-id", "foreign-id")
    with pytest.raises(RemoteError, match="change check of .* not asked about: 1"):
        refetch_changed(client, store, pmids, 5, today=TOMORROW)
    assert standin.recorded("efetch") == []
    # nothing was marked checked: the next run asks again
    assert refetch_changed(client, store, pmids, 5, today=TOMORROW)["change_check_requests"] == 1


def test_the_offline_snapshot_reports_no_changes_and_sends_nothing(snapshot, tmp_path):
    store = RecordStore(tmp_path / "store")
    pmids = snapshot.esearch(QUERY).ids
    fetch_missing(snapshot, store, pmids, batch_size=5)
    sent = snapshot.requests_sent
    stats = refetch_changed(snapshot, store, pmids, 5, today=TOMORROW + dt.timedelta(days=30))
    assert stats["change_check_requests"] == stats["refetched"] == 0
    assert snapshot.requests_sent == sent


def test_checks_go_in_chunks_oldest_first(standin, stored, monkeypatch):
    client, store, pmids = stored
    monkeypatch.setattr("livescreen.fetch.CHANGE_CHECK_CHUNK", 5)
    store.mark_checked(pmids[:3], TODAY - dt.timedelta(days=10))  # older than their fetch
    store.mark_checked(pmids[3:], TODAY + dt.timedelta(days=3))
    stats = refetch_changed(client, store, pmids, 5, today=TODAY + dt.timedelta(days=4))
    chunks = -(-len(pmids) // 5)
    assert stats["change_check_requests"] == chunks == len(standin.recorded("esearch"))
    first = standin.recorded("esearch")[0].params
    assert first["mindate"] == (TODAY - dt.timedelta(days=1)).strftime("%Y/%m/%d")
    assert set(first["term"].split(" OR ")) >= {f"{p}[uid]" for p in pmids[:3]}


# -- untrusted input at the fetch step's boundary ---------------------------------------------


def test_a_search_file_listing_a_non_pmid_is_refused_naming_it():
    search = {"slug": "openness", "pmids": ["123", "=HYPERLINK(1)"]}
    with pytest.raises(LivescreenError) as caught:
        check_searched(search, "results/search/openness.json")
    assert str(caught.value) == (
        "results/search/openness.json (keyword 'openness') lists 1 id(s) that are not PMIDs "
        "(1 to 9 digits): '=HYPERLINK(1)'; delete it and run the search again"
    )
    assert check_searched({"slug": "x", "pmids": ["1", "22"]}, "x.json") == ["1", "22"]


ARTICLE = (
    b'<PubmedArticle><MedlineCitation><PMID Version="1">7</PMID></MedlineCitation></PubmedArticle>'
)


@pytest.mark.parametrize(
    ("pmid", "xml", "problem"),
    [
        ("7", ARTICLE, None),
        ("7", ARTICLE.replace(b"<MedlineCitation>", b"<MedlineCitation>&#233;&amp;"), None),
        ("7", ARTICLE.replace(b"</PMID>", b"</PMID>&xxe;"), "it holds entity reference(s) '&xxe;'"),
        ("7", ARTICLE[:40], "it does not parse: "),
        ("8", ARTICLE, "its PMID element says '7', not '8'"),
        ("7", b"<html><body>down</body></html>", "it does not start with an article element: "),
        ("7", b'<?xml version="1.0"?>' + ARTICLE, "it does not start with an article element: "),
    ],
)
def test_a_stored_record_the_parse_step_cannot_read_is_named(pmid, xml, problem):
    found = record_problem(pmid, xml)
    assert found is None if problem is None else found.startswith(problem), found


def test_a_parse_failing_on_the_store_names_the_records_and_the_way_out(tmp_path):
    store = RecordStore(tmp_path / "store")
    store.put([("7", ARTICLE), ("8", ARTICLE.replace(b"</PMID>", b"</PMID>&xxe;"))], "pubmed")
    with pytest.raises(PubmedXmlError) as caught, store.open_xml(["7", "8"]) as xml:
        list(iter_articles(xml))
    assert str(unreadable_store(store, ["7", "8"], caught.value)) == (
        "the record store holds 1 record(s) the parser cannot read: 8 (it holds entity "
        "reference(s) '&xxe;'); run `snakemake --forcerun fetch` and the fetch step fetches "
        "them again"
    )
