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
    assert child.text(0) == "2. quantize (int8) · 8.5x smaller" and child.text(4) == "97.31%"
    assert child.text(5) == "7,319 non-zero" and "8.5x smaller" in child.toolTip(0)
    assert view.overlay_ids() == []  # children are not overlay rows


def test_a_broken_report_is_no_children(tmp_path):
    (tmp_path / "compressed").mkdir()
    (tmp_path / "compressed" / "report.json").write_text("{not json")
    assert read_children(tmp_path) == [] and read_children(None) == [] and read_children(tmp_path / "none") == []


def test_the_runs_tab_shows_a_runs_compressed_models(make_window, tmp_path, qtbot):
    """A project whose run was compressed (``compress RUN``): its steps are rows under the run."""
    from tests.conftest import EXAMPLES, ROOT

    project = json.loads((EXAMPLES / "digits_cnn.sprout").read_text())
    record = {"id": "r1", "name": "Run r1", "folder": "cnn.runs/r1", "params": 35914, "macs": 330368,
              "stop_reason": "completed", "epochs_run": 20, "created": "2026-12-01 16:00:00",
              "metrics": {"test": {"accuracy": 0.9815}}}
    project["runs"] = [record]
    (tmp_path / "cnn.sprout").write_text(json.dumps(project))
    steps = [("prune", "float32", 0.9815, 7319, 3.3), ("quantize", "int8", 0.9815, 7319, 8.5)]
    report = {"baseline": {}, "steps": [
        {"method": m, "variant": v, "accuracy": a, "params": 35914, "nonzero_params": n, "macs": 330368,
         "size_gz_bytes": 1000, "size_ratio": r, "file": f"{m}.tflite", "model_file": "model.keras"}
        for m, v, a, n, r in steps]}
    (tmp_path / "cnn.runs" / "r1" / "compressed").mkdir(parents=True)
    (tmp_path / "cnn.runs" / "r1" / "compressed" / "report.json").write_text(json.dumps(report))
    window = make_window()
    assert window.open_path(tmp_path / "cnn.sprout", ask_save=False)
    dock = window.training_dock
    window.show()
    dock.bring_forward()
    dock.tabs.setCurrentWidget(dock.runs_view)
    assert dock.runs_view.child_count("r1") == 2
    assert dock.runs_view.tree.topLevelItem(0).child(1).text(0) == "2. quantize (int8) · 8.5x smaller"
    shots = ROOT / "tests" / "artifacts"
    shots.mkdir(parents=True, exist_ok=True)
    for w, h in ((1400, 860), (1280, 720)):
        window.resize(w, h)
        qtbot.wait(80)
        assert window.grab().save(str(shots / f"runs_compressed_{w}x{h}.png"))
