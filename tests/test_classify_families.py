"""Comparison and combination read as structure, not as a list of phrases: each family in
both orders, MDMA on either side, treatments written out or abbreviated as the record defines
them; background uses and traps stay out; design from the strongest evidence, with its basis
in highlight_reason.

None of these sentences is in the evaluation sets (livescreen/data/evaluation); they were
written to probe the families while the rules were developed on the seen half."""

from __future__ import annotations

import re

import pytest

from livescreen.classify import CUES, classify, load_vocabulary
from livescreen.classify.evaluation import EVALUATION_FILES, load_items, record_from_labelled
from livescreen.classify.text import read_record

ESSAY = "2021-09-03"
H, C, N, P = "head-to-head", "add-on-or-combined", "none", "placebo-only"


@pytest.fixture(scope="module")
def vocab():
    return load_vocabulary({})


def run(vocab, title, abstract="", types=(), pub_date="2024-01-01", **extra):
    record = {"title": title, "abstract": abstract, "publication_types": list(types),
              "pub_date": pub_date, **extra}  # fmt: skip
    return classify(record, vocab, ESSAY)


# (relation, title, abstract): every family, in both orders
FAMILIES = [
    # comparison families, title-only and in abstracts, both orders
    (H, "MDMA-assisted therapy vs. prolonged exposure for PTSD", ""),
    (H, "Prolonged exposure vs MDMA-assisted therapy for PTSD", ""),
    (H, "MDMA v. EMDR in veterans", ""),
    (H, "A trial", "EMDR was compared with MDMA-assisted therapy in 60 adults."),
    (H, "A trial", "Sertraline, as compared with MDMA-assisted therapy, was less tolerated."),
    (H, "A trial", "MDMA-assisted therapy in comparison with cognitive processing therapy."),
    (H, "Efficacy of MDMA relative to paroxetine", ""),
    (H, "A trial", "Written exposure therapy was non-inferior to MDMA-assisted therapy."),
    (H, "A trial", "We tested whether MDMA-assisted therapy is superior to trauma-focused CBT."),
    (
        H,
        "A trial",
        "Participants chose between EMDR and MDMA-assisted therapy; allocation was random.",
    ),
    (
        H,
        "A trial",
        "Adults were randomly assigned to receive either cognitive processing therapy or "
        "MDMA-assisted therapy.",
    ),
    (
        H,
        "A trial",
        "Veterans were randomized (1:1) to prolonged exposure (PE; n = 40) or MDMA-assisted "
        "therapy (n = 40).",
    ),
    (
        H,
        "A trial",
        "Prolonged exposure (PE) was offered. Participants were allocated to MDMA-AT, PE, or "
        "waitlist.",
    ),
    (H, "MDMA-assisted therapy or sertraline for PTSD: a randomised trial", ""),
    (H, "Sertraline or MDMA-assisted therapy for PTSD? A randomised trial", ""),
    (H, "Head-to-head trial of MDMA-assisted therapy and EMDR", ""),
    (H, "A head-to-head comparison of EMDR and MDMA-assisted therapy", ""),
    (
        H,
        "Comparative effectiveness of prolonged exposure and MDMA-assisted therapy: a randomized "
        "trial",
        "",
    ),
    (H, "MDMA-assisted therapy and prolonged exposure: a non-inferiority randomised trial", ""),
    (
        H,
        "A trial",
        "The MDMA-AT and PE arms did not differ. Prolonged exposure (PE) was delivered weekly.",
    ),
    (
        H,
        "MDMA-AT versus CPT in veterans",
        "MDMA-assisted therapy (MDMA-AT) was compared with cognitive processing therapy (CPT).",
    ),
    (
        H,
        "A network meta-analysis of treatments for PTSD",
        "We included randomised trials of MDMA-assisted therapy, trauma-focused psychotherapies "
        "and SSRIs.",
    ),
    (
        H,
        "Psychotherapies and drug-assisted therapies for PTSD: a network meta-analysis",
        "Trials of EMDR, prolonged exposure, MDMA and psilocybin were included.",
    ),
    (H, "A randomized trial", "MDMA-assisted CBCT versus CBCT alone in couples."),
    (
        H,
        "A randomized trial",
        "Cognitive-behavioural conjoint therapy (CBCT) with MDMA, or CBCT only.",
    ),
    (H, "A randomized trial", "EMDR with two MDMA sessions or standard EMDR without MDMA."),
    # combination families
    (
        C,
        "Cognitive processing therapy with and without MDMA: a randomized placebo-controlled trial",
        "Randomized to MDMA or placebo.",
    ),
    (C, "Prolonged exposure with or without MDMA", "An open-label pilot."),
    (C, "Prolonged exposure plus MDMA", "An open-label pilot."),
    (C, "MDMA plus prolonged exposure", "An open-label pilot."),
    (C, "MDMA + EMDR for PTSD", "An open-label pilot."),
    (C, "EMDR + MDMA for PTSD", "An open-label pilot."),
    (C, "MDMA combined with cognitive processing therapy", "An open-label pilot."),
    (C, "Cognitive processing therapy combined with MDMA", "An open-label pilot."),
    (C, "MDMA added to prolonged exposure", "An open-label pilot."),
    (C, "Prolonged exposure augmented with MDMA", "An open-label pilot."),
    (C, "Prolonged exposure augmented by midomafetamine", "An open-label pilot."),
    (C, "MDMA as adjunctive treatment to EMDR", "An open-label pilot."),
    (C, "MDMA adjunctive to written exposure therapy", "An open-label pilot."),
    (C, "MDMA-augmented prolonged exposure", "An open-label pilot."),
    (C, "MDMA-facilitated narrative exposure therapy", "An open-label pilot."),
    (C, "Midomafetamine-assisted cognitive processing therapy", "An open-label pilot."),
    (C, "Adding MDMA to prolonged exposure", "An open-label pilot."),
    (C, "The addition of MDMA to EMDR", "An open-label pilot."),
    (C, "Augmenting cognitive processing therapy with MDMA", "An open-label pilot."),
    (C, "Enhancing EMDR with MDMA", "An open-label pilot."),
    (C, "A pilot", "MDMA was given before sessions 3 and 7 of cognitive processing therapy."),
    (C, "A pilot", "Two MDMA sessions were embedded in a course of EMDR."),
    (C, "A pilot", "MDMA was administered during the third session of prolonged exposure."),
    (C, "A pilot", "Participants received MDMA in conjunction with narrative exposure therapy."),
    (C, "A pilot", "Trauma-focused CBT was delivered alongside two MDMA sessions."),
    (C, "A pilot", "Each EMDR session was preceded by a dose of MDMA."),
    (
        C,
        "MDMA and prolonged exposure for PTSD: an open-label pilot",
        "Ten adults received ten sessions of prolonged exposure with MDMA 100 mg in sessions 3 "
        "and 6.",
    ),
    (C, "A pilot", "Prolonged exposure (PE). Sessions of PE with adjunctive MDMA."),
    (
        C,
        "MDMA-assisted therapy versus placebo, each combined with prolonged exposure",
        "Randomised.",
    ),
    (
        C,
        "A randomized trial",
        "Veterans received cognitive processing therapy and were randomized to MDMA or placebo "
        "before session 4.",
    ),
    # background and traps
    (
        P,
        "MDMA-assisted therapy for PTSD: a randomized controlled trial",
        "Participants had not responded to prolonged exposure. Randomized to MDMA or placebo.",
    ),
    (
        P,
        "MDMA-assisted therapy for PTSD: a randomized controlled trial",
        "All participants tapered off SSRIs. Randomized to MDMA or placebo.",
    ),
    (
        P,
        "MDMA-assisted therapy for PTSD: a randomized controlled trial",
        "Participants had prior cognitive processing therapy. Randomized to MDMA or placebo.",
    ),
    (
        P,
        "MDMA-assisted therapy for PTSD: a randomized controlled trial",
        "PTSD persisted after an adequate course of EMDR. Randomized to MDMA or placebo.",
    ),
    (
        P,
        "MDMA-assisted therapy for PTSD: a randomized controlled trial",
        "Non-responders to trauma-focused CBT were randomized to MDMA or placebo.",
    ),
    (
        P,
        "MDMA-assisted therapy for PTSD: a randomized controlled trial",
        "Randomized to MDMA or placebo; those previously treated with sertraline responded "
        "similarly.",
    ),
    (
        P,
        "MDMA-assisted therapy for PTSD: a randomized controlled trial",
        "Randomized to MDMA or placebo after a washout of paroxetine.",
    ),
    (
        P,
        "MDMA versus placebo: a randomized trial",
        "Pulmonary embolism (PE) occurred in one placebo participant; no PE occurred with MDMA.",
    ),
    (
        P,
        "MDMA versus placebo: a randomized trial",
        "MDMA inhibits the norepinephrine transporter (NET); NET occupancy versus placebo was "
        "measured.",
    ),
    (
        P,
        "MDMA-assisted therapy: a randomized trial",
        "MDMA or placebo. Remission rates compared favourably with those reported for prolonged "
        "exposure.",
    ),
    (
        P,
        "MDMA-assisted therapy: a randomized trial",
        "MDMA or placebo. Future trials should compare MDMA with prolonged exposure.",
    ),
    (N, "Ketamine-assisted prolonged exposure versus prolonged exposure", "Randomised."),
    (N, "Psilocybin combined with cognitive processing therapy", "Open-label."),
]


