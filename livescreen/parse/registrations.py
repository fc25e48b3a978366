"""Trial registrations: ClinicalTrials.gov API v2 studies read into one registration dict.

Public API
----------
``parse_study(study) -> dict``
    One API v2 study object (an element of ``studies`` in ``GET /api/v2/studies``, or the
    answer of ``GET /api/v2/studies/{nctId}``) -> a registration with exactly
    :data:`REGISTRATION_KEYS`. Every module is optional; only the NCT id is required.
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

The bundled registrations and the offline registry search are in
`livescreen.sources.registry`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from livescreen.errors import LivescreenError

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
