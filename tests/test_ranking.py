"""Prioritised screening: the ranking API, the metrics, the stopping rule, the ASReview
hand-off and the simulation (fast; asreview is not needed)."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from scipy.stats import hypergeom

from livescreen.prioritise import (
    ModelConfig,
    Ranked,
    StoppingEstimate,
    metrics,
    rank,
    read_asreview_labels,
    sample_order,
    stopping_estimate,
    write_asreview_dataset,
)
from livescreen.prioritise.features import tfidf
from livescreen.prioritise.simulate import (
    evaluate,
    load_dataset,
    main,
    priors_for_seed,
    replay,
)
from livescreen.prioritise.stopping import first_stop
from livescreen.review.decisions import Decision

RELEVANT = [
    "MDMA-assisted psychotherapy for PTSD: a randomised placebo-controlled phase 3 trial",
    "MDMA-assisted therapy combined with prolonged exposure for chronic PTSD, randomised",
    "Randomised trial of MDMA-assisted psychotherapy versus prolonged exposure in veterans",
    "Long-term follow-up of MDMA-assisted psychotherapy for posttraumatic stress disorder",
]
IRRELEVANT = [
    "Statin therapy and cardiovascular outcomes in elderly patients with hypertension",
    "Dietary sodium and blood pressure: a cohort study of hypertension in adults",
    "Knee osteoarthritis and physiotherapy: outcomes of exercise programmes",
    "Antibiotic resistance patterns in urinary tract infections in primary care",
    "Bone density after menopause: calcium and vitamin D supplementation",
    "Hypertension control with ACE inhibitors: a registry of cardiovascular outcomes",
]


def corpus():
    records, truth = [], {}
    for i, title in enumerate(RELEVANT * 3):
        rid = f"r{i:02d}"
        records.append(
            {
                "record_id": rid,
                "title": title,
                "abstract": f"Study {i}. " + title,
                "keywords": ["MDMA", "PTSD"],
                "mesh": "Stress Disorders, Post-Traumatic",
            }
        )
        truth[rid] = 1
    for i, title in enumerate(IRRELEVANT * 4):
        rid = f"x{i:02d}"
        records.append(
            {
                "record_id": rid,
                "title": title,
                "abstract": f"Report {i}. " + title,
                "keywords": "",
                "mesh": ["Hypertension"] if i % 2 else None,
            }
        )
        truth[rid] = 0
    return records, truth


# -- ranking -----------------------------------------------------------------------------------


def test_fast_tfidf_equals_scikit_learn():
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [r["title"] + "\n" + r["abstract"] for r in corpus()[0]] + ["", "Ünïcode wörds"]
    for max_df, max_n in ((1.0, 2), (0.95, 2), (0.5, 1)):
        ours, names = tfidf(texts, max_n=max_n, max_df=max_df)
        vectoriser = TfidfVectorizer(ngram_range=(1, max_n), sublinear_tf=True, max_df=max_df)
        theirs = vectoriser.fit_transform(texts)
        column = {t: j for j, t in enumerate(vectoriser.get_feature_names_out())}
        order = [column[t] for t in names.all()]
        assert ours.shape == theirs.shape
        assert abs(ours - theirs[:, order]).max() < 1e-12


def test_nothing_is_ranked_without_one_include_and_one_exclude():
    records, _ = corpus()
    assert rank(records, {}) == {}
    assert rank(records, {"r00": "include", "r01": "include"}) == {}
    assert rank(records, {"x00": "exclude", "r00": "maybe"}) == {}
    ranked = rank(records, {"r00": "include", "x00": "exclude"})
    assert len(ranked) == len(records) - 2
    assert sorted(r.priority for r in ranked.values()) == list(range(1, len(records) - 1))


def test_relevant_records_are_ranked_first_with_their_terms():
    records, truth = corpus()
    decisions = {
        "r00": "include",
        "r01": "include",
        "x00": "exclude",
        "x01": "exclude",
        "x02": "Exclude",
        "r02": "maybe",
        "x03": "",
    }
    ranked = rank(records, decisions)
    assert set(ranked) == {r["record_id"] for r in records} - {"r00", "r01", "x00", "x01", "x02"}
    order = sorted(ranked.values(), key=lambda r: r.priority)
    n_relevant = sum(truth[r.record_id] for r in order)
    assert all(truth[r.record_id] == 1 for r in order[:n_relevant])  # every include first
    assert all(isinstance(r, Ranked) for r in order)
    assert order[0].relevance >= order[-1].relevance
    assert any("mdma-assisted" in r.priority_reason for r in order[:n_relevant])
    assert all("ptsd randomised" not in r.priority_reason for r in order)  # across a comma
    assert len(order[0].priority_reason.split(", ")) == 3
    words = [w for term in order[0].priority_reason.split(", ") for w in term.split()]
    assert len(words) == len(set(words))  # no word twice ("prolonged exposure", "exposure")


def test_ranking_is_deterministic_and_independent_of_input_order():
    records, _ = corpus()
    decisions = {"r00": "include", "x00": "exclude", "x05": "exclude"}
    first = rank(records, decisions)
    assert rank(records, decisions) == first
    assert rank(list(reversed(records)), dict(reversed(decisions.items()))) == first
    as_objects = {rid: Decision(rid, decision=d) for rid, d in decisions.items()}
    assert rank(records, as_objects) == first
    other = rank(records, decisions, ModelConfig(classifier="logistic", C=1.0))
    assert set(other) == set(first)


def test_records_may_use_pmid_and_lack_fields():
    records = [
        {"pmid": "1", "title": "MDMA PTSD trial"},
        {"pmid": "2", "title": "statins"},
        {"pmid": "3", "title": "MDMA-assisted PTSD therapy", "abstract": None},
        {"pmid": "4"},
    ]
    ranked = rank(records, {"1": "include", "2": "exclude"})
    assert [ranked[k].priority for k in ("3", "4")] == [1, 2]
    assert ranked["4"].priority_reason == ""


# -- metrics ------------------------------------------------------------------------------------

TOY = [1, 1, 0, 1, 0, 0, 0, 0, 0, 0]  # N = 10, 3 includes, found after 1, 2 and 4 records


def test_metrics_on_a_hand_computed_order():
    assert metrics.records_to_recall(TOY, 0.95) == 4  # ceil(0.95 x 3) = 3 includes
    assert metrics.wss(TOY, 0.95) == pytest.approx((10 - 4) / 10 - 0.05)
    assert metrics.wss(TOY, 1.0) == pytest.approx(0.6)
    assert metrics.rrf(TOY, 0.10) == pytest.approx(1 / 3)  # 1 record read: 1 of 3
    assert metrics.rrf(TOY, 0.40) == pytest.approx(1.0)
    assert metrics.atd(TOY) == pytest.approx((1 + 2 + 4) / 3)
    # loss: perfect area 3 x (10 - 1) = 27, this order's 26, range 3 x 7 = 21
    assert metrics.loss(TOY) == pytest.approx(1 / 21)
    # asreview-insights: random baseline round(linspace(0, 3, 10)) finds the 2nd include at
    # record 6, this order at record 2: (5 - 1) / 10 at recall 2/3 (the last step <= 0.95)
    assert metrics.wss_insights(TOY, 0.95) == pytest.approx(0.4)
    assert metrics.loss([1, 1, 1, 0, 0]) == 0.0
    assert metrics.loss([0, 0, 1, 1, 1]) == 1.0
    x, y = metrics.recall_curve(TOY)
    assert x[3] == 4 and y[3] == 1.0
    with pytest.raises(ValueError):
        metrics.wss([0, 0, 0])


# -- stopping rule ------------------------------------------------------------------------------


def brute_force_ranked_p(labels, n_total, target):
    """buscar's calculate_h0 (bias 1): every run of last records as the urn."""
    labels = np.asarray(labels)
    found = labels.sum()
    urns = labels[::-1]
    sizes = np.arange(urns.size) + 1
    k_hat = np.floor(found / target + 1 - (found - urns.cumsum()))
    return hypergeom.cdf(urns.cumsum(), n_total - (urns.size - sizes), k_hat, sizes).min()


