"""Fetch: each unique PMID fetched once, into an on-disk record store kept between runs,
and fetched again only when PubMed says the record changed.

The store is one SQLite file holding each record's PubMed XML as received (so records can
be parsed again when the parser improves, and outputs can be rebuilt without the network),
with where and when it was fetched. A batch is written in one transaction after its
response was checked, so an interrupted run leaves only whole, verified records behind.

Stored records go stale: PubMed corrects titles and links retractions, errata and
expressions of concern to records already fetched. So each run also asks PubMed which
stored records it modified since they were fetched or last checked (`refetch_changed`) and
fetches exactly those again; the copy replaced moves to `article_history`, so nothing
fetched is ever lost, and the day each record was last confirmed current is kept in
`checked`.
"""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Protocol

from lxml import etree

from .errors import LivescreenError
from .eutils import CHANGE_CHECK_CHUNK, SAFE_PARSER

STORE_FILE = "records.sqlite"
ARTICLE_TAGS = ("PubmedArticle", "PubmedBookArticle")
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
    """Fetch the PMIDs the store lacks, batch by batch; return counts for the log."""
    unique = list(dict.fromkeys(pmids))
    have = store.stored(unique)
    missing = [pmid for pmid in unique if pmid not in have]
    batches = [missing[i : i + batch_size] for i in range(0, len(missing), batch_size)]
    for batch in batches:
        store.put(split_articles(source.efetch(batch)), source.source)
    return {
        "requested": len(unique),
        "already_stored": len(have),
        "fetched": len(missing),
        "efetch_requests": len(batches),
        "source": source.source,
        "source_label": source.label,
    }


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
        changed += store.replace(split_articles(source.efetch(batch)), source.source)
    store.mark_checked(asked, today)
    return found, changed


def ensure_complete(pmids: Iterable[str], records: Iterable[dict]) -> Iterator[dict]:
    """Pass records through; at the end raise if a fetched PMID had no record (the store
    was altered or emptied), so a writer consuming this never completes a partial file."""
    seen = set()
    for record in records:
        seen.add(record["pmid"])
        yield record
    missing = sorted(set(pmids) - seen)
    if missing:
        raise LivescreenError(
            f"the record store lacks {len(missing)} PMID(s), e.g. {', '.join(missing[:10])}; "
            "delete results/data/fetched.json and run again to fetch them"
        )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _day(text: str | None) -> dt.date:
    return dt.date.fromisoformat(text) if text else dt.date.min


def split_articles(body: bytes) -> Iterator[tuple[str, bytes]]:
    """(pmid, serialized article element) for each article in an efetch answer."""
    root = etree.fromstring(body, SAFE_PARSER)
    for article in root:
        if article.tag not in ARTICLE_TAGS:
            continue
        pmid = article.findtext("MedlineCitation/PMID") or article.findtext("BookDocument/PMID")
        if pmid:
            yield pmid.strip(), etree.tostring(article, encoding="UTF-8")


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
