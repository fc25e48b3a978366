"""Run ASReview's own simulation with its default model, for `livescreen simulate --compare
asreview`. Run by an interpreter that has asreview (it is not a livescreen dependency: it
pins pandas < 3 and rispy 0.9, which livescreen's environment does not have), as a script:
it imports nothing from livescreen.

stdin: JSON {"data": CSV path (record_id, title, abstract, included), "runs": [{"seed": s,
"priors": [i, j]}, ...]}. stdout: JSON {"asreview_version": ..., "model": ...,
"runs": [{"seed": s, "order": [row, ...], "seconds": t, "cpu_seconds": c}, ...]}: the rows
in the order ASReview labelled them (priors first), until the last include, and the time its
simulation took, wall-clock and CPU (feature extraction, training and querying; not
loading the data).

It does what ``asreview simulate DATA --prior-idx I J --seed S`` does (asreview 3's
``simulation/cli.py``): ``np.random.seed(S)``, a top-down cycle until the model can be
fitted, then the default ELAS u4 cycle (``get_ai_config()``), one record per query,
retrained after every label, stopping at the last include.
"""

import json
import sys
import time

import numpy as np
import pandas as pd


def main() -> int:
    import asreview
    from asreview.learner import ActiveLearningCycle
    from asreview.models.models import get_ai_config
    from asreview.models.queriers import TopDown
    from asreview.models.stoppers import IsFittable
    from asreview.simulation.simulate import Simulate

    request = json.load(sys.stdin)
    data = pd.read_csv(request["data"], keep_default_na=False, dtype={"title": str})
    data["abstract"] = data["abstract"].astype(str)
    config = get_ai_config()
    out = []
    for run in request["runs"]:
        np.random.seed(run["seed"])
        cycles = [
            ActiveLearningCycle(querier=TopDown(), stopper=IsFittable()),
            ActiveLearningCycle.from_meta(config["value"]),
        ]
        started, cpu = time.perf_counter(), time.process_time()
        sim = Simulate(data[["title", "abstract"]], data["included"], cycles, print_progress=False)
        sim.label(list(run["priors"]))
        sim.review()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        order = [int(i) for i in sim._results["record_id"].tolist()]
        out.append({"seed": run["seed"], "order": order, "seconds": seconds, "cpu_seconds": cpu})
        print(
            f"asreview seed {run['seed']}: {len(order)} records, {seconds:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    json.dump(
        {"asreview_version": asreview.__version__, "model": config["name"], "runs": out}, sys.stdout
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