def test_ranked_rule_matches_buscar_and_stops_when_it_should():
    rng = np.random.default_rng(3)
    for _ in range(20):
        labels = (rng.random(rng.integers(50, 400)) < 0.1).astype(int)
        ours = stopping_estimate(labels, 1000, 0.9).p_value
        assert ours == pytest.approx(brute_force_ranked_p(labels, 1000, 0.9), abs=1e-12)
    # 20 includes found in the first 40 records of 1,000, then only excludes:
    labels = [1, 0] * 20 + [0] * 800
    estimate = stopping_estimate(labels, 1000, recall_target=0.95, confidence=0.95)
    assert isinstance(estimate, StoppingEstimate) and estimate.method == "ranked"
    assert estimate.stop and estimate.more_to_screen == 0 and estimate.p_value < 0.05
    assert estimate.includes_found == 20 and estimate.n_screened == 840
    assert estimate.recall_lower_bound >= 0.95 - 1e-9 and estimate.estimated_recall >= 0.95
    early = stopping_estimate(labels[:100], 1000)
    assert not early.stop and early.more_to_screen > 0
    assert stopping_estimate(labels[:100] + [0] * early.more_to_screen, 1000).stop
    assert not stopping_estimate(labels[:100] + [0] * (early.more_to_screen - 1), 1000).stop
    text = "\n".join(early.summary_lines())
    assert "95%" in text and "Not yet" in text and "Assumes:" in text


