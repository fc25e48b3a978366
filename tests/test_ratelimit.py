import multiprocessing
import time

from livescreen.ratelimit import SharedRateLimiter


def _take(args):
    lock_dir, key, count = args
    limiter = SharedRateLimiter(3, key, lock_dir=lock_dir)
    times = []
    for _ in range(count):
        limiter.acquire()
        times.append(time.time())
    return times


def _max_in_window(times, window=1.0):
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t - start < window) for i, start in enumerate(times))


def test_limit_holds_summed_over_processes(tmp_path):
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        per_process = pool.map(_take, [(tmp_path, "server-a", 3)] * 4)
    times = [t for chunk in per_process for t in chunk]
    assert len(times) == 12
    assert _max_in_window(times) <= 3


def test_limiters_for_different_servers_do_not_share_a_budget(tmp_path):
    a = SharedRateLimiter(1, "server-a", lock_dir=tmp_path)
    b = SharedRateLimiter(1, "server-b", lock_dir=tmp_path)
    assert a.path != b.path
    assert a.acquire() == 0.0
    assert b.acquire() == 0.0  # b has its own window: no wait


def test_torn_state_file_is_ignored(tmp_path):
    limiter = SharedRateLimiter(2, "server-a", lock_dir=tmp_path)
    limiter.path.write_text("not-a-number\n")
    assert limiter.acquire() == 0.0
