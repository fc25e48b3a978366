"""`livescreen simulate DATA`: replay a finished review the way ASReview's simulation mode
does, with livescreen's model and (``--compare asreview``) with ASReview's default model on
the same data, the same seeds and the same prior records, in one run.

The replay (both models): for each seed, one include and one exclude drawn at random
(``numpy.random.default_rng(seed)``) are the prior decisions; the model is trained on
every decision so far, the highest-scoring unscreened record is screened next (its label
read from DATA), and the model is retrained after every single decision (no batches), until
the last include is found. The figures (`livescreen.prioritise.metrics`) are computed on
the order after the two priors, as asreview-insights computes them. The stopping rules
(`livescreen.prioritise.stopping`) are replayed on the same orders: where each would have
said stop, the recall it had then, and the work it saved (records not read, of all).

DATA: CSV, TSV, XLSX or RIS with a title, an abstract and a label column
(``--label-column``, default ``label_included``: 1/0, or include/exclude); keywords and
MeSH columns are used when present. Rows with a value in ``duplicate_record_id`` (ASReview's
benchmark files flag duplicates so) are dropped unless ``--keep-duplicates``; rows without
a label are dropped, and both are counted in the output.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from livescreen.prioritise import metrics
from livescreen.prioritise.model import DEFAULT_CONFIG, ModelConfig, fit, record_features
from livescreen.prioritise.stopping import first_stop
from livescreen.prioritise.text import field_text, terms

LABEL_TRUE = {"1", "1.0", "true", "yes", "y", "include", "included", "relevant"}
LABEL_FALSE = {"0", "0.0", "false", "no", "n", "exclude", "excluded", "irrelevant"}
ALIASES = {
    "record_id": ("record_id", "id"),
    "title": ("title", "primary_title", "ti"),
    "abstract": ("abstract", "ab", "abstract_note"),
    "keywords": ("keywords", "kw", "author_keywords"),
    "mesh": ("mesh", "mesh_terms", "mesh_headings"),
    "doi": ("doi", "do"),
}


class SimulationError(ValueError):
    """DATA cannot be simulated; the message says why."""


@dataclass
class Dataset:
    name: str
    records: list[dict]  # record_id, title, abstract, keywords, mesh, doi
    labels: np.ndarray  # 1 include, 0 exclude
    dropped_duplicates: int = 0
    dropped_unlabelled: int = 0

    @property
    def n_includes(self) -> int:
        return int(self.labels.sum())


def parse_label(value: object) -> int | None:
    text = field_text(value).lower()
    if text in LABEL_TRUE:
        return 1
    if text in LABEL_FALSE:
        return 0
    return None


def _rows(path: Path, label_column: str) -> list[dict]:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".tab", ".txt"):
        import pandas as pd

        sep = "\t" if suffix in (".tsv", ".tab") else ","
        frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
        return frame.to_dict("records")
    if suffix in (".xlsx", ".xlsm", ".xls"):
        import pandas as pd

        frame = pd.read_excel(path, dtype=str).fillna("")
        return frame.to_dict("records")
    if suffix == ".ris":
        import rispy

        with open(path, encoding="utf-8-sig") as handle:
            entries = rispy.load(handle, skip_unknown_tags=False)
        rows = []
        for entry in entries:
            row = dict(entry)
            notes = " ".join(terms(entry.get("notes", [])))
            if label_column not in row:
                if "ASReview_relevant" in notes:
                    row[label_column] = "1"
                elif "ASReview_irrelevant" in notes:
                    row[label_column] = "0"
            rows.append(row)
        return rows
    raise SimulationError(f"{path}: not CSV, TSV, XLSX or RIS (by its name)")


def _column(row: dict, names: Sequence[str]) -> object:
    lowered = {str(k).lower(): v for k, v in row.items()}
    for name in names:
        if name in lowered and field_text(lowered[name]):
            return lowered[name]
    return ""


def load_dataset(
    path: str | Path, label_column: str = "label_included", drop_duplicates: bool = True
) -> Dataset:
    path = Path(path)
    if not path.exists():
        raise SimulationError(f"{path}: no such file")
    rows = _rows(path, label_column)
    if not rows:
        raise SimulationError(f"{path}: no records")
    if not any(label_column.lower() in {str(k).lower() for k in row} for row in rows):
        raise SimulationError(
            f"{path}: no column {label_column!r} (give the label column with --label-column)"
        )
    records, labels = [], []
    duplicates = unlabelled = 0
    for index, row in enumerate(rows):
        if drop_duplicates and field_text(_column(row, ("duplicate_record_id",))):
            duplicates += 1
            continue
        label = parse_label(_column(row, (label_column.lower(),)))
        if label is None:
            unlabelled += 1
            continue
        record = {key: _column(row, names) for key, names in ALIASES.items()}
        record["record_id"] = field_text(record["record_id"]) or str(index)
        record["keywords"] = terms(record["keywords"], commas=True)
        record["mesh"] = terms(record["mesh"])
        records.append(record)
        labels.append(label)
    array = np.array(labels, dtype=np.int8)
    if array.sum() < 2 or array.sum() == array.size:
        raise SimulationError(
            f"{path}: a simulation needs at least two includes and one exclude; "
            f"{int(array.sum())} of {array.size} labelled records are includes"
        )
    return Dataset(path.stem, records, array, duplicates, unlabelled)


def priors_for_seed(labels: np.ndarray, seed: int) -> list[int]:
    """One include and one exclude (row indices), drawn at random with `seed`."""
    rng = np.random.default_rng(seed)
    include = int(rng.choice(np.flatnonzero(labels == 1)))
    exclude = int(rng.choice(np.flatnonzero(labels == 0)))
    return [include, exclude]


@dataclass
class Replay:
    """One simulated screening: the rows in the order screened (priors first), until the
    last include, and how long it took."""

    seed: int
    order: np.ndarray
    seconds: float  # wall-clock
    cpu_seconds: float = float("nan")  # CPU time of the process (the fairer figure on a
    # shared machine: it does not grow with other processes' load)
    n_priors: int = 2

    def labels_after_priors(self, labels: np.ndarray) -> np.ndarray:
        screened = labels[self.order[self.n_priors :]]
        rest = labels.size - self.order.size
        return np.concatenate([screened, np.zeros(rest, dtype=screened.dtype)]).astype(int)


def replay(
    dataset: Dataset,
    priors: list[int],
    config: ModelConfig = DEFAULT_CONFIG,
    batch: int = 1,
    seed: int = 0,
) -> Replay:
    """Screen `dataset` with livescreen's model from `priors` until the last include."""
    started, cpu = time.perf_counter(), time.process_time()
    labels = dataset.labels.astype(np.int8)
    matrix = record_features(dataset.records, config).matrix
    screened = np.zeros(labels.size, dtype=bool)
    order = list(priors)
    screened[order] = True
    found, total = int(labels[order].sum()), int(labels.sum())
    while found < total:
        rows = np.asarray(order)
        model = fit(matrix[rows], labels[rows], config)
        scores = model.scores(matrix)
        scores[screened] = -np.inf
        if batch == 1:
            take = [int(np.argmax(scores))]
        else:
            top = np.argpartition(-scores, min(batch, scores.size - 1))[:batch]
            take = [int(i) for i in top[np.lexsort((top, -scores[top]))]]
        for row in take:
            if screened[row]:
                continue
            order.append(row)
            screened[row] = True
            found += int(labels[row])
            if found == total:
                break
    return Replay(seed, np.asarray(order), time.perf_counter() - started, time.process_time() - cpu)


