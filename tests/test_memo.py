"""Work read back instead of done again (`livescreen.memo`): only for the same data and code,
never a stale or altered result."""

from __future__ import annotations

import pickle
from collections import Counter

from livescreen import memo
from livescreen.dedup import deduplicate
from livescreen.dedup.works import cross_source
from livescreen.export.report import YearCounts, records_per_year
from livescreen.fetch import RecordStore, parse_stored
from livescreen.files import read_jsonl


class Calls:
    def __init__(self, result=None):
        self.count, self.result = 0, result

    def __call__(self):
        self.count += 1
        return self.result


def test_value_is_computed_once_for_the_same_data(tmp_path):
    compute = Calls({"clusters": [1, 2]})
    assert memo.value(tmp_path, "slot", ["a", 1], compute) == {"clusters": [1, 2]}
    assert memo.value(tmp_path, "slot", ["a", 1], compute) == {"clusters": [1, 2]}
    assert compute.count == 1
    assert memo.value(tmp_path, "slot", ["a", 2], compute) == {"clusters": [1, 2]}
    assert compute.count == 2  # other data: computed again


def test_value_without_a_folder_is_always_computed():
    compute = Calls(3)
    memo.value(None, "slot", 1, compute)
    memo.value(None, "slot", 1, compute)
    assert compute.count == 2


def test_a_damaged_or_foreign_entry_is_computed_again(tmp_path):
    compute = Calls("fresh")
    memo.value(tmp_path, "slot", 1, compute)
    (tmp_path / "slot.pickle").write_bytes(b"\x80\x05 not a pickle")
    assert memo.value(tmp_path, "slot", 1, compute) == "fresh"
    (tmp_path / "slot.pickle").write_bytes(pickle.dumps(["no", "key"]))
    assert memo.value(tmp_path, "slot", 1, compute) == "fresh"
    assert compute.count == 3


def test_a_code_change_misses(tmp_path, monkeypatch):
    compute = Calls("x")
    memo.value(tmp_path, "slot", 1, compute)
    monkeypatch.setattr(memo, "code_fingerprint", lambda: b"another version")
    memo.value(tmp_path, "slot", 1, compute)
    assert compute.count == 2


def test_the_code_fingerprint_covers_livescreen_sources():
    assert memo.code_fingerprint() == memo.code_fingerprint()
    assert len(memo.code_fingerprint()) == 32


def _maker(paths, text):
    calls = Calls()

    def make():
        calls.count += 1
        for path in paths:
            path.write_text(f"{text} {path.name}", encoding="utf-8")

    return make, calls


def test_files_are_copied_back_after_snakemake_deleted_them(tmp_path):
    outputs = [tmp_path / "out" / "a.svg", tmp_path / "out" / "a.png"]
    outputs[0].parent.mkdir()
    make, calls = _maker(outputs, "drawn")
    assert memo.files(tmp_path / "memo", "figure", {"n": 1}, outputs, make) is True
    for path in outputs:  # what Snakemake does before a job runs
        path.unlink()
    assert memo.files(tmp_path / "memo", "figure", {"n": 1}, outputs, make) is False
    assert calls.count == 1
    assert [p.read_text(encoding="utf-8") for p in outputs] == ["drawn a.svg", "drawn a.png"]


def test_other_data_or_an_altered_copy_draws_again(tmp_path):
    outputs = [tmp_path / "a.svg"]
    make, calls = _maker(outputs, "drawn")
    memo.files(tmp_path / "memo", "figure", {"n": 1}, outputs, make)
    memo.files(tmp_path / "memo", "figure", {"n": 2}, outputs, make)
    assert calls.count == 2
    (tmp_path / "memo" / "figure" / "0").write_text("tampered", encoding="utf-8")
    assert memo.files(tmp_path / "memo", "figure", {"n": 2}, outputs, make) is True
    assert outputs[0].read_text(encoding="utf-8") == "drawn a.svg"
    (tmp_path / "memo" / "figure" / "manifest.json").write_text("{", encoding="utf-8")
    assert memo.files(tmp_path / "memo", "figure", {"n": 2}, outputs, make) is True
    assert calls.count == 4


