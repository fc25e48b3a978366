"""Fetch: each unique PMID fetched once, into an on-disk record store kept between runs.

The store is one SQLite file holding each record's PubMed XML as received (so records can
be parsed again when the parser improves, and outputs can be rebuilt without the network),
with where and when it was fetched. A batch is written in one transaction after its
response was checked, so an interrupted run leaves only whole, verified records behind.
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
from .eutils import SAFE_PARSER

STORE_FILE = "records.sqlite"
ARTICLE_TAGS = ("PubmedArticle", "PubmedBookArticle")
XML_HEADER = b'<?xml version="1.0" encoding="UTF-8"?>\n'


class FetchSource(Protocol):
    source: str
    label: str

    def efetch(self, pmids: Sequence[str]) -> bytes: ...


class RecordStore:
    """PubMed XML by PMID in `<store_dir>/records.sqlite`."""

    def __init__(self, store_dir: str | Path):
        self.path = Path(store_dir) / STORE_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS articles ("
                " pmid TEXT PRIMARY KEY, xml BLOB NOT NULL, source TEXT NOT NULL,"
                " fetched_at TEXT NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=60)

    def stored(self, pmids: Iterable[str]) -> set[str]:
        """The subset of `pmids` already in the store."""
        return {pmid for (pmid,) in self._select("pmid", pmids)}

    def put(self, articles: Iterable[tuple[str, bytes]], source: str) -> int:
        """Store (pmid, article XML) pairs in one transaction; return how many."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        rows = [(pmid, xml, source, now) for pmid, xml in articles]
        with closing(self._connect()) as db, db:
            db.executemany("INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?)", rows)
        return len(rows)

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

    def _select(self, columns: str, pmids: Iterable[str]) -> Iterator[tuple]:
        """Rows of `columns` for the stored `pmids`, queried in chunks SQLite accepts."""
        wanted = list(pmids)
        with closing(self._connect()) as db:
            for start in range(0, len(wanted), 900):  # under SQLite's bound-parameter limit
                chunk = wanted[start : start + 900]
                marks = ",".join("?" * len(chunk))
                sql = f"SELECT {columns} FROM articles WHERE pmid IN ({marks})"
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
