"""The named cue table: every regular expression the rules use, each with a name, the rule
group that reads it, and a sentence saying what it means.

A reviewer who disagrees with a result reads the cue names in ``highlight_reason``, finds
them here in :data:`CUES`, and changes the vocabulary in config.yaml (or the cue) instead of
guessing. Cue patterns are written over tokens, not words: the mentions of MDMA and of the
established treatments are replaced by ``⟨M0⟩`` / ``⟨E3⟩`` tokens first
(:mod:`livescreen.classify.text`), so a cue says "MDMA" (``<M>``) and "an established
treatment" (``<E>``) instead of every synonym.

Public API
----------
``Cue``
    A named pattern; ``cue.finditer(tokens)`` its matches in a tokenised sentence.
``CUES``
    The table, in the order the rules try it; ``CUE`` the same by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CUE", "CUES", "Cue"]


# Placeholders usable in cue patterns (expanded when the table is built):
#   <M>  an MDMA mention            <E>  an established-treatment mention not yet explained
#   <C>  a treatment combined with MDMA (set by combination cues)
#   <w>  one word and the space after it (never a mention token, never . ; :)
_PLACEHOLDERS = {
    "<M>": r"⟨M\d+⟩",
    "<E>": r"⟨E\d+⟩",
    "<C>": r"⟨C\d+⟩",
    "<w>": r"[^\s.;:⟨⟩]+\s+",
}


@dataclass(frozen=True)
class Cue:
    """A named pattern. ``group`` says which rule reads it; ``meaning`` says why.

    ``unless``: a pattern that, when the sentence contains it, switches the cue off there.
    """

    name: str
    group: str
    pattern: str
    meaning: str
    unless: str = ""

    @property
    def regex(self) -> re.Pattern[str]:
        return _compiled(self.pattern)

    def finditer(self, text: str) -> list[re.Match[str]]:
        if self.unless and _compiled(self.unless).search(text):
            return []
        return list(self.regex.finditer(text))


_CACHE: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    if pattern not in _CACHE:
        expanded = pattern
        for placeholder, regex in _PLACEHOLDERS.items():
            expanded = expanded.replace(placeholder, regex)
        _CACHE[pattern] = re.compile(expanded, re.IGNORECASE)
    return _CACHE[pattern]


_GAP_STOP = r"(?!(?:or|and|versus|vs|with|than|to|plus|psychotherapy|therapy|treatment)\b)"
_BACKGROUND_LIST = r"(?:\s*(?:,|or|and|and/or|nor)\s+(?:<w>){0,2}?<E>)*"

# fmt: off
CUES: tuple[Cue, ...] = (
    # --- MDMA mentions that are not the drug
    Cue("ecstasy-not-drug", "mdma",
        r"\b(?:religious|mystical|spiritual|divine|ecstatic|sexual|emotional)\s+ecstas(?:y|ies)\b",
        "'ecstasy' in its religious or emotional sense is not MDMA"),

    # --- background: a treatment named as prior, failed or excluded treatment
    Cue("prior-treatment", "background",
        r"\b(?:prior|previous(?:ly)?|earlier|past|failed|failure (?:of|to respond to)"
        r"|(?:not|non-?|in(?:adequate(?:ly)?)?|partial(?:ly)?|poor(?:ly)?)\s*respon\w*(?:\s+to)?"
        r"|resistant to|refractory to|despite|history of|had (?:received|tried|completed|undergone)"
        r"|treatment-resistant|unresponsive to|unsuccessful)\s+(?:<w>){0,6}?<E>" + _BACKGROUND_LIST,
        "the treatment is what participants had before (or failed), not an arm"),
    Cue("existing-treatment", "background",
        r"\b(?:currently\s+)?(?:approved|existing|available|licensed|FDA-approved"
        r"|standard)\s+(?:<w>){0,4}?<E>" + _BACKGROUND_LIST,
        "the treatment is named as what already exists ('the two approved SSRIs, sertraline and "
        "paroxetine'), not as an arm"),
    Cue("treatment-failed", "background",
        r"<E>\s+(?:<w>){0,3}?(?:had failed|failed|(?:was|were) (?:tapered|discontinued|stopped"
        r"|withdrawn|not (?:effective|tolerated))|exclu\w*)",
        "the treatment failed, was stopped or excluded"),
    Cue("tapered-off", "background",
        r"\b(?:taper\w*|discontinu\w*|wash\w*[\s-]?out|stopp?(?:ed|ing)|withdr[ae]w\w*"
        r"|abstain\w*)\s+(?:off\s+|from\s+|of\s+|their\s+|all\s+)?(?:<w>){0,4}?<E>"
        + _BACKGROUND_LIST,
        "participants stopped the medication before the study (an MDMA trial requirement)"),
    Cue("exclusion-criterion", "background",
        r"\b(?:exclusion criteri\w*|excluded|exclude|not eligible)\b[^.;]{0,80}?<E>",
        "the treatment is an exclusion criterion"),
    Cue("laboratory-model", "background",
        r"\b(?:model|analogue|analog|proxy) (?:of|for)\s+(?:<w>){0,2}?(?:<M>[\w-]*\s+)?"
        r"(?:<w>){0,2}?<E>",
        "an animal or laboratory model of the treatment ('extinction training, a laboratory "
        "analogue of exposure therapy'), not the treatment"),
    Cue("benchmark", "benchmark",
        r"\b(?:than|comparable (?:to|with)|similar to|in line with|consistent with"
        r"|compar\w+ favou?rably (?:with|to))\s+(?:<w>){0,5}?<E>",
        "a primary study's results set beside published results of the treatment (background); "
        "in a meta-analysis or review this is an indirect comparison and counts"),

    # --- speculation: sentences that only call for future work add no evidence
    Cue("future-work", "speculation",
        r"\b(?:future (?:research|studies|trials|work)|should|could|might|warrant\w*"
        r"|remains? to be|further (?:research|studies|trials)|calls? for|(?:is|are) needed"
        r"|implications? for|rationale for|(?:findings|results|data) (?:support|suggest))\b",
        "the sentence speculates or asks for future work; what it names is not this study's "
        "design, and an MDMA mention only there does not make the record involve MDMA"),

    # --- combination: MDMA given together with the treatment
    Cue("mdma-assisted-established", "combination",
        r"<M>(?:-[A-Z]{2,3})?[\s-]+(?:assisted|facilitated|enhanced|augmented|supported)\s+"
        rf"(?:{_GAP_STOP}<w>){{0,2}}<E>",
        "'MDMA-assisted cognitive processing therapy': the treatment given with MDMA"),
    Cue("established-with-mdma", "combination",
        r"<E>\s+(?:<w>){0,3}?(?:with|under|alongside)\s+(?:(?:a|an|one|two|three|single"
        r"|adjunctive|low-dose|\d+)\s+)*<M>",
        "'written exposure therapy was delivered with MDMA', 'EMDR under MDMA'",
        unless=r"\b(?:compar\w*|versus|vs\.?|head-to-head|than)\b"),
    Cue("established-plus-mdma", "combination",
        r"<E>(?:\s*\+\s*|\s+(?:plus|augmented (?:with|by)|enhanced (?:with|by)|combined with"
        r"|together with|facilitated by|assisted by|supplemented (?:with|by))\s+)"
        r"(?:adjunctive\s+|adjunct\s+|a single dose of\s+|single[\s-]dose\s+)?<M>",
        "'prolonged exposure augmented with MDMA', 'CPT + MDMA'"),
    Cue("mdma-plus-established", "combination",
        r"<M>(?:[\s-]+(?:assisted|facilitated)\s+(?:psycho)?therapy)?(?:\s*\+\s*|\s+(?:plus"
        r"|combined with|in combination with|as an? (?:adjunct|add-on) to|added to|adjunctive to"
        r"|integrated (?:with|into)|together with)\s+)"
        r"(?:(?!(?:or|versus|vs|than|placebo)\b)<w>){0,3}<E>",
        "'MDMA + CPT', 'MDMA as an adjunct to prolonged exposure'"),
    Cue("adjunct-to-established", "combination",
        r"\b(?:adjunct|add-on|augmentation|adjunctive treatment)\s+(?:to|of|for)\s+"
        r"(?:<w>){0,3}?<E>",
        "'MDMA versus placebo as an adjunct to prolonged exposure' (the sentence names MDMA)"),
    Cue("receiving-established-randomised-to-mdma", "combination",
        r"\b(?:receiving|undergoing|during|in)\s+(?:<w>){0,2}?<E>\s+(?:<w>){0,4}?"
        r"(?:randomi[sz]ed|assigned|allocated)\s+to\s+(?:<w>){0,3}?<M>",
        "'adults receiving prolonged exposure were randomized to MDMA or placebo'"),
    Cue("combine-mdma-with-established", "combination",
        r"\b(?:combin\w*|pair(?:s|ed|ing)?|integrat\w*|add(?:s|ed|ing)?)\s+(?:<w>){0,4}?<M>[\w-]*"
        r"\s+(?:<w>){0,3}?(?:with|to|into|and)\s+(?:<w>){0,4}?<E>",
        "'combines MDMA with prolonged exposure', 'combining MDMA-assisted therapy with CBCT', "
        "'the combination of MDMA and CPT'"),
    Cue("combine-established-with-mdma", "combination",
        r"\b(?:combin\w*|pair(?:s|ed|ing)?|integrat\w*)\s+(?:<w>){0,4}?<E>\s+(?:<w>){0,4}?"
        r"(?:with|and|into)\s+(?:<w>){0,3}?<M>",
        "'Combining cognitive-behavioral conjoint therapy for PTSD with MDMA'"),
    Cue("established-integrated-with-mdma", "combination",
        r"<E>\s+(?:<w>){0,5}?(?:integrated|combined|paired|augmented|enhanced|supplemented)\s+"
        r"(?:with|by|into)\s+(?:<w>){0,2}?<M>",
        "'CBCT for PTSD can be integrated with MDMA-assisted psychotherapy'"),
    Cue("mdma-dose-within-established", "combination",
        r"<M>\s+(?:<w>){0,2}?(?:dose|doses|dosing|session|sessions)\s+(?:<w>){0,4}?"
        r"(?:within|during|of|into|in)\s+(?:<w>){0,4}?<E>",
        "'a single MDMA dose on day two of a ten-day massed PE program'"),

    # --- comparison: the treatment set against MDMA (sentence must name MDMA)
    Cue("versus-established", "comparison",
        r"\b(?:versus|vs\.?|v\.|compared (?:with|to|against)|comparison (?:with|to|against)"
        r"|against|relative to)\s+(?:(?!(?:in|among|for|who|which|that|after|before|during)\b)"
        r"<w>){0,4}?<E>",
        "'versus prolonged exposure', 'compared with CPT', 'comparison to prolonged exposure'"),
    Cue("established-versus", "comparison",
        r"<E>\s+(?:\((?:<w>){0,2}[^)]*\)\s+)?(?:versus|vs\.?|v\.|compared (?:with|to)|against)\b",
        "'CBCT versus ...', 'sertraline vs ...'"),
    Cue("comparing-mdma-and-established", "comparison",
        r"\b(?:compar(?:e|es|ed|ing|ison|ative)|head-to-head)\b[^.;]{0,160}?<M>[^.;]{0,120}?"
        r"(?:\b(?:with|to|and|versus|vs\.?|or)|,)\s+(?:<w>){0,6}?<E>",
        "'comparing MDMA-assisted therapy, prolonged exposure and SSRIs' (network meta-analyses, "
        "indirect comparisons)"),
    Cue("network-meta-analysis-of-mdma-and-established", "comparison",
        r"\b(?:network meta-analy\w*|indirect comparisons?|mixed[\s-]treatment comparisons?)\b"
        r"[^.;]{0,200}?(?:<M>[^.;]{0,200}?<E>|<E>[^.;]{0,200}?<M>)",
        "a network meta-analysis (or indirect comparison) that includes MDMA and the treatment"),
    Cue("established-were-compared", "comparison",
        r"<E>\s+(?:<w>){0,2}?(?:were|was|are|is|will be)\s+compared\b",
        "'MDMA-assisted therapy, prolonged exposure and sertraline were compared'"),
    Cue("established-as-control-arm", "comparison",
        r"\b(?:active comparator|comparator arm|control arm|comparison arm|control group"
        r"|comparison group|control condition)\b[^.;]{0,60}?<E>",
        "'Active Comparator: CPT' (registry arms), 'the control group received prolonged "
        "exposure'"),
    Cue("established-alone", "comparison",
        r"<E>\s+(?:therapy\s+|treatment\s+|psychotherapy\s+)?alone\b",
        "'CBCT alone': an arm of the treatment without MDMA"),
    Cue("randomised-or-established", "comparison",
        r"\b(?:randomi[sz]\w*|assigned|allocated)\b[^.;]{0,120}?\bor\s+(?:<w>){0,3}?<E>",
        "'randomised to MDMA-assisted therapy or CPT'"),
    Cue("comparing-established", "comparison-no-mdma",
        r"\b(?:compar(?:e|es|ed|ing|ison)|head-to-head|non-?inferiority)\b[^.;]{0,160}?"
        r"(?:\b(?:with|to|and|versus|vs\.?|between|or)|,)\s+(?:<w>){0,6}?<E>",
        "a study without MDMA that compares treatments (sets the comparator column only)"),

    # --- comparators
    Cue("active-placebo", "comparator",
        r"\bactive[\s-](?:placebo|control)s?\b",
        "an explicit active placebo or active control"),
    Cue("low-dose-mdma", "comparator",
        r"\b(?:low|lower|very low|sub-?therapeutic|inactive low|comparison|control|threshold)"
        r"[\s-]+dos(?:e|es|ing)\b",
        "a low comparison dose of MDMA (an active placebo when no inert placebo is named)"),
    Cue("placebo", "comparator",
        r"\b(?:placebo\w*|saline|vehicle|sham)\b",
        "an inert placebo (saline or vehicle in animal studies)"),
    Cue("waitlist", "comparator",
        r"\b(?:wait[\s-]?list\w*|waiting[\s-]list|delayed[\s-](?:treatment|start))\b",
        "a waitlist or delayed-treatment control"),
    Cue("other-comparator", "comparator",
        r"\b(?:treatment as usual|usual care|supportive (?:psycho)?therapy|attention control"
        r"|control group|control condition|non-trauma-focused)\b",
        "another control: usual care, supportive therapy, an unnamed control group"),

    # --- design: self-description in the title or a lead sentence
    Cue("trial-self", "design-lead",
        r"\b(?:trial|pilot|feasibility study|clinical study)\b",
        "the record calls itself a trial; with no other design cue it can still be highlighted"),
    Cue("protocol-self", "design-lead",
        r"(?:^\W*(?:(?:study|trial|review)\s+)?protocol\b|\b(?:study|trial) protocol\b"
        r"|\bprotocol (?:of|for) (?:a|an|the)\b|\bthis protocol\b|\bwe describe the protocol\b)",
        "the record is a protocol"),
    Cue("review-protocol", "design-lead",
        r"\bprotocol\b[^.;]{0,80}\b(?:review|meta-analys[ie]s)\b",
        "the protocol is of a review, not of a trial"),
    Cue("overview-of-reviews", "design-lead",
        r"\b(?:overview|umbrella review|review) of (?:systematic )?reviews\b",
        "an overview (umbrella review) of reviews"),
    Cue("meta-analysis-self", "design-lead",
        r"(?:^\W*(?:(?:a|an|this|the present|updated|preliminary|systematic review (?:and|with)"
        r"|bayesian|network|individual[\s-](?:patient|participant)[\s-]data|pairwise)\W+){0,4}"
        r"meta-analy[st]\w*+(?!\s+(?:have|has|show|shows|showed|suggest|indicate|found|report))"
        r"|\b(?:we|this study|this article|here we)\s+(?:\w+\s+){0,2}"
        r"(?:conducted|performed|present|report|carried out|undertook)\s+(?:\w+\s+){0,4}?"
        r"meta-analy[st]\w*)",
        "the record describes itself as a meta-analysis"),
    Cue("meta-analysis-title", "design-title",
        r"\bmeta-analy[st]\w*",
        "the title says meta-analysis"),
    Cue("systematic-review-self", "design-lead",
        r"(?:^\W*(?:a|an|this|updated)?\W*(?:systematic|scoping|rapid) review\b"
        r"|\bwe (?:conducted|performed) a (?:systematic|scoping) review\b)",
        "the record describes itself as a systematic or scoping review"),
    Cue("review-self", "design-lead",
        r"(?:^\W*(?:a |an |this )?(?:(?:narrative|literature|critical|state-of-the-art"
        r"|comprehensive|brief|clinical|historical|selective|policy|mini)[\s-]+)*review\b"
        r"|\breview (?:chapter|article|paper)\b|\bwe review\b|\bthis (?:article|paper|chapter) "
        r"reviews\b)",
        "the record describes itself as a review"),
    Cue("animal-species", "design-lead",
        r"\b(?:rats?|mice|mouse|murine|rodents?|zebrafish|non-human primates?|monkeys?|macaques?"
        r"|long-evans|sprague-dawley|wistar|c57bl\w*|in vitro)\b",
        "laboratory animals or cells"),
    Cue("case-report", "design-lead",
        r"\b(?:case report|case example|case study|case vignette|case presentation"
        r"|\d+-year-old (?:man|woman|male|female|patient|veteran))\b",
        "a single case"),
    Cue("healthy-volunteers", "design-any",
        r"\bhealthy\s+(?:adult\s+|young\s+|human\s+)?(?:volunteers?|participants?|subjects?"
        r"|adults?|humans?|men|women|individuals|people)\b|\b(?:recreational|experienced)"
        r"\s+(?:ecstasy|⟨M\d+⟩|MDMA)\s+users\b",
        "participants are healthy volunteers (not patients)"),
    Cue("patient-sample", "design-any",
        r"\b(?:patients|participants|veterans|adults|people|individuals|women|men|survivors"
        r"|dyads|clients|responders)\s+with\s+(?:\w+\s+){0,2}?(?:PTSD|posttraumatic|post-traumatic"
        r"|stress disorder)|\bPTSD patients\b",
        "participants are patients (so a 'healthy volunteers' phrase elsewhere is background)"),
    Cue("secondary-analysis", "design-lead",
        r"(?:^\W*(?:[\w-]+\W+){0,3}?(?:secondary|post[\s-]?hoc|exploratory|ancillary|pooled"
        r"|follow-up|longitudinal|mediation|moderation)\s+(?:\w+\s+){0,1}?(?:analys[ie]s|study)"
        r"\s+(?:of|from|within|using)\b|\b(?:sub-?study|sub-?analysis|secondary analys[ie]s)\b"
        r"|^\W*(?:[\w-]+\W+){0,2}?analys[ie]s of\b|\bfollow-up (?:study )?of (?:a|an|the)\s+"
        r"(?:[\w,-]+\s+){0,4}?trials?\b|\b(?:data|sessions|recordings|transcripts|interviews"
        r"|samples?|participants|patients|subjects|subsample|subset)\b[^.;]{0,80}?\bfrom"
        r" (?:a|an|the|two|three|four|five|six|\d+|several|previous|earlier|completed)\s+"
        r"(?:[\w,-]+\s+){0,5}?(?:trials?|studies)\b)",
        "an analysis of data from an earlier trial or study"),
    Cue("mechanistic-substudy", "design-lead",
        r"^\W*(?:[\w-]+\W+){0,2}?(?:neuroimaging|imaging|fMRI|MRI|EEG|biomarker|epigenetic"
        r"|genetic|physiological|psychophysiological)\s+(?:sub-?)?stud(?:y|ies)\s+(?:of|in)\b",
        "a mechanism study of patients treated in a trial (imaging, biomarkers)"),
    Cue("qualitative", "design-lead",
        r"\b(?:qualitative|interpretative phenomenological|thematic analysis"
        r"|semi-structured interviews|focus groups?|grounded theory)\b",
        "qualitative methods"),
    Cue("observational", "design-lead",
        r"^\W*(?:[\w-]+\W+){0,2}?(?:survey|cross-sectional|cohort study|case-control"
        r"|observational|retrospective|registry-based|chart review|epidemiological|naturalistic)\b",
        "an observational study or survey"),
    Cue("non-randomised-controlled", "design-any",
        r"\b(?:non-?randomi[sz]ed|quasi-(?:experimental|randomi[sz]ed)|nonrandomi[sz]ed)\b",
        "a controlled study without randomisation"),
    Cue("randomised", "design-any",
        r"(?<!non-)(?<!non)(?<!quasi-)\brandomi[sz](?:ed|ation|ing)\b|\brandomly (?:assigned"
        r"|allocated)\b|\brandom (?:assignment|allocation)\b|(?-i:\bRCTs?\b)",
        "participants were randomised"),
    Cue("blinded-placebo-controlled", "design-any",
        r"\bdouble-blind\w*\b[^.;]{0,80}\bplacebo|\bplacebo[^.;]{0,80}\bdouble-blind",
        "double-blind and placebo-controlled (randomisation implied)"),
    Cue("single-arm", "design-any",
        r"\b(?:open-label|single-arm|single[\s-]group|uncontrolled|non-?controlled"
        r"|pre-post|pilot study|feasibility (?:study|trial)|proof-of-concept)\b",
        "one group, no control"),
    Cue("retracted-title", "retraction",
        r"^\W*retracted\b",
        "the title is marked RETRACTED"),
)
# fmt: on

CUE = {cue.name: cue for cue in CUES}
if len(CUE) != len(CUES):  # pragma: no cover - a guard for whoever edits the table
    raise RuntimeError("cue names must be unique")
