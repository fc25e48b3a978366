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


SCRIPT = """
import multiprocessing, sys
multiprocessing.set_start_method("spawn", force=True)  # macOS's and Windows' default
from livescreen.classify.batch import classify_file
from livescreen.fetch import RecordStore, parse_stored
# no __main__ guard, as Snakemake runs a rule's script: spawned workers would run this again
store_dir, pmids, out = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
parse_stored(RecordStore(store_dir), pmids, out + "/records.jsonl", threads=2)
settings = {"essay_date": "2021-09-03", "vocabulary": {}}
classify_file(out + "/records.jsonl", out + "/classified.jsonl", settings, threads=2)
"""


@pytest.mark.skipif(
    "fork" not in __import__("multiprocessing").get_all_start_methods(),
    reason="no fork here: the steps run in one process",
)
def test_the_steps_workers_run_where_the_default_start_method_is_spawn(store, tmp_path):
    """Snakemake runs a rule's script unguarded; with "spawn" (or "forkserver") as the
    default start method the workers would run the script again and break the pool."""
    import subprocess
    import sys

    script = tmp_path / "step.py"
    script.write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), str(store.path.parent), ",".join(store.pmids), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    serial = tmp_path / "serial.jsonl"
    parse_stored(store, store.pmids, serial, threads=1)
    assert (tmp_path / "records.jsonl").read_bytes() == serial.read_bytes()
    assert len((tmp_path / "classified.jsonl").read_text(encoding="utf-8").splitlines()) == len(
        store.pmids
    )
