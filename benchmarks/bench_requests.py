"""Requests and wall-time benchmark: real `snakemake --cores N` runs of the workflow, in a
temporary copy of the project, against the loopback E-utilities stand-in (tests/support/standin.py)
and the ClinicalTrials.gov stand-in (tests/support/ctgov_standin.py), counting requests at the
servers.

For each setting (without / with NCBI_API_KEY, --cores 1 / --cores 4), in a fresh copy with
a fresh LIVESCREEN_RATE_DIR per run:
  cold     first run, empty record store
  rerun    `--forcerun search registry_search`: nothing changed upstream
  no-op    a run with nothing to do: Snakemake's own start-up (also timed: `snakemake -n`)

The stand-in serves a synthetic corpus: U unique PMIDs (real fixture records repeated with
new PMIDs), spread over the config's K keyword searches (each PMID found by one to three),
plus the bundled snapshot records. Title searches and ECitMatch for the essay's references
are answered from the snapshot, as the offline source answers them.

Minimum requests (E-utilities):
  cold  = K esearch + ceil(U / batch) efetch + R, where the reference resolution term R is
          1 ecitmatch (if any journal reference)
        + 1 efetch if ECitMatch named any candidate PMID
        + 1 esearch per journal reference ECitMatch left unresolved (title search)
        + 1 efetch if the title searches found PMIDs not fetched with the candidates
          (counted from what the stand-in answered, not from what the client says)
  rerun = K esearch (the same day as the cold run, so every stored record is known current
          and the fetch step sends no change check; a rerun on a later day adds
          ceil(stored hits / 5,000) change-check esearch requests, plus efetch batches for
          records PubMed modified: see README "Scheduled updates")
Registry: ceil(studies / page_size) pages (+1 when the last page is exactly full), cold and rerun.
Wall-time bound = E-utilities requests / allowed requests per second (3, or 10 with a key).
Target: requests == minimum; wall <= 1.2 x bound + Snakemake start-up (the no-op run).

    python benchmarks/bench_requests.py                         # U=2000, batch 200
    python benchmarks/bench_requests.py --unique 4000 --cores 4 --keys none
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

from tests.test_workflow import PROJECT_FILES  # noqa: E402  (the files the workflow needs)

ROOT = _common.ROOT
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
API_KEY = "0123456789abcdef0123456789abcdef0123"  # a fake key: the stand-in only counts it
RATES = {"none": 3, "key": 10}
TARGET_FACTOR = 1.2
# Put before the snakemake command (profile_workflow.py runs it under py-spy this way).
COMMAND_PREFIX: list[str] = []


def copy_project(target: Path, ctgov_url: str) -> Path:
    target.mkdir(parents=True)
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        elif source.exists():
            shutil.copy2(source, target / name)
    config = target / "config.yaml"
    text = config.read_text(encoding="utf-8")
    text, replaced = re.subn(r"ctgov_base_url: \S+", f"ctgov_base_url: {ctgov_url}", text)
    if replaced != 1:
        raise SystemExit("config.yaml: registry.ctgov_base_url not found")
    # E-utilities and the registry only (section 1 of docs/benchmarks.md): Europe PMC and
    # citation chasing, on by default, would reach the real services; bench_update_runs.py
    # measures them against their stand-ins
    for block in ("europepmc", "citations"):
        text, replaced = re.subn(rf"^{block}:\n  enabled: true", f"{block}:\n  enabled: false",
                                 text, flags=re.M)  # fmt: skip
        if replaced != 1:
            raise SystemExit(f"config.yaml: {block}.enabled not found")
    config.write_text(text, encoding="utf-8")
    return target


# --------------------------------------------------------------------------- the servers


class Servers:
    """The E-utilities and registry stand-ins, with a log of what they answered."""

    def __init__(self, unique: int, seed_articles: list[bytes]):
        from livescreen.config import load_config
        from livescreen.search import full_query
        from livescreen.sources.registry import study_json, study_matches
        from livescreen.sources.snapshot import Snapshot
        from tests.support.ctgov_standin import CtgovStandIn
        from tests.support.standin import EutilsStandIn

        config = load_config(ROOT / "config.yaml")
        self.snapshot = Snapshot(ROOT / config["snapshot"])
        self.articles = dict(self.snapshot.articles)
        pmids = []
        for pmid, xml in _common.renumbered(seed_articles, unique, _common.FIRST_SYNTHETIC_PMID):
            self.articles[pmid] = xml
            pmids.append(pmid)
        self.slugs = [k["slug"] for k in config["keywords"]]
        hits: dict[str, list[str]] = {slug: [] for slug in self.slugs}
        for index, pmid in enumerate(pmids):
            for k in range(1 + index % 3):
                hits[self.slugs[(index + 4 * k) % len(self.slugs)]].append(pmid)
        self.by_query = {
            full_query(k["query"], config["mdma_terms"], config["ptsd_terms"]): hits[k["slug"]]
            for k in config["keywords"]
        }
        self.unique = len({p for ids in hits.values() for p in ids})
        self.answers: list[tuple[str, str, list[str]]] = []  # (endpoint, what, PMIDs answered)

        studies = [
            study_json(item)
            for item in json.loads((ROOT / config["registry"]["snapshot"]).read_text("utf-8"))
        ]
        self.studies = studies
        self.page_size = config["registry"]["page_size"]
        self.eutils = EutilsStandIn(
            self._search, self.articles, citmatch=self._citmatch, enforce_rate_limit=True
        )
        self.ctgov = CtgovStandIn(
            studies,
            match=lambda params, study: study_matches(
                study, params.get("query.cond", ""), params.get("query.intr", "")
            ),
            max_per_second=1,
        )

    def _search(self, term, mindate, maxdate):
        if term in self.by_query:
            ids = self.by_query[term]
            self.answers.append(("esearch", "keyword", list(ids)))
            return ids
        ids = self.snapshot.esearch(term, retmax=10**9, mindate=mindate, maxdate=maxdate).ids
        self.answers.append(("esearch", "title", list(ids)))
        return ids

    def _citmatch(self, citation):
        match = self.snapshot._match_citation(citation)
        found = [match.pmid] if match.pmid else list(match.candidates)
        self.answers.append(("ecitmatch", citation["key"], found))
        return found or None

    def __enter__(self):
        self.eutils.start()
        self.ctgov.start()
        return self

    def __exit__(self, *exc):
        self.eutils.stop()
        self.ctgov.stop()

    def reset(self):
        self.eutils.reset()
        self.ctgov.reset()
        self.answers.clear()

    def registry_minimum(self) -> int:
        from livescreen.sources.registry import study_matches

        config = {"cond": "", "intr": ""}
        from livescreen.config import load_config

        registry = load_config(ROOT / "config.yaml")["registry"]
        config.update(cond=registry["condition"], intr=registry["intervention"])
        total = sum(1 for s in self.studies if study_matches(s, config["cond"], config["intr"]))
        pages = max(1, math.ceil(total / self.page_size))
        return pages + (1 if total and total % self.page_size == 0 else 0)


# --------------------------------------------------------------------------- one run


def snakemake(workdir: Path, cores: int, args: list[str], env: dict) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run(
        [*COMMAND_PREFIX, SNAKEMAKE, "--cores", str(cores), *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"snakemake failed in {workdir}:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
        )
    return elapsed, done.stdout + done.stderr


_STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")


def job_seconds(log: str) -> dict[str, float]:
    """Seconds per rule (summed over its jobs) from Snakemake's 1-s timestamps."""
    starts, rules, totals = {}, {}, {}
    stamp = None
    lines = log.splitlines()
    for i, line in enumerate(lines):
        found = _STAMP.match(line.strip())
        if found:
            stamp = dt.datetime.strptime(found.group(1), "%a %b %d %H:%M:%S %Y")
            continue
        rule = re.match(r"^(?:local)?rule (\w+):", line)
        if rule and stamp:
            for follow in lines[i + 1 : i + 12]:
                jobid = re.match(r"\s+jobid: (\d+)", follow)
                if jobid:
                    starts[jobid.group(1)] = stamp
                    rules[jobid.group(1)] = rule.group(1)
                    break
        finished = re.match(r"^Finished jobid: (\d+)", line)
        if finished and stamp and finished.group(1) in starts:
            job = finished.group(1)
            name = rules[job]
            totals[name] = totals.get(name, 0.0) + (stamp - starts[job]).total_seconds()
    return totals


