"""Run by ASReview LAB's own interpreter (tests/test_asreview_handoff.py): open a dataset in
ASReview LAB (its web app's API, through Flask's test client: no server, no browser), label
records as a reviewer would, and save ASReview's "Export" > dataset file.

    python asreview_lab.py DATASET '{"<record_id>": 1, ...}' EXPORT.csv|EXPORT.xlsx

Prints one JSON line: the records ASReview read (title, label as prior knowledge) by the
dataset's record_id. Imports nothing from livescreen (ASReview has its own environment).
"""

import json
import os
import sys
import tempfile
from pathlib import Path

os.environ["ASREVIEW_PATH"] = tempfile.mkdtemp()

import asreview  # noqa: E402
from asreview.data.loader import _get_reader  # noqa: E402
from asreview.webapp.app import create_app  # noqa: E402
from asreview.webapp.utils import get_projects  # noqa: E402

dataset, labels, export = Path(sys.argv[1]), json.loads(sys.argv[2]), Path(sys.argv[3])
client = create_app(testing=True, authentication=False).test_client()
with open(dataset, "rb") as handle:
    answer = client.post(
        "/api/projects/create", data={"mode": "oracle", "file": (handle, dataset.name)}
    )
assert answer.status_code == 201, answer.json
project_id = answer.json["id"]
records = asreview.Project(get_projects()[0].project_path).db.input.get_df()
raw = _get_reader(dataset).read_data(dataset)  # the dataset's cells as ASReview reads them
ids = [str(value) for value in raw["record_id"]]
read = {}
for row in records.to_dict("records"):
    prior = row["included"]
    read[ids[int(row["dataset_row"])]] = {
        "asreview_id": int(row["record_id"]),
        "title": row["title"],
        "prior": None if prior is None or str(prior) == "<NA>" else int(prior),
    }
for record_id, label in labels.items():
    number = read[record_id]["asreview_id"]
    send = client.post if read[record_id]["prior"] is None else client.put  # new / changed
    answer = send(
        f"/api/projects/{project_id}/record/{number}",
        data={"record_id": number, "label": label, "note": ""},
    )
    assert answer.status_code == 200, (record_id, answer.status_code, answer.data[:300])
answer = client.get(
    f"/api/projects/{project_id}/export_dataset",
    query_string={
        "format": export.suffix[1:],
        "collections": ["relevant", "not_seen", "irrelevant"],
    },
)
assert answer.status_code == 200, answer.data[:300]
export.write_bytes(answer.data)
print(json.dumps(read))
