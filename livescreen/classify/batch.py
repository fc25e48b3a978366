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
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from itertools import islice
from pathlib import Path

from livescreen.files import atomic_path
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

    def get(self, keys: list[str]) -> dict[str, str]:
        """The classifications (JSON text) of the keys held."""
        found = {}
        with closing(sqlite3.connect(self.path)) as db:
            for start in range(0, len(keys), 900):
                chunk = keys[start : start + 900]
                marks = ",".join("?" * len(chunk))
                sql = f"SELECT key, result FROM classified WHERE key IN ({marks})"
                found.update(db.execute(sql, chunk))
        return found

    def put(self, results: dict[str, str]) -> None:
        """Keep classifications (JSON text) by key."""
        with closing(sqlite3.connect(self.path)) as db, db:
            db.executemany("INSERT OR REPLACE INTO classified VALUES (?, ?)", results.items())


_worker: tuple | None = None  # (vocabulary, essay_date) in each worker process


def _start_worker(settings: dict) -> None:
    global _worker
    from livescreen.classify import load_vocabulary

    _worker = (load_vocabulary(settings), settings["essay_date"])


def _classify_lines(lines: list[str]) -> list[tuple[str, str, bool]]:
    """Each JSON line as (the record with its classification, the classification), both as
    JSON, and whether it is highlighted. Workers take and give text: the parsing and
    writing happen beside the classifying, on the worker's core, and text is cheap to send
    between processes."""
    from livescreen.classify import classify

    vocabulary, essay_date = _worker
    out = []
    for line in lines:
        record = json.loads(line)
        result = classify(record, vocabulary, essay_date)
        record.update(result)
        out.append(
            (
                json.dumps(record, ensure_ascii=False),
                json.dumps(result, ensure_ascii=False),
                bool(result["highlight"]),
            )
        )
    return out


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
    `mechanism_instruments`, …) as the config gives them. A record is looked up in the
    cache by its line, as written; the output is each record with its classification.
    """
    store = ClassificationCache(cache) if cache else None
    prefix = fingerprint(settings)
    counts = {"records": 0, "highlighted": 0, "from_cache": 0, "classified": 0}
    pool = None
    if threads > 1:
        pool = ProcessPoolExecutor(threads, initializer=_start_worker, initargs=(settings,))
    else:
        _start_worker(settings)

    def chunks() -> Iterator[list[str]]:
        with open(source, encoding="utf-8") as handle:
            lines = (line.rstrip("\n") for line in handle if line.strip())
            while chunk := list(islice(lines, CHUNK)):
                yield chunk

    total = _count_lines(source)
    progress = Progress("classifying records", total) if total > 2 * CHUNK else None

    def submitted(chunk: list[str]):
        """(the chunk's keys, lines, cached classifications, its batches in work)."""
        keys = [_key(prefix, line) for line in chunk] if store else chunk
        known = store.get(keys) if store else {}
        todo = list(dict.fromkeys(k for k in keys if k not in known))  # once each
        lines = dict(zip(keys, chunk, strict=True))
        batches = [
            [lines[k] for k in todo[at : at + POOL_CHUNK]] for at in range(0, len(todo), POOL_CHUNK)
        ]
        work = [pool.submit(_classify_lines, b) for b in batches] if pool else batches
        return keys, chunk, known, todo, work

    def finished(keys, chunk, known, todo, work) -> Iterable[str]:
        results = (f.result() for f in work) if pool else map(_classify_lines, work)
        fresh = dict(zip(todo, (r for batch in results for r in batch), strict=True))
        if store and fresh:
            store.put({key: result for key, (_, result, _) in fresh.items()})
        counts["from_cache"] += sum(1 for k in keys if k in known)
        counts["classified"] += len(fresh)
        for key, line in zip(keys, chunk, strict=True):
            if key in fresh:
                out, _, highlighted = fresh[key]
            else:  # from the cache: the record with last time's classification
                record = json.loads(line)
                record.update(json.loads(known[key]))
                out, highlighted = json.dumps(record, ensure_ascii=False), record["highlight"]
            counts["records"] += 1
            counts["highlighted"] += bool(highlighted)
            yield out
        if progress:
            progress.advance(counts["records"])

    def classified() -> Iterable[str]:
        # the next chunk is sent to the workers before this one is written, so that they
        # never wait for the writing (two chunks in memory at most)
        pending: deque = deque()
        for chunk in chunks():
            pending.append(submitted(chunk))
            if len(pending) > 1:
                yield from finished(*pending.popleft())
        while pending:
            yield from finished(*pending.popleft())

    try:
        with atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8") as out:
            for line in classified():
                out.write(line + "\n")
    finally:
        if pool:
            pool.shutdown()
    return counts


def _count_lines(path: str | Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())


def _key(prefix: str, line: str) -> str:
    return hashlib.sha256((prefix + line).encode()).hexdigest()
