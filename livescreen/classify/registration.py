"""A ClinicalTrials.gov registration (``livescreen.registry``'s dict, or a bundled
``registered_trials.json`` item) as a record :func:`livescreen.classify.classify` reads.

The registration is classified from its structured fields through the same rules as a
publication: each arm becomes one sentence of the abstract that states its arm type
("Active comparator arm (CPT alone): ..."), so the cues read the registry's arm types as
they read a published abstract's methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["record_from_registration"]

_ARM_TYPES = {
    "EXPERIMENTAL": "Experimental arm",
    "ACTIVE_COMPARATOR": "Active comparator arm",
    "PLACEBO_COMPARATOR": "Placebo comparator arm",
    "SHAM_COMPARATOR": "Sham comparator arm",
    "NO_INTERVENTION": "No-intervention control arm",
    "OTHER": "Arm",
}


ALLOCATION = {
    "RANDOMIZED": "Allocation: randomized.",
    "NON_RANDOMIZED": "Allocation: non-randomized.",
}
PLACEBO_CONTROLLED = "Allocation not stated; experimental versus placebo arms: randomized design."


def record_from_registration(registration: Mapping[str, Any]) -> dict[str, Any]:
    """A trial registration (livescreen.registry's dict, or a bundled registered_trials.json
    item) as a record :func:`classify` reads.

    The abstract is the brief summary followed by one sentence per arm ("Active comparator
    arm (CPT alone): ..."), so the arm types the registry states are read by the same cues
    as a published abstract. Publication type "Trial Registration"; dated by ``first_posted``
    (registration), else ``start_date``.
    """
    arms = [arm for arm in registration.get("arms") or [] if isinstance(arm, Mapping)]
    sentences = [str(registration.get("summary") or "").strip()]
    for arm in arms:
        kind = _ARM_TYPES.get(str(arm.get("type") or "OTHER").upper(), "Arm")
        label = str(arm.get("label") or "").strip()
        text = str(arm.get("description") or "").strip().rstrip(".")
        names = [str(n) for n in arm.get("interventions") or [] if n]
        sentence = f"{kind} ({label})" if label else kind
        sentence += f": {text}" if text else ""
        sentence += f"; interventions: {', '.join(names)}" if names else ""
        sentences.append(sentence + ".")
    if len(arms) == 1:
        sentences.append("Single-arm study (one arm registered).")
    allocation = str(registration.get("allocation") or "").upper()
    kinds = {str(arm.get("type") or "").upper() for arm in arms}
    if allocation in ALLOCATION:  # the registry's own word on randomisation decides the design
        sentences.append(ALLOCATION[allocation])
    elif "EXPERIMENTAL" in kinds and kinds & {"PLACEBO_COMPARATOR", "SHAM_COMPARATOR"}:
        # allocation not given (the bundled registrations lack it): an experimental arm against
        # a placebo or sham arm is a randomised design in registry practice; the reason says so
        sentences.append(PLACEBO_CONTROLLED)
    title = (
        registration.get("official_title")
        or registration.get("title")
        or registration.get("brief_title")
        or ""
    )
    if not title and registration.get("acronym"):
        title = str(registration["acronym"])
    nct = registration.get("nct_id")
    return {
        **{key: None for key in ("pmid", "doi", "pmcid", "epub_date", "entrez_date")},
        "title": str(title),
        "abstract": "\n".join(s for s in sentences if s),
        "publication_types": ["Trial Registration"],
        "pub_date": "",
        "mesh": [],
        "keywords": list(registration.get("conditions") or []),
        "nct_ids": [nct] if nct else [],
        "retraction_notices": [],
        "retracted": False,
        "registration_date": registration.get("first_posted"),
        "start_date": registration.get("start_date"),
        "registration_status": registration.get("status") or registration.get("overall_status"),
    }
