"""Fetch: each unique PMID fetched once, into an on-disk record store kept between runs,
and fetched again only when PubMed says the record changed.

The store is one SQLite file holding each record's PubMed XML as received (so records can
be parsed again when the parser improves, and outputs can be rebuilt without the network),
with where and when it was fetched. A batch is written in one transaction after its
response was checked, so an interrupted run leaves only whole, verified records behind.

Answers are untrusted: a batch is stored only when the whole answer is fit to store
(`livescreen.sources.eutils.efetch_articles`: nothing declared, no entity, each article asked for
and once, none missing, each accepted by the real parser), checked again here whatever the
source, so no record the parse step would reject — and no article nobody asked for — ever
reaches the store. A store written before these checks may still hold such records: the
fetch step finds them at start-up (`RecordStore.unusable`), says which, and fetches them
again instead of failing every later run.

Stored records go stale: PubMed corrects titles and links retractions, errata and
expressions of concern to records already fetched. So each run also asks PubMed which
stored records it modified since they were fetched or last checked (`refetch_changed`) and
fetches exactly those again; the copy replaced moves to `article_history`, so nothing
fetched is ever lost, and the day each record was last confirmed current is kept in
`checked`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import sqlite3
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Protocol

from lxml import etree

from livescreen import memo
from livescreen.errors import LivescreenError, RemoteError
from livescreen.files import write_jsonl, write_lines
from livescreen.logs import Progress
from livescreen.parse.pubmed_xml import PubmedXmlError, iter_articles
from livescreen.sources.eutils import (
    ARTICLE_TAGS,
    CHANGE_CHECK_CHUNK,
    ENTITY_REF,
    SAFE_PARSER,
    efetch_articles,
    is_pmid,
    shown_id,
)
from livescreen.sources.http import excerpt_of
from livescreen.workers import worker_pool

log = logging.getLogger("livescreen.fetch")
STORE_FILE = "records.sqlite"
XML_HEADER = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# PubMed dates modifications by day, in its own time zone, and indexes them with a delay: a
# change check looks one day further back than the records' dates, so none falls between
# two checks.
CHECK_MARGIN = dt.timedelta(days=1)
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS articles ("
    " pmid TEXT PRIMARY KEY, xml BLOB NOT NULL, source TEXT NOT NULL, fetched_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS article_history ("
    " pmid TEXT NOT NULL, xml BLOB NOT NULL, source TEXT NOT NULL, fetched_at TEXT NOT NULL,"
    " replaced_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS checked (pmid TEXT PRIMARY KEY, checked_on TEXT NOT NULL)",
)
CURRENT_JOIN = "articles LEFT JOIN checked USING (pmid)"


class FetchSource(Protocol):
    source: str
    label: str
    changes_upstream: bool  # False: records never change, nothing to check

    def efetch(self, pmids: Sequence[str]) -> bytes: ...

    def modified_among(
        self, pmids: Sequence[str], mindate: str, maxdate: str = "3000"
    ) -> list[str]: ...


class RecordStore:
    """PubMed XML by PMID in `<store_dir>/records.sqlite`."""

    def __init__(self, store_dir: str | Path):
        self.path = Path(store_dir) / STORE_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            for statement in SCHEMA:  # a store from before the change check gains its tables
                db.execute(statement)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=60)

    def stored(self, pmids: Iterable[str]) -> set[str]:
        """The subset of `pmids` already in the store."""
        return {pmid for (pmid,) in self._select("pmid", pmids)}

    def put(self, articles: Iterable[tuple[str, bytes]], source: str) -> int:
        """Store (pmid, article XML) pairs in one transaction; return how many."""
        now = _now()
        rows = [(pmid, xml, source, now) for pmid, xml in articles]
        with closing(self._connect()) as db, db:
            db.executemany("INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?)", rows)
        return len(rows)

    def replace(self, articles: Iterable[tuple[str, bytes]], source: str) -> list[str]:
        """Store articles fetched again, in one transaction; return the PMIDs whose XML
        differed. A replaced copy moves to `article_history`, so no version is lost; an
        identical one is left as it was (fetched_at still says when that content came)."""
        now, changed = _now(), []
        with closing(self._connect()) as db, db:
            for pmid, xml in articles:
                old = db.execute(
                    "SELECT xml, source, fetched_at FROM articles WHERE pmid = ?", (pmid,)
                ).fetchone()
                if old is not None and bytes(old[0]) == xml:
                    continue
                if old is not None:
                    db.execute(
                        "INSERT INTO article_history VALUES (?, ?, ?, ?, ?)", (pmid, *old, now)
                    )
                db.execute(
                    "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?)", (pmid, xml, source, now)
                )
                changed.append(pmid)
        return changed

    def unusable(self, pmids: Iterable[str]) -> dict[str, str]:
        """pmid -> why, for the stored `pmids` whose XML the parse step could not read as
        that record: it does not parse alone, holds an entity, is no article, or carries
        another PMID. Only a store written before answers were checked holds any."""
        wanted = list(dict.fromkeys(pmids))
        problems = {
            pmid: record_problem(pmid, bytes(xml))
            for pmid, xml in self._select("pmid, xml", wanted)
        }
        return {pmid: why for pmid in wanted if (why := problems.get(pmid))}

    def discard(self, pmids: Iterable[str]) -> None:
        """Delete records (and when they were checked) so they are fetched again as missing.
        Only unusable records are discarded: they never were a copy worth keeping."""
        rows = [(pmid,) for pmid in pmids]
        with closing(self._connect()) as db, db:
            db.executemany("DELETE FROM articles WHERE pmid = ?", rows)
            db.executemany("DELETE FROM checked WHERE pmid = ?", rows)

    def history(self, pmid: str) -> list[tuple[bytes, str, str, str]]:
        """Earlier copies of one record, oldest first: (xml, source, fetched_at, replaced_at)."""
        with closing(self._connect()) as db:
            sql = (
                "SELECT xml, source, fetched_at, replaced_at FROM article_history"
                " WHERE pmid = ? ORDER BY replaced_at, rowid"
            )
            return [(bytes(xml), *rest) for xml, *rest in db.execute(sql, (pmid,))]

    def current_on(self, pmids: Iterable[str]) -> dict[str, dt.date]:
        """pmid -> the last day its stored copy was known current: the day it was fetched,
        or the day a change check found it unmodified (or fetched it again)."""
        rows = self._select("pmid, fetched_at, checked_on", pmids, CURRENT_JOIN)
        return {
            pmid: max(dt.date.fromisoformat(fetched[:10]), _day(checked))
            for pmid, fetched, checked in rows
        }

    def mark_checked(self, pmids: Iterable[str], day: dt.date) -> None:
        """Record that a change check confirmed these PMIDs current on `day`."""
        rows = [(pmid, day.isoformat()) for pmid in pmids]
        with closing(self._connect()) as db, db:
            db.executemany("INSERT OR REPLACE INTO checked VALUES (?, ?)", rows)

    def provenance(self, pmids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """pmid -> (source, fetched_at) for stored PMIDs."""
        return {
            pmid: (src, at) for pmid, src, at in self._select("pmid, source, fetched_at", pmids)
        }

    def open_xml(self, pmids: Iterable[str]) -> io.BufferedReader:
        """A file-like `<PubmedArticleSet>` of the stored `pmids`, read lazily from the store,
        so the parser streams through any number of records in flat memory."""
        return io.BufferedReader(_ChunkReader(self._iter_xml(pmids)), buffer_size=1 << 16)

    def xml_digest(self, pmids: Iterable[str]) -> str:
        """The sha256 of what `open_xml(pmids)` reads: equal digests, equal records parsed."""
        digest = hashlib.sha256()
        for chunk in self._iter_xml(pmids):
            digest.update(chunk)
        return digest.hexdigest()

    def _iter_xml(self, pmids: Iterable[str]) -> Iterator[bytes]:
        yield XML_HEADER + b"<PubmedArticleSet>\n"
        for (xml,) in self._select("xml", pmids):
            yield xml + b"\n"
        yield b"</PubmedArticleSet>\n"

    def _select(
        self, columns: str, pmids: Iterable[str], table: str = "articles"
    ) -> Iterator[tuple]:
        """Rows of `columns` for the stored `pmids`, queried in chunks SQLite accepts."""
        wanted = list(pmids)
        with closing(self._connect()) as db:
            for start in range(0, len(wanted), 900):  # under SQLite's bound-parameter limit
                chunk = wanted[start : start + 900]
                marks = ",".join("?" * len(chunk))
                sql = f"SELECT {columns} FROM {table} WHERE pmid IN ({marks})"
                yield from db.execute(sql, chunk)


def fetch_missing(
    source: FetchSource, store: RecordStore, pmids: Sequence[str], batch_size: int
) -> dict:
    """Fetch the PMIDs the store lacks, batch by batch; return counts for the log.

    Stored records the parse step could not read are discarded first and so fetched again:
    otherwise one poisoned record would fail every run until someone deleted the store."""
    unique = list(dict.fromkeys(pmids))
    unusable = discard_unusable(store, unique)
    have = store.stored(unique)
    missing = [pmid for pmid in unique if pmid not in have]
    batches = [missing[i : i + batch_size] for i in range(0, len(missing), batch_size)]
    progress = Progress("fetching PMIDs", len(missing)) if len(batches) > 1 else None
    for number, batch in enumerate(batches, start=1):
        store.put(fetch_batch(source, batch, f"batch {number} of {len(batches)}"), source.source)
        if progress:
            progress.advance(min(number * batch_size, len(missing)))
    return {
        "requested": len(unique),
        "already_stored": len(have),
        "fetched": len(missing),
        "efetch_requests": len(batches),
        "unusable_refetched": list(unusable),
        "source": source.source,
        "source_label": source.label,
    }


def discard_unusable(store: RecordStore, pmids: Sequence[str]) -> dict[str, str]:
    """Find the stored records among `pmids` the parse step could not read, say which and
    why in the log, and discard them so this run fetches them again; return them."""
    unusable = store.unusable(pmids)
    if unusable:
        named = "; ".join(f"{pmid} ({why})" for pmid, why in list(unusable.items())[:20])
        more = f"; and {len(unusable) - 20} more" if len(unusable) > 20 else ""
        log.warning(
            "record store: %d stored record(s) cannot be parsed and will be fetched again: %s%s",
            len(unusable),
            named,
            more,
        )
        store.discard(unusable)
    return unusable


def fetch_batch(source: FetchSource, batch: list[str], which: str) -> list[tuple[str, bytes]]:
    """One efetch batch as (pmid, XML) pairs fit to store, or a RemoteError naming the batch
    and why nothing of it is stored. The client checked the answer already (and retried a
    bad one); it is checked again here because the source may be another (the snapshot)."""
    try:
        return efetch_articles(source.efetch(batch), batch)
    except LivescreenError as exc:
        raise RemoteError(
            f"fetch stored nothing of {which} ({len(batch)} PMID(s): {_listed(batch)}): {exc}"
        ) from None


def _listed(pmids: list[str]) -> str:
    return ", ".join(pmids[:20]) + (f" and {len(pmids) - 20} more" if len(pmids) > 20 else "")


def refetch_changed(
    source: FetchSource,
    store: RecordStore,
    pmids: Sequence[str],
    batch_size: int,
    *,
    today: dt.date | None = None,
) -> dict:
    """Ask PubMed which stored records it modified since they were last known current, and
    fetch exactly those again, so corrected titles and new retractions, errata and
    expressions of concern reach the tables; return counts for the log.

    One esearch per `CHANGE_CHECK_CHUNK` PMIDs, then efetch in batches of `batch_size` for
    the PMIDs it names. Records already known current today (fetched or checked today) are
    not asked about: modifications are dated by day, so tomorrow's check still covers them.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    due = _due_for_check(source, store, pmids, today)
    chunks = [due[i : i + CHANGE_CHECK_CHUNK] for i in range(0, len(due), CHANGE_CHECK_CHUNK)]
    modified, changed, efetches = [], [], 0
    for chunk in chunks:
        found, replaced = _check_chunk(source, store, chunk, batch_size, today)
        modified += found
        changed += replaced
        efetches += -(-len(found) // batch_size)
    return {
        "change_check_requests": len(chunks),
        "change_checked": len(due),
        "change_check_since": (due[0][0] - CHECK_MARGIN).isoformat() if due else None,
        "refetch_requests": efetches,
        "refetched": len(modified),
        "changed": len(changed),
        "refetched_pmids": sorted(modified, key=int),
        "changed_pmids": sorted(changed, key=int),
    }


def _due_for_check(
    source: FetchSource, store: RecordStore, pmids: Sequence[str], today: dt.date
) -> list[tuple[dt.date, str]]:
    """(day known current, pmid) of the stored `pmids` to ask about, oldest first."""
    if not source.changes_upstream:
        return []
    current = store.current_on(dict.fromkeys(pmids))
    return sorted((day, pmid) for pmid, day in current.items() if day < today)


def _check_chunk(
    source: FetchSource,
    store: RecordStore,
    chunk: list[tuple[dt.date, str]],
    batch_size: int,
    today: dt.date,
) -> tuple[list[str], list[str]]:
    """One change check and the fetches it calls for: (PMIDs modified, PMIDs whose XML
    changed). The window opens `CHECK_MARGIN` before the chunk's oldest day; the chunk is
    marked checked only once its modified records are stored."""
    asked = [pmid for _, pmid in chunk]
    found = source.modified_among(asked, (chunk[0][0] - CHECK_MARGIN).strftime("%Y/%m/%d"))
    changed = []
    for start in range(0, len(found), batch_size):
        batch = found[start : start + batch_size]
        which = f"the change check's batch from PMID {batch[0]}"
        changed += store.replace(fetch_batch(source, batch, which), source.source)
    store.mark_checked(asked, today)
    return found, changed


def check_searched(search: dict, path: str) -> list[str]:
    """A search file's PMIDs, each checked to be one: a file written before ids were checked
    at the boundary may hold anything, and an id that is not a PMID would be sent to efetch
    and carried to every later step."""
    pmids = list(search.get("pmids") or [])
    bad = [pmid for pmid in pmids if not is_pmid(pmid)]
    if bad:
        raise LivescreenError(
            f"{path} (keyword {shown_id(search.get('slug'))}) lists {len(bad)} id(s) that are "
            f"not PMIDs (1 to 9 digits): {', '.join(map(shown_id, bad[:3]))}; delete it and "
            "run the search again"
        )
    return pmids


def ensure_complete(pmids: Iterable[str], records: Iterable[dict]) -> Iterator[dict]:
    """Pass records through; at the end raise if a fetched PMID had no record (the store
    was altered or emptied), so a writer consuming this never completes a partial file."""
    seen = set()
    for record in records:
        seen.add(record["pmid"])
        yield record
    _check_complete(pmids, seen)


def _check_complete(pmids: Iterable[str], seen: set[str]) -> None:
    missing = sorted(set(pmids) - seen)
    if missing:
        raise LivescreenError(
            f"the record store lacks {len(missing)} PMID(s), e.g. {', '.join(missing[:10])}; "
            "delete results/data/fetched.json and run again to fetch them"
        )


def unreadable_store(store: RecordStore, pmids: Sequence[str], exc: Exception) -> LivescreenError:
    """The error for a parse that failed on the store: which records are unreadable and how
    to have them fetched again, rather than the parser's complaint about the whole stream."""
    unusable = store.unusable(pmids)
    if not unusable:
        return LivescreenError(f"the stored records could not be parsed: {exc}")
    named = "; ".join(f"{pmid} ({why})" for pmid, why in list(unusable.items())[:10])
    return LivescreenError(
        f"the record store holds {len(unusable)} record(s) the parser cannot read: {named}; "
        "run `snakemake --forcerun fetch` and the fetch step fetches them again"
    )


# PMIDs per parsing task when the parse runs on several processes: a multiple of the store's
# 900-PMID queries (RecordStore._select), so the parts read the records in the order one
# pass over all of them reads them, and the output is the same file.
PARSE_PART = 1800


def parse_stored(
    store: RecordStore,
    pmids: list[str],
    target: str | Path,
    memo_folder: Path | None = None,
    threads: int = 1,
) -> bool:
    """The parse step: the stored records of `pmids` parsed into `target` (JSONL), or, when
    the stored XML is byte for byte what was parsed last time, that parse's file copied
    back (livescreen.memo). With `threads` > 1, parts of `pmids` are parsed on that many
    processes, into the same file. Returns whether it parsed."""

    def parse() -> None:
        parts = [pmids[at : at + PARSE_PART] for at in range(0, len(pmids), PARSE_PART)]
        pool = worker_pool(min(threads, len(parts)))
        try:
            if pool is not None:
                with pool:
                    write_lines(target, _parsed_in_parts(store, pmids, parts, pool, threads))
            else:
                with store.open_xml(pmids) as xml:
                    write_jsonl(target, ensure_complete(pmids, iter_articles(xml)))
        except PubmedXmlError as exc:
            raise unreadable_store(store, pmids, exc) from None

    data = (list(pmids), store.xml_digest(pmids)) if memo_folder else None
    return memo.files(memo_folder, "parse", data, [target], parse)


def _parsed_in_parts(
    store: RecordStore,
    pmids: list[str],
    parts: list[list[str]],
    pool: ProcessPoolExecutor,
    threads: int,
) -> Iterator[str]:
    """The JSON lines of the stored records of `pmids` (cut into `parts`), parsed part by
    part in `pool`, in order; at most `threads` + 1 parts in work, so memory stays flat."""
    seen: set[str] = set()

    def done(future) -> list[str]:
        lines, found = future.result()
        seen.update(found)
        return lines

    in_work: deque = deque()
    for part in parts:
        in_work.append(pool.submit(_parse_part, store.path.parent, part))
        if len(in_work) > threads:
            yield from done(in_work.popleft())
    while in_work:
        yield from done(in_work.popleft())
    _check_complete(pmids, seen)


def _parse_part(store_dir: Path, pmids: list[str]) -> tuple[list[str], list[str]]:
    """(the JSON lines of the stored records of `pmids`, their PMIDs), in a worker."""
    with RecordStore(store_dir).open_xml(pmids) as xml:
        records = list(iter_articles(xml))
    return [json.dumps(r, ensure_ascii=False) for r in records], [r["pmid"] for r in records]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _day(text: str | None) -> dt.date:
    return dt.date.fromisoformat(text) if text else dt.date.min


def record_problem(pmid: str, xml: bytes) -> str | None:
    """Why a stored record could not be read as `pmid` by the parse step, or None.

    The parse step streams every stored record inside one bare <PubmedArticleSet>, so a
    record must be one article element on its own (no prolog, no DOCTYPE), well-formed
    without any DTD, free of entity references (undeclared there), carrying its own PMID.
    """
    if not xml.lstrip().startswith(tuple(b"<" + tag.encode() for tag in ARTICLE_TAGS)):
        return f"it does not start with an article element: {shown_id(xml[:30])}"
    entities = list(dict.fromkeys(m.decode("utf-8", "replace") for m in ENTITY_REF.findall(xml)))
    if entities:
        return f"it holds entity reference(s) {', '.join(map(shown_id, entities[:5]))}"
    try:
        article = etree.fromstring(xml, SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        return f"it does not parse: {excerpt_of(str(exc).encode())}"
    if article.tag not in ARTICLE_TAGS:
        return f"it is <{shown_id(article.tag)}>, not an article"
    found = article.findtext("MedlineCitation/PMID") or article.findtext("BookDocument/PMID")
    if found is None or found.strip() != pmid or not is_pmid(pmid):
        return f"its PMID element says {shown_id(found)}, not {shown_id(pmid)}"
    return None


class _ChunkReader(io.RawIOBase):
    """A read-only raw stream over an iterator of byte chunks."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            self._pending = next(self._chunks, None)
            if self._pending is None:
                self._pending = b""
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
