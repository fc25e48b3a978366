"""The classify step: every parsed record classified, on the cores Snakemake gives the job,
with a cache so an update run classifies only the records that are new or changed.

The cache (`results/data/classify_cache.sqlite`) is keyed by the record's content and by a
fingerprint of everything else that decides its classification — the settings passed in
(vocabulary, essay date, mechanism instruments) and the classifier's own source code — so
editing the vocabulary or upgrading livescreen reclassifies everything, and nothing else
does. Records stream through in chunks, so memory stays flat; the output keeps the input's
order whatever the number of processes.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from itertools import islice
from pathlib import Path

from livescreen.files import iter_jsonl, write_jsonl
from livescreen.logs import Progress

CHUNK = 2000  # records read, looked up and classified at a time
POOL_CHUNK = 100  # records per task sent to a worker process
# Modules of the classify package that do not decide a classification (this step's
# plumbing, the evaluation): editing them need not reclassify anything.
NOT_CLASSIFIER = {"batch.py", "evaluation.py"}


def fingerprint(settings: dict) -> str:
    """What, besides a record, decides its classification: the settings and the code."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        if source.name not in NOT_CLASSIFIER:
            digest.update(source.read_bytes())
    return digest.hexdigest()


class ClassificationCache:
    """Classifications by key (record content + fingerprint) in one SQLite file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path)) as db, db:
            db.execute("CREATE TABLE IF NOT EXISTS classified (key TEXT PRIMARY KEY, result TEXT)")

    def get(self, keys: list[str]) -> dict[str, dict]:
        found = {}
        with closing(sqlite3.connect(self.path)) as db:
            for start in range(0, len(keys), 900):
                chunk = keys[start : start + 900]
                marks = ",".join("?" * len(chunk))
                sql = f"SELECT key, result FROM classified WHERE key IN ({marks})"
                found.update((k, json.loads(v)) for k, v in db.execute(sql, chunk))
        return found

    def put(self, results: dict[str, dict]) -> None:
        with closing(sqlite3.connect(self.path)) as db, db:
            db.executemany(
                "INSERT OR REPLACE INTO classified VALUES (?, ?)",
                [(k, json.dumps(v, ensure_ascii=False)) for k, v in results.items()],
            )


_worker: tuple | None = None  # (vocabulary, essay_date) in each worker process


def _start_worker(settings: dict) -> None:
    global _worker
    from livescreen.classify import load_vocabulary

    _worker = (load_vocabulary(settings), settings["essay_date"])


def _classify_one(record: dict) -> dict:
    from livescreen.classify import classify

    vocabulary, essay_date = _worker
    return classify(record, vocabulary, essay_date)


def classify_file(
    source: str | Path,
    target: str | Path,
    settings: dict,
    *,
    threads: int = 1,
    cache: str | Path | None = None,
) -> dict:
    """Classify every record of `source` (JSONL) into `target`; return counts for the log.

    `settings` holds what classify needs besides the record (`vocabulary`, `essay_date`,
    `mechanism_instruments`, …) as the config gives them.
    """
    store = ClassificationCache(cache) if cache else None
    prefix = fingerprint(settings)
    counts = {"records": 0, "highlighted": 0, "from_cache": 0, "classified": 0}
    pool = None
    if threads > 1:
        pool = ProcessPoolExecutor(threads, initializer=_start_worker, initargs=(settings,))
    else:
        _start_worker(settings)

    def chunks() -> Iterator[list[dict]]:
        records = iter_jsonl(source)
        while chunk := list(islice(records, CHUNK)):
            yield chunk

    total = _count_lines(source)
    progress = Progress("classifying records", total) if total > 2 * CHUNK else None

    def classified() -> Iterable[dict]:
        for chunk in chunks():
            keys = [_key(prefix, record) for record in chunk]
            known = store.get(keys) if store else {}
            todo = [(k, r) for k, r in zip(keys, chunk, strict=True) if k not in known]
            records = [r for _, r in todo]
            results = (
                pool.map(_classify_one, records, chunksize=POOL_CHUNK)
                if pool
                else map(_classify_one, records)
            )
            fresh = dict(zip((k for k, _ in todo), results, strict=True))
            if store and fresh:
                store.put(fresh)
            counts["from_cache"] += len(chunk) - len(fresh)
            counts["classified"] += len(fresh)
            for key, record in zip(keys, chunk, strict=True):
                record.update(known.get(key) or fresh[key])
                counts["records"] += 1
                counts["highlighted"] += bool(record["highlight"])
                yield record
            if progress:
                progress.advance(counts["records"])

    try:
        write_jsonl(target, classified())
    finally:
        if pool:
            pool.shutdown()
    return counts


def _count_lines(path: str | Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())


def _key(prefix: str, record: dict) -> str:
    return hashlib.sha256(
        (prefix + json.dumps(record, sort_keys=True, ensure_ascii=False)).encode()
    ).hexdigest()
