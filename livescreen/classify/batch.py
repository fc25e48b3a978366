"""The classify step: every parsed record classified, on the cores Snakemake gives the job,
with a cache so an update run classifies only the records that are new or changed.

The cache (`results/data/classify_cache.sqlite`) is keyed by the record's content (its JSON
line as the parse step wrote it) and by a fingerprint of everything else that decides its
classification — the settings passed in (vocabulary, essay date, mechanism instruments) and
the classifier's own source code — so editing the vocabulary or upgrading livescreen
reclassifies everything, and nothing else does. Records stream through in chunks, so memory
stays flat; the output keeps the input's order whatever the number of processes, and each
output line is the input line with the classification's columns appended.

Worker processes receive JSON lines and return, for each, the text to append to it (its
classification's columns, as JSON), so that parsing happens on their cores and little
crosses between processes; the main process reads, looks up, appends and writes, and never
parses a record. The classifier is loaded (and the pool started) only when a record is not
in the cache.
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

from livescreen.files import write_lines
from livescreen.logs import Progress
from livescreen.workers import worker_pool

CHUNK = 2000  # records read, looked up and classified at a time
POOL_CHUNK = 100  # records per task sent to a worker process
# Modules of the classify package that do not decide a classification (this step's
# plumbing, the evaluation): editing them need not reclassify anything.
NOT_CLASSIFIER = {"batch.py", "evaluation.py"}


# What the cache holds for a record: the text appended to its line (see `addition`). A new
# form of it misses every entry kept in an older form.
CACHE_FORM = "addition 1"
# An addition starting with this is the whole classification, for a record that must be
# merged as a dict (it holds one of the columns with another value, or it is empty).
MERGE = "!"


def fingerprint(settings: dict) -> str:
    """What, besides a record, decides its classification and what the cache holds for it:
    the settings, the code and the cache's form."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    digest.update(CACHE_FORM.encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        if source.name not in NOT_CLASSIFIER:
            digest.update(source.read_bytes())
    return digest.hexdigest()


class ClassificationCache:
    """Each record's addition (`addition`) by key (record content + fingerprint), in one
    SQLite file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path)) as db, db:
            db.execute("CREATE TABLE IF NOT EXISTS classified (key TEXT PRIMARY KEY, result TEXT)")

    def get(self, keys: list[str]) -> dict[str, str]:
        """The additions of the keys held."""
        found = {}
        with closing(sqlite3.connect(self.path)) as db:
            for start in range(0, len(keys), 900):
                chunk = keys[start : start + 900]
                marks = ",".join("?" * len(chunk))
                sql = f"SELECT key, result FROM classified WHERE key IN ({marks})"
                found.update(db.execute(sql, chunk))
        return found

    def put(self, results: dict[str, str]) -> None:
        """Keep additions by key."""
        with closing(sqlite3.connect(self.path)) as db, db:
            db.executemany("INSERT OR REPLACE INTO classified VALUES (?, ?)", results.items())


_worker: tuple | None = None  # (settings, vocabulary, essay_date) in each worker process


def _start_worker(settings: dict) -> None:
    """Load what classifying needs, once per process. The step calls it before the pool
    starts, so forked workers find it loaded (and the cue table analysed) already."""
    global _worker
    if _worker is not None and _worker[0] == settings:
        return
    from livescreen.classify import classify, load_vocabulary

    vocabulary = load_vocabulary(settings)
    classify({"title": "warm up"}, vocabulary, settings["essay_date"])  # cue table analysed
    _worker = (settings, vocabulary, settings["essay_date"])


def _classify_lines(lines: list[str]) -> list[str]:
    """Each JSON line's addition. Workers take and give text: the parsing happens beside the
    classifying, on the worker's core, and what comes back is small."""
    from livescreen.classify import classify

    _, vocabulary, essay_date = _worker
    additions = []
    for line in lines:
        record = json.loads(line)
        additions.append(addition(record, classify(record, vocabulary, essay_date)))
    return additions


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def addition(record: dict, classification: dict) -> str:
    """What is appended to ``record``'s line (see `with_classification`): the columns of
    ``classification`` that the record does not hold already with the same value, as a JSON
    object. A parsed record holds `retracted` (from its retraction notices), which the
    classification repeats. When the record holds a column with another value, or nothing
    at all, the whole classification marked `MERGE`: that record is merged as a dict."""
    extra = {}
    for column, value in classification.items():
        if column not in record:
            extra[column] = value
        elif _json(record[column]) != _json(value):
            extra = None
            break
    if not record or extra is None:
        return MERGE + _json(classification)
    return _json(extra)


def with_classification(line: str, added: str) -> str:
    """The record of ``line`` (one JSON object) with its classification, as one JSON line:
    the line's text kept as it is and the members of its ``added`` (`addition`, made from
    this very line) appended, so no record is parsed or written again here. A `MERGE`
    addition is merged as a dict, its columns replacing the record's."""
    line = line.strip()
    if added.startswith(MERGE):
        record = json.loads(line)
        record.update(json.loads(added[len(MERGE) :]))
        return _json(record)
    if added == "{}":
        return line
    return f"{line[:-1]}, {added[1:]}"


def _highlighted(line: str, added: str) -> bool:
    """Whether the record is highlighted: from its addition, or (when the record held the
    same value already, so the addition left it out) from the line."""
    columns = json.loads(added.removeprefix(MERGE))
    return bool(columns["highlight"] if "highlight" in columns else json.loads(line)["highlight"])


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
    pool: ProcessPoolExecutor | None = None

    def start() -> None:
        """Load the classifier (and start the workers) when a record needs it: a run whose
        records are all in the cache loads nothing."""
        nonlocal pool
        _start_worker(settings)  # once: it returns at once when loaded for these settings
        if threads > 1 and pool is None:
            pool = worker_pool(threads, _start_worker, (settings,))

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
        if batches:
            start()
        work = [pool.submit(_classify_lines, b) for b in batches] if pool else batches
        return keys, chunk, known, todo, work

    def finished(keys, chunk, known, todo, work) -> Iterable[str]:
        results = (f.result() for f in work) if pool else map(_classify_lines, work)
        fresh = dict(zip(todo, (r for batch in results for r in batch), strict=True))
        if store and fresh:
            store.put(fresh)
        counts["from_cache"] += sum(1 for k in keys if k in known)
        counts["classified"] += len(fresh)
        for key, line in zip(keys, chunk, strict=True):
            # classified now, or from the cache (last time's classification)
            added = fresh[key] if key in fresh else known[key]
            counts["records"] += 1
            counts["highlighted"] += _highlighted(line, added)
            yield with_classification(line, added)
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
        write_lines(target, classified())
    finally:
        if pool:
            pool.shutdown()
    return counts


def _count_lines(path: str | Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())


def _key(prefix: str, line: str) -> str:
    return hashlib.sha256((prefix + line).encode()).hexdigest()
