"""Trial registrations: ClinicalTrials.gov API v2 studies read into one registration dict.

Public API
----------
``parse_study(study) -> dict``
    One API v2 study object (an element of ``studies`` in ``GET /api/v2/studies``, or the
    answer of ``GET /api/v2/studies/{nctId}``) -> a registration with exactly
    :data:`REGISTRATION_KEYS`. Every module is optional; only the NCT id is required.
``study_json(item) -> dict``
    One bundled registration (``resources/snapshot/registered_trials.json``) -> an API v2
    study object, so bundled and live registrations go through the same `parse_study`.
``load_snapshot_registrations(path) -> list[dict]``
    The bundled registrations, as registration dicts (their ``gold`` labels are left out).
``RegistrySnapshot``
    The bundled registrations behind `CtgovClient.search_studies` (same signature, same
    result shape), filtered by the configured condition and intervention terms.
``open_registry(config, workdir) -> CtgovClient | RegistrySnapshot``
    The configured registry source (``source: snapshot`` -> the bundled registrations).
``study_matches(study, condition, intervention) -> bool``
    The snapshot's search: see "Offline search" below.
``arm_summary(registration) -> str``
    The ``arms`` CSV cell: ``label:TYPE:intervention+intervention|...``.
``link_publications(registrations, records) -> list[dict]``
    Registration <-> PubMed links from both sides: PMIDs in a registration's references and
    NCT ids in PubMed records.

Field choices (API v2 names in brackets)
----------------------------------------
* ``title`` is the official title [officialTitle], else the brief title [briefTitle];
  ``brief_title`` keeps the brief one; ``acronym`` [acronym]; ``allocation``
  [designInfo.allocation]: RANDOMIZED, NON_RANDOMIZED or NA.
* ``status`` [overallStatus]; ``phase`` joins [phases] with ``/`` (``PHASE2/PHASE3``;
  ``NA`` for "not applicable"; None when the study has no phase, as observational studies).
* ``start_date`` [startDateStruct]; ``completion_date`` is the *study* completion date
  [completionDateStruct] — when the last participant's last visit happened or will — and
  only when that is missing the primary completion date [primaryCompletionDateStruct], which
  is also kept as ``primary_completion_date``. ``completion_date_type`` is ``ACTUAL`` or
  ``ESTIMATED`` for the date given. ``first_posted`` [studyFirstPostDateStruct] is the
  registration date. Dates are as the registry gives them: ``YYYY``, ``YYYY-MM`` or
  ``YYYY-MM-DD``.
* ``enrollment`` [enrollmentInfo.count] is an int or None; ``enrollment_type`` says whether
  it is ``ACTUAL`` or ``ESTIMATED``.
* ``arms``: one ``{label, type, description, interventions}`` per arm group; ``type`` is
  EXPERIMENTAL, ACTIVE_COMPARATOR, PLACEBO_COMPARATOR, SHAM_COMPARATOR, NO_INTERVENTION or
  OTHER (None for observational groups). An arm's ``interventions`` are the names in its
  [interventionNames] (their ``Drug: `` etc. prefix removed) and of the interventions whose
  [armGroupLabels] name it.
* ``interventions``: ``{name, type, arms, other_names, description}``; ``type`` is
  BEHAVIORAL, DRUG, DEVICE, BIOLOGICAL, PROCEDURE, ... as the registry gives it.
* ``results_posted`` is true when [hasResults] is true or a [resultsSection] is present;
  ``results_first_posted`` [resultsFirstPostDateStruct].
* ``references``: every [referencesModule.references] entry as ``{pmid, type, citation}``
  (``type`` RESULT, BACKGROUND or DERIVED — DERIVED ones were added by ClinicalTrials.gov
  from PubMed records that cite the NCT id; the bundled registrations carry no type, so
  None); ``linked_pmids`` lists the PMIDs of all of them, in order, once each.
* ``sponsor`` [leadSponsor.name]; ``summary`` [briefSummary]; ``url`` is the study's page.
* ``notes``: caveats the bundled registrations record about their facts (e.g. "arm labels
  paraphrased", where a figure came from); empty for live studies.

Offline search (`RegistrySnapshot`, `study_matches`)
----------------------------------------------------
A small subset of ClinicalTrials.gov's Essie syntax: each of ``condition`` and
``intervention`` is a list of words or phrases separated by ``OR`` (a phrase may be in double
quotes). A study matches when some condition term occurs in its conditions, condition
keywords, titles or acronym, *and* some intervention term occurs in its intervention names,
other names or descriptions, or its arm labels or descriptions (ClinicalTrials.gov's
ConditionSearch and InterventionSearch areas, without their MeSH and synonym expansion). A
term matches whole words, case-insensitively, with hyphens read as spaces
(``post-traumatic`` = ``post traumatic``, but not ``posttraumatic``). An empty query side
matches everything. ``AND``, ``NOT``, parentheses and ``AREA[...]`` are refused with an
error naming the term, rather than read differently from the live service.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from .ctgov import (
    DEFAULT_PAGE_SIZE,
    CtgovClient,
    check_page_size,
    search_query,
)
from .errors import LivescreenError, QueryError

DEFAULT_SNAPSHOT = "resources/snapshot/registered_trials.json"
STUDY_URL = "https://clinicaltrials.gov/study/"

REGISTRATION_KEYS = (
    "nct_id",
    "title",
    "brief_title",
    "acronym",
    "allocation",
    "status",
    "phase",
    "study_type",
    "start_date",
    "primary_completion_date",
    "completion_date",
    "completion_date_type",
    "first_posted",
    "enrollment",
    "enrollment_type",
    "conditions",
    "arms",
    "interventions",
    "results_posted",
    "results_first_posted",
    "references",
    "linked_pmids",
    "sponsor",
    "summary",
    "url",
    "notes",
)

# InterventionType enum -> the prefix ClinicalTrials.gov writes in armGroups[].interventionNames
INTERVENTION_TYPE_LABELS = {
    "BEHAVIORAL": "Behavioral",
    "BIOLOGICAL": "Biological",
    "COMBINATION_PRODUCT": "Combination Product",
    "DEVICE": "Device",
    "DIAGNOSTIC_TEST": "Diagnostic Test",
    "DIETARY_SUPPLEMENT": "Dietary Supplement",
    "DRUG": "Drug",
    "GENETIC": "Genetic",
    "OTHER": "Other",
    "PROCEDURE": "Procedure",
    "RADIATION": "Radiation",
}
_TYPE_PREFIX = re.compile(
    r"^(?:" + "|".join(re.escape(v) for v in INTERVENTION_TYPE_LABELS.values()) + r"):\s*"
)
# Key under which study_json keeps the bundled facts' caveats; not part of API v2.
SNAPSHOT_KEY = "livescreenSnapshot"
# Bundled fields with no API v2 counterpart, kept as notes (besides every ``*_note``).
_NOTE_FIELDS = ("results", "sites", "other_id", "source_url", "other_sources")


class RegistrationError(LivescreenError, ValueError):
    """A study object or bundled registration that cannot be read; the message says why."""


# -- API v2 study -> registration -------------------------------------------------------------


def parse_study(study: Mapping) -> dict:
    """One API v2 study object -> a registration dict (keys: :data:`REGISTRATION_KEYS`)."""
    if not isinstance(study, Mapping):
        raise RegistrationError(f"a study is a JSON object, not {type(study).__name__}")
    protocol = _module(study, "protocolSection")
    ident = _module(protocol, "identificationModule")
    nct_id = _text(ident.get("nctId"))
    if nct_id is None:
        raise RegistrationError("study has no protocolSection.identificationModule.nctId")
    status = _module(protocol, "statusModule")
    design = _module(protocol, "designModule")
    arms_module = _module(protocol, "armsInterventionsModule")
    enrollment = _module(design, "enrollmentInfo")
    completion = _module(status, "completionDateStruct")
    primary = _module(status, "primaryCompletionDateStruct")
    completion_struct = completion if completion.get("date") else primary

    interventions = [_intervention(i) for i in _dicts(arms_module.get("interventions"))]
    references = [
        _reference(r) for r in _dicts(_module(protocol, "referencesModule").get("references"))
    ]
    phases = _strings(design.get("phases"))
    brief_title = _text(ident.get("briefTitle"))
    return {
        "nct_id": nct_id,
        "title": _text(ident.get("officialTitle")) or brief_title,
        "brief_title": brief_title,
        "acronym": _text(ident.get("acronym")),
        "allocation": _text(_module(design, "designInfo").get("allocation")),
        "status": _text(status.get("overallStatus")),
        "phase": "/".join(phases) or None,
        "study_type": _text(design.get("studyType")),
        "start_date": _date(status, "startDateStruct"),
        "primary_completion_date": _date(status, "primaryCompletionDateStruct"),
        "completion_date": _text(completion_struct.get("date")),
        "completion_date_type": _text(completion_struct.get("type")),
        "first_posted": _date(status, "studyFirstPostDateStruct"),
        "enrollment": _count(enrollment.get("count")),
        "enrollment_type": _text(enrollment.get("type")),
        "conditions": _strings(_module(protocol, "conditionsModule").get("conditions")),
        "arms": [_arm(a, interventions) for a in _dicts(arms_module.get("armGroups"))],
        "interventions": interventions,
        "results_posted": study.get("hasResults") is True or "resultsSection" in study,
        "results_first_posted": _date(status, "resultsFirstPostDateStruct"),
        "references": references,
        "linked_pmids": list(dict.fromkeys(r["pmid"] for r in references if r["pmid"])),
        "sponsor": _text(
            _module(_module(protocol, "sponsorCollaboratorsModule"), "leadSponsor").get("name")
        ),
        "summary": _text(_module(protocol, "descriptionModule").get("briefSummary")),
        "url": STUDY_URL + nct_id,
        "notes": dict(_module(study, SNAPSHOT_KEY).get("notes") or {}),
    }


def parse_studies(studies: Iterable[Mapping]) -> list[dict]:
    """`parse_study` over a search result's ``studies``; an unreadable study names its place."""
    registrations = []
    for position, study in enumerate(studies, start=1):
        try:
            registrations.append(parse_study(study))
        except RegistrationError as exc:
            raise RegistrationError(f"study {position}: {exc}") from None
    return registrations


