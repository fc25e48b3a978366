"""Where a workflow run's time goes: py-spy over `snakemake --cores N` and every job it
starts (--subprocesses), for the cold run and the no-change rerun of bench_requests.py
(same stand-ins, same corpus). Prints CPU seconds sampled per job (rule) and the hottest
functions of the busiest jobs. py-spy slows the run a little: time with bench_requests.py,
explain with this.

    python benchmarks/profile_workflow.py                  # --cores 4, no API key, U=2000
    python benchmarks/profile_workflow.py --cores 1 --out /tmp/profiles
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402
import bench_requests as br  # noqa: E402

PY_SPY = str(Path(sys.executable).with_name("py-spy"))
RATE = 100  # samples per second


def summarise(raw: Path, top: int) -> None:
    by_job: collections.Counter[str] = collections.Counter()
    self_time: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    total_time: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        # a child's stacks come after its parents' "process N:"cmdline"" frames: keep the last
        processes = list(re.finditer(r'process \d+:"([^"]*)"', stack))
        if not processes:
            continue
        command = processes[-1].group(1)
        frames = stack[processes[-1].end() :].lstrip(";")
        rule = re.search(r"\.snakemake/scripts/tmp\w+?\.(\w+)\.py", command)
        # the main process, or a helper it runs; py-spy may read an empty command line
        job = (
            rule.group(1)
            if rule
            else (
                "snakemake (main process)"
                if "snakemake" in command or not command
                else command[:60]
            )
        )
        n = int(count)
        by_job[job] += n
        names = [f for f in frames.split(";") if f]
        if names:
            self_time[job][names[-1]] += n
            for name in set(names):
                total_time[job][name] += n
    print(f"{'job (rule)':<28}{'CPU s':>8}")
    for job, n in by_job.most_common():
        print(f"{job:<28}{n / RATE:>8.2f}")
    for job, _n in by_job.most_common(3):
        print(f"\n{job}: hottest functions (self CPU s)")
        for name, n in self_time[job].most_common(top):
            print(f"    {n / RATE:>7.2f}  {name}")
        print(f"{job}: inclusive CPU s (livescreen functions)")
        shown = [(k, v) for k, v in total_time[job].most_common() if "livescreen/" in k][:top]
        for name, n in shown:
            print(f"    {n / RATE:>7.2f}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--unique", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--cores", type=int, default=4)
    parser.add_argument("--key", choices=sorted(br.RATES), default="none")
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument("--out", type=Path, help="keep the raw py-spy files here")
    args = parser.parse_args()

    _common.print_machine("workflow profile (py-spy)")
    base = Path(tempfile.mkdtemp(prefix="livescreen-bench-profile-"))
    out = args.out or base
    out.mkdir(parents=True, exist_ok=True)
    try:
        with br.Servers(args.unique, _common.fixture_articles()) as servers:
            workdir = br.copy_project(base / "project", servers.ctgov.base_url)
            for name, extra in (
                ("cold", []),
                ("rerun", ["--forcerun", "search", "registry_search"]),
            ):
                raw = out / f"{name}-cores{args.cores}-{args.key}.txt"
                br.COMMAND_PREFIX = [
                    PY_SPY,
                    "record",
                    "--subprocesses",
                    "--rate",
                    str(RATE),
                    "--format",
                    "raw",
                    "--output",
                    str(raw),
                    "--",
                ]
                try:
                    run = br.measure(servers, workdir, args.cores, args.key, extra, args.batch)
                finally:
                    br.COMMAND_PREFIX = []
                print(
                    f"\n### {name} run under py-spy: wall {run['wall']:.1f} s, "
                    f"{run['requests']['total']} E-utilities requests, first at "
                    f"{run['first_request_after']} s, last {run['after_last_request']} s before "
                    f"the end; load {_common.fmt_load(run['load_before'])} -> "
                    f"{_common.fmt_load(run['load_after'])}"
                )
                summarise(raw, args.top)
    finally:  # the project copy and rate files go; raw py-spy files stay only in --out
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
