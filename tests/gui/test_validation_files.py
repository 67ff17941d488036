"""Live validation, inspector edits, files, autosave recovery and the screenshot."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.model import project as project_mod
from engine.model.project import dumps, load_project
from gui.editing.commands import AddLinkCommand, AddNodeCommand, SetParamsCommand
from main import main
from tests.conftest import EXAMPLES, ROOT


def _build_by_commands(window, path):
    """Rebuild an example node by node and link by link with undo commands."""
    data = json.loads(Path(path).read_text())
    doc = window.editor.doc
    for n in data["nodes"]:
        window.editor.stack.push(AddNodeCommand(doc, n["block"], n["params"], tuple(n["position"]), n["title"], n["id"]))
    for lk in data["links"]:
        link = doc.check_link(lk["from"][0], lk["from"][1], lk["to"][0], lk["to"][1])
        window.editor.stack.push(AddLinkCommand(doc, link))


def test_building_digits_cnn_by_commands_matches_cli_check(window, qtbot, capsys):
    _build_by_commands(window, EXAMPLES / "digits_cnn.sprout")
    qtbot.waitUntil(lambda: len(window.editor.analysis.nodes) == 10)
    assert main(["check", str(EXAMPLES / "digits_cnn.sprout"), "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert window.editor.analysis.totals() == cli["totals"]
    for row in cli["nodes"]:
        res = window.editor.analysis.nodes[row["id"]]
        assert list(res.out_shapes[0]) == row["output_shape"] and res.cost.params == row["params"]
        item = window.scene.nodes[row["id"]]
        dims = "×".join(str(d) for d in row["output_shape"][1:])
        assert item.shape_line == f"→ {dims}" and not item.errors
    assert window.summary.labels["params"].text() == f"{cli['totals']['params']:,}"
    link = window.editor.doc.links()[0]
    assert window.scene.links[link].label == "8×8×1"


def test_wrong_shape_marks_the_right_node(window, qtbot):
    _build_by_commands(window, EXAMPLES / "digits_mlp.sprout")
    qtbot.waitUntil(lambda: window.editor.analysis.ok)
    # A Conv1D fed by the (batch, 10) class scores cannot work: it needs (batch, steps, channels).
    window.editor.stack.push(AddNodeCommand(window.editor.doc, "core.conv1d", None, (0, 300), uid="bad"))
    window.editor.stack.push(AddLinkCommand(window.editor.doc, window.editor.doc.check_link("n4", "out", "bad", "in")))
    qtbot.waitUntil(lambda: "bad" in window.editor.analysis.errors_by_node())
    assert list(window.editor.analysis.errors_by_node()) == ["bad"]
    assert window.scene.nodes["bad"].errors and not window.scene.nodes["n4"].errors
    assert "Expected an input of" in window.scene.nodes["bad"].toolTip()
    texts = [window.summary.diagnostics.item(i).text() for i in range(window.summary.diagnostics.count())]
    assert any("node bad" in t for t in texts)
    row = next(i for i, t in enumerate(texts) if "node bad" in t)
    window.summary._diagnostic_clicked(window.summary.diagnostics.item(row))
    assert window.scene.selected_uids() == ["bad"]


def test_inspector_spinbox_drag_is_one_undo_step(window, qtbot):
    window.open_path(EXAMPLES / "digits_cnn.sprout", template=True)
    window.scene.select_uids(["n8"])
    box = window.inspector.editors["units"]
    count = window.editor.stack.count()
    for v in (65, 66, 67, 68):
        box.setValue(v)
    assert window.editor.doc.node("n8").params["units"] == 68
    assert window.editor.stack.count() == count + 1
    qtbot.waitUntil(lambda: window.editor.analysis.nodes["n8"].cost.params == 256 * 68 + 68)
    window.editor.stack.undo()
    assert window.editor.doc.node("n8").params["units"] == 64 and box.value() == 64


def test_budget_gauges_warn_when_over(window, qtbot):
    window.open_path(EXAMPLES / "digits_cnn.sprout", template=True)
    window.summary.budget_edits["max_params"].setValue(10_000)
    qtbot.waitUntil(lambda: window.summary.budget_warning.text() != "")
    assert "Parameters" in window.summary.budget_warning.text()
    assert window.editor.project.budget == {"max_params": 10_000}
    window.editor.stack.undo()
    assert window.editor.project.budget == {} and window.summary.budget_warning.text() == ""


def test_save_close_reopen_is_identical(make_window, tmp_path):
    w1 = make_window()
    w1.open_path(EXAMPLES / "residual_cnn.sprout", template=True)
    w1.editor.stack.push(SetParamsCommand(w1.editor.doc, "n2", {"filters": 12}))
    path = tmp_path / "mine.sprout"
    assert w1._save_to(path)
    assert not w1.isWindowModified() and w1.windowTitle().startswith("mine.sprout")
    text = dumps(w1.editor.project)
    w1.close()
    w2 = make_window()
    assert w2.open_path(path)
    assert dumps(w2.editor.project) == text
    assert dumps(load_project(path, w2.editor.registry)) == text


def test_failed_save_keeps_previous_file(window, tmp_path, monkeypatch):
    path = tmp_path / "p.sprout"
    window.open_path(EXAMPLES / "iris_mlp.sprout", template=True)
    assert window._save_to(path)
    before = path.read_bytes()
    window.editor.stack.push(SetParamsCommand(window.editor.doc, "n2", {"units": 5}))

    def crash(*a):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(project_mod.os, "replace", crash)
    assert not window._save_to(path)
    assert path.read_bytes() == before and window.isWindowModified()
    assert "previous file is unchanged" in window.statusBar().currentMessage()


def test_autosave_recovery_restores_unsaved_edits(make_window, tmp_path):
    path = tmp_path / "work.sprout"
    w1 = make_window()
    w1.open_path(EXAMPLES / "digits_mlp.sprout", template=True)
    w1._save_to(path)
    w1.editor.stack.push(SetParamsCommand(w1.editor.doc, "n2", {"units": 99}))
    side = w1.editor.autosave_now()
    assert side is not None and side.exists()
    # the app "crashes": no save, no close; a new session opens the same file
    w2 = make_window()
    w2.editor.autosave_folder = w1.editor.autosave_folder
    assert w2.open_path(path)
    assert w2.asked == ["Recover unsaved changes?"]
    assert w2.editor.doc.node("n2").params["units"] == 99 and w2.isWindowModified()
    assert load_project(path, w2.editor.registry).document.node("n2").params["units"] == 64


def test_untitled_autosave_is_offered_at_start(make_window):
    w1 = make_window()
    w1.open_path(EXAMPLES / "iris_mlp.sprout", template=True)
    w1.editor.stack.push(SetParamsCommand(w1.editor.doc, "n2", {"units": 21}))
    assert w1.editor.autosave_now() is not None
    w2 = make_window()
    w2.editor.autosave_folder = w1.editor.autosave_folder
    assert w2.offer_untitled_recovery()
    assert w2.editor.doc.node("n2").params["units"] == 21 and w2.editor.path is None


def test_export_canvas_png_and_svg(window, tmp_path):
    window.open_path(EXAMPLES / "residual_cnn.sprout", template=True)
    png = window.export_canvas("png", str(tmp_path / "g.png"))
    svg = window.export_canvas("svg", str(tmp_path / "g.svg"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in svg.read_text() and "Conv a" in svg.read_text()


def test_view_code_shows_keras_code_that_builds_the_graph(window):
    window.open_path(EXAMPLES / "residual_cnn.sprout", template=True)
    dialog = window.view_code()
    code = dialog.text.toPlainText()
    assert "keras.layers.Add(name='n5')([n4, n2])" in code
    namespace = {}
    exec(compile(code, "generated", "exec"), namespace)  # our own generated code, not a user file
    assert namespace["build_model"]().count_params() == window.editor.analysis.totals()["params"]
    dialog.close()


def test_screenshot_of_main_window(window, qtbot):
    window.open_path(EXAMPLES / "digits_cnn.sprout", template=True)
    window.actions.arrange()
    qtbot.wait(50)
    window.view.fit_all()
    window.scene.select_uids(["n4"])
    qtbot.wait(50)
    out = ROOT / "tests" / "artifacts"
    out.mkdir(parents=True, exist_ok=True)
    image = window.grab()
    assert image.save(str(out / "main_window.png"))
    assert image.width() >= 1000


@pytest.mark.parametrize("name", ["digits_cnn", "residual_cnn", "seq_digits_lstm"])
def test_examples_open_without_errors(window, name):
    assert window.open_path(EXAMPLES / f"{name}.sprout", template=True)
    assert window.editor.analysis.ok and not any(i.errors for i in window.scene.nodes.values())