def measure(
    servers: Servers, workdir: Path, cores: int, key: str, args: list[str], batch: int
) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "NCBI_API_KEY"}
    if key == "key":
        env["NCBI_API_KEY"] = API_KEY
    env["LIVESCREEN_RATE_DIR"] = tempfile.mkdtemp(prefix="rate-", dir=workdir.parent)
    config = ["--config", f"eutils_base_url={servers.eutils.base_url}", f"batch_size={batch}"]
    servers.reset()
    before = _common.load()
    started = time.monotonic()
    with _common.CpuMeter() as meter:
        wall, log = snakemake(workdir, cores, [*args, *config], env)
    after = _common.load()
    recorded = servers.eutils.recorded()
    counts = {
        e: sum(1 for r in recorded if r.endpoint == e) for e in ("esearch", "efetch", "ecitmatch")
    }
    times = sorted(r.time for r in recorded)
    failed = sum(1 for r in recorded if r.status != 200)
    registry = servers.ctgov.recorded()
    return {
        "wall": round(wall, 2),
        "requests": dict(counts, total=sum(counts.values())),
        "non_200": failed,
        "max_in_1s": servers.eutils.max_requests_in_window(1.0),
        "registry_requests": len(registry),
        "first_request_after": round(times[0] - started, 2) if times else None,
        "request_span": round(times[-1] - times[0], 2) if times else 0.0,
        "after_last_request": round(started + wall - times[-1], 2) if times else None,
        "rule_seconds": job_seconds(log),
        "answers": list(servers.answers),
        "load_before": before,
        "load_after": after,
        "own_cpu": meter.own_cpu,
        "others_cpu_share": meter.others,
    }


