"""Citation chasing: the records that cite the seeds (forward) and that they cite (backward).

`chase_citations(seeds, source, depth=1)` asks a citation source for the links of the seed
PMIDs (the essay's resolved references, the highlighted trials), in as few requests as the
batches need, and says for each PMID found which seed(s) and which direction found it:
``found_by`` strings ``citation:forward of PMID 123`` (the record cites seed 123) and
``citation:backward of PMID 456`` (seed 456 cites the record). With ``depth`` 2 or more the
records found are chased in turn, each from the record that led to it.

Two sources answer the same call, ``links(pmids) -> {pmid: CitationLinks}``:

* `ElinkCitations`, NCBI ELink through the project's one `EutilsClient` (its shared rate
  limit, retries, and the API key sent only to the configured E-utilities URL):
  ``elink.fcgi`` with ``dbfrom=pubmed``, ``db=pubmed``, ``cmd=neighbor``, one ``id=``
  parameter per PMID (so the answer has one ``<LinkSet>`` per PMID and links stay per
  seed) and ``linkname`` ``pubmed_pubmed_citedin`` (forward) or ``pubmed_pubmed_refs``
  (backward): one POST per direction per batch of up to `ELINK_BATCH` PMIDs.
* `IciteClient`, NIH iCite ``GET api/pubs?pmids=...&fields=pmid,cited_by,references``: both
  directions in one request per batch of up to 1,000 PMIDs (iCite's limit), at most 3
  requests a second; no key is ever sent (its `PoliteClient` holds none).

Answers are checked where they are read: every id must be a PMID, every PMID answered must
be one asked about, each once, and (ELink) every one asked about must be answered; else
`BadResponse`, retried. iCite leaves out PMIDs it does not hold: those come back with
``known=False`` and the chase lists them (`ChaseResult.unknown`) for the search log.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from livescreen.errors import BadResponse
from livescreen.sources.eutils import (
    API_KEY_ENV,
    EutilsClient,
    check_pmids,
    is_pmid,
    parse_xml,
    shown_id,
)
from livescreen.sources.http import OverHttp, PoliteClient, excerpt_of, looks_like_html

FORWARD = "forward"  # records citing the seed (cited by)
BACKWARD = "backward"  # records the seed cites (its references)
DIRECTIONS = (FORWARD, BACKWARD)
ELINK_LINKNAMES = {FORWARD: "pubmed_pubmed_citedin", BACKWARD: "pubmed_pubmed_refs"}
# PMIDs per ELink request: one id= each, in a POST body (NCBI asks for POST past ~200 ids).
ELINK_BATCH = 200
DEFAULT_ICITE_URL = "https://icite.od.nih.gov/api/"
ICITE_BATCH = 1000  # iCite's documented maximum of PMIDs per call
ICITE_RATE = 3  # requests per second, machine-wide (iCite publishes no limit)


@dataclass
class CitationLinks:
    """One PMID's links: who cites it (forward) and what it cites (backward)."""

    pmid: str
    cited_by: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    known: bool = True  # False: the source holds no record of this PMID

    def direction(self, name: str) -> list[str]:
        return self.cited_by if name == FORWARD else self.references


class CitationSource(Protocol):
    """What `chase_citations` needs of a source."""

    batch_size: int
    label: str

    def links(self, pmids: Sequence[str], directions: Sequence[str] = DIRECTIONS) -> dict:
        """{pmid: CitationLinks} for every PMID asked about."""
        ...


@dataclass
class Found:
    """A PMID the chase found, and every (direction, seed) that found it."""

    pmid: str
    via: list[tuple[str, str]] = field(default_factory=list)  # (direction, from PMID)
    level: int = 1  # 1: linked to a seed; 2: to a record found at level 1; ...

    @property
    def found_by(self) -> list[str]:
        return [f"citation:{direction} of PMID {source}" for direction, source in self.via]


@dataclass
class ChaseResult:
    """What a chase found, beyond the seeds, in the order found."""

    seeds: list[str]
    found: dict[str, Found]
    depth: int
    directions: tuple[str, ...]
    requests: int  # requests sent (retries included) by this chase
    source_label: str
    unknown: list[str] = field(default_factory=list)  # chased PMIDs the source has no record of

    def found_by(self) -> dict[str, list[str]]:
        """{pmid: ["citation:forward of PMID 123", ...]} of every PMID found."""
        return {pmid: entry.found_by for pmid, entry in self.found.items()}

    def counts(self) -> dict[str, int]:
        """Records found per direction (a record found both ways counts in both)."""
        return {
            d: sum(1 for f in self.found.values() if any(v[0] == d for v in f.via))
            for d in self.directions
        }