# -- ASReview -------------------------------------------------------------------------------


def asreview_python(explicit: str | None = None) -> str:
    """An interpreter that can import asreview: `explicit`, else $LIVESCREEN_ASREVIEW_PYTHON,
    else this one if it has asreview."""
    candidate = explicit or os.environ.get("LIVESCREEN_ASREVIEW_PYTHON")
    if candidate:
        return candidate
    if importlib.util.find_spec("asreview") is not None:
        return sys.executable
    raise SimulationError(
        "--compare asreview needs asreview: `pip install asreview` into an environment of "
        "its own (it pins pandas < 3, which livescreen's environment does not have) and "
        "pass its interpreter with --asreview-python (or $LIVESCREEN_ASREVIEW_PYTHON)"
    )


def replay_asreview(dataset: Dataset, runs: list[tuple[int, list[int]]], python: str) -> dict:
    """ASReview's default model on `dataset` for each (seed, priors): a `Replay` each, with
    the version and model name."""
    import csv

    worker = Path(__file__).with_name("_asreview_worker.py")
    with tempfile.TemporaryDirectory(prefix="livescreen-asreview-") as tmp:
        data = Path(tmp) / "data.csv"
        with open(data, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["record_id", "title", "abstract", "included"])
            for i, (record, label) in enumerate(zip(dataset.records, dataset.labels, strict=True)):
                writer.writerow(
                    [i, field_text(record["title"]), field_text(record["abstract"]), int(label)]
                )
        request = {"data": str(data), "runs": [{"seed": s, "priors": p} for s, p in runs]}
        done = subprocess.run(  # in the temporary folder: asreview's imports leave a
            [python, str(worker)],  # requests cache (synergy_cache.sqlite) in the cwd
            input=json.dumps(request),
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp,
        )
    if done.returncode != 0:
        raise SimulationError(f"ASReview's simulation failed:\n{done.stderr.strip()[-2000:]}")
    answer = json.loads(done.stdout)
    answer["replays"] = [
        Replay(r["seed"], np.asarray(r["order"]), float(r["seconds"]), float(r["cpu_seconds"]))
        for r in answer["runs"]
    ]
    return answer