def cold_minimum(servers: Servers, run: dict, batch: int, workdir: Path) -> dict:
    """The fewest E-utilities requests that answer the cold run, from what the stand-in said."""
    references = json.loads(
        (workdir / "results" / "references" / "essay_references.json").read_text("utf-8")
    )
    journal = [r for r in references if r["kind"] == "journal-article"]
    candidates = {p for e, _, ids in run["answers"] if e == "ecitmatch" for p in ids}
    title_hits = {
        p for e, what, ids in run["answers"] if e == "esearch" and what == "title" for p in ids
    }
    after_ecitmatch = [r for r in journal if r["method"] != "ecitmatch"]
    terms = {
        "esearch (keywords)": len(servers.slugs),
        "efetch (records)": math.ceil(servers.unique / batch),
        "ecitmatch": 1 if journal else 0,
        "efetch (ECitMatch candidates)": 1 if candidates else 0,
        "esearch (title searches)": len(after_ecitmatch),
        "efetch (title hits)": 1 if title_hits - candidates else 0,
    }
    return {"terms": terms, "total": sum(terms.values())}


def setting(servers: Servers, base: Path, cores: int, key: str, batch: int) -> dict:
    workdir = copy_project(base / f"cores{cores}-{key}" / "project", servers.ctgov.base_url)
    cold = measure(servers, workdir, cores, key, [], batch)
    cold["minimum"] = cold_minimum(servers, cold, batch, workdir)
    rerun = measure(
        servers, workdir, cores, key, ["--forcerun", "search", "registry_search"], batch
    )
    rerun["minimum"] = {
        "terms": {"esearch (keywords)": len(servers.slugs)},
        "total": len(servers.slugs),
    }
    noop = measure(servers, workdir, cores, key, [], batch)
    dry = measure(servers, workdir, cores, key, ["-n"], batch)
    rate = RATES[key]
    out = {
        "cores": cores,
        "key": key,
        "rate": rate,
        "startup": noop["wall"],
        "dry_run": dry["wall"],
    }
    for name, run in (("cold", cold), ("rerun", rerun)):
        run.pop("answers")
        bound = run["requests"]["total"] / rate
        run["bound"] = round(bound, 2)
        run["limit"] = round(TARGET_FACTOR * bound + noop["wall"], 2)
        run["requests_ok"] = (
            run["requests"]["total"] == run["minimum"]["total"] and not run["non_200"]
        )
        run["wall_ok"] = run["wall"] <= run["limit"]
        run["registry_minimum"] = servers.registry_minimum()
        out[name] = run
    noop.pop("answers")
    out["noop"] = noop
    return out


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def report(result: dict) -> None:
    key = "with" if result["key"] == "key" else "without"
    print(f"## --cores {result['cores']}, {key} API key ({result['rate']} req/s)")
    print(
        f"   Snakemake start-up: no-op run {result['startup']:.2f} s, "
        f"`snakemake -n` {result['dry_run']:.2f} s"
    )
    pad = " " * 10
    for name in ("cold", "rerun"):
        run = result[name]
        req = run["requests"]
        print(
            f"   {name:<6} requests {req['total']:>3} (esearch {req['esearch']}, "
            f"efetch {req['efetch']}, ecitmatch {req['ecitmatch']}; non-200 {run['non_200']}; "
            f"most in 1 s: {run['max_in_1s']}) vs minimum {run['minimum']['total']} "
            f"-> {verdict(run['requests_ok'])}"
        )
        if name == "cold":
            terms = " + ".join(f"{v} {k}" for k, v in run["minimum"]["terms"].items())
            print(f"{pad}minimum = {terms}")
        print(
            f"{pad}registry requests {run['registry_requests']} "
            f"vs minimum {run['registry_minimum']}"
        )
        print(
            f"{pad}wall {run['wall']:.2f} s vs bound {run['bound']:.2f} s (limit 1.2 x bound "
            f"+ start-up = {run['limit']:.2f} s) -> {verdict(run['wall_ok'])}"
        )
        print(
            f"{pad}first request at {run['first_request_after']} s; requests span "
            f"{run['request_span']} s ({run['request_span'] / run['bound']:.2f} x bound); "
            f"{run['after_last_request']} s after the last request"
        )
        by_rule = sorted(run["rule_seconds"].items(), key=lambda kv: -kv[1])
        rules = ", ".join(f"{k} {v:.0f}" for k, v in by_rule)
        print(f"{pad}job seconds by rule (Snakemake's 1-s stamps, summed over jobs): {rules}")
        print(
            f"{pad}CPU: this run {run['own_cpu']:.1f} s, other processes "
            f"{run['others_cpu_share']:.0%} of the machine; load "
            f"{_common.fmt_load(run['load_before'])} -> {_common.fmt_load(run['load_after'])}"
            + _common.load_warning(run["load_before"], run["load_after"], run["others_cpu_share"])
        )
    print(flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--unique", type=int, default=2000, help="unique PMIDs found (U)")
    parser.add_argument("--batch", type=int, default=200, help="batch_size (PMIDs per efetch)")
    parser.add_argument("--cores", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--keys", nargs="+", choices=sorted(RATES), default=["none", "key"])
    parser.add_argument("--keep", action="store_true", help="keep the temporary project copies")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    info = _common.print_machine("requests and wall-time benchmark")
    base = Path(tempfile.mkdtemp(prefix="livescreen-bench-requests-"))
    results = []
    try:
        with Servers(args.unique, _common.fixture_articles()) as servers:
            hits = sum(len(v) for v in servers.by_query.values())
            print(
                f"corpus: U = {servers.unique:,} unique PMIDs over K = {len(servers.slugs)} "
                f"keyword searches ({hits:,} hits), batch {args.batch}; "
                f"{len(servers.snapshot.articles)} snapshot records for the references; "
                f"{len(servers.studies)} registrations, page size {servers.page_size}\n",
                flush=True,
            )
            for key in args.keys:
                for cores in args.cores:
                    result = setting(servers, base, cores, key, args.batch)
                    results.append(result)
                    report(result)
            errors = servers.eutils.errors + servers.ctgov.errors
            if errors:
                print("stand-in errors:\n" + "\n".join(errors))
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"project copies kept in {base}")
    met = all(r[n]["requests_ok"] for r in results for n in ("cold", "rerun"))
    print(f"target: requests == minimum on every run -> {verdict(met)}")
    for r in results:
        for n in ("cold", "rerun"):
            run = r[n]
            print(
                f"target: wall <= 1.2 x bound + start-up, {n}, --cores {r['cores']}, "
                f"key {r['key']}: {run['wall']:.1f} s vs {run['limit']:.1f} s "
                f"-> {verdict(run['wall_ok'])}"
            )
    if args.json:
        args.json.write_text(
            json.dumps({"machine": info, "results": results, "load_end": _common.load()}, indent=1)
        )


if __name__ == "__main__":
    main()
