"""What a run found that earlier runs had not, or no longer find."""

from livescreen.review.updates import compare, observation


def obs(record_id, **fields):
    record = {"title": f"Title {record_id}", "pub_date": "2024", **fields}
    return observation(record, record_id, "publication")


def test_first_run_everything_is_new():
    seen, changes = compare([obs("1"), obs("2")], {}, "T1")
    assert {c["change"] for c in changes} == {"new"}
    assert seen["1"]["first_seen"] == seen["1"]["last_seen"] == "T1"


def test_rerun_tracks_changes_and_keeps_first_seen():
    seen, _ = compare([obs("1"), obs("2"), obs("3")], {}, "T1")
    now = [
        obs("1"),  # unchanged
        obs("2", title="Title 2 (corrected)", errata=["Erratum in: J X (PMID 9)"]),
        obs("4"),  # new
        obs("5", retracted=True),
    ]
    seen["5"] = {**obs("5"), "first_seen": "T0", "last_seen": "T0"}
    after, changes = compare(now, seen, "T2")
    kinds = sorted((c["record_id"], c["change"]) for c in changes)
    assert kinds == [
        ("2", "corrected"),
        ("2", "metadata_changed"),
        ("3", "no_longer_found"),
        ("4", "new"),
        ("5", "newly_retracted"),
    ]
    assert after["1"]["first_seen"] == "T1" and after["1"]["last_seen"] == "T2"
    assert after["3"]["last_seen"] == "T1"  # kept, so its decision stays in view