@pytest.mark.parametrize(("relation", "title", "abstract"), FAMILIES)
def test_family(vocab, relation, title, abstract):
    out = run(vocab, title, abstract)
    assert out["relation_to_established"] == relation, out["highlight_reason"]
    if relation in {H, C}:
        assert out["highlight"] is True, out["highlight_reason"]


def test_reason_quotes_the_span_that_matched(vocab):
    out = run(vocab, "A trial", "Adults were allocated to either EMDR or MDMA-assisted therapy.")
    assert "allocation-to-arms: 'allocated to either EMDR or MDMA'" in out["highlight_reason"]
    out = run(vocab, "Prolonged exposure with or without adjunctive MDMA: an open-label pilot")
    assert (
        "established-with-and-without-mdma: 'Prolonged exposure with or without adjunctive "
        "MDMA'" in out["highlight_reason"]
    )


def test_abbreviations_the_record_defines(vocab):
    abstract = (
        "Adults were randomised to MDMA-assisted therapy (MAT) or trauma-focused psychotherapy "
        "(TFP). MAT reduced CAPS-5 more than TFP."
    )
    out = run(vocab, "MAT vs TFP for PTSD: a randomised trial", abstract)
    assert out["relation_to_established"] == H and out["highlight"] is True
    assert "versus-established: 'vs TFP'" in out["highlight_reason"]
    # an undefined abbreviation stays unknown
    out = run(vocab, "MAT vs TFP for PTSD: a randomised trial", "Eighty adults were randomised.")
    assert out["established_treatments"] == []
    assert out["relation_to_established"] != H


