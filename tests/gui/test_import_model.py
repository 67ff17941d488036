"""File > Import Model… (issue 13): a model file opens as the imported project, weights in its run."""
from __future__ import annotations

from PySide6.QtWidgets import QFileDialog

from tests.conftest import ROOT


def _model(tmp_path):
    import keras

    L = keras.layers
    x = keras.Input((8, 8, 1), name="image")
    y = L.Conv2D(8, 3, padding="same", activation="relu")(x)
    skip = L.Conv2D(8, 1)(x)
    y = L.Add()([y, skip])
    y = L.RandomFlip()(y)  # no block: the studio keeps it as a read-only Keras layer node
    y = L.GlobalAveragePooling2D()(y)
    model = keras.Model(x, L.Dense(10, activation="softmax")(y), name="foreign")
    path = tmp_path / "foreign.keras"
    model.save(path)
    return path


def test_import_model_opens_the_graph_with_its_run_and_screenshots(make_window, qtbot, tmp_path, monkeypatch):
    window = make_window()
    path = _model(tmp_path)
    out = tmp_path / "imported.sprout"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    importer = window.model_importer
    assert window.act_import_model in window.menuBar().actions()[0].menu().actions()
    window.act_import_model.trigger()
    qtbot.waitUntil(lambda: importer.result is not None or importer.error is not None, timeout=60_000)
    assert importer.error is None, importer.error
    project = window.editor.project
    assert project.path == out and out.is_file()
    blocks = sorted(n.block for n in project.document.nodes.values())
    assert blocks == sorted(["core.input", "core.conv2d", "core.conv2d", "core.add", "core.keras_layer",
                             "core.global_avgpool2d", "core.dense", "core.output"])
    assert len(project.runs) == 1 and project.runs[0]["stop_reason"] == "imported"
    assert (importer.result.run_folder / "model.keras").is_file()
    assert "kept as Keras layer nodes: RandomFlip (1)" in importer.message
    assert not window.editor.stack.canUndo()  # opened, not edited

    shots = ROOT / "tests" / "artifacts"
    shots.mkdir(parents=True, exist_ok=True)
    for w, h in ((1400, 860), (1280, 720)):
        window.resize(w, h)
        qtbot.wait(80)  # let the docks settle, then fit the graph to what is left
        window.view.fit_all()
        qtbot.wait(80)
        assert window.grab().save(str(shots / f"import_model_{w}x{h}.png"))


def test_a_refused_model_says_why_and_opens_nothing(make_window, qtbot, tmp_path):
    window = make_window()
    errors = []
    window._error = lambda title, text: errors.append(text)
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip")
    window.model_importer.start(broken, tmp_path / "b.sprout")
    qtbot.waitUntil(lambda: window.model_importer.error is not None, timeout=30_000)
    assert errors and "not a valid .keras archive" in errors[0]
    assert window.editor.project.path is None and not (tmp_path / "b.sprout").exists()