def chase_citations(
    seeds: Iterable[str],
    source: CitationSource,
    *,
    depth: int = 1,
    directions: Sequence[str] = DIRECTIONS,
) -> ChaseResult:
    """Chase citations from ``seeds`` through ``source``, ``depth`` levels (default 1).

    Each level asks about the PMIDs not asked about before, in batches of
    ``source.batch_size`` (the minimum number of requests for them). Seeds are never
    "found"; a PMID found from several seeds or both ways lists every one, seeds in the
    order given.
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"citation chasing depth must be a whole number from 1, not {depth!r}")
    wanted = tuple(d for d in DIRECTIONS if d in directions)
    if not wanted or len(wanted) != len(set(directions)):
        raise ValueError(f"directions must be among {DIRECTIONS}, got {tuple(directions)!r}")
    seed_list = check_pmids(list(dict.fromkeys(str(s).strip() for s in seeds)), "the seeds hold")
    before = getattr(source, "requests_sent", 0)
    found: dict[str, Found] = {}
    asked: set[str] = set()
    unknown: list[str] = []
    frontier = seed_list
    for level in range(1, depth + 1):
        frontier = [p for p in frontier if p not in asked]
        if not frontier:
            break
        asked.update(frontier)
        next_frontier: list[str] = []
        for start in range(0, len(frontier), source.batch_size):
            batch = frontier[start : start + source.batch_size]
            answers = source.links(batch, wanted)
            for pmid in batch:
                links = answers[pmid]
                if not links.known:
                    unknown.append(pmid)
                for direction in wanted:
                    for other in links.direction(direction):
                        if other in seed_list:
                            continue
                        entry = found.get(other)
                        if entry is None:
                            entry = found[other] = Found(other, level=level)
                            next_frontier.append(other)
                        if (direction, pmid) not in entry.via:
                            entry.via.append((direction, pmid))
        frontier = next_frontier
    return ChaseResult(
        seeds=seed_list,
        found=found,
        depth=depth,
        directions=wanted,
        requests=getattr(source, "requests_sent", 0) - before,
        source_label=source.label,
        unknown=unknown,
    )


# -- NCBI ELink -------------------------------------------------------------------------------


class ElinkCitations:
    """Citation links from NCBI ELink, through an `EutilsClient` (its rate limit and key)."""

    def __init__(self, eutils: EutilsClient, *, batch_size: int = ELINK_BATCH):
        if not 1 <= batch_size <= 10000:
            raise ValueError("ELink batch_size must be from 1 to 10,000 PMIDs")
        self.eutils = eutils
        self.batch_size = batch_size

    @property
    def label(self) -> str:
        return f"NCBI ELink (pubmed_pubmed_citedin, pubmed_pubmed_refs) via {self.eutils.base_url}"

    @property
    def requests_sent(self) -> int:
        return self.eutils.requests_sent

    def links(self, pmids: Sequence[str], directions: Sequence[str] = DIRECTIONS) -> dict:
        wanted = check_pmids(list(dict.fromkeys(pmids)), "a citation lookup asks about")
        if not 0 < len(wanted) <= self.batch_size:
            raise ValueError(f"an ELink request asks about 1 to {self.batch_size} PMIDs")
        answers = {pmid: CitationLinks(pmid) for pmid in wanted}
        for direction in DIRECTIONS:
            if direction not in directions:
                continue
            linkname = ELINK_LINKNAMES[direction]
            params = {
                "dbfrom": "pubmed",
                "db": "pubmed",
                "cmd": "neighbor",
                "linkname": linkname,
                "retmode": "xml",
                "id": list(wanted),  # one id= per PMID: one LinkSet per PMID in the answer
            }
            linked = self.eutils._post(
                "elink.fcgi", params, lambda body, ln=linkname: parse_elink(body, wanted, ln)
            )
            for pmid, others in linked.items():
                if direction == FORWARD:
                    answers[pmid].cited_by = others
                else:
                    answers[pmid].references = others
        return answers


def parse_elink(body: bytes, wanted: Sequence[str], linkname: str) -> dict[str, list[str]]:
    """{PMID: linked PMIDs} from an eLinkResult asked with one ``id=`` per PMID: one LinkSet
    each, every PMID asked about answered once and nothing else; else BadResponse."""
    root = parse_xml(body, "elink")
    if root.tag != "eLinkResult":
        raise BadResponse(f"elink answer is <{shown_id(root.tag)}>, not <eLinkResult>")
    error = root.findtext("ERROR")
    if error:
        raise BadResponse(f"elink answer reports an error: {shown_id(error, 200)}")
    asked = set(wanted)
    out: dict[str, list[str]] = {}
    for linkset in root.iterfind("LinkSet"):
        ids = [i.text or "" for i in linkset.iterfind("IdList/Id")]
        check_pmids(ids, f"elink {linkname}: a LinkSet names")
        if len(ids) != 1:
            raise BadResponse(
                f"elink {linkname}: a LinkSet names {len(ids)} PMIDs, not one (each id= "
                "parameter should give its own LinkSet)"
            )
        pmid = ids[0]
        if pmid not in asked:
            raise BadResponse(f"elink {linkname}: answer names PMID {pmid}, not asked about")
        if pmid in out:
            raise BadResponse(f"elink {linkname}: PMID {pmid} answered twice")
        links: list[str] = []
        for db in linkset.iterfind("LinkSetDb"):
            if (db.findtext("LinkName") or "").strip() != linkname:
                continue
            links += [i.text or "" for i in db.iterfind("Link/Id")]
        check_pmids(links, f"elink {linkname} for PMID {pmid}: the answer lists")
        out[pmid] = list(dict.fromkeys(links))
    missing = [pmid for pmid in wanted if pmid not in out]
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise BadResponse(f"elink {linkname}: answer lacks {len(missing)} PMID(s): {shown}")
    return out


# -- NIH iCite --------------------------------------------------------------------------------


class IciteClient(OverHttp):
    """NIH iCite ``api/pubs``: both directions, up to 1,000 PMIDs a request, no key."""

    source = "icite"

    def __init__(
        self,
        base_url: str = DEFAULT_ICITE_URL,
        *,
        requests_per_second: int = ICITE_RATE,
        batch_size: int = ICITE_BATCH,
        **http_options,
    ):
        if not 1 <= batch_size <= ICITE_BATCH:
            raise ValueError(f"iCite batch_size must be from 1 to {ICITE_BATCH} PMIDs")
        self.batch_size = batch_size
        self.http = PoliteClient(base_url, rate=requests_per_second, **http_options)

    @classmethod
    def from_config(cls, config: Mapping) -> IciteClient:
        block = config.get("citations") or {}
        return cls(
            block.get("icite_base_url") or DEFAULT_ICITE_URL,
            timeout=config.get("timeout", 30),
            max_retries=config.get("max_retries", 6),
        )

    @property
    def label(self) -> str:
        return f"NIH iCite via {self.base_url}"

    def links(self, pmids: Sequence[str], directions: Sequence[str] = DIRECTIONS) -> dict:
        wanted = check_pmids(list(dict.fromkeys(pmids)), "a citation lookup asks about")
        if not 0 < len(wanted) <= self.batch_size:
            raise ValueError(f"an iCite request asks about 1 to {self.batch_size} PMIDs")
        params = {
            "pmids": ",".join(wanted),
            "fields": "pmid,cited_by,references",
            "limit": str(len(wanted)),
            "format": "json",
        }
        return self.http.request(
            "GET", "pubs", lambda body: parse_icite(body, wanted), params=params
        )


def parse_icite(body: bytes, wanted: Sequence[str]) -> dict[str, CitationLinks]:
    """{PMID: CitationLinks} from an iCite ``pubs`` answer; PMIDs it leaves out are
    ``known=False``. A PMID not asked about, twice, or an id that is not one: BadResponse."""
    if looks_like_html(body):
        raise BadResponse(f"iCite answer is an HTML page, not JSON: {excerpt_of(body)}")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadResponse(f"iCite answer is truncated or malformed JSON ({exc})") from None
    rows = data.get("data") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise BadResponse(f"iCite answer has no 'data' list: {excerpt_of(body)}")
    asked = set(wanted)
    answers: dict[str, CitationLinks] = {}
    for position, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise BadResponse(f"iCite row {position} is not an object")
        pmid = _pmid_text(row.get("pmid"))
        if pmid is None:
            raise BadResponse(f"iCite row {position} has pmid {shown_id(row.get('pmid'))}")
        if pmid not in asked:
            raise BadResponse(f"iCite answer names PMID {pmid}, not asked about")
        if pmid in answers:
            raise BadResponse(f"iCite answer has PMID {pmid} twice")
        answers[pmid] = CitationLinks(
            pmid,
            cited_by=_pmid_list(row.get("cited_by"), f"iCite PMID {pmid} cited_by"),
            references=_pmid_list(row.get("references"), f"iCite PMID {pmid} references"),
        )
    for pmid in wanted:
        answers.setdefault(pmid, CitationLinks(pmid, known=False))
    return {pmid: answers[pmid] for pmid in wanted}


def _pmid_text(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    text = str(value) if isinstance(value, int) and value > 0 else value
    return text if is_pmid(text) else None


def _pmid_list(value: object, what: str) -> list[str]:
    """iCite lists PMIDs as numbers (some answers as one space-separated text)."""
    if value in (None, ""):
        return []
    items = value.split() if isinstance(value, str) else value
    if not isinstance(items, list):
        raise BadResponse(f"{what} is {shown_id(value)}, not a list of PMIDs")
    out = []
    for item in items:
        pmid = _pmid_text(item)
        if pmid is None:
            raise BadResponse(f"{what} lists {shown_id(item)}, not a PMID (1 to 9 digits)")
        out.append(pmid)
    return list(dict.fromkeys(out))


# -- the configured source ----------------------------------------------------------------------


def open_citations(config: Mapping, workdir: str = ".", *, eutils: EutilsClient | None = None):
    """The configured citation source: ``citations.source`` ``icite`` (default), ``elink``,
    or the snapshot's (no links bundled) when ``source: snapshot``."""
    if config.get("source") == "snapshot":
        from livescreen.sources.snapshot import SnapshotCitations

        return SnapshotCitations()
    block = config.get("citations") or {}
    if block.get("source", "icite") == "elink":
        client = eutils or EutilsClient.from_config(
            dict(config), api_key=os.environ.get(API_KEY_ENV)
        )
        return ElinkCitations(client, batch_size=block.get("batch_size") or ELINK_BATCH)
    return IciteClient.from_config(config)