def test_a_placebo_arm_with_the_treatment_is_an_add_on(vocab):
    out = run(vocab, "A randomized trial",
              "Veterans were randomized to MDMA plus prolonged exposure or placebo plus "
              "prolonged exposure.")  # fmt: skip
    assert out["relation_to_established"] == C
    out = run(vocab, "A randomized trial",
              "Placebo comparator arm (placebo + cognitive processing therapy): the same "
              "sessions. Experimental arm (MDMA + cognitive processing therapy).")  # fmt: skip
    assert out["relation_to_established"] == C


def test_the_placebo_of_the_treatment_is_not_mdmas(vocab):
    out = run(vocab, "Sertraline pretreatment and MDMA effects in healthy volunteers",
              "Twenty healthy volunteers received MDMA after 7 days of sertraline 50 mg or "
              "placebo.")  # fmt: skip
    assert out["comparator"] == "placebo"
    assert out["relation_to_established"] == N
    assert "the placebo is the established treatment's" in out["highlight_reason"]


def test_recreational_use_is_never_an_arm(vocab):
    abstract = (
        "In a secondary analysis of a randomized trial of prolonged exposure versus "
        "sertraline, we compared veterans with lifetime ecstasy use with non-users."
    )
    out = run(vocab, "Ecstasy use and outcomes of prolonged exposure", abstract)
    assert out["involves_mdma"] is True
    assert out["relation_to_established"] == N and out["highlight"] is False


@pytest.mark.parametrize(
    ("highlight", "title", "abstract", "types"),
    [
        (False, "Ecstasy use and prolonged exposure outcomes in veterans: a cohort study",
         "Retrospective cohort of 900 veterans receiving prolonged exposure; ecstasy users "
         "versus non-users had similar outcomes.", []),
        (False, "MDMA-assisted therapy for PTSD: a randomised trial", "Adults with an inadequate "
         "response to prolonged exposure were randomised to MDMA-assisted therapy or placebo.", []),
        (False, "MDMA-assisted therapy for PTSD: a randomised trial", "Compared with placebo, MDMA "
         "reduced CAPS-5 among patients who had failed SSRIs.", []),
        (False, "MDMA enhances fear extinction in rats", "Rats received MDMA or vehicle during "
         "extinction training, a model of exposure therapy; fluoxetine was compared.", []),
        (False, "MDMA versus prolonged exposure: what should the next trial compare?",
         "In this commentary we argue that head-to-head trials are needed.", []),
        (False, "MDMA or prolonged exposure? A narrative review", "Narrative review.", ["Review"]),
        (False, "Pulmonary embolism in MDMA trials", "Pulmonary embolism (PE) was rarer with MDMA "
         "than with placebo; PE versus DVT rates were compared.", []),
        (False, "Cost-utility of MDMA-assisted therapy versus prolonged exposure: a Markov model",
         "We estimated costs over ten years with effect sizes from published trials.", []),
        (True, "Clinical and cost-effectiveness of MDMA-assisted therapy versus prolonged "
         "exposure: a randomised controlled trial", "", []),
        (True, "Cost-effectiveness of MDMA-assisted therapy versus prolonged exposure: an "
         "economic evaluation alongside a randomised trial", "", []),
        (False, "Why MDMA-assisted therapy must now be compared with EMDR",
         "In this perspective we argue for head-to-head trials.", []),
    ],
)  # fmt: skip
def test_traps(vocab, highlight, title, abstract, types):
    out = run(vocab, title, abstract, types)
    assert out["highlight"] is highlight, out["highlight_reason"]


