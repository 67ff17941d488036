"""A run's compressed models appear under it in the Runs list, read from its compressed/ folder."""
from __future__ import annotations

import json

from engine.compress.report import read_children


def test_compressed_models_are_children_of_their_run(qtbot, tmp_path):
    from gui.training.runs_view import RunsView

    folder = tmp_path / "r1"
    (folder / "compressed").mkdir(parents=True)
    row = {"method": "prune", "variant": "float32", "accuracy": 0.9731, "params": 35914, "nonzero_params": 7319,
           "macs": 330368, "size_gz_bytes": 41000, "size_ratio": 3.3, "file": "x.tflite", "model_file": "m.keras"}
    report = {"baseline": {}, "steps": [row, {**row, "method": "quantize", "variant": "int8", "size_ratio": 8.5}]}
    (folder / "compressed" / "report.json").write_text(json.dumps(report))
    kids = read_children(folder)
    assert [k["label"] for k in kids] == ["1. prune", "2. quantize"]
    view = RunsView()
    qtbot.addWidget(view)
    view.set_runs([{"id": "r1", "name": "Run 1", "params": 35914, "macs": 330368,
                    "metrics": {"test": {"accuracy": 0.98}}}], {"r1": kids})
    assert view.child_count("r1") == 2
    child = view.tree.topLevelItem(0).child(1)
    assert child.text(0) == "2. quantize (int8)" and child.text(4) == "97.31%"
    assert child.text(5) == "7,319 non-zero" and "8.5x smaller" in child.toolTip(0)
    assert view.overlay_ids() == []  # children are not overlay rows


def test_a_broken_report_is_no_children(tmp_path):
    (tmp_path / "compressed").mkdir()
    (tmp_path / "compressed" / "report.json").write_text("{not json")
    assert read_children(tmp_path) == [] and read_children(None) == [] and read_children(tmp_path / "none") == []
