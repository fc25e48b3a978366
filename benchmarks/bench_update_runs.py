"""Update-run benchmark (issue #19): a cold run, a no-change update run the next day and an
update with ~1 % new records, side by side, each `snakemake --cores N` in a temporary copy of
the project against loopback stand-ins for every source the default workflow asks:
E-utilities (tests/support/standin.py, rate enforced), ClinicalTrials.gov
(ctgov_standin.py, 1/s), Europe PMC (europepmc_standin.py, 5/s) and iCite
(citation_standin.py). Requests are counted at the stand-ins.

"The next day" without changing the clock: the record store's `fetched_at` / `checked_on`
dates are moved one day back (so the fetch and citation_records steps send the change checks
a next-day run sends), and the rules whose `params.day` (SEARCH_DAY, rules/common.smk) would
change the next day are forced: `--forcerun search registry_search europepmc_search citations
citation_records` (what a changed `day` param triggers through Snakemake's params trigger).

Per run: requests per source, the request bound (sum over sources of requests / that source's
rate; the sources run in parallel jobs, so the largest single term is a lower bound too),
wall time, start-up (a run with nothing to do, right after), the local tail (last request at
any stand-in to the end of the run) and the jobs that ran in it, with their start/end times
from Snakemake's metadata (.snakemake/metadata, sub-second).
Target: wall <= 1.2 x bound + start-up + 3 s.

    python benchmarks/bench_update_runs.py                   # U=2000, batch 200, --cores 4
    python benchmarks/bench_update_runs.py --keys none --new 20
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402
import bench_requests as br  # noqa: E402

from tests.support.citation_standin import IciteStandIn  # noqa: E402
from tests.support.europepmc_standin import EuropePmcStandIn, core_result  # noqa: E402
from tests.test_workflow import STAND_INS, copy_project  # noqa: E402

ROOT = _common.ROOT
RATES = {"eutils": None, "ctgov": 1, "europepmc": 5, "icite": 3}  # eutils: 3 or 10
FORCE = ["search", "registry_search", "europepmc_search", "citations", "citation_records"]
NEW_FIRST = 95_000_000
CHASED_FIRST = 96_000_000

_TITLE = re.compile(rb"<ArticleTitle>(.*?)</ArticleTitle>", re.S)
_ABSTRACT = re.compile(rb"<AbstractText[^>]*>(.*?)</AbstractText>", re.S)
_TAGS = re.compile(r"<[^>]+>")


def _distinct(pmid: str, xml: bytes) -> bytes:
    xml = re.sub(
        rb"<ArticleTitle>", b"<ArticleTitle>New record " + pmid.encode() + b": ", xml, count=1
    )
    xml = re.sub(rb"<ELocationID[^>]*EIdType=\"doi\"[^>]*>.*?</ELocationID>", b"", xml)
    return re.sub(rb"<ArticleId IdType=\"doi\">.*?</ArticleId>", b"", xml)


def epmc_result(pmid: str, xml: bytes) -> dict:
    def text(pattern):
        found = pattern.search(xml)
        return _TAGS.sub("", found.group(1).decode("utf-8", "replace")) if found else ""

    record = {"pmid": pmid, "title": text(_TITLE), "summary": text(_ABSTRACT),
              "journal": "J Synthetic", "authors": ["Doe J"], "pub_date": "2022",
              "publication_types": ["Journal Article"]}  # fmt: skip
    return core_result(record)


class AllServers(br.Servers):
    """bench_requests' E-utilities and registry stand-ins plus Europe PMC and iCite."""

    def __init__(self, unique: int, new: int, seeds: list[bytes]):
        super().__init__(unique, seeds)
        from livescreen.config import load_config
        from livescreen.search import full_query
        from livescreen.sources.europepmc_query import to_europepmc

        config = load_config(ROOT / "config.yaml")
        # the ~1 % new records: in efetch from the start, in the searches only when added
        # (distinct works: a unique title and no DOI, so deduplication does not merge them
        # with the corpus' repeated records, which keep their DOIs)
        self.new = {
            pmid: _distinct(pmid, xml) for pmid, xml in _common.renumbered(seeds, new, NEW_FIRST)
        }
        for pmid, xml in self.new.items():
            self.eutils.update_article(pmid, xml, "2020/01/01")
        # records only citation chasing finds: each snapshot record cited by one of them
        snap = sorted(self.snapshot.articles)
        chased = dict(_common.renumbered(seeds, len(snap), CHASED_FIRST))
        for pmid, xml in chased.items():
            self.eutils.update_article(pmid, xml, "2020/01/01")
        corpus = [p for p in self.articles if int(p) >= _common.FIRST_SYNTHETIC_PMID]
        graph: dict[str, list[str]] = {}
        for i, (citing, target) in enumerate(zip(chased, snap, strict=False)):
            graph[citing] = [target]
            for k in range(3):  # three corpus records cite it, it cites two
                graph.setdefault(corpus[(7 * i + k) % len(corpus)], []).append(target)
            graph[target] = [corpus[(11 * i) % len(corpus)], corpus[(11 * i + 5) % len(corpus)]]
        self.icite = IciteStandIn(graph)

        # Europe PMC finds what PubMed finds (each keyword's translated query, same PMIDs)
        self.epmc_hits: dict[str, set[str]] = {}
        for k in config["keywords"]:
            pubmed_query = full_query(k["query"], config["mdma_terms"], config["ptsd_terms"])
            self.epmc_hits[to_europepmc(pubmed_query).query] = self.by_query[pubmed_query]
        results = [epmc_result(p, self.articles[p]) for p in corpus]
        self.epmc = EuropePmcStandIn(results, match=self._epmc_match, max_per_second=10)
        self.europepmc_page_size = config["europepmc"]["page_size"]

    def _epmc_match(self, query, result):
        for known in sorted(self.epmc_hits, key=len, reverse=True):
            if known in query:
                return result["pmid"] in self.epmc_hits[known]
        raise AssertionError(f"Europe PMC stand-in: unknown query {query[:80]}")

    def add_new_records(self):
        """~1 % new: each new PMID found by one keyword search, in PubMed and Europe PMC."""
        slugs = list(self.by_query)
        for i, (pmid, xml) in enumerate(self.new.items()):
            self.by_query[slugs[i % len(slugs)]].append(pmid)
            self.epmc.results.append(epmc_result(pmid, xml))

    def remove_new_records(self):
        for hits in self.by_query.values():
            hits[:] = [p for p in hits if p not in self.new]
        self.epmc.results[:] = [r for r in self.epmc.results if r["pmid"] not in self.new]

    def __enter__(self):
        super().__enter__()
        self.epmc.start()
        self.icite.start()
        return self

    def __exit__(self, *exc):
        super().__exit__(*exc)
        self.epmc.stop()
        self.icite.stop()

    def reset(self):
        super().reset()
        self.epmc.reset()
        self.icite.reset()


