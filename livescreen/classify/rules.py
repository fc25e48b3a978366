"""The rules: design, the role of each treatment mention, comparator, relation, retraction
and highlight — and :func:`classify`, which reads one record (:mod:`.text`), finds whether
it involves MDMA and which established treatments it names, then applies them in this order.

1. *Design* is the first rule of :data:`DESIGN_RULES` that fires, from publication types,
   MeSH and self-describing text (the title, the abstract's first sentence, the first
   sentence of a DESIGN/METHODS section, and sentences such as "We conducted ..."), so
   records PubMed has not indexed yet (no publication types, no MeSH) are still typed.
2. *Roles.* Cues are applied per sentence. Per sentence, in this order: **background** cues
   turn a treatment mention that is only prior, existing, excluded or modelled treatment
   ("had not responded to prolonged exposure", "tapered off SSRIs", "the approved SSRIs", "a
   laboratory analogue of exposure therapy") into a background mention; **combination**
   cues mark a treatment combined with MDMA ("MDMA-assisted cognitive processing therapy",
   "combines MDMA with prolonged exposure", "PE with or without MDMA"); **comparison** cues
   mark a treatment set against MDMA ("versus CBCT", "allocated to either EMDR or MDMA",
   "CPT alone"), in a sentence that also names MDMA (a registry arm "Active comparator arm:
   CPT" needs MDMA only somewhere in the record); in a network meta-analysis a sentence that
   names MDMA and a treatment compares them. Each cue is a family of connectors read in both
   orders (``livescreen.classify.cues``). MDMA as recreational use ("lifetime ecstasy use",
   token ``⟨U⟩``) involves MDMA but is never a side of a comparison or combination. A
   *benchmark* ("effects larger than those of PE") is background in a primary study and an
   indirect comparison in a meta-analysis or review.
   Sentences that speculate or call for future work ("future trials should compare MDMA
   with PE", "MDMA could augment CPT") add no evidence, and an MDMA mention only there does
   not make the record involve MDMA.
3. *Relation*: no MDMA -> none; MDMA compared with a treatment -> head-to-head (also when
   it is combined with it in one arm and compared with the treatment alone); combined only
   -> add-on-or-combined; placebo or active placebo -> placebo-only; a randomised study
   whose subject is MDMA (MDMA in the title or a self-describing sentence) and that names
   no comparator -> placebo-only, presumed (every randomised MDMA trial that does not name
   its control has so far been placebo- or low-dose-controlled; the reason says
   "presumed"); otherwise none. *Comparator* follows the same evidence; when MDMA is not
   the record's subject, a comparison of two established treatments (PE versus CPT) makes
   it established-treatment.
4. *new_since_essay*: :mod:`livescreen.classify.dates`.
5. *retracted*: publication type "Retracted Publication", a retraction notice, the
   parser's ``retracted`` flag, or a title beginning "RETRACTED". Never highlighted.
6. *highlight*: design is a trial (rct, controlled-nonrandomised, single-arm, its
   protocol — not a review protocol — its registration, or a secondary analysis of it) or
   a meta-analysis; involves MDMA; relation head-to-head or add-on-or-combined; new since
   the essay; not retracted. A record of design ``other`` counts as a trial when it has a
   trial publication type, calls itself a trial or pilot, or carries no design cue at all
   (a new record with neither publication types nor design words is kept as a possible
   trial rather than missed); commentaries (Comment, Editorial, ...) and observational
   studies never do. ``highlight_reason`` states each condition with its evidence:
   publication types and the phrases that matched, each with its cue's name, then the
   treatment mentions set aside as background.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from .cues import CUES, CUES_BY_GROUP
from .dates import new_since
from .mechanisms import mechanism_evidence
from .text import Reading, first_phrase, normalise, read_record, untokenise
from .vocabulary import Vocabulary

__all__ = [
    "COMPARATORS",
    "DESIGNS",
    "DESIGN_RULES",
    "HIGHLIGHT_DESIGNS",
    "RELATIONS",
    "DesignRule",
    "classify",
]

DESIGNS = (
    "rct",
    "controlled-nonrandomised",
    "single-arm",
    "secondary-analysis",
    "protocol",
    "systematic-review",
    "meta-analysis",
    "review",
    "preclinical",
    "healthy-volunteers",
    "case-report",
    "qualitative",
    "other",
)
COMPARATORS = ("placebo", "active-placebo", "established-treatment", "waitlist", "other", "none")
RELATIONS = ("head-to-head", "add-on-or-combined", "placebo-only", "none")

# Designs whose records can be highlighted: trials (results, protocols, registrations,
# secondary analyses of a trial's data) and meta-analyses of trials.
HIGHLIGHT_DESIGNS = frozenset(
    {
        "rct",
        "controlled-nonrandomised",
        "single-arm",
        "protocol",
        "secondary-analysis",
        "meta-analysis",
    }
)
TRIAL_PUBLICATION_TYPES = ("Clinical Trial", "Trial Registration", "Randomized Controlled Trial")
# Publication types of records that discuss a study without reporting one: design other.
COMMENTARY_TYPES = (
    "Comment",
    "Editorial",
    "News",
    "Newspaper Article",
    "Interview",
    "Retraction of Publication",
    "Published Erratum",
    "Expression of Concern",
    "Biography",
    "Historical Article",
    "Obituary",
    "Portrait",
)


@dataclass(frozen=True)
class DesignRule:
    """Design ``design`` when any listed publication type, MeSH heading or cue is present.

    ``lead_cues`` are read in the record's self-describing sentences, ``title_cues`` in the
    title, ``any_cues`` anywhere in title and abstract.
    """

    design: str
    publication_types: tuple[str, ...] = ()
    mesh: tuple[str, ...] = ()
    lead_cues: tuple[str, ...] = ()
    title_cues: tuple[str, ...] = ()
    any_cues: tuple[str, ...] = ()

    @functools.cached_property  # built once per rule, read for every record
    def cues_read(self) -> tuple[tuple[str, str], ...]:
        """(cue name, where it is read) for every cue of the rule, in the order tried."""
        return (
            tuple((c, "lead") for c in self.lead_cues)
            + tuple((c, "title") for c in self.title_cues)
            + tuple((c, "any") for c in self.any_cues)
        )

    @functools.cached_property
    def cue_names(self) -> frozenset[str]:
        return frozenset(self.lead_cues + self.title_cues + self.any_cues)


# First rule that fires wins. Order matters: a protocol is a protocol whatever it plans; an
# overview of reviews is a review even when typed Meta-Analysis; a secondary analysis of an
# RCT is a secondary analysis although PubMed types it Randomized Controlled Trial; studies
# in healthy volunteers and animals are typed so before any trial rule.
# fmt: off
DESIGN_RULES: tuple[DesignRule, ...] = (
    DesignRule("other", publication_types=COMMENTARY_TYPES),
    DesignRule("other", lead_cues=("commentary-self",)),
    DesignRule("protocol", publication_types=("Clinical Trial Protocol",),
               lead_cues=("protocol-self",)),
    DesignRule("review", lead_cues=("overview-of-reviews",)),
    DesignRule("meta-analysis", publication_types=("Meta-Analysis", "Network Meta-Analysis"),
               mesh=("Network Meta-Analysis",), lead_cues=("meta-analysis-self",),
               title_cues=("meta-analysis-title",)),
    DesignRule("systematic-review", publication_types=("Systematic Review",),
               lead_cues=("systematic-review-self",)),
    DesignRule("review", publication_types=("Review", "Scoping Review", "Practice Guideline",
                                            "Guideline", "Consensus Development Conference"),
               lead_cues=("review-self",)),
    DesignRule("preclinical", lead_cues=("animal-species",)),
    DesignRule("case-report", publication_types=("Case Reports",), lead_cues=("case-report",)),
    DesignRule("healthy-volunteers", mesh=("Healthy Volunteers",),
               any_cues=("healthy-volunteers",)),
    DesignRule("secondary-analysis", lead_cues=("secondary-analysis", "mechanistic-substudy")),
    DesignRule("qualitative", mesh=("Qualitative Research",), lead_cues=("qualitative",)),
    DesignRule("other", publication_types=("Observational Study",), lead_cues=("observational",)),
    DesignRule("other", lead_cues=("economic-model",)),
    DesignRule("controlled-nonrandomised", publication_types=("Controlled Clinical Trial",),
               any_cues=("non-randomised-controlled",)),
    DesignRule("rct", publication_types=("Randomized Controlled Trial", "Equivalence Trial"),
               any_cues=("randomised", "blinded-placebo-controlled")),
    DesignRule("single-arm", any_cues=("single-arm",)),
)
# fmt: on


def classify(record: Mapping[str, Any], vocabulary: Vocabulary, essay_date: str) -> dict:
    """Classify one record; returns exactly ``livescreen.columns.CLASSIFICATION_COLUMNS``."""
    essay = date.fromisoformat(str(essay_date))
    types = list(record.get("publication_types") or [])
    reading = read_record(record, vocabulary)
    # each keyword's mentions, found once for both readers of them
    keywords = [
        (keyword, vocabulary.find_mentions(normalise(keyword)))
        for keyword in record.get("keywords") or []
    ]
    involves_mdma, mdma_central, mdma_evidence = _mdma(record, reading, vocabulary, keywords)
    established = _established(record, reading, vocabulary, keywords)

    design, design_evidence, design_cue = _design(record, reading)
    _explain_treatments(
        reading, design, involves_mdma, _network_meta_analysis(record, reading, design)
    )

    comparator, comparator_evidence = _comparator(reading, involves_mdma, mdma_central, vocabulary)
    presumed = (
        mdma_central
        and comparator == "none"
        and design in {"rct", "secondary-analysis", "meta-analysis"}
        and _fires(reading, "randomised")
    )
    commentary = bool(set(types).intersection(COMMENTARY_TYPES)) or design_cue == "commentary-self"
    relation, relation_evidence = _relation(
        reading, involves_mdma, "placebo (presumed)" if presumed else comparator, commentary
    )
    if presumed:
        comparator, comparator_evidence = "placebo", "randomised, no comparator named: presumed"

    new, date_evidence = new_since(record, essay)
    retraction_evidence = _retraction(record, types, reading)
    retracted = bool(retraction_evidence)

    trial_like, design_evidence, review_protocol = _trial_like(
        types, reading, design, design_evidence, design_cue
    )
    conditions = [
        (
            trial_like,
            f"design {design} ({design_evidence})",
            f"design {design} is not a trial or meta-analysis ({design_evidence})"
            + ("; a review protocol" if review_protocol else ""),
        ),
        (involves_mdma, f"MDMA ({mdma_evidence})", "MDMA not named"),
        (
            relation in {"head-to-head", "add-on-or-combined"},
            f"{relation} ({relation_evidence})",
            f"no comparison or combination with an established treatment "
            f"(relation {relation}: {relation_evidence})",
        ),
        (new, f"new since essay ({date_evidence})", f"not new since essay ({date_evidence})"),
        (not retracted, "not retracted", f"retracted ({'; '.join(retraction_evidence)})"),
    ]
    highlight = all(ok for ok, _, _ in conditions)
    reason = _reason(conditions, highlight, types, reading, relation)
    if established:
        reason += f" | comparator {comparator} ({comparator_evidence})"
    if record.get("expression_of_concern"):
        reason += " | expression of concern: " + "; ".join(record["expression_of_concern"])
    mechanisms = mechanism_evidence(record, reading, vocabulary, design)
    if mechanisms.measures or mechanisms.analyses:
        reason += " | " + mechanisms.reason()

    return {
        "design": design,
        "involves_mdma": involves_mdma,
        "comparator": comparator,
        "established_treatments": established,
        "relation_to_established": relation,
        "new_since_essay": new,
        "retracted": retracted,
        "highlight": highlight,
        "highlight_reason": reason,
        "mechanism_measures": mechanisms.measures_column,
        "mechanism_analysis": mechanisms.analysis_column,
    }


def _mdma(
    record: Mapping[str, Any],
    reading: Reading,
    vocabulary: Vocabulary,
    keywords: list[tuple[str, list[re.Match[str]]]],
) -> tuple[bool, bool, str]:
    """(involves MDMA, MDMA is the record's subject, the evidence).

    MDMA is involved when named outside sentences that only speculate, or indexed (MeSH,
    keywords); it is the subject when in the title or a self-describing sentence, or indexed.
    """
    mesh = list(record.get("mesh") or [])
    mdma_text = [
        reading.mentions[int(i)].text
        for sentence in reading.sentences
        if not sentence.speculative and "⟨" in sentence.tokens
        for i in _MDMA_TOKEN.findall(sentence.tokens)
    ]
    mdma_mesh = sorted(set(mesh).intersection(vocabulary.mdma_mesh))
    mdma_keywords = [
        k
        for k, mentions in keywords
        if any(vocabulary.groups[m.lastgroup or ""][0] == "M" for m in mentions)
    ]
    involves_mdma = bool(mdma_text or mdma_mesh or mdma_keywords)
    mdma_central = bool(mdma_mesh) or any(
        "⟨M" in s.tokens and s.lead and not s.speculative for s in reading.sentences
    )
    mdma_evidence = (
        f"'{mdma_text[0]}'"
        if mdma_text
        else f"MeSH '{mdma_mesh[0]}'"
        if mdma_mesh
        else f"keyword '{mdma_keywords[0]}'"
        if mdma_keywords
        else ""
    )
    return involves_mdma, mdma_central, mdma_evidence


def _established(
    record: Mapping[str, Any],
    reading: Reading,
    vocabulary: Vocabulary,
    keywords: list[tuple[str, list[re.Match[str]]]],
) -> list[str]:
    """The established treatments named (text, keywords, MeSH), in vocabulary order."""
    mesh = set(record.get("mesh") or [])
    named = {m.name for m in reading.mentions if m.kind == "E"}
    for _keyword, mentions in keywords:
        for match in mentions:
            kind, name, ambiguous, _ = vocabulary.groups[match.lastgroup or ""]
            if kind == "E" and not ambiguous:
                named.add(name)
    if mesh:
        named.update(t.name for t in vocabulary.treatments if not mesh.isdisjoint(t.mesh))
    return [t.name for t in vocabulary.treatments if t.name in named]


def _design(record: Mapping[str, Any], reading: Reading) -> tuple[str, str, str]:
    """(design, evidence, the cue that decided or '') from the strongest evidence available.

    1. Publication types that say what the record is whatever its text: commentaries
       (Comment, Editorial, ...) are ``other``, a "Clinical Trial Protocol" is a protocol.
    2. The title's own description: "rationale and design", "study protocol", "protocol for
       a trial" make a protocol (not a trial registration: its design is its trial's);
       "interim results" make a report of the trial, so the protocol and secondary-analysis
       rules are skipped below even when the abstract mentions "the protocol".
    3. The first rule of DESIGN_RULES that fires, each read from its publication types, then
       MeSH, then the title, then the abstract.

    The evidence says which: "publication type 'X'", "title, <cue>: '<phrase>'", "abstract,
    <cue>: '<phrase>'".
    """
    types = set(record.get("publication_types") or [])
    mesh = set(record.get("mesh") or [])
    registration = "Trial Registration" in types
    for design, decisive in (
        ("other", COMMENTARY_TYPES),
        ("protocol", ("Clinical Trial Protocol",)),
    ):
        if hit := sorted(types.intersection(decisive)):
            return design, f"publication type '{hit[0]}'", ""
    skip: set[str] = set()
    if not registration:
        for cue_name in ("protocol-title", "protocol-self"):
            if (phrase := _first(reading, cue_name, "title")) is not None:
                return "protocol", f"title, {cue_name}: '{phrase}'", cue_name
    if _fires(reading, "interim-results-title", "title"):
        skip = {"protocol", "secondary-analysis"}
    animals_only = "Animals" in mesh and "Humans" not in mesh
    for rule in DESIGN_RULES:
        if rule.design in skip:
            continue
        if rule.design == "preclinical" and animals_only:
            return rule.design, "MeSH 'Animals' without 'Humans'", ""
        # the first of the types (or headings) in sorted order names the evidence; most
        # rules find none, so nothing is sorted
        if hit := types.intersection(rule.publication_types):
            return rule.design, f"publication type '{min(hit)}'", ""
        if hit := mesh.intersection(rule.mesh):
            return rule.design, f"MeSH '{min(hit)}'", ""
        if rule.design == "protocol" and registration:
            continue  # a registration's design is its trial's design
        # each cue's first phrase (the title is the first sentence); a phrase in the title
        # is stronger evidence than one in the abstract
        if not reading.may_hold_any(rule.cue_names):
            continue  # no cue of the rule can fire (most rules, for most records)
        hits = []
        for cue_name, where in rule.cues_read:
            # in a record about patients, healthy volunteers count only in its
            # self-describing sentences (elsewhere they are a comparison group); the
            # patient-sample cue is the costliest, so it is asked only here
            if cue_name == "healthy-volunteers" and _fires(reading, "patient-sample"):
                where = "lead"
            if hit := first_phrase(reading, cue_name, where):
                hits.append((not hit[1], cue_name, hit[0]))
        if hits:
            in_abstract, cue_name, phrase = min(hits, key=lambda h: h[0])
            label = "abstract" if in_abstract else "title"
            return rule.design, f"{label}, {cue_name}: '{phrase}'", cue_name
    trial_types = sorted(t for t in types if t.startswith(TRIAL_PUBLICATION_TYPES))
    if trial_types:
        return (
            "other",
            f"publication type '{trial_types[0]}' without randomisation or arm cues",
            "",
        )
    return "other", "no design cue", ""


def _first(reading: Reading, cue_name: str, where: str = "any") -> str | None:
    """The first phrase the cue matches (``cue_phrases(...)[0]``, found without looking for
    the others); None when it does not fire."""
    hit = first_phrase(reading, cue_name, where)
    return None if hit is None else hit[0]


def _fires(reading: Reading, cue_name: str, where: str = "any") -> bool:
    """Whether the cue matches (``bool(cue_phrases(...))``), stopping at the first match."""
    return first_phrase(reading, cue_name, where) is not None


def _network_meta_analysis(record: Mapping[str, Any], reading: Reading, design: str) -> bool:
    """A network meta-analysis (or its protocol): by publication type, MeSH or own words."""
    if design not in {"meta-analysis", "systematic-review", "protocol"}:
        return False
    indexed = {*(record.get("publication_types") or []), *(record.get("mesh") or [])}
    return "Network Meta-Analysis" in indexed or _fires(
        reading, "network-meta-analysis-self", "lead"
    )


_MDMA_TOKEN = re.compile(r"⟨[MU](\d+)⟩")  # MDMA as a drug given or as recreational use
_TREATMENT_TOKEN = re.compile(r"⟨E(\d+)⟩")

# The comparison cues read over any two treatments when MDMA is not the record's subject.
_COMPARING_ANY_TWO = tuple(c for c in CUES if c.group in {"comparison", "comparison-no-mdma"})

# Comparison cues that name an arm on their own ("Active Comparator: CPT" in a registration):
# they need MDMA somewhere in the record, not in the same sentence.
ARM_CUES = frozenset({"established-as-control-arm"})


def _explain_treatments(reading: Reading, design: str, mdma: bool, network: bool = False) -> None:
    """Give every treatment mention a role: background, combined, compared or named.

    ``network``: the record is a network meta-analysis, so a sentence naming MDMA and the
    treatment as interventions compares them (cue ``in-network-meta-analysis``).
    """
    counts_benchmark = design in {"meta-analysis", "systematic-review", "review"}
    for position, sentence in enumerate(reading.sentences):
        if sentence.speculative:
            if "⟨E" in sentence.tokens or "⟨M" in sentence.tokens:
                phrase = untokenise(sentence.tokens, reading.mentions)
                reading.evidence.append(("future-work", phrase[:120]))
                reading.cue_roles["future-work"] = "background"
            continue
        if "⟨E" not in sentence.tokens:
            continue  # the cues below act on treatment tokens only
        # In a primary study "larger than prolonged exposure" is background; in a review or
        # meta-analysis it is an indirect comparison.
        benchmark = (
            ("benchmark", "compared", "X") if counts_benchmark else ("benchmark", "background", "B")
        )
        for group, role, new_kind in (
            ("background", "background", "B"),
            *([] if counts_benchmark else [benchmark]),
            ("combination", "combined", "C"),
            ("comparison", "compared", "X"),
            *([("comparison-network", "compared", "X")] if network else []),
            *([benchmark] if counts_benchmark else []),
        ):
            for cue in CUES_BY_GROUP.get(group, ()):
                if "⟨E" not in sentence.tokens:
                    break  # every treatment here is explained: no cue can change a role
                if cue.title_only and not sentence.is_title:
                    continue
                if cue.names_mdma and "⟨M" not in sentence.tokens:
                    continue
                # the pre-filter: a cue whose triggers the sentence lacks, or whose tokens
                # it lacks, would find nothing here
                if position not in reading.candidates(cue) or not cue.has_tokens(sentence.tokens):
                    continue
                # comparisons, and combination cues that do not name MDMA themselves, need
                # MDMA in the sentence
                needs_mdma = role == "compared" or (role == "combined" and "<M>" not in cue.pattern)
                if needs_mdma and "⟨M" not in sentence.tokens and "⟨C" not in sentence.tokens:
                    if not (mdma and cue.name in ARM_CUES):
                        continue
                for match in cue.finditer(sentence.tokens):
                    indices = [int(i) for i in _TREATMENT_TOKEN.findall(match.group(0))]
                    if role == "compared":
                        # only the compared treatment (the last one in the match) changes
                        indices = indices[-1:]
                    if not indices:
                        continue
                    for index in indices:
                        reading.roles[index] = role
                    reading.cue_roles[cue.name] = role
                    if (cue.name, reading.phrase(match)) not in reading.evidence:
                        reading.evidence.append((cue.name, reading.phrase(match)))
                    tokens = sentence.tokens
                    for index in indices:
                        tokens = tokens.replace(f"⟨E{index}⟩", f"⟨{new_kind}{index}⟩")
                    sentence.tokens = tokens


def _comparator(
    reading: Reading, mdma: bool, central: bool, vocabulary: Vocabulary
) -> tuple[str, str]:
    """The comparator and its evidence; the first of these that is present wins.

    ``central``: MDMA is the record's subject. When it is not (no MDMA, or MDMA only in
    passing), a comparison of two established treatments sets the comparator.
    """
    if any(role == "compared" for role in reading.roles.values()):
        compared = reading.evidence_for("compared")
        return "established-treatment", f"{compared[0][0]}: '{compared[0][1]}'"
    if not central:
        # MDMA not the subject: comparison cues apply to any two treatments (this column only).
        for cue in _COMPARING_ANY_TWO:
            if (phrase := _first(reading, cue.name)) is not None:
                return "established-treatment", f"{cue.name}: '{phrase}'"
    if (phrase := _first(reading, "active-placebo")) is not None:
        return "active-placebo", f"active-placebo: '{phrase}'"
    if mdma:
        text = " ".join(s.raw for s in reading.sentences)
        if match := vocabulary.active_placebo_pattern.search(text):
            return "active-placebo", f"active placebo drug: '{match.group(0).strip(' ,')}'"
    for cue_name, comparator in (
        ("placebo", "placebo"),
        ("low-dose-mdma", "active-placebo"),
        ("waitlist", "waitlist"),
        ("other-comparator", "other"),
    ):
        if (phrase := _first(reading, cue_name)) is not None:
            return comparator, f"{cue_name}: '{phrase}'"
    return "none", "no comparator named"


def _relation(
    reading: Reading, mdma: bool, comparator: str, commentary: bool = False
) -> tuple[str, str]:
    if not mdma:
        return "none", "MDMA not named"
    roles = reading.roles.values()
    if "compared" in roles:
        cues = reading.evidence_for("compared")
        return "head-to-head", "; ".join(f"{n}: '{p}'" for n, p in cues[:3])
    if "combined" in roles:
        cues = reading.evidence_for("combined")
        return "add-on-or-combined", "; ".join(f"{n}: '{p}'" for n, p in cues[:3])
    if commentary and comparator in {"placebo", "active-placebo", "placebo (presumed)"}:
        return "none", "a commentary: the placebo-controlled trials it discusses are not its own"
    if comparator == "placebo" and (own := _first(reading, "placebo-for-established")) is not None:
        if not _fires(reading, "placebo-for-mdma"):
            return "none", (
                f"placebo-for-established: '{own}': the placebo is the established "
                "treatment's, and everyone receives MDMA"
            )
    if comparator in {"placebo", "active-placebo"}:
        return "placebo-only", f"{comparator} comparator"
    if comparator == "placebo (presumed)":
        return "placebo-only", "randomised MDMA study naming no comparator: placebo presumed"
    return "none", "no comparator or combination with an established treatment"


def _retraction(record: Mapping[str, Any], types: list[str], reading: Reading) -> list[str]:
    """Why the record is retracted; empty when it is not."""
    notices = list(record.get("retraction_notices") or [])
    evidence = []
    if "Retracted Publication" in types:
        evidence.append("publication type 'Retracted Publication'")
    if notices:
        evidence.append(f"retraction notice {notices[0]}")
    if _fires(reading, "retracted-title", "title"):
        evidence.append("title marked RETRACTED")
    if record.get("retracted") and not evidence:
        evidence.append("marked retracted")
    return evidence


def _trial_like(
    types: list[str], reading: Reading, design: str, design_evidence: str, design_cue: str
) -> tuple[bool, str, bool]:
    """(a trial or meta-analysis?, the design evidence with what made it one, a review
    protocol?)."""
    review_protocol = design == "protocol" and (
        "Systematic Review" in types or _fires(reading, "review-protocol", "lead")
    )
    trial_like = design in HIGHLIGHT_DESIGNS and not review_protocol
    commentary = bool(set(types).intersection(COMMENTARY_TYPES)) or design_cue == "commentary-self"
    no_trial_of_its_own = {"observational", "economic-model"}
    if design == "other" and not commentary and design_cue not in no_trial_of_its_own:
        # A trial whose kind is not stated (no randomisation, arm or open-label cue).
        if any(t.startswith(TRIAL_PUBLICATION_TYPES) for t in types):
            trial_like = True
        elif (trial_phrase := _first(reading, "trial-self", "lead")) is not None:
            trial_like = True
            design_evidence += f"; a trial by its own description ('{trial_phrase}')"
        elif design_evidence == "no design cue":
            # Nothing says what it is (typically a new record with neither publication types
            # nor a design word): kept as a possible trial so that it is not missed.
            trial_like = True
            design_evidence += "; counted as a possible trial"
    return trial_like, design_evidence, review_protocol


def _reason(
    conditions: list[tuple[bool, str, str]],
    highlight: bool,
    types: list[str],
    reading: Reading,
    relation: str = "none",
) -> str:
    """highlight_reason: the conditions that failed (or all, when highlighted), those that
    held, the publication types and the treatment mentions set aside as background — not
    listed when a treatment is compared or combined, since the comparator or the combined
    treatment would then be called background too ("versus standard CPT")."""
    compared = relation in ("head-to-head", "add-on-or-combined")
    background = [] if compared else reading.evidence_for("background")
    if highlight:
        reason = "highlighted: " + "; ".join(text for _, text, _ in conditions)
    else:
        failed = [bad for ok, _, bad in conditions if not ok]
        held = [good for ok, good, _ in conditions if ok]
        reason = "not highlighted: " + "; ".join(failed)
        if held:
            reason += " | also: " + "; ".join(held)
    if types:
        reason += f" | publication types: {', '.join(types)}"
    if background:
        reason += " | treatments as background: " + "; ".join(
            f"{n}: '{p}'" for n, p in background[:3]
        )
    return reason
