"""Search (with date windows past the retrieval cap) and fetch into the record store."""

import pytest

from livescreen.eutils import EutilsClient
from livescreen.fetch import RecordStore, ensure_complete, fetch_missing
from livescreen.pubmed_xml import iter_articles
from livescreen.search import SearchIncomplete, run_search

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