def test_sample_rule_p_value_is_the_papers_hypergeometric_test():
    # 30 includes in the ranked part; then 400 random records of the 1,500 left hold 1
    labels = [1] * 30 + [0] * 70 + [0] * 200 + [1] + [0] * 199
    estimate = stopping_estimate(labels, 1600, 0.95, 0.95, sample_start=100)
    k_tar = math.floor(31 / 0.95 - 30 + 1)  # includes left at the start of sampling, under H0
    assert estimate.p_value == pytest.approx(hypergeom.cdf(1, 1500, k_tar, 400))
    assert estimate.sample_size == 400 and estimate.method == "sample"
    assert "random sample" in estimate.summary_lines()[0]


def test_sample_rule_rarely_stops_short_of_the_target():
    """Reliability on synthetic reviews whose ranked part found only 36 of 40 includes:
    the rule may stop short of 95 % recall in at most about 5 % of random samples."""
    n_total, short = 600, 0
    for seed in range(60):
        rng = np.random.default_rng(seed)
        left = np.zeros(n_total - 100, dtype=int)
        left[:4] = 1  # 4 includes left among 500 records
        sequence = np.concatenate([[1] * 36 + [0] * 64, rng.permutation(left)])
        at = first_stop(sequence, n_total, 0.95, 0.95, sample_start=100)
        if at is not None and sequence[:at].sum() / 40 < 0.95:
            short += 1
    assert short <= 6


def test_sample_order_is_fixed_and_ignores_input_order():
    ids = [f"id{i}" for i in range(50)]
    assert sample_order(ids) == sample_order(list(reversed(ids)))
    assert sorted(sample_order(ids)) == sorted(ids) and sample_order(ids) != sorted(ids)


# -- ASReview hand-off ------------------------------------------------------------------------


def test_asreview_csv_round_trip(tmp_path):
    records, _ = corpus()
    records[0]["doi"] = "10.1000/abc"
    records[1]["doi"] = "10.1000/DEF"
    records[4]["title"] = "A title no other record has"
    decisions = {"r00": "include", "x00": "exclude", "r05": "maybe"}
    path = tmp_path / "for_asreview.csv"
    assert write_asreview_dataset(path, records, decisions) == len(records)
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["label_included"] == "1" and rows[0]["keywords"].startswith("MDMA; PTSD")
    assert {r["record_id"]: r["label_included"] for r in rows}["x00"] == "0"
    assert {r["record_id"]: r["label_included"] for r in rows}["r05"] == ""
    # ASReview's export: the input columns (record_id kept) and asreview_label
    for row in rows:
        row["asreview_label"] = {"r00": "1", "x00": "0", "r03": "1", "x01": "0"}.get(
            row["record_id"], ""
        )
    by_doi = dict(rows[1], record_id="", title="another title", asreview_label="1")
    by_title = dict(rows[4], record_id="999", doi="", asreview_label="0")
    stranger = dict(rows[5], record_id="", doi="", title="Not in the review", asreview_label="1")
    shared_title = dict(rows[8], record_id="", doi="", asreview_label="1")  # r00, r04, r08
    exported = tmp_path / "asreview_export.csv"
    with open(exported, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["", *rows[0]])
        writer.writeheader()
        for i, row in enumerate([*rows, by_doi, by_title, stranger, shared_title]):
            writer.writerow({"": i, **row})
    imported = read_asreview_labels(exported, records)
    assert imported.decisions["r00"] == "include" and imported.decisions["x00"] == "exclude"
    assert imported.decisions["r03"] == "include" and imported.decisions["x01"] == "exclude"
    assert imported.matched_by["r01"] == "doi" and imported.decisions["r01"] == "include"
    assert imported.matched_by["r00"] == "record_id"
    assert len(imported.unmatched) == 2 and "Not in the review" in imported.unmatched[0]
    assert "r08" not in imported.decisions  # a title several records share matches none
    assert imported.matched_by["r04"] == "title" and imported.decisions["r04"] == "exclude"
    assert "decisions read from ASReview" in imported.summary()