@pytest.mark.parametrize(
    ("title", "abstract", "types", "design", "basis"),
    [
        ("A randomized controlled trial of MDMA-assisted PE versus PE: rationale and design",
         "Adults will be randomized.", [], "protocol", "title, protocol-title: 'rationale and "
         "design'"),
        ("MDMA-assisted EMDR versus EMDR: study protocol for a randomised controlled trial",
         "Randomised.", ["Randomized Controlled Trial"], "protocol", "title, protocol-title"),
        ("Interim results of a randomised trial of MDMA-assisted therapy versus EMDR",
         "This protocol-specified interim analysis included 40 adults.", [], "rct",
         "title, randomised"),
        ("MDMA versus sertraline", "Randomized trial.", ["Randomized Controlled Trial"], "rct",
         "publication type 'Randomized Controlled Trial'"),
        ("MDMA versus sertraline", "Adults were randomly assigned.", [], "rct",
         "abstract, randomised: 'randomly assigned'"),
        ("Study design and rationale for phase 3 trials based on pooled analysis of six trials",
         "Pooled analysis of six randomised trials.", [], "secondary-analysis",
         "abstract, secondary-analysis: 'Pooled analysis of'"),  # not a protocol
        ("MDMA versus EMDR", "A randomised trial.", ["Clinical Trial Protocol"], "protocol",
         "publication type 'Clinical Trial Protocol'"),
    ],
)  # fmt: skip
def test_design_from_the_strongest_evidence(vocab, title, abstract, types, design, basis):
    out = run(vocab, title, abstract, types)
    assert out["design"] == design, out["highlight_reason"]
    assert f"design {design} ({basis}" in out["highlight_reason"]


def test_a_registration_is_never_read_as_a_protocol(vocab):
    out = run(vocab, "MDMA-assisted CPT versus CPT: protocol for a randomised trial",
              "Randomized.", ["Trial Registration"])  # fmt: skip
    assert out["design"] == "rct"


def test_network_meta_analysis_of_classes(vocab):
    abstract = (
        "We included randomised trials of psychedelic-assisted therapies (MDMA, psilocybin) and "
        "first-line treatments (trauma-focused psychotherapies and SSRIs)."
    )
    out = run(vocab, "Psychedelic-assisted therapies versus first-line treatments: a network "
              "meta-analysis", abstract, ["Systematic Review"])  # fmt: skip
    assert out["relation_to_established"] == H and out["highlight"] is True
    assert "in-network-meta-analysis" in out["highlight_reason"]
    # the same sentence in a primary study is not a comparison
    out = run(vocab, "MDMA for PTSD: a randomised trial", abstract)
    assert out["relation_to_established"] != H


def _sentences():
    vocabulary = load_vocabulary({})
    for item in load_items(EVALUATION_FILES):
        yield from read_record(record_from_labelled(item), vocabulary).sentences


@pytest.mark.parametrize("cue", [c for c in CUES if c.names_mdma], ids=lambda c: c.name)
def test_cues_skipped_without_mdma_cannot_match_without_it(cue):
    """The rules skip a cue that names MDMA in a sentence without an MDMA token (speed);
    check on every sentence of the evaluation sets that it could not have matched there."""
    for sentence in _sentences():
        if "⟨M" not in sentence.tokens:
            assert not cue.regex.search(sentence.tokens), (cue.name, sentence.raw)
    stripped = re.sub(r"⟨M\d+⟩", "MDMA", "⟨M0⟩ plus ⟨E1⟩ and ⟨E2⟩ with ⟨M3⟩")
    assert not cue.regex.search(stripped)