def _intervention(item: Mapping) -> dict:
    return {
        "name": _text(item.get("name")),
        "type": _text(item.get("type")),
        "arms": _strings(item.get("armGroupLabels")),
        "other_names": _strings(item.get("otherNames")),
        "description": _text(item.get("description")),
    }


def _arm(group: Mapping, interventions: list[dict]) -> dict:
    label = _text(group.get("label"))
    names = [_TYPE_PREFIX.sub("", n, count=1) for n in _strings(group.get("interventionNames"))]
    names += [i["name"] for i in interventions if label is not None and label in i["arms"]]
    unique: dict[str, str] = {}
    for name in names:
        if name:
            unique.setdefault(" ".join(name.lower().split()), name)
    return {
        "label": label,
        "type": _text(group.get("type")),
        "description": _text(group.get("description")),
        "interventions": list(unique.values()),
    }


def _reference(item: Mapping) -> dict:
    pmid = item.get("pmid")
    pmid = str(pmid).strip() if pmid not in (None, "") else None
    return {
        "pmid": pmid or None,
        "type": _text(item.get("type")),
        "citation": _text(item.get("citation")),
    }


def _module(parent: Mapping, key: str) -> Mapping:
    value = parent.get(key)
    return value if isinstance(value, Mapping) else {}


