"""The Experiments dock: variants from the canvas's right-click, a real run, the table, the winner in one undo step."""
from __future__ import annotations

import shutil

from PySide6.QtWidgets import QDialog

from engine.experiments.plan import Experiment
from gui.experiments import node_menu
from tests.conftest import EXAMPLES, ROOT


def _open(window, tmp_path, name):
    path = tmp_path / f"{name}.sprout"
    shutil.copy(EXAMPLES / f"{name}.sprout", path)
    assert window.open_path(path, ask_save=False)
    return path


def test_try_alternatives_adds_factors_that_the_project_keeps(window, qtbot, tmp_path):
    _open(window, tmp_path, "digits_cnn")
    dock = window.experiments_dock
    menu = node_menu(window, "n2")  # a Conv2D with a ReLU
    (act,) = [a for a in menu.actions() if a.text() == "Try alternatives…"]
    assert act.isEnabled()
    assert not [a for a in node_menu(window, "n1").actions() if a.isEnabled()]  # the Input: nothing stands in
    act.trigger()
    dialog = window.findChildren(QDialog)[-1]
    texts = [box.text() for box, _ in dialog.options]
    assert "every Conv2D → OctConv" in texts and "every relu → Swish" in texts and "every relu → Hard swish" in texts
    assert all(box.isChecked() == (alt.other in ("paper.octconv", "paper.swish", "paper.hard_swish"))
               for box, alt in dialog.options)
    dialog.accept()
    specs = [dock.vary_list.item(i).text() for i in range(dock.vary_list.count())]
    assert specs == ["swap:core.conv2d=paper.octconv", "swap:relu=paper.hard_swish,paper.swish"]
    saved = window.editor.project.extra["experiments"]
    assert saved["vary"] == specs and saved["seeds"] == 3 and window.editor.modified
    window.editor.stack.undo()  # the edit is undoable, and the dock follows
    assert dock.vary_list.count() == 0 and "experiments" not in window.editor.project.extra
    assert not dock.add_specs(["swap:nonsense"]) and "swap:nonsense" in dock.status.text()


def test_a_run_fills_the_table_and_the_winner_is_one_undo_step(window, qtbot, tmp_path):
    _open(window, tmp_path, "digits_mlp")
    dock = window.experiments_dock
    dock.seeds.setValue(2)
    dock.epochs.setValue(3)
    dock.workers.setValue(1)  # in the job's thread: no pool start-up in a GUI test
    assert dock.add_specs(["swap:relu=paper.swish"])
    assert dock.start()
    shown = []
    dock.ticker.timeout.connect(lambda: shown.append(dock.running_label.text()))
    qtbot.waitUntil(lambda: not dock.running, timeout=180_000)
    # Progress per run: while it trained, the dock showed the running run and its epoch.
    assert any(t.startswith("Running: relu, seed 0: epoch ") or t.startswith("Running: paper.swish, seed 0: epoch ")
               for t in shown), shown
    assert dock.running_label.text() == "" and not dock.ticker.isActive()
    assert dock.table.rowCount() == 2 and dock.progress.value() == 4
    labels = [dock.table.item(r, 0).text() for r in range(2)]
    assert labels == ["relu", "paper.swish"]
    best = [r for r in range(2) if dock.table.item(r, 5).text() == "best"]
    assert len(best) == 1 and dock.table.item(best[0], 0).font().bold()
    other = dock.summaries[1 - best[0]]
    assert dock.table.item(1 - best[0], 5).toolTip() == other.note and "Welch" in other.note
    import statistics

    for r in range(2):  # the table shows the runs' own numbers: mean ± std over the two seeds
        accs = [row["test_accuracy"] for row in dock.rows if row["variant"] == labels[r]]
        assert len(accs) == 2
        assert dock.table.item(r, 1).text() == \
            f"{100 * statistics.fmean(accs):.2f} ± {100 * statistics.stdev(accs):.2f}"
    assert (dock.out / "results.csv").is_file() and (dock.out / "summary.md").is_file()
    assert len(dock.plot.getPlotItem().listDataItems()) == 2  # a curve per variant

    # Apply the winner: made to be Swish here, whatever the run gave, so the graph changes.
    doc = window.editor.doc
    for s in dock.summaries:
        s.best = s.label == "paper.swish"
    before = doc.state()
    steps = window.editor.stack.count()
    assert dock.apply_winner()
    assert window.editor.stack.count() == steps + 1
    assert doc.node("n2").params["activation"] == "linear"
    assert any(n.block == "paper.swish" for n in doc.nodes.values()) and not window.editor.analysis.errors
    boxes = [window.scene.nodes[u].sceneBoundingRect() for u in doc.nodes]
    assert not any(a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])  # laid out again
    after = doc.state()
    window.editor.stack.undo()  # one step takes it all back
    assert doc.state() == before and set(window.scene.nodes) == set(doc.nodes)
    window.editor.stack.redo()
    assert doc.state() == after and set(window.scene.nodes) == set(doc.nodes)

    for s in dock.summaries:
        s.best = s.label == "relu"
    assert not dock.apply_winner() and "nothing to change" in dock.status.text()

    shots = ROOT / "tests" / "artifacts"
    shots.mkdir(parents=True, exist_ok=True)
    dock.show_dock()
    for w, h in ((1400, 860), (1280, 720)):
        window.resize(w, h)
        qtbot.wait(80)
        window.view.fit_all()
        qtbot.wait(80)
        assert window.grab().save(str(shots / f"experiments_{w}x{h}.png"))


def test_a_broken_experiments_section_is_one_line_and_the_dock_still_opens(window, tmp_path):
    path = _open(window, tmp_path, "digits_mlp")
    import json

    data = json.loads(path.read_text())
    data["experiments"] = {"version": 99}
    path.write_text(json.dumps(data))
    assert window.open_path(path, ask_save=False)
    assert "experiments section" in window.experiments_dock.status.text()
    assert window.experiments_dock.experiment() == Experiment((), 3, 5)
