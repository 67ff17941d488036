"""``main.py import MODEL --out PROJECT.sprout [--partial]`` (issue 13)."""
from __future__ import annotations

from types import SimpleNamespace

from main import main


def test_import_prints_the_table_refuses_unmapped_then_keeps_them_with_partial(tmp_path, capsys):
    def _run(*args):
        code = main(["import", *map(str, args)])
        out, err = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    import keras

    L = keras.layers
    x = keras.Input((6, 6, 1))
    y = L.Conv2D(2, 3, activation="relu")(L.RandomFlip()(x))
    keras.Model(x, L.Dense(3)(L.Flatten()(y))).save(tmp_path / "m.keras")
    refused = _run(tmp_path / "m.keras", "--out", tmp_path / "p.sprout")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "no block for: RandomFlip (1)" in refused.stderr.strip().splitlines()[-1]
    done = _run(tmp_path / "m.keras", "--out", tmp_path / "p.sprout", "--partial")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["layer", "Keras", "class", "block"]
    assert any("Conv2D" in ln and "core.conv2d" in ln for ln in lines)
    assert any("RandomFlip" in ln and "core.keras_layer" in ln for ln in lines)
    assert "kept as read-only Keras layer nodes: RandomFlip (1)" in done.stderr
    assert (tmp_path / "p.sprout").is_file() and len(list((tmp_path / "p.runs").iterdir())) == 1
    again = _run(tmp_path / "m.keras", "--out", tmp_path / "p.sprout")
    assert again.returncode == 1 and "exists already" in again.stderr
