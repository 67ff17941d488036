"""``main.py export``: a trained run folder to several formats, relative paths, pre-flight, table."""
from __future__ import annotations

import json

import pytest

from main import main
from tests.conftest import EXAMPLES


@pytest.mark.slow
def test_export_a_run_folder_to_several_formats(example_run, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run = example_run("iris_mlp")
    assert main(["export", str(run), "--format", "keras,tflite,onnx", "--quantize", "none,int8",
                 "--out", "deliver", "--name", "iris", "--opset", "13"]) == 0
    out = capsys.readouterr()
    table = out.out.splitlines()
    assert table[0].split() == ["file", "bytes", "gzipped", "check"]
    names = [line.split()[0] for line in table[1:-1]]
    assert names == ["iris.keras", "iris.tflite", "iris_int8.tflite", "iris.onnx"]
    assert all("ok:" in line for line in table[1:-1])
    assert (tmp_path / "deliver" / "iris_int8.tflite").stat().st_size > 0
    card = json.loads((tmp_path / "deliver" / "model_card.json").read_text())
    assert card["trained"] and card["metrics"]["test"]["accuracy"] > 0.8
    onnx_file = next(f for f in card["files"] if f["file"] == "iris.onnx")
    assert onnx_file["details"]["opset"] == 13 and "opset 13" in onnx_file["check"]
    assert card["inputs"][0]["value_range"][1] > 5  # raw centimetres, not standardized values
    assert card["class_names"] == ["setosa", "versicolor", "virginica"]
    assert "Traceback" not in out.err


def test_export_prints_the_preflight_and_refuses_bad_words(tmp_path, capsys):
    assert main(["export", str(EXAMPLES / "seq_digits_lstm.sprout"), "--format", "tflite,gif",
                 "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "unknown format 'gif'" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
    assert main(["export", str(EXAMPLES / "seq_digits_lstm.sprout"), "--format", "keras", "--quantize", "int3",
                 "--out", str(tmp_path / "o")]) == 1
    assert "--quantize 'int3'" in capsys.readouterr().err


def test_a_format_the_preflight_refuses_is_printed_and_writes_nothing(tmp_path, capsys):
    import keras

    inp = keras.Input((4,))
    keras.Model(inp, keras.layers.Dense(2)(inp)).save(tmp_path / "bare.keras")
    assert main(["export", str(tmp_path / "bare.keras"), "--format", "python", "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "pre-flight: python" in err and "REFUSED" in err and "bare model file" in err
    assert "nothing to export" in err
    assert not (tmp_path / "o").exists()
