"""The SLURM profile: a dry run plans every job, with the CPU rules' resources, and keeps the
network rules on the submitting node."""

import importlib.util
import re
import subprocess

import pytest

from tests.test_workflow import SNAKEMAKE, SNAPSHOT, copy_project


def test_slurm_profile_dry_run(tmp_path):
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        pytest.skip("snakemake-executor-plugin-slurm is not installed")
    workdir = copy_project(tmp_path)
    result = subprocess.run(
        [SNAKEMAKE, "--profile", "profiles/slurm", "--dry-run", *SNAPSHOT],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout + result.stderr
    classify = out[out.index("rule classify:") :].split("\n\n")[0]
    assert "mem_mb=4000" in classify and "runtime=60" in classify
    # one search job for every keyword (rules/search.smk), on the head node
    assert re.search(r"\bsearch\s+1\b", out) and "screening_tables" in out
    snakefile = (workdir / "Snakefile").read_text(encoding="utf-8")
    localrules = snakefile[snakefile.index("localrules:") :].split("\n\n")[0]
    for rule in ("search", "fetch", "registry_search", "references"):
        assert f"    {rule}," in localrules