def prepare(base: Path, servers: AllServers, name: str) -> Path:
    workdir = base / name / "project"
    workdir.mkdir(parents=True)
    copy_project(workdir, servers.ctgov.base_url)
    overlay = workdir / STAND_INS
    settings = yaml.safe_load(overlay.read_text(encoding="utf-8"))
    settings.update(
        timeout=30,
        europepmc={"enabled": True, "base_url": servers.epmc.base_url},
        citations={"enabled": True, "icite_base_url": servers.icite.base_url},
    )
    overlay.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return workdir


def back_one_day(workdir: Path) -> int:
    """Move the store's fetched/checked dates one day back: the next day, seen from the store."""
    changed = 0
    for path in (workdir / "results" / "store").rglob("*"):
        if not path.is_file() or path.suffix not in (".sqlite", ".db", ".sqlite3"):
            continue
        with sqlite3.connect(path) as db:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
            if "articles" in tables:
                changed += db.execute(
                    "UPDATE articles SET fetched_at = date(substr(fetched_at, 1, 10), '-1 day')"
                    " || substr(fetched_at, 11)"
                ).rowcount
            if "checked" in tables:
                db.execute("UPDATE checked SET checked_on = date(checked_on, '-1 day')")
    return changed


def metadata_jobs(workdir: Path, since: float) -> list[dict]:
    """Jobs that ran since `since` (epoch), from Snakemake's per-output metadata."""
    jobs = {}
    folder = workdir / ".snakemake" / "metadata"
    for path in folder.rglob("*") if folder.exists() else []:
        if not path.is_file():
            continue
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        start, end = meta.get("starttime"), meta.get("endtime")
        if not start or not end or end < since:
            continue
        try:
            output = base64.urlsafe_b64decode(path.name).decode()
        except ValueError:
            output = path.name
        key = (meta.get("rule"), round(end, 1))
        job = jobs.setdefault(key, {"rule": key[0], "start": start, "end": end, "outputs": []})
        job["start"], job["end"] = min(job["start"], start), max(job["end"], end)
        job["outputs"].append(output)
    return sorted(jobs.values(), key=lambda j: j["start"])


