"""One job, several tasks in threads, one log each (livescreen.logs.each_logged): how the
searches of every keyword run in one job."""

import logging
import threading

import pytest

from livescreen.errors import LivescreenError
from livescreen.logs import each_logged


def test_each_task_logs_to_its_own_file_only_even_from_library_code(tmp_path):
    logs = {name: tmp_path / f"{name}.log" for name in ("a", "b", "c", "d")}
    both_running = threading.Barrier(2, timeout=10)  # two tasks log at the same time

    def task(name, log):
        if name in {"a", "b"}:
            both_running.wait()
        log.info("task %s", name)
        logging.getLogger("livescreen.sources.eutils").info("request for %s", name)

    each_logged(logs, task, workers=2)
    for name, path in logs.items():
        lines = path.read_text().splitlines()
        assert len(lines) == 2, lines
        assert lines[0].endswith(f"task {name}") and lines[1].endswith(f"request for {name}")


def test_every_task_runs_when_one_fails_and_the_failure_is_raised_and_logged(tmp_path):
    logs = {name: tmp_path / f"{name}.log" for name in ("a", "b", "c")}
    ran = []

    def task(name, log):
        ran.append(name)
        if name == "b":
            raise LivescreenError("keyword 'b': esearch failed")
        log.info("done %s", name)

    with pytest.raises(LivescreenError, match="keyword 'b': esearch failed"):
        each_logged(logs, task, workers=1)
    assert sorted(ran) == ["a", "b", "c"]
    assert "LivescreenError: keyword 'b': esearch failed" in logs["b"].read_text()
    assert "done c" in logs["c"].read_text() and "esearch" not in logs["c"].read_text()


def test_the_callers_logging_is_put_back(tmp_path):
    logger = logging.getLogger("livescreen")
    handler = logging.NullHandler()
    logger.handlers[:] = [handler]
    logger.setLevel(logging.WARNING)
    try:
        each_logged({"a": tmp_path / "a.log"}, lambda name, log: log.info("x"))
        assert logger.handlers == [handler] and logger.level == logging.WARNING
    finally:
        logger.handlers[:] = []
        logger.setLevel(logging.NOTSET)


def test_several_failures_are_named_together(tmp_path):
    logs = {name: tmp_path / f"{name}.log" for name in ("a", "b", "c")}

    def task(name, log):
        if name != "b":
            raise LivescreenError(f"keyword {name!r} failed")

    with pytest.raises(LivescreenError, match=r"2 of 3 failed \(a, c\); first: keyword 'a'"):
        each_logged(logs, task)
