"""What kind of work a record is, so that related works are linked, never merged.

A duplicate is the same work found twice. A preprint and the article it became, a conference
abstract (or paper) and the full article, an erratum, a retraction notice or an expression of
concern and the article it is about, a comment or reply and what it answers, and a trial
registration and the publication of its results are *different* works that belong together:
`deduplicate` links them (`related`) and never merges them.

`kind_of(record, dois)` reads, in this order, what the databases say and what the record
looks like:

* ``registration``: a ClinicalTrials.gov record (`source` ``ctgov``/``clinicaltrials.gov``,
  or `type_of_reference`/`entry_type` ``registration``).
* ``retraction``: publication type `Retraction of Publication`, or a title opening with
  `Retraction`/`Retraction note`/`Notice of retraction`/`Withdrawal notice` (not `Retracted:`,
  which journals put on the retracted article itself).
* ``erratum``: publication type `Published Erratum`/`Erratum`/`Correction`, or a title
  opening with `Erratum`, `Errata`, `Corrigendum`, `Correction (to|:)`, `Author/Publisher
  correction`, `Addendum`.
* ``expression-of-concern``: publication type or title `Expression of concern`.
* ``comment``: a title opening with `Re:`, `Comment on`, `Reply`, `Response to`,
  `In reply`, `Author's reply`.
* ``preprint``: publication type `Preprint`; a preprint server as journal (medRxiv, bioRxiv,
  arXiv, PsyArXiv, SSRN, Research Square, Preprints.org, OSF Preprints, SocArXiv, ChemRxiv,
  TechRxiv, Authorea); or a preprint DOI (`10.1101/2020.05.01.…` — dated bioRxiv/medRxiv DOIs
  only, Cold Spring Harbor journals share the prefix —, `10.21203/rs.`, `10.31234/`,
  `10.2139/ssrn.`, `10.48550/arxiv.`, `10.20944/preprints`, `10.31219/osf.io`, `10.31235/`,
  `10.26434/chemrxiv`, `10.36227/techrxiv`, `10.22541/au.`).
* ``conference``: publication type `Congress`/`Conference Abstract`/`Conference Paper`/
  `Meeting Abstract`/`Conference Review`; RIS type `CONF`/`CPAPER`/`ABST`; BibTeX entry type
  `inproceedings`/`proceedings`/`conference`; or a container named as a meeting
  (`… Conference …`, `Congress`, `Annual Meeting`, `Symposium`, `Abstracts`, `AMCIS`, `ICIS`,
  `HICSS`, `ECIS`, `PACIS`) — `Proceedings of the National Academy…` and other journals
  called *Proceedings* are not meetings.
* ``article``: everything else (journal articles, books, chapters, reports).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

KINDS = (
    "article",
    "preprint",
    "conference",
    "erratum",
    "retraction",
    "expression-of-concern",
    "comment",
    "registration",
)

# What a link between a kind and an article is called in `Pair.relation`.
RELATION_NAMES = {
    "preprint": "preprint of",
    "conference": "conference version of",
    "erratum": "erratum for",
    "retraction": "retraction notice for",
    "expression-of-concern": "expression of concern about",
    "comment": "comment on",
    "registration": "registration of",
}

_TYPES = {
    "retraction": {"retraction of publication", "retraction", "retraction notice"},
    "erratum": {"published erratum", "erratum", "correction", "corrected and republished article"},
    "expression-of-concern": {"expression of concern"},
    "preprint": {"preprint"},
    "conference": {
        "congress",
        "conference abstract",
        "conference paper",
        "meeting abstract",
        "conference review",
        "conference proceeding",
        "clinical conference",
    },
}
_RIS_CONFERENCE = {"conf", "cpaper", "abst"}
_BIB_CONFERENCE = {"inproceedings", "proceedings", "conference"}
_TITLE_KINDS = (
    (
        "retraction",
        re.compile(
            r"^\s*(?:retraction(?:\s+(?:note|notice|statement))?|notice\s+of\s+retraction|"
            r"withdrawal(?:\s+notice)?)\b\s*(?:[:.\-–—]|to\b|of\b|for\b|$)",
            re.IGNORECASE,
        ),
    ),
    (
        "erratum",
        re.compile(
            r"^\s*(?:errat(?:um|a)|corrigend(?:um|a)|(?:author|publisher)(?:'s)?\s+correction|"
            r"correction|addendum)\b\s*(?:[:.\-–—(\[]|to\b|of\b|for\b|in\b|$)",
            re.IGNORECASE,
        ),
    ),
    ("expression-of-concern", re.compile(r"^\s*expression\s+of\s+concern\b", re.IGNORECASE)),
    (
        "comment",
        re.compile(
            r"^\s*(?:re\s*:|comments?\s+on\b|commentary\s+on\b|reply\b|in\s+reply\b|"
            r"response\s+to\b|authors?'?s?\s+(?:reply|response)\b)",
            re.IGNORECASE,
        ),
    ),
)
_PREPRINT_SERVERS = re.compile(
    r"\b(?:medrxiv|biorxiv|arxiv|psyarxiv|socarxiv|chemrxiv|techrxiv|ssrn|research\s*square|"
    r"preprints(?:\.org)?|osf\s+preprints|authorea|eartharxiv|engrxiv)\b",
    re.IGNORECASE,
)
_PREPRINT_DOI = re.compile(
    r"^(?:10\.1101/(?:\d{4}\.\d{2}\.\d{2}\.|\d{6}$)|10\.21203/rs\.|10\.31234/|10\.2139/ssrn\.|"
    r"10\.48550/arxiv\.|10\.20944/preprints|10\.31219/osf\.io|10\.31235/|10\.26434/chemrxiv|"
    r"10\.36227/techrxiv|10\.22541/au\.)"
)
_MEETING = re.compile(
    r"\b(?:conference|congress|annual\s+meeting|scientific\s+meeting|symposium|abstracts|"
    r"amcis|icis|hicss|ecis|pacis|workshop)\b",
    re.IGNORECASE,
)
_JOURNAL_PROCEEDINGS = re.compile(
    r"^\s*(?:the\s+)?proceedings\s+of\s+the\s+(?:national\s+academy|royal\s+society|"
    r"nutrition\s+society|american\s+thoracic)",
    re.IGNORECASE,
)


def _lower_set(values: Any) -> set[str]:
    if not values:
        return set()
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, Iterable):
        return set()
    return {str(v).strip().casefold() for v in values if v}


def kind_of(record: Mapping[str, Any], dois: Iterable[str] = ()) -> str:
    """One of `KINDS` for a record (see the module doc)."""
    source = str(record.get("source") or "").casefold()
    reference_type = str(record.get("type_of_reference") or "").casefold()
    entry_type = str(record.get("entry_type") or record.get("ENTRYTYPE") or "").casefold()
    if (
        source in {"ctgov", "clinicaltrials.gov", "clinicaltrials"}
        or "registration" in {reference_type, entry_type}
        or record.get("nct_id")
    ):
        return "registration"
    types = _lower_set(record.get("publication_types"))
    for kind in ("retraction", "erratum", "expression-of-concern"):
        if types & _TYPES[kind]:
            return kind
    title = str(record.get("title") or "")
    for kind, pattern in _TITLE_KINDS:
        if pattern.search(title):
            return kind
    containers = " ".join(
        str(record.get(key) or "") for key in ("journal", "journal_title", "booktitle")
    )
    if types & _TYPES["preprint"] or _PREPRINT_SERVERS.search(containers):
        return "preprint"
    if (
        types & _TYPES["conference"]
        or reference_type in _RIS_CONFERENCE
        or entry_type in _BIB_CONFERENCE
    ):
        return "conference"
    if any(_PREPRINT_DOI.match(d) for d in dois):
        return "preprint"
    if _MEETING.search(containers) and not _JOURNAL_PROCEEDINGS.search(containers):
        return "conference"
    return "article"
