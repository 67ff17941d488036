"""In the studio: the graph is checked against its data on every edit, before Train."""
from __future__ import annotations

import json

from tests.conftest import EXAMPLES


def _diagnostics(window) -> list[str]:
    lst = window.summary.diagnostics
    return [lst.item(i).text() for i in range(lst.count())]


def _dense_after_conv(path):
    data = json.loads((EXAMPLES / "digits_cnn.sprout").read_text())
    data["nodes"] = [n for n in data["nodes"] if n["id"] not in ("n6", "n7", "n8")]
    data["links"] = [lk for lk in data["links"] if lk["from"][0] not in ("n5", "n6", "n7", "n8")]
    data["links"].append({"from": ["n5", "out"], "to": ["n9", "in"]})
    path.write_text(json.dumps(data))
    return path


def test_dense_after_conv2d_is_an_error_with_the_fix_and_clears_when_fixed(window, tmp_path):
    assert window.open_path(_dense_after_conv(tmp_path / "p.sprout"))
    lines = _diagnostics(window)
    assert any("node n9" in ln and "insert a Flatten (256 values per sample)" in ln for ln in lines), lines
    assert "n9" in window.editor.analysis.errors_by_node()  # the node is marked red on the canvas
    doc = window.editor.doc
    flatten = doc.add_node("core.flatten")
    link = doc.inputs_of("n9")["in"]
    doc.remove_link(link)
    doc.add_link("n5", "out", flatten, "in")
    doc.add_link(flatten, "out", "n9", "in")
    window.editor.revalidate()
    assert not window.editor.analysis.errors
    assert any("No problems" in ln for ln in _diagnostics(window))


def test_a_csv_is_read_in_the_background_and_checked(window, tmp_path, qtbot):
    csv = tmp_path / "plants.csv"
    rows = ["a,b,c,label"] + [f"{i % 7},{i % 5},{i % 3},{'xyz'[i % 3]}" for i in range(60)]
    csv.write_text("\n".join(rows) + "\n")
    data = json.loads((EXAMPLES / "iris_mlp.sprout").read_text())
    data["data"] = {"source": "plants.csv"}
    project = tmp_path / "plants.sprout"
    project.write_text(json.dumps(data))
    assert window.open_path(project)
    window.training_dock.setup.refresh_preview()
    qtbot.waitUntil(lambda: any("set the Input's shape to (3,)" in ln for ln in _diagnostics(window)), timeout=20000)
