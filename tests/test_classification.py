"""The classify step: parallel and cached runs give exactly the serial classification."""

import json

from livescreen.classify.batch import ClassificationCache, classify_file

SETTINGS = {"essay_date": "2021-09-03", "vocabulary": {}}


def records_file(tmp_path, snapshot, copies=3):
    """The bundled snapshot's parsed records, each repeated under new PMIDs."""
    records = [
        dict(record, pmid=f"{record['pmid']}{n}")
        for n in range(copies)
        for record in snapshot.records
    ]
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path, len(records)


def lines(path):
    return path.read_text(encoding="utf-8").splitlines()


def test_two_processes_and_the_cache_give_the_serial_output_in_order(tmp_path, snapshot):
    source, n = records_file(tmp_path, snapshot)
    serial, parallel, cached = (
        tmp_path / "serial.jsonl",
        tmp_path / "par.jsonl",
        tmp_path / "c.jsonl",
    )
    classify_file(source, serial, SETTINGS, threads=1)
    first = classify_file(source, parallel, SETTINGS, threads=2, cache=tmp_path / "cache.sqlite")
    again = classify_file(source, cached, SETTINGS, threads=2, cache=tmp_path / "cache.sqlite")
    assert lines(serial) == lines(parallel) == lines(cached)
    assert first["records"] == again["records"] == n
    unique = len({line for line in lines(source)})
    assert (first["classified"], again["classified"], again["from_cache"]) == (unique, 0, n)


def test_changed_settings_or_records_are_classified_again(tmp_path, snapshot):
    source, n = records_file(tmp_path, snapshot, copies=1)
    cache = tmp_path / "cache.sqlite"
    classify_file(source, tmp_path / "a.jsonl", SETTINGS, cache=cache)
    later = {**SETTINGS, "essay_date": "2023-01-01"}
    assert classify_file(source, tmp_path / "b.jsonl", later, cache=cache)["from_cache"] == 0
    records = [json.loads(line) for line in lines(source)]
    records[0]["title"] = records[0]["title"] + " (corrected)"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    counts = classify_file(source, tmp_path / "c.jsonl", later, cache=cache)
    assert (counts["classified"], counts["from_cache"]) == (1, n - 1)
    assert ClassificationCache(cache).get(["missing"]) == {}


def test_progress_of_a_long_step_is_a_few_plain_lines(capsys):
    from livescreen.logs import Progress

    progress = Progress("classifying records", 1000)
    for done in range(0, 1001, 50):
        progress.advance(done)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "livescreen: classifying records: 100 of 1,000 (10%)"
    assert lines[-1] == "livescreen: classifying records: 1,000 of 1,000 (100%)"
    assert len(lines) == 10 and not any("\r" in line for line in lines)


def test_the_classification_is_added_to_the_line_as_a_merge_would_add_it():
    from livescreen.classify.batch import MERGE, _highlighted, addition, with_classification

    classification = {"design": "rct", "retracted": False, "highlight": True}
    record = {"pmid": "1", "title": "Ça va — \"design\": no", "n": [1, {"x": None}]}
    for held in ({}, {"retracted": False}):  # a parsed record holds `retracted` already
        whole = {**record, **held}
        added = addition(whole, classification)
        assert not added.startswith(MERGE)
        for line in (json.dumps(whole, ensure_ascii=False), json.dumps(whole)):
            out = with_classification(line, added)
            assert json.loads(out) == {**whole, **classification}
            assert out.startswith(line[:-1])  # the record's own text, kept as it was
            assert out.count('"retracted":') == 1 and _highlighted(line, added)
    # a column held with another value (True is not 1 in JSON): merged, written once, the
    # classification's value kept
    for held in ({"design": "other"}, {"retracted": 0}, {"retracted": True}):
        line = json.dumps({**record, **held})
        added = addition({**record, **held}, classification)
        assert added.startswith(MERGE)
        out = with_classification(line, added)
        assert json.loads(out) == {**record, **classification}
        assert all(out.count(f'"{column}":') == 1 for column in classification)
    assert json.loads(with_classification("{}", addition({}, classification))) == classification
    # every column held with the same value: the line as it was; highlight read from it
    same = json.dumps({**record, **classification})
    assert addition(json.loads(same), classification) == "{}"
    assert with_classification(same, "{}") == same and _highlighted(same, "{}")


def test_an_entry_kept_in_another_form_is_not_read(tmp_path, snapshot, monkeypatch):
    from livescreen.classify import batch

    source, n = records_file(tmp_path, snapshot, copies=1)
    cache = tmp_path / "cache.sqlite"
    classify_file(source, tmp_path / "a.jsonl", SETTINGS, cache=cache)
    monkeypatch.setattr(batch, "CACHE_FORM", "a later form")
    counts = classify_file(source, tmp_path / "b.jsonl", SETTINGS, cache=cache)
    assert (counts["from_cache"], counts["classified"]) == (0, n)
    assert lines(tmp_path / "a.jsonl") == lines(tmp_path / "b.jsonl")


def test_a_run_with_every_record_in_the_cache_loads_no_classifier(tmp_path, snapshot, monkeypatch):
    from livescreen.classify import batch

    source, n = records_file(tmp_path, snapshot, copies=1)
    cache = tmp_path / "cache.sqlite"
    classify_file(source, tmp_path / "a.jsonl", SETTINGS, threads=2, cache=cache)

    def no_loading(settings):
        raise AssertionError("the classifier was loaded although every record is cached")

    monkeypatch.setattr(batch, "_start_worker", no_loading)
    counts = classify_file(source, tmp_path / "b.jsonl", SETTINGS, threads=2, cache=cache)
    assert counts["from_cache"] == n and lines(tmp_path / "a.jsonl") == lines(tmp_path / "b.jsonl")
