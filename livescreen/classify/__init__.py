"""Classify each record: what it is, how it relates to established PTSD treatments, and
whether it is highlighted (a newer trial or meta-analysis that compares or combines MDMA
therapy with an established treatment).

Public API
----------
``classify(record, vocabulary, essay_date) -> dict``
    One record (the parser's record dict, keys in ``livescreen.pubmed_xml.RECORD_KEYS``;
    missing keys are read as empty) -> exactly ``CLASSIFICATION_COLUMNS``
    (``livescreen.columns``): ``design, involves_mdma, comparator, established_treatments,
    relation_to_established, new_since_essay, retracted, highlight, highlight_reason,
    mechanism_measures, mechanism_analysis``.
``load_vocabulary(config) -> Vocabulary``
    The words the rules recognise, from ``config["vocabulary"]``, and the measures of each
    mechanism of change, from ``config["mechanism_instruments"]``; every part that config
    leaves out takes the part of the shipped config.yaml, the vocabulary's one copy.
``mechanism_evidence_rows(rows) -> list[dict]``
    Classified rows -> the rows of ``results/screening/mechanism_evidence.csv``, one per
    record and mechanism, each with exactly ``MECHANISM_EVIDENCE_COLUMNS``.
``mechanism_slugs(value) -> list[str]``
    The mechanism slugs of a ``mechanism_measures`` cell.
``record_from_registration(registration) -> dict``
    A ClinicalTrials.gov registration as a record ``classify`` reads.
``cue_matches(cue_name, text, vocabulary) -> list[str]``
    The phrases of a text that one cue matches (why did it fire?).
``CUES``, ``DESIGN_RULES``, ``DESIGNS``, ``COMPARATORS``, ``RELATIONS``
    The named cue table, the ordered design rules, and the values of the columns.

How a record is read, one module per step
-----------------------------------------
``vocabulary``  the words: MDMA's names, the established treatments, the active placebos.
``text``        mentions of MDMA and of each treatment replaced by tokens (``⟨M0⟩``,
                ``⟨E3⟩``), ambiguous abbreviations (PE, CPT, NET, ...) counted only when
                defined or where only the therapy fits; sentences split, lead sentences
                marked.
``cues``        the table of named cues over those tokens, each with what it means.
``mechanisms``  the mechanisms a record measures (instruments, construct words) and the
                analyses it reports (mediation, moderation, mechanism-of-change).
``rules``       design (the first of ``DESIGN_RULES`` that fires), the role of each
                treatment mention (background, combined, compared), comparator, relation,
                retraction and highlight with its reason — and ``classify`` itself.
``dates``       new since the essay: the record's first public appearance.
``registration`` a registration's structured fields (arm types, interventions, status,
                dates) as a record.

The cue table is data: each ``Cue`` has a name, a pattern and a sentence saying what it is
for. A reviewer who disagrees with a result reads the cue names in ``highlight_reason``,
finds them in ``CUES``, and changes the vocabulary in config.yaml (or the cue) instead of
guessing.
"""

from __future__ import annotations

from typing import Any

from ..columns import CLASSIFICATION_COLUMNS
from . import vocabulary as _vocabulary
from .cues import CUES, Cue
from .mechanisms import (
    ANALYSES,
    MECHANISM_EVIDENCE_COLUMNS,
    mechanism_evidence_rows,
    mechanism_slugs,
)
from .registration import record_from_registration
from .rules import COMPARATORS, DESIGN_RULES, DESIGNS, HIGHLIGHT_DESIGNS, RELATIONS, classify
from .text import cue_matches
from .vocabulary import Measure, Mechanism, Treatment, Vocabulary, load_vocabulary

__all__ = [
    "ANALYSES",
    "CLASSIFICATION_COLUMNS",
    "COMPARATORS",
    "CUES",
    "DEFAULT_VOCABULARY",
    "DESIGNS",
    "DESIGN_RULES",
    "HIGHLIGHT_DESIGNS",
    "MECHANISM_EVIDENCE_COLUMNS",
    "RELATIONS",
    "Cue",
    "Measure",
    "Mechanism",
    "Treatment",
    "Vocabulary",
    "classify",
    "cue_matches",
    "load_vocabulary",
    "mechanism_evidence_rows",
    "mechanism_slugs",
    "record_from_registration",
]


def __getattr__(name: str) -> Any:
    # DEFAULT_VOCABULARY (the shipped config.yaml's block) is read when first asked for.
    if name == "DEFAULT_VOCABULARY":
        return _vocabulary.DEFAULT_VOCABULARY
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
