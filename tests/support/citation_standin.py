"""Loopback stand-ins for citation links: NCBI ELink and NIH iCite, from one citation graph.

Both answer from ``references`` (PMID -> the PMIDs it cites); "cited by" is its inverse.
Server, request record and common faults: ``tests/support/loopback.py``.

:class:`ElinkStandIn` serves ``/entrez/eutils/elink.fcgi`` (GET, or POST with a form body),
``dbfrom=pubmed``, ``db=pubmed``, ``linkname`` ``pubmed_pubmed_citedin`` or
``pubmed_pubmed_refs``. Copied from NCBI (recorded answers ``shared/fixtures/ncbi/biopython/
elink1.xml``, ``elink3.xml``, and the DTD ``elink.dtd``): the ``eLinkResult`` prolog and DOCTYPE,
one ``<LinkSet>`` with ``<DbFrom>``, ``<IdList>`` and ``<LinkSetDb>`` (``<DbTo>``,
``<LinkName>``, ``<Link><Id>``); several PMIDs in one ``id=`` (comma-separated) share one
LinkSet (elink3.xml), while each ``id=`` parameter of its own gets its own LinkSet (NBK25499,
"ELink": "one-to-one"). Invented: a LinkSet without ``<LinkSetDb>`` for a PMID with no links
(NCBI's answer there is not recorded in the fixtures), the order of links (descending PMID),
and the 400 for another ``db``/``dbfrom``/``linkname``. ``api_key`` is accepted and recorded.

:class:`IciteStandIn` serves ``/api/pubs?pmids=...&fields=...``: ``{"meta": {...}, "links":
{}, "data": [{"pmid": int, "cited_by": [int], "references": [int]}]}`` (field names from the
iCite API page and public clients), PMIDs it does not hold left out, at most 1,000 PMIDs a
request (a 400 above: invented wording).

Faults (``inject``), one per request: the common ones (``429``, ``429-retry-after``, ``500``,
``502``, ``503``, ``html200``, ``truncated``, ``reset``, ``slow:SECONDS``), ``ok``, and
``foreign-id`` (the answer adds a PMID not asked about), ``missing`` (the last PMID asked
about is left out: for ELink an incomplete answer, for iCite a PMID it does not hold), and
``bad-id`` (a linked id is :data:`BAD_ID`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from tests.support import loopback

__all__ = ["BAD_ID", "ElinkStandIn", "IciteStandIn", "RecordedRequest"]

BAD_ID = "=1+1"
FAULTS = loopback.COMMON_FAULTS | {"ok", "foreign-id", "missing", "bad-id"}
FOREIGN_PMID = "99999991"
ELINK_PATH = "/entrez/eutils/elink.fcgi"
ICITE_PATH = "/api/pubs"
LINKNAMES = ("pubmed_pubmed_citedin", "pubmed_pubmed_refs")


@dataclass
class RecordedRequest:
    time: float
    method: str
    path: str
    pairs: list[tuple[str, str]]  # every parameter of the URL and the form body, in order
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    fault: str | None = None
    status: int | None = None

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key == name]


def _page(title: str) -> bytes:
    return f"<html><body><h1>{title}</h1></body></html>\n".encode()


class _CitationServer(loopback.LoopbackServer[RecordedRequest]):
    path: str = ""
    known_faults = FAULTS
    status_pages = {s: _page(f"{s} error") for s in (500, 502, 503)}
    html200_page = _page("Service temporarily unavailable")

    def __init__(
        self,
        references: Mapping[str, Sequence[str]],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_per_second: int | None = None,
    ) -> None:
        super().__init__(host, port, queues=["*"])
        self.references = {k: list(v) for k, v in references.items()}
        self.max_per_second = max_per_second

    def inject(self, *faults: str) -> None:
        self._enqueue("*", faults)

    def pending_faults(self) -> list[str]:
        return self._pending("*")

    def cited_by(self, pmid: str) -> list[str]:
        citing = [source for source, cited in self.references.items() if pmid in cited]
        return sorted(citing, key=int, reverse=True)

    def refs(self, pmid: str) -> list[str]:
        return sorted(self.references.get(pmid, []), key=int, reverse=True)

    def holds(self, pmid: str) -> bool:
        return pmid in self.references or any(pmid in v for v in self.references.values())

    def _handle(self, handler: loopback.Handler, method: str) -> None:
        url = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length > 0 else b""
        pairs = parse_qsl(url.query, keep_blank_values=True)
        if body:
            pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        record = RecordedRequest(
            handler.arrival, method, handler.path, pairs, dict(handler.headers.items()), body
        )
        self._admit(
            handler,
            record,
            lambda fault: self._reply(url.path, method, record, fault),
            fault_queue="*",
            max_per_second=self.max_per_second,
        )

    def _reply(self, path, method, record, fault) -> loopback.Reply:
        if path != self.path:
            return loopback.Reply(404, _page("404 Not Found"), loopback.HTML)
        if fault in ("429", "429-retry-after", "rate-limit"):
            headers = {"Retry-After": "1"} if fault != "429" else {}
            return loopback.Reply(429, b"Too Many Requests\n", loopback.TEXT, headers)
        canned = self._page_fault(fault)
        if canned is not None:
            return canned
        reply = self._answer(method, record, fault)
        if fault == "truncated":
            reply.body = reply.body[: len(reply.body) // 2]
        return reply

    def _answer(self, method, record, fault) -> loopback.Reply:
        raise NotImplementedError


class ElinkStandIn(_CitationServer):
    name = "elink-standin"
    base_path = "/entrez/eutils/"
    path = ELINK_PATH

    def _answer(self, method, record, fault) -> loopback.Reply:
        params = dict(record.pairs)
        linkname = params.get("linkname", "")
        if params.get("dbfrom") != "pubmed" or params.get("db") != "pubmed":
            return loopback.Reply(400, b"stand-in: dbfrom=pubmed and db=pubmed only\n")
        if linkname not in LINKNAMES:
            return loopback.Reply(400, f"stand-in: linkname {linkname!r} not served\n".encode())
        groups = [[p for p in value.split(",") if p] for value in record.values("id")]
        if fault == "missing" and groups:
            groups = groups[:-1]
        if fault == "foreign-id":
            groups.append([FOREIGN_PMID])
        linksets = []
        for group in groups:
            links: list[str] = []
            for pmid in group:
                links += self.cited_by(pmid) if linkname.endswith("citedin") else self.refs(pmid)
            if fault == "bad-id" and not linksets:
                links = [BAD_ID, *links]
            ids = "".join(f"\n\t\t<Id>{p}</Id>" for p in group)
            xml = f"<LinkSet>\n\t<DbFrom>pubmed</DbFrom>\n\t<IdList>{ids}\n\t</IdList>\n"
            if links:
                link_xml = "".join(f"\n\t\t<Link>\n\t\t\t<Id>{p}</Id>\n\t\t</Link>" for p in links)
                xml += (
                    f"\t<LinkSetDb>\n\t\t<DbTo>pubmed</DbTo>\n\t\t<LinkName>{linkname}</LinkName>"
                    f"{link_xml}\n\t</LinkSetDb>\n"
                )
            linksets.append(xml + "</LinkSet>\n")
        body = (
            '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eLinkResult PUBLIC '
            '"-//NLM//DTD elink 20101123//EN" '
            '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20101123/elink.dtd">\n'
            "<eLinkResult>\n" + "".join(linksets) + "</eLinkResult>\n"
        )
        return loopback.Reply(200, body.encode(), "text/xml; charset=UTF-8")


class IciteStandIn(_CitationServer):
    name = "icite-standin"
    base_path = "/api/"
    path = ICITE_PATH

    def _answer(self, method, record, fault) -> loopback.Reply:
        if method != "GET":
            return loopback.Reply(405, b"stand-in: GET only\n")
        params = dict(record.pairs)
        pmids = [p for p in params.get("pmids", "").split(",") if p]
        if len(pmids) > 1000:
            return loopback.Reply(400, b"stand-in: at most 1000 pmids per request\n")
        if fault == "missing" and pmids:
            pmids = pmids[:-1]
        if fault == "foreign-id":
            pmids.append(FOREIGN_PMID)
        data = []
        for pmid in pmids:
            if not self.holds(pmid) and pmid != FOREIGN_PMID:
                continue
            row: dict = {"pmid": int(pmid)}
            row["cited_by"] = [int(p) for p in self.cited_by(pmid)]
            row["references"] = [int(p) for p in self.refs(pmid)]
            data.append(row)
        if fault == "bad-id" and data:
            data[0]["cited_by"] = [BAD_ID, *data[0]["cited_by"]]
        answer = {
            "meta": {"pmids": params.get("pmids", ""), "limit": 1000, "fl": params.get("fields")},
            "links": {},
            "data": data,
        }
        return loopback.Reply(200, json.dumps(answer).encode(), "application/json")