def test_the_heat_map_read_back_is_the_one_drawn(tmp_path):
    counts = YearCounts(to_screen=Counter({("fear", 2020): 3, ("fear", 2022): 1}))
    drawn = [tmp_path / "drawn.svg", tmp_path / "drawn.png"]
    records_per_year(counts, ["fear"], "2024-06-01", *drawn)  # no memo: drawn
    kept = [tmp_path / "kept.svg", tmp_path / "kept.png"]
    for _ in range(2):
        records_per_year(counts, ["fear"], "2024-06-01", *kept, memo=tmp_path / "memo")
        assert [p.read_bytes() for p in kept] == [p.read_bytes() for p in drawn]
        for path in kept:
            path.unlink()
    more = YearCounts(to_screen=Counter({("fear", 2020): 4, ("fear", 2022): 1}))
    records_per_year(more, ["fear"], "2024-06-01", *kept, memo=tmp_path / "memo")
    assert kept[1].read_bytes() != drawn[1].read_bytes()


def test_works_from_read_back_clusters_are_the_works_computed(tmp_path):
    pubmed = [
        {"pmid": "1", "title": "MDMA-assisted therapy for PTSD: a randomised trial",
         "authors": ["Mitchell JM"], "year": 2021, "journal": "Nat Med", "doi": "10.1/a"},
        {"pmid": "2", "title": "Fear extinction after MDMA", "authors": ["Feduccia AA"],
         "year": 2018, "journal": "Front Psychiatry"},
    ]  # fmt: skip
    others = [
        {"record_id": "europepmc:MED/1", "source": "Europe PMC", "pmid": "1",
         "title": "MDMA-assisted therapy for PTSD: a randomised trial",
         "authors": ["Mitchell JM"], "year": 2021, "journal": "Nat Med", "doi": "10.1/a"},
        {"record_id": "europepmc:PPR/9", "source": "Europe PMC", "searched": "2026-12-02",
         "title": "Openness after MDMA therapy", "authors": ["Wagner MT"], "year": 2024},
    ]  # fmt: skip
    mechanisms = {"1": ["fear_extinction"], "2": ["fear_extinction"]}
    computed = Calls()

    def cluster(copies, **options):
        def compute():
            computed.count += 1
            return deduplicate(copies, **options)

        return memo.value(tmp_path, "deduplicate", (copies, options), compute)

    fresh = cross_source(pubmed, mechanisms, others)
    first = cross_source(pubmed, mechanisms, others, cluster=cluster)
    again = cross_source(pubmed, mechanisms, others, cluster=cluster)
    assert computed.count == 1
    assert first == fresh and again == fresh
    assert len(fresh.works) == 3
    # the next day's search: the same records, only the date they were searched differs
    tomorrow = [{**r, "searched": "2026-12-03"} for r in others]
    read_back = cross_source(pubmed, mechanisms, tomorrow, cluster=cluster)
    assert computed.count == 1
    assert read_back == cross_source(pubmed, mechanisms, tomorrow)
    assert read_back.works[2].record["searched"] == "2026-12-03"  # the row shows today's


def _article(pmid: str, title: str) -> bytes:
    return (
        f"<PubmedArticle><MedlineCitation><PMID>{pmid}</PMID><Article>"
        f"<ArticleTitle>{title}</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
    ).encode()


def test_the_parse_of_unchanged_stored_xml_is_read_back_and_a_revision_parsed(tmp_path):
    store = RecordStore(tmp_path / "store")
    store.put([("1", _article("1", "MDMA and fear extinction")),
               ("2", _article("2", "Alliance in MDMA therapy"))], "test")  # fmt: skip
    target, folder = tmp_path / "records.jsonl", tmp_path / "memo"
    assert parse_stored(store, ["1", "2"], target, folder) is True
    first = target.read_bytes()
    target.unlink()  # Snakemake deletes the output before the job runs
    assert parse_stored(store, ["1", "2"], target, folder) is False
    assert target.read_bytes() == first
    store.replace([("2", _article("2", "Alliance in MDMA therapy (corrected)"))], "test")
    assert parse_stored(store, ["1", "2"], target, folder) is True
    assert [r["title"] for r in read_jsonl(target)] == [
        "MDMA and fear extinction",
        "Alliance in MDMA therapy (corrected)",
    ]
    assert parse_stored(store, ["1"], target, folder) is True  # other PMIDs: parsed