# -- evaluation -------------------------------------------------------------------------------


@dataclass
class StopResult:
    screened: int | None  # records read when the rule said stop (None: never)
    recall: float
    work_saved: float
    reached_target: bool


@dataclass
class RunResult:
    seed: int
    figures: dict[str, float]
    seconds: float
    cpu_seconds: float
    stops: dict[str, StopResult] = field(default_factory=dict)


def switch_point(sequence: np.ndarray, window: int) -> int:
    """Records read in the model's order before switching to the random sample: after the
    first run of `window` excludes in a row (`sequence` is padded with excludes)."""
    run = 0
    for t, label in enumerate(sequence, start=1):
        run = 0 if label else run + 1
        if run >= window:
            return t
    return sequence.size


def stop_results(
    replay_: Replay,
    labels: np.ndarray,
    recall_target: float,
    confidence: float,
    sample_window: int,
) -> dict[str, StopResult]:
    """Where each stopping rule says stop on this screening order. ``ranked``: tested after
    every decision in the model's order. ``sample``: the model's order until `sample_window`
    excludes in a row, then the records left in a random order (seeded by the run's seed)."""
    n_total, total = labels.size, int(labels.sum())
    ranked_seq = labels[replay_.order].astype(np.int64)
    padded = np.concatenate([ranked_seq, np.zeros(n_total - ranked_seq.size, dtype=np.int64)])

    def result(sequence: np.ndarray, at: int | None) -> StopResult:
        if at is None:
            return StopResult(None, 1.0, 0.0, True)
        recall = float(sequence[:at].sum() / total)
        return StopResult(at, recall, 1 - at / n_total, recall >= recall_target - 1e-12)

    out = {"ranked": result(padded, first_stop(ranked_seq, n_total, recall_target, confidence))}
    switch = switch_point(padded, sample_window)
    read = set(replay_.order[:switch].tolist())
    left = np.array([i for i in range(n_total) if i not in read], dtype=np.int64)
    left_labels = labels[left].astype(np.int64) if switch <= replay_.order.size else None
    if left_labels is None:  # switched after the last include: everything left is an exclude
        left_labels = np.zeros(n_total - switch, dtype=np.int64)
    rng = np.random.default_rng([replay_.seed, 2020])
    sample_seq = np.concatenate([padded[:switch], rng.permutation(left_labels)])
    at = first_stop(sample_seq, n_total, recall_target, confidence, sample_start=switch)
    out["sample"] = result(sample_seq, at)
    return out


def evaluate(
    replays: list[Replay],
    labels: np.ndarray,
    recall_target: float = 0.95,
    confidence: float = 0.95,
    sample_window: int | None = None,
) -> list[RunResult]:
    window = sample_window or default_sample_window(labels.size)
    results = []
    for rep in replays:
        figures = metrics.summary(rep.labels_after_priors(labels))
        stops = stop_results(rep, labels, recall_target, confidence, window)
        results.append(RunResult(rep.seed, figures, rep.seconds, rep.cpu_seconds, stops))
    return results


def default_sample_window(n_total: int) -> int:
    """Excludes in a row before switching to the random sample: 2 % of the records, at
    least 50 (a heuristic, fixed before the benchmark; it affects only how much the sample
    rule saves, never whether its guarantee holds)."""
    return max(50, round(0.02 * n_total))