def _dicts(value: object) -> list[Mapping]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _strings(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v.strip() for v in value if isinstance(v, str) and v.strip()]


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _date(status: Mapping, key: str) -> str | None:
    return _text(_module(status, key).get("date"))


def _count(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


# -- bundled registrations -> API v2 studies --------------------------------------------------


def study_json(item: Mapping) -> dict:
    """One bundled registration as an API v2 study object (the fields it has, nothing more).

    Mapping: ``title`` -> briefTitle, ``official_title`` -> officialTitle, ``phase``
    (``PHASE1/PHASE2``) -> phases, ``first_posted`` -> studyFirstPostDateStruct, arms and
    interventions -> armGroups (with interventionNames) and interventions (with
    armGroupLabels), ``linked_pmids`` -> references without a type (the bundled data does not
    say whether each is a RESULT or DERIVED reference). A ``completion_note`` or
    ``enrollment_note`` saying "estimated" becomes type ESTIMATED; a ``results`` text saying
    "results posted YYYY-MM-DD" becomes hasResults and resultsFirstPostDateStruct. Every other
    ``*_note``, and ``results``, ``sites``, ``other_id``, ``source_url``, ``other_sources``, go
    under ``livescreenSnapshot.notes`` (not an API v2 field), which `parse_study` reads into
    ``notes``. ``gold`` labels are not carried.
    """
    nct_id = item.get("nct_id")
    if not isinstance(nct_id, str) or not re.fullmatch(r"NCT\d{8}", nct_id):
        raise RegistrationError(f"bundled registration has no valid nct_id: {nct_id!r}")
    notes = {
        key: "; ".join(map(str, value)) if isinstance(value, list) else str(value)
        for key, value in item.items()
        if value not in (None, "", []) and (key.endswith("_note") or key in _NOTE_FIELDS)
    }
    ident = _drop_empty(
        nctId=nct_id,
        briefTitle=item.get("title"),
        officialTitle=item.get("official_title"),
        acronym=item.get("acronym"),
    )
    completion_type = (
        "ESTIMATED" if str(item.get("completion_note") or "").startswith("estimated") else None
    )
    results_date = re.search(r"results posted (\d{4}-\d{2}-\d{2})", str(item.get("results") or ""))
    status = _drop_empty(
        overallStatus=item.get("overall_status"),
        startDateStruct=_drop_empty(date=item.get("start_date")),
        completionDateStruct=_drop_empty(date=item.get("completion_date"), type=completion_type)
        if item.get("completion_date")
        else None,
        studyFirstPostDateStruct=_drop_empty(date=item.get("first_posted")),
        resultsFirstPostDateStruct=_drop_empty(
            date=results_date.group(1) if results_date else None
        ),
    )
    enrollment_type = "ESTIMATED" if item.get("enrollment_note") == "estimated" else None
    design = _drop_empty(
        phases=[p for p in str(item.get("phase") or "").split("/") if p],
        designInfo=_drop_empty(allocation=item.get("allocation")),
        enrollmentInfo=_drop_empty(count=item.get("enrollment"), type=enrollment_type)
        if item.get("enrollment") is not None
        else None,
    )
    interventions = [
        _drop_empty(
            type=i.get("type"), name=i.get("name"), armGroupLabels=list(i.get("arms") or [])
        )
        for i in item.get("interventions") or []
    ]
    arm_groups = [
        _drop_empty(
            label=arm.get("label"),
            type=arm.get("type"),
            description=arm.get("description"),
            interventionNames=[
                f"{INTERVENTION_TYPE_LABELS.get(i.get('type') or '', 'Other')}: {i['name']}"
                for i in item.get("interventions") or []
                if arm.get("label") in (i.get("arms") or []) and i.get("name")
            ],
        )
        for arm in item.get("arms") or []
    ]
    protocol = _drop_empty(
        identificationModule=ident,
        statusModule=status,
        sponsorCollaboratorsModule=_drop_empty(leadSponsor=_drop_empty(name=item.get("sponsor"))),
        conditionsModule=_drop_empty(conditions=list(item.get("conditions") or [])),
        designModule=design,
        armsInterventionsModule=_drop_empty(armGroups=arm_groups, interventions=interventions),
        referencesModule=_drop_empty(
            references=[{"pmid": str(p)} for p in item.get("linked_pmids") or []]
        ),
    )
    study: dict = {"protocolSection": protocol, "hasResults": results_date is not None}
    if notes:
        study[SNAPSHOT_KEY] = {"notes": notes}
    return study


def load_snapshot_registrations(path: str | Path) -> list[dict]:
    """The bundled registrations as registration dicts, through `study_json` and `parse_study`."""
    return parse_studies(study_json(item) for item in _read_snapshot(Path(path)))


def _read_snapshot(path: Path) -> list[dict]:
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RegistrationError(f"cannot read bundled registrations {path}: {exc}") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise RegistrationError(f"{path} is not a JSON list of registrations")
    return items


def _drop_empty(**fields: object) -> dict:
    return {k: v for k, v in fields.items() if v not in (None, "", [], {})}


# -- the offline registry -----------------------------------------------------------------------


class RegistrySnapshot:
    """Bundled registrations behind the `CtgovClient.search_studies` interface."""

    source = "snapshot"

    def __init__(
        self,
        path: str | Path,
        *,
        condition: str = "",
        intervention: str = "",
        page_size: int = DEFAULT_PAGE_SIZE,
    ):
        self.path = Path(path)
        self.studies = [study_json(item) for item in _read_snapshot(self.path)]
        self.condition = condition
        self.intervention = intervention
        self.page_size = page_size
        self.requests_sent = 0

    @classmethod
    def from_config(cls, config: Mapping, workdir: str | Path = ".") -> RegistrySnapshot:
        registry = config.get("registry") or {}
        return cls(
            Path(workdir) / registry.get("snapshot", DEFAULT_SNAPSHOT),
            condition=registry.get("condition", ""),
            intervention=registry.get("intervention", ""),
            page_size=registry.get("page_size", DEFAULT_PAGE_SIZE),
        )

    @property
    def label(self) -> str:
        return f"offline registry snapshot {self.path.name} ({len(self.studies)} registrations)"

    def search_studies(
        self,
        condition: str | None = None,
        intervention: str | None = None,
        *,
        page_size: int | None = None,
    ) -> dict:
        """The bundled studies matching both term lists; the shape of `CtgovClient`'s answer."""
        self.requests_sent += 1
        query = search_query(
            self.condition if condition is None else condition,
            self.intervention if intervention is None else intervention,
        )
        check_page_size(self.page_size if page_size is None else page_size)
        conditions = parse_terms(query.get("query.cond", ""), "condition")
        interventions = parse_terms(query.get("query.intr", ""), "intervention")
        found = [s for s in self.studies if _matches(parse_study(s), conditions, interventions)]
        return {
            "total": len(found),
            "studies": found,
            "pages": 1,
            "query": query,
            "source": self.source,
            "source_label": self.label,
        }


def open_registry(config: Mapping, workdir: str | Path = ".") -> CtgovClient | RegistrySnapshot:
    """The configured registry source; both answer `search_studies` the same way."""
    if config.get("source") == "snapshot":
        return RegistrySnapshot.from_config(config, workdir)
    return CtgovClient.from_config(config)


_UNSUPPORTED = re.compile(r"\b(?:AND|OR|NOT)\b|[()\[\]]|\bAREA\b")


def parse_terms(expression: str, what: str = "query") -> list[str]:
    """``a OR "b c" OR d`` -> normalised terms; anything else fails naming the term."""
    if not expression.strip():
        return []
    terms = []
    for raw in re.split(r"\s+OR\s+", expression.strip()):
        term = raw.strip()
        if len(term) >= 2 and term[0] == term[-1] == '"':
            term = term[1:-1]
        if not term.strip() or '"' in term or _UNSUPPORTED.search(term):
            raise QueryError(
                f"registry {what} term {raw.strip()!r} is outside what the offline snapshot "
                "evaluates (words or quoted phrases separated by OR)"
            )
        terms.append(_normalise(term))
    return terms


def study_matches(study: Mapping, condition: str = "", intervention: str = "") -> bool:
    """Whether an API v2 study matches the offline search (module docstring)."""
    return _matches(
        parse_study(study),
        parse_terms(condition, "condition"),
        parse_terms(intervention, "intervention"),
    )


def _matches(registration: dict, conditions: list[str], interventions: list[str]) -> bool:
    if conditions and not _any_term(conditions, _condition_texts(registration)):
        return False
    return not interventions or _any_term(interventions, _intervention_texts(registration))


def _condition_texts(registration: dict) -> list[str]:
    return [
        *registration["conditions"],
        registration["title"] or "",
        registration["brief_title"] or "",
        registration["acronym"] or "",
    ]


def _intervention_texts(registration: dict) -> list[str]:
    texts = []
    for item in registration["interventions"]:
        texts += [item["name"] or "", *item["other_names"], item["description"] or ""]
    for arm in registration["arms"]:
        texts += [arm["label"] or "", arm["description"] or ""]
    return texts


def _any_term(terms: Sequence[str], texts: Iterable[str]) -> bool:
    haystack = " | ".join(_normalise(t) for t in texts if t)
    return any(re.search(rf"(?<![a-z0-9]){re.escape(t)}(?![a-z0-9])", haystack) for t in terms)


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[-\u2010-\u2015\u2212]", " ", text.lower()).split())


# -- outputs ---------------------------------------------------------------------------------------


def arm_summary(registration: Mapping) -> str:
    """``label:TYPE:intervention+intervention|...`` for a CSV cell (for reading, not parsing:
    a ``|`` inside a label or name is written as ``/``)."""

    def clean(value: object) -> str:
        return str(value or "").replace("|", "/").strip()

    return "|".join(
        f"{clean(arm.get('label'))}:{clean(arm.get('type'))}:"
        + "+".join(clean(name) for name in arm.get("interventions") or [])
        for arm in registration.get("arms") or []
    )


def link_publications(
    registrations: Iterable[Mapping],
    records: Iterable[Mapping],
    *,
    include_background: bool = False,
) -> list[dict]:
    """Registration-publication links from both sides, one row per (nct_id, pmid).

    A registration links to the PMIDs in its references (BACKGROUND references — literature
    the trial builds on, not its publications — only with ``include_background``); a PubMed
    record links to the NCT ids in its ``nct_ids``. Rows: ``nct_id``, ``pmid``, ``via``
    (``registry``, ``pubmed`` or ``both``) and ``reference_type`` (the registry's type, or
    None), sorted by NCT id then PMID.
    """
    links: dict[tuple[str, str], dict] = {}
    for registration in registrations:
        for reference in registration.get("references") or []:
            if reference.get("pmid"):
                key = (str(registration["nct_id"]), str(reference["pmid"]))
                links.setdefault(key, {"via": "registry", "reference_type": reference.get("type")})
    for record in records:
        for nct_id in record.get("nct_ids") or []:
            key = (str(nct_id).strip().upper(), str(record["pmid"]))
            link = links.setdefault(key, {"via": "pubmed", "reference_type": None})
            if link["via"] == "registry":
                link["via"] = "both"
    return [
        {"nct_id": nct_id, "pmid": pmid, **link}
        for (nct_id, pmid), link in sorted(
            links.items(), key=lambda kv: (kv[0][0], kv[0][1].zfill(12))
        )
        if include_background or link["via"] != "registry" or link["reference_type"] != "BACKGROUND"
    ]