def test_asreview_ris_and_xlsx_round_trip(tmp_path):
    records, _ = corpus()
    decisions = {"r00": "include", "x00": "exclude", "x03": "exclude"}
    for name in ("out.ris", "out.xlsx", "out.tsv"):
        path = tmp_path / name
        write_asreview_dataset(path, records, decisions)
        assert read_asreview_labels(path, records).decisions == decisions


def test_conflicting_rows_are_left_out(tmp_path):
    records, _ = corpus()
    path = tmp_path / "export.csv"
    path.write_text("record_id,title,asreview_label\nr00,x,1\nr00,x,0\nx00,y,0\n")
    imported = read_asreview_labels(path, records)
    assert imported.decisions == {"x00": "exclude"} and imported.conflicts == ["r00"]


# -- simulation -----------------------------------------------------------------------------


def toy_dataset(tmp_path):
    records, truth = corpus()
    path = tmp_path / "toy.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["record_id", "title", "abstract", "keywords", "label_included", "duplicate_record_id"]
        )
        for r in records:
            writer.writerow(
                [
                    r["record_id"],
                    r["title"],
                    r["abstract"],
                    "; ".join(r["keywords"]) if r["keywords"] else "",
                    truth[r["record_id"]],
                    "",
                ]
            )
        writer.writerow(["dup", RELEVANT[0], "", "", 1, "r00"])
        writer.writerow(["nolabel", RELEVANT[1], "", "", "", ""])
    return path


def test_replay_and_figures(tmp_path):
    dataset = load_dataset(toy_dataset(tmp_path))
    assert dataset.dropped_duplicates == 1 and dataset.dropped_unlabelled == 1
    assert dataset.labels.size == 36 and dataset.n_includes == 12
    priors = priors_for_seed(dataset.labels, 0)
    assert dataset.labels[priors].tolist() == [1, 0]
    first = replay(dataset, priors, seed=0)
    assert replay(dataset, priors, seed=0).order.tolist() == first.order.tolist()
    assert dataset.labels[first.order].sum() == 12  # ends at the last include
    (result,) = evaluate([first], dataset.labels)
    assert result.figures["wss100"] > 0.5 and result.figures["loss"] < 0.05
    assert set(result.stops) == {"ranked", "sample"}


def test_a_ris_file_with_asreview_notes_can_be_simulated(tmp_path):
    records, truth = corpus()
    path = tmp_path / "labelled.ris"
    write_asreview_dataset(
        path, records, {r: "include" if t else "exclude" for r, t in truth.items()}
    )
    dataset = load_dataset(path)
    assert dataset.labels.size == len(records) and dataset.n_includes == 12
    assert dataset.records[0]["keywords"][:2] == ["MDMA", "PTSD"]


def test_simulate_command(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("LIVESCREEN_ASREVIEW_PYTHON", raising=False)
    data = toy_dataset(tmp_path)
    assert main([str(data), "--seeds", "2", "--out", str(tmp_path / "out")]) == 0
    output = capsys.readouterr().out.strip().splitlines()
    assert output[-1].startswith("livescreen: WSS@95 ") and "(mean of 2 seeds)" in output[-1]
    assert (tmp_path / "out" / "toy_recall.png").stat().st_size > 1000
    assert main([str(tmp_path / "missing.csv")]) == 1
    assert main([str(data), "--label-column", "nope"]) == 1


def test_screening_labels_follow_the_decision_store(tmp_path):
    from livescreen.prioritise import screening_labels
    from livescreen.review.decisions import (
        Decision,
        append_entries,
        current_decisions,
        read_store,
        store_entry,
    )

    store = tmp_path / "decisions.csv"
    stamp = "2026-12-01T10:00:00+00:00"
    entries = [
        store_entry(Decision("a", decision="exclude"), "decided", stamp),
        store_entry(Decision("b", decision="include"), "decided", stamp),
        store_entry(Decision("c", decision="maybe"), "decided", stamp),
        store_entry(Decision("a", decision="include"), "decided", stamp),  # changed later
        store_entry(Decision("d", decision="exclude"), "decided", stamp),
    ]
    append_entries(store, entries)
    # first decided a, b, c, d; a is now an include, c (maybe) is undecided
    history = read_store(store)
    assert screening_labels(history, current_decisions(history)) == [1, 1, 0]