def digests(workdir: Path) -> dict[str, str]:
    """Content hash of every file under results/ (the outputs a rerun may rewrite)."""
    import hashlib

    out = {}
    for path in (workdir / "results").rglob("*"):
        if path.is_file():
            out[str(path.relative_to(workdir))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def run(servers: AllServers, workdir: Path, cores: int, key: str, args: list[str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "NCBI_API_KEY"}
    if key == "key":
        env["NCBI_API_KEY"] = br.API_KEY
    env["LIVESCREEN_RATE_DIR"] = tempfile.mkdtemp(prefix="rate-", dir=workdir.parent)
    config = ["--configfile", STAND_INS, "--config",
              f"eutils_base_url={servers.eutils.base_url}", "batch_size=200"]  # fmt: skip
    servers.reset()
    hashes_before = digests(workdir)
    uptime_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    offset = time.time() - time.monotonic()
    started = time.monotonic()
    failed = None
    with _common.CpuMeter() as meter:
        try:
            wall, log = br.snakemake(workdir, cores, [*args, *config], env)
        except RuntimeError as error:  # record it and go on: the failure is a finding
            wall, log, failed = time.monotonic() - started, "", str(error)[-1500:]
    uptime_after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    recorded = {
        "eutils": servers.eutils.recorded(),
        "ctgov": servers.ctgov.recorded(),
        "europepmc": servers.epmc.recorded(),
        "icite": servers.icite.recorded(),
    }
    counts = {name: len(reqs) for name, reqs in recorded.items()}
    eutils = {e: sum(1 for r in recorded["eutils"] if r.endpoint == e)
              for e in ("esearch", "efetch", "ecitmatch")}  # fmt: skip
    rates = dict(RATES, eutils=br.RATES[key])
    bound_terms = {name: counts[name] / rates[name] for name in counts}
    times = sorted(r.time for reqs in recorded.values() for r in reqs)
    last = times[-1] if times else started
    last_by_source = {n: round(max(r.time for r in reqs) - started, 2)
                      for n, reqs in recorded.items() if reqs}  # fmt: skip
    jobs = metadata_jobs(workdir, offset + started)
    for job in jobs:
        job["start_s"] = round(job["start"] - offset - started, 2)
        job["end_s"] = round(job["end"] - offset - started, 2)
        job["seconds"] = round(job["end"] - job["start"], 2)
    last_s = last - started
    hashes_after = digests(workdir)
    for job in jobs:
        job["same_content"] = all(
            o in hashes_before and hashes_before.get(o) == hashes_after.get(o)
            for o in job["outputs"]
        )
    return {
        "wall": round(wall, 2),
        "failed": failed,
        "requests": counts,
        "eutils": eutils,
        "non_200": sum(1 for reqs in recorded.values() for r in reqs if r.status != 200),
        "bound_terms": {k: round(v, 2) for k, v in bound_terms.items()},
        "bound": round(sum(bound_terms.values()), 2),
        "first_request": round(times[0] - started, 2) if times else None,
        "last_request": round(last_s, 2),
        "last_by_source": last_by_source,
        "tail": round(wall - last_s, 2),
        "jobs": jobs,
        "tail_jobs": [j for j in jobs if j["end_s"] > last_s],
        "rule_seconds": br.job_seconds(log),
        "uptime_before": uptime_before,
        "uptime_after": uptime_after,
        "own_cpu": meter.own_cpu,
        "others_cpu_share": meter.others,
    }


def setting(servers: AllServers, base: Path, cores: int, key: str, new: int) -> dict:
    workdir = prepare(base, servers, f"cores{cores}-{key}")
    out = {"cores": cores, "key": key}
    out["cold"] = run(servers, workdir, cores, key, [])
    out["startup_cold"] = run(servers, workdir, cores, key, [])["wall"]
    out["backdated_cold"] = back_one_day(workdir)
    out["nochange"] = run(servers, workdir, cores, key, ["--forcerun", *FORCE])
    out["startup"] = run(servers, workdir, cores, key, [])
    out["dry_run"] = run(servers, workdir, cores, key, ["-n"])["wall"]
    back_one_day(workdir)
    servers.add_new_records()
    out["new"] = run(servers, workdir, cores, key, ["--forcerun", *FORCE])
    out["startup_new"] = run(servers, workdir, cores, key, [])["wall"]
    servers.remove_new_records()
    startup = out["startup"]["wall"]
    for name in ("cold", "nochange", "new"):
        r = out[name]
        r["limit"] = round(br.TARGET_FACTOR * r["bound"] + startup + 3, 2)
        r["met"] = r["wall"] <= r["limit"]
    out["workdir"] = str(workdir)
    return out


def report(result: dict) -> None:
    key = "with" if result["key"] == "key" else "without"
    print(f"## --cores {result['cores']}, {key} API key")
    print(f"   start-up (no-op) {result['startup']['wall']:.2f} s (after cold "
          f"{result['startup_cold']:.2f}, after 1 % new {result['startup_new']:.2f}); "
          f"snakemake -n {result['dry_run']:.2f} s")  # fmt: skip
    for name in ("cold", "nochange", "new"):
        r = result[name]
        print(f"   {name}: wall {r['wall']:.2f} s, bound {r['bound']:.2f} s {r['bound_terms']}, "
              f"limit {r['limit']:.2f} -> {'MET' if r['met'] else 'MISSED'}")  # fmt: skip
        if r["failed"]:
            print("      FAILED: " + r["failed"].splitlines()[-3][:300])
        print(f"      requests {r['requests']} eutils {r['eutils']} non-200 {r['non_200']}")
        print(f"      first request {r['first_request']} s, last {r['last_request']} s "
              f"{r['last_by_source']}, tail {r['tail']} s")  # fmt: skip
        print(f"      uptime before: {r['uptime_before']}")
        print(f"      uptime after:  {r['uptime_after']}")
        print(f"      CPU: run {r['own_cpu']:.1f} s, others {r['others_cpu_share']:.0%}")
        for j in r["jobs"]:
            mark = "*" if j in r["tail_jobs"] else " "
            same = "same" if j["same_content"] else "CHANGED"
            print(f"     {mark} {j['rule']:<22} {j['start_s']:>7.2f} -> {j['end_s']:>7.2f} "
                  f"({j['seconds']:5.2f} s) {same:<7} {j['outputs'][0]}")  # fmt: skip
    print(flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--unique", type=int, default=2000)
    parser.add_argument("--new", type=int, default=20, help="new PMIDs in the third run")
    parser.add_argument("--cores", type=int, default=4)
    parser.add_argument("--keys", nargs="+", choices=sorted(br.RATES), default=["none", "key"])
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    info = _common.print_machine("update-run benchmark")
    print("nproc", os.cpu_count())
    base = Path(tempfile.mkdtemp(prefix="livescreen-bench-update-"))
    results = []
    try:
        with AllServers(args.unique, args.new, _common.fixture_articles()) as servers:
            print(
                f"corpus: U = {servers.unique:,} over {len(servers.slugs)} searches; "
                f"{args.new} new in run 3; {len(servers.icite.references)} iCite rows\n"
            )
            for key in args.keys:
                result = setting(servers, base, args.cores, key, args.new)
                results.append(result)
                report(result)
            errors = (servers.eutils.errors + servers.ctgov.errors + servers.epmc.errors
                      + servers.icite.errors)  # fmt: skip
            if errors:
                print("stand-in errors:\n" + "\n".join(map(str, errors)))
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"kept {base}")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "results": results}, indent=1,
                                        default=str))  # fmt: skip


if __name__ == "__main__":
    main()
