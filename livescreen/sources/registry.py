"""The bundled registrations, and the offline registry that searches them.

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

from livescreen.errors import QueryError
from livescreen.parse.registrations import (
    INTERVENTION_TYPE_LABELS,
    SNAPSHOT_KEY,
    RegistrationError,
    parse_studies,
    parse_study,
)
from livescreen.sources.ctgov import (
    DEFAULT_PAGE_SIZE,
    CtgovClient,
    check_page_size,
    search_query,
)

DEFAULT_SNAPSHOT = "resources/snapshot/registered_trials.json"
# Bundled fields with no API v2 counterpart, kept as notes (besides every ``*_note``).
_NOTE_FIELDS = ("results", "sites", "other_id", "source_url", "other_sources")


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
