"""The parse step on several processes writes the file one process writes, and fails the
same way: nothing written, the error naming what is missing or unreadable."""

from __future__ import annotations

import pytest

from livescreen.errors import LivescreenError
from livescreen.fetch import PARSE_PART, RecordStore, parse_stored


def _article(pmid: str, n: int) -> bytes:
    return (
        f"<PubmedArticle><MedlineCitation><PMID>{pmid}</PMID><Article>"
        f"<ArticleTitle>Récit {n}: MDMA and fear extinction — part {n % 7}</ArticleTitle>"
        f"<Abstract><AbstractText>Alliance ≥ {n}; memory reconsolidation.</AbstractText>"
        f"</Abstract></Article></MedlineCitation></PubmedArticle>"
    ).encode()


@pytest.fixture
def store(tmp_path):
    store = RecordStore(tmp_path / "store")
    # more than two parts, PMIDs neither sorted nor stored in the order asked for
    pmids = [str(40_000_000 + (n * 7919) % 100_000) for n in range(2 * PARSE_PART + 317)]
    store.put([(pmid, _article(pmid, n)) for n, pmid in enumerate(reversed(pmids))], "test")
    store.pmids = pmids
    return store


def test_two_processes_write_the_file_one_process_writes(store, tmp_path):
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    parse_stored(store, store.pmids, one, threads=1)
    parse_stored(store, store.pmids, two, threads=2)
    assert two.read_bytes() == one.read_bytes()
    assert len(two.read_text(encoding="utf-8").splitlines()) == len(store.pmids)


def test_a_pmid_the_store_lacks_stops_the_parse_with_nothing_written(store, tmp_path):
    target = tmp_path / "records.jsonl"
    with pytest.raises(LivescreenError, match=r"lacks 1 PMID\(s\), e.g. 99999999"):
        parse_stored(store, [*store.pmids, "99999999"], target, threads=2)
    assert not target.exists() and not list(tmp_path.glob(".records.jsonl.*"))


def test_an_unreadable_stored_record_is_named_and_nothing_written(store, tmp_path):
    broken = store.pmids[PARSE_PART + 5]
    store.replace([(broken, b"<PubmedArticle><MedlineCitation><PMID>")], "test")
    target = tmp_path / "records.jsonl"
    with pytest.raises(LivescreenError, match=f"cannot read: {broken} "):
        parse_stored(store, store.pmids, target, threads=2)
    assert not target.exists() and not list(tmp_path.glob(".records.jsonl.*"))
