"""The headless CLI: tables, files, exit codes, one-line errors for bad input."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from main import main
from tests.conftest import EXAMPLES


def test_check_prints_a_row_per_node_and_totals(capsys):
    assert main(["check", str(EXAMPLES / "digits_cnn.sprout")]) == 0
    out = capsys.readouterr().out
    for uid in [f"n{i}" for i in range(1, 11)]:
        assert f"\n{uid} " in out
    assert "(batch, 4, 4, 32)" in out and "total: 35,914 parameters" in out


def test_check_json(capsys):
    assert main(["check", str(EXAMPLES / "iris_mlp.sprout"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and data["totals"]["params"] == 131
    assert [r["id"] for r in data["nodes"]] == ["n1", "n2", "n3", "n4"]


def test_check_names_each_faulty_node(tmp_path, capsys):
    text = json.loads((EXAMPLES / "residual_cnn.sprout").read_text())
    text["nodes"][3]["params"]["padding"] = "valid"  # n4 shrinks to 6x6, so the skip Add n5 cannot sum
    path = tmp_path / "bad.sprout"
    path.write_text(json.dumps(text))
    assert main(["check", str(path)]) == 1
    captured = capsys.readouterr()
    lines = [ln for ln in captured.err.splitlines() if ln.startswith("error:")]
    assert lines == ["error: node n5: Add needs inputs of one shape. Received: (batch, 6, 6, 16), (batch, 8, 8, 16)"]
    assert "\nn6 " in captured.out and "?" in captured.out  # downstream nodes listed, shape unknown


@pytest.mark.parametrize("content, message", [
    ('{"format": "sprout", "version": 1, "nodes": [{"id"', "truncated"),
    ('{"format": "sprout", "version": 7}', "newer Sprout"),
    ('{"format": "sprout", "version": 1, "nodes": [{"id": "x", "block": "core.teleport"}]}', "Unknown block id"),
])
def test_bad_project_files_exit_1_with_one_line(content, message, tmp_path, capsys):
    path = tmp_path / "p.sprout"
    path.write_text(content)
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0] and str(path) in err[0]


def test_train_writes_model_history_and_summary(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", str(EXAMPLES / "iris_mlp.sprout"), "--epochs", "3", "--out", str(out), "--seed", "1"]) == 0
    with open(out / "history.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    assert set(rows[0]) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["epochs_run"] == 3 and summary["stop_reason"] == "completed"
    assert set(summary["metrics"]) == {"train", "val", "test"} and summary["params"] == 131
    assert (out / "model.keras").exists()
    assert "epoch 3/3" in capsys.readouterr().err


def test_train_execution_settings_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", str(EXAMPLES / "digits_mlp.sprout"), "--epochs", "1", "--out", str(out),
                 "--steps-per-execution", "4", "--jit", "off"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["execution"]["steps_per_execution"] == 4 and summary["execution"]["source"] == "fixed"
    assert summary["config"]["steps_per_execution"] == 4 and summary["config"]["jit_compile"] is False
    assert "execution: steps_per_execution=4, jit_compile=False (fixed)" in capsys.readouterr().err
    assert main(["train", str(EXAMPLES / "digits_mlp.sprout"), "--epochs", "1", "--out", str(tmp_path / "r2"),
                 "--steps-per-execution", "0"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "steps_per_execution" in err[0] and "0" in err[0]


def test_train_on_user_csv_and_bad_data(tmp_path, capsys):
    csv_path = tmp_path / "d.csv"
    rng = np.random.default_rng(0)
    rows = ["a,b,c,d,kind"] + [",".join(f"{v:.3f}" for v in rng.normal(size=4)) + f",{i % 3}" for i in range(60)]
    csv_path.write_text("\n".join(rows))
    assert main(["train", str(EXAMPLES / "iris_mlp.sprout"), "--epochs", "1", "--out", str(tmp_path / "r"),
                 "--data", str(csv_path), "--label", "kind"]) == 0
    capsys.readouterr()
    assert main(["train", str(EXAMPLES / "iris_mlp.sprout"), "--epochs", "1", "--out", str(tmp_path / "r2"),
                 "--data", str(csv_path)]) == 1
    assert "no label column 'label'" in capsys.readouterr().err
    assert main(["train", str(EXAMPLES / "iris_mlp.sprout"), "--out", str(tmp_path / "r3"),
                 "--data", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err
    assert "no such file or folder" in err and "Traceback" not in err
    assert main(["train", str(EXAMPLES / "iris_mlp.sprout"), "--out", str(tmp_path / "r4"), "--data", "digits"]) == 1
    assert "expects samples of shape (4,)" in capsys.readouterr().err


def test_export_keras_and_h5_and_refuse_code(tmp_path, capsys):
    keras_path, h5_path = tmp_path / "m.keras", tmp_path / "m.h5"
    assert main(["export", str(EXAMPLES / "digits_mlp.sprout"), "--format", "keras", "--out", str(keras_path)]) == 0
    assert main(["export", str(keras_path), "--format", "h5", "--out", str(h5_path)]) == 0
    assert h5_path.stat().st_size > 0
    assert main(["export", str(keras_path), "--format", "h5", "--out", str(tmp_path / "m.keras")]) == 1

    import keras
    inp = keras.Input((3,))
    evil = keras.Model(inp, keras.layers.Lambda(lambda x: x * 2)(inp))
    evil.save(tmp_path / "evil.keras")
    capsys.readouterr()
    assert main(["export", str(tmp_path / "evil.keras"), "--format", "keras", "--out", str(tmp_path / "o.keras")]) == 1
    assert "refused: the model contains Python code" in capsys.readouterr().err
    (tmp_path / "junk.keras").write_bytes(b"not a zip")
    assert main(["export", str(tmp_path / "junk.keras"), "--format", "h5", "--out", str(tmp_path / "o.h5")]) == 1
    assert "not a valid .keras archive" in capsys.readouterr().err


def test_blocks_json_lists_every_block_with_params(capsys):
    assert main(["blocks", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    ids = {b["id"] for b in data["blocks"]}
    assert {"core.input", "core.dense", "core.conv2d", "core.lstm", "core.output", "core.add"} <= ids
    dropout = next(b for b in data["blocks"] if b["id"] == "core.dropout")
    assert dropout["params"][0] == {"name": "rate", "type": "float", "default": 0.25,
                                    "help": "Fraction of units dropped while training.",
                                    "range": {"min": 0.0, "max": 1.0, "min_exclusive": False, "max_exclusive": True}}


def test_usage_errors_are_one_line(capsys):
    assert main(["train"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: main.py train: the following arguments are required")


def test_technique_failure_is_one_line_naming_the_node(tmp_path, capsys):
    data = json.loads((EXAMPLES / "digits_mlp.sprout").read_text())
    data["nodes"].append({"id": "p1", "block": "paper.pba", "params": {}, "position": [0, 300], "title": "PBA"})
    path = tmp_path / "mlp_pba.sprout"
    path.write_text(json.dumps(data))
    assert main(["train", str(path), "--epochs", "1", "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert "error: node p1: paper.pba augments images" in err and "Traceback" not in err