# -- report -----------------------------------------------------------------------------------


def _stat(values: Sequence[float], digits: int = 3) -> str:
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    low, high = min(values), max(values)
    return f"{mean:.{digits}f} ± {sd:.{digits}f} ({low:.{digits}f}–{high:.{digits}f})"


COLUMNS = [
    ("WSS@95", "wss95", 3),
    ("WSS@100", "wss100", 3),
    ("RRF@10", "rrf10", 3),
    ("ATD", "atd", 1),
    ("loss", "loss", 3),
    ("records to 95%", "n95", 0),
    ("records to 100%", "n100", 0),
]


def table(results: dict[str, list[RunResult]]) -> list[str]:
    """Rows: measure; columns: the methods (mean ± sd (min–max) over the seeds)."""
    names = list(results)
    lines = ["| measure | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for label, key, digits in COLUMNS:
        cells = [_stat([r.figures[key] for r in results[n]], digits) for n in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    cells = [_stat([r.cpu_seconds for r in results[n]], 1) for n in names]
    lines.append("| CPU seconds per simulation | " + " | ".join(cells) + " |")
    cells = [_stat([r.seconds for r in results[n]], 1) for n in names]
    lines.append("| wall seconds per simulation | " + " | ".join(cells) + " |")
    return lines


def stop_table(
    results: dict[str, list[RunResult]], recall_target: float, confidence: float
) -> list[str]:
    lines = [
        f"| stopping rule (target {recall_target:.0%}, confidence {confidence:.0%}) | "
        "stopped with recall ≥ target | recall at stop | work saved at stop |",
        "|---|---|---|---|",
    ]
    for name, runs in results.items():
        for rule in ("ranked", "sample"):
            stops = [r.stops[rule] for r in runs if rule in r.stops]
            if not stops:
                continue
            ok = sum(s.reached_target for s in stops)
            lines.append(
                f"| {name}, {rule} | {ok}/{len(stops)} | "
                f"{_stat([s.recall for s in stops])} | {_stat([s.work_saved for s in stops])} |"
            )
    return lines


def plot(path: Path, dataset: Dataset, replays: dict[str, list[Replay]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.8), dpi=120)
    n = dataset.labels.size - 2
    horizon = 0
    colours = {"livescreen": "tab:blue", "asreview": "tab:orange"}
    for name, reps in replays.items():
        curves = []
        for rep in reps:
            x, y = metrics.recall_curve(rep.labels_after_priors(dataset.labels))
            curves.append(y)
            horizon = max(horizon, int(np.searchsorted(y, 1.0)) + 1)
            ax.plot(x, y, color=colours.get(name, None), alpha=0.25, lw=0.8)
        mean = np.mean(curves, axis=0)
        ax.plot(
            np.arange(1, n + 1),
            mean,
            color=colours.get(name, None),
            lw=2,
            label=f"{name} (mean of {len(reps)} seeds)",
        )
    ax.plot([0, n], [0, 1], color="grey", ls="--", lw=1, label="random order")
    ax.axhline(0.95, color="grey", ls=":", lw=1)
    ax.set_xlim(0, min(n, int(horizon * 1.3) + 10))
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("records screened (after the 2 prior records)")
    ax.set_ylabel("recall (share of includes found)")
    ax.set_title(f"{dataset.name}: {dataset.labels.size:,} records, {dataset.n_includes} includes")
    ax.legend(loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="livescreen simulate",
        description="Replay a labelled review with livescreen's model (and ASReview's).",
    )
    parser.add_argument("data", help="CSV, TSV, XLSX or RIS with title, abstract and labels")
    parser.add_argument("--seeds", type=int, default=10, help="simulations (seeds 0..N-1)")
    parser.add_argument("--label-column", default="label_included")
    parser.add_argument("--compare", choices=["asreview"], help="also run ASReview's default")
    parser.add_argument("--asreview-python", help="interpreter that has asreview")
    parser.add_argument(
        "--keep-duplicates", action="store_true", help="keep rows flagged in duplicate_record_id"
    )
    parser.add_argument("--recall-target", type=float, default=0.95)
    parser.add_argument("--confidence", type=float, default=0.95)
    parser.add_argument(
        "--out",
        default="results/simulate",
        help="folder for the recall curve (PNG) and the figures (JSON)",
    )
    return parser


def run(args: argparse.Namespace, config: ModelConfig = DEFAULT_CONFIG) -> dict:
    """The simulations of `args`; the report's content as a dict."""
    dataset = load_dataset(args.data, args.label_column, not args.keep_duplicates)
    seeds = list(range(args.seeds))
    priors = {seed: priors_for_seed(dataset.labels, seed) for seed in seeds}
    replays: dict[str, list[Replay]] = {"livescreen": []}
    info = {}
    python = asreview_python(args.asreview_python) if args.compare == "asreview" else None
    # One seed at a time, livescreen then ASReview, so a change in the machine's load
    # affects both alike.
    for seed in seeds:
        replays["livescreen"].append(replay(dataset, priors[seed], config, seed=seed))
        if python:
            answer = replay_asreview(dataset, [(seed, priors[seed])], python)
            replays.setdefault("asreview", []).extend(answer["replays"])
            info["asreview"] = {"version": answer["asreview_version"], "model": answer["model"]}
    results = {
        name: evaluate(reps, dataset.labels, args.recall_target, args.confidence)
        for name, reps in replays.items()
    }
    return {
        "dataset": dataset,
        "seeds": seeds,
        "priors": priors,
        "replays": replays,
        "results": results,
        "info": info,
    }


def report(outcome: dict, args: argparse.Namespace) -> list[str]:
    dataset: Dataset = outcome["dataset"]
    results = outcome["results"]
    lines = [
        f"{dataset.name}: {dataset.labels.size:,} records, {dataset.n_includes} includes "
        f"({dataset.dropped_duplicates} duplicate rows dropped, "
        f"{dataset.dropped_unlabelled} unlabelled rows dropped); "
        f"{len(outcome['seeds'])} seeds, each starting from 1 random include and 1 random "
        "exclude, the same for every model; retrained after every decision.",
    ]
    if "asreview" in outcome["info"]:
        a = outcome["info"]["asreview"]
        lines.append(f"ASReview {a['version']}, default model {a['model']}.")
    lines += ["", *table(results), "", *stop_table(results, args.recall_target, args.confidence)]
    figures = results["livescreen"]
    mean = {
        k: statistics.fmean(r.figures[k] for r in figures)
        for k in ("wss95", "rrf10", "atd", "loss")
    }
    lines += [
        "",
        f"livescreen: WSS@95 {mean['wss95']:.3f} RRF@10 {mean['rrf10']:.3f} "
        f"ATD {mean['atd']:.1f} loss {mean['loss']:.3f} (mean of {len(figures)} seeds)",
    ]
    return lines


def save(outcome: dict, out: Path) -> tuple[Path, Path]:
    dataset: Dataset = outcome["dataset"]
    out.mkdir(parents=True, exist_ok=True)
    png = out / f"{dataset.name}_recall.png"
    plot(png, dataset, outcome["replays"])
    data = {
        "dataset": {
            "name": dataset.name,
            "records": int(dataset.labels.size),
            "includes": dataset.n_includes,
            "dropped_duplicates": dataset.dropped_duplicates,
            "dropped_unlabelled": dataset.dropped_unlabelled,
        },
        "info": outcome["info"],
        "priors": {str(s): p for s, p in outcome["priors"].items()},
        "runs": {
            name: [
                {
                    "seed": r.seed,
                    "seconds": r.seconds,
                    "cpu_seconds": r.cpu_seconds,
                    **r.figures,
                    "stops": {k: vars(v) for k, v in r.stops.items()},
                }
                for r in runs
            ]
            for name, runs in outcome["results"].items()
        },
        "orders": {
            name: {str(r.seed): r.order.tolist() for r in reps}
            for name, reps in outcome["replays"].items()
        },
    }
    path = out / f"{dataset.name}_simulation.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return png, path


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.seeds < 1:
        print("livescreen simulate: --seeds must be at least 1", file=sys.stderr)
        return 2
    try:
        outcome = run(args)
    except SimulationError as error:
        print(f"livescreen simulate: {error}", file=sys.stderr)
        return 1
    png, path = save(outcome, Path(args.out))
    lines = report(outcome, args)
    print("\n".join(lines[:-1]))
    print(f"Recall curves: {png}; every order and figure: {path}")
    print(lines[-1])
    return 0
