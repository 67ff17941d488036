"""The export job's promises: pre-flight refusals write nothing, raw inputs give the studio's
class, a crashed converter costs one file, Stop keeps whole files only, bad input is one line."""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from engine.errors import SproutError
from engine.export.job import export_job
from engine.export.options import ExportError, ExportOptions
from engine.export.preflight import preflight
from engine.export.source import resolve_source
from engine.jobs import JobControl

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "resources" / "examples"


def _project_with(tmp_path, name: str, edit) -> Path:
    data = json.loads((EXAMPLES / f"{name}.sprout").read_text())
    edit(data)
    path = tmp_path / f"{name}.sprout"
    path.write_text(json.dumps(data))
    return path


def test_preflight_names_the_blocks_each_format_changes():
    source = resolve_source(EXAMPLES / "seq_digits_zoneout.sprout")
    table = preflight(source, ExportOptions(formats=("keras", "tflite", "onnx", "c")).checked())
    lines = table.lines()
    assert any(ln.startswith("tflite") and "Zoneout" in ln and "unrolled for TFLite: 8 steps" in ln for ln in lines)
    assert any(ln.startswith("c ") and "unrolled" in ln for ln in lines)
    assert not any(ln.startswith(("keras", "onnx")) and "unrolled" in ln for ln in lines)
    assert table.refused == ()


def test_preflight_notes_stochastic_swapout_and_training_techniques(tmp_path):
    def stochastic(data):
        for node in data["nodes"]:
            if node["block"] == "paper.swapout":
                node.setdefault("params", {})["inference"] = "stochastic"
    source = resolve_source(_project_with(tmp_path, "digits_swapout", stochastic))
    lines = preflight(source, ExportOptions(formats=("keras", "tflite", "onnx")).checked()).lines()
    assert any(ln.startswith("tflite") and "(n5)" in ln and "exported deterministic" in ln for ln in lines)
    assert any(ln.startswith("onnx") and "exported deterministic" in ln for ln in lines)
    assert not any(ln.startswith("keras") and "(n5)" in ln for ln in lines)
    clr = preflight(resolve_source(EXAMPLES / "digits_clr.sprout"), ExportOptions(formats=("tflite",))).lines()
    assert any("training technique" in ln for ln in clr)


def test_a_refused_format_writes_nothing_and_the_others_are_written(tmp_path):
    import keras

    inp = keras.Input((4,))
    model = keras.Model(inp, keras.layers.Dense(3, activation="softmax")(inp))
    model.save(tmp_path / "bare.keras")
    source = resolve_source(tmp_path / "bare.keras")
    options = ExportOptions.parse("keras,python,tflite", "none,int8")
    table = preflight(source, options)
    assert set(table.refused) == {"python", "tflite"}
    assert any("bare model file" in ln and ln.startswith("python") for ln in table.lines())
    assert any("full int8 needs representative samples" in ln for ln in table.lines())
    result = export_job(source, options, tmp_path / "out")
    assert [a.path.name for a in result.artifacts] == ["model.keras"] and result.artifacts[0].ok
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert not any(n.endswith(".tflite") or "python" in n for n in names), names
    assert not any(n.startswith(".sprout-export") for n in names)
    with pytest.raises(ExportError, match="nothing to export"):
        export_job(source, ExportOptions.parse("python"), tmp_path / "out2")
    assert not (tmp_path / "out2").exists()


def test_bad_options_are_one_line_before_any_work(tmp_path):
    for fmts, quant, match in [("tflite,pdf", "none", "unknown format 'pdf'"), ("tflite", "int4", "--quantize 'int4'"),
                               ("", "none", "no format chosen")]:
        with pytest.raises(ExportError, match=match):
            ExportOptions.parse(fmts, quant)
    with pytest.raises(ExportError, match="opset 21"):
        ExportOptions(formats=("onnx",), opset=21).checked()
    with pytest.raises(SproutError, match="not a run folder"):
        resolve_source(tmp_path)
    (tmp_path / "x.txt").write_text("x")
    with pytest.raises(SproutError, match="not a run folder, a .sprout project or a model file"):
        resolve_source(tmp_path / "x.txt")


def _litert_classes(path: Path, raw: np.ndarray) -> np.ndarray:
    from tests.engine.export.consumers import litert  # the interpreter, quantizing as an app would

    return np.argmax(litert(str(path), raw), axis=1)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["iris_mlp", "digits_cnn"])
def test_raw_inputs_give_the_studios_class(example_run, name, tmp_path):
    """The user's raw rows (iris in cm, digits pixels 0..16) into the .tflite: the studio's class."""
    from sklearn import datasets as skd

    from engine.build.modelio import load_model

    folder = example_run(name)
    result = export_job(resolve_source(folder), ExportOptions.parse("tflite", "none,int8"), tmp_path / "out")
    assert result.ok, result.errors
    model = load_model(folder / "model.keras")
    if name == "iris_mlp":
        bunch = skd.load_iris()
        raw = bunch.data.astype("float32")
        from engine.export.job import source_dataset

        _ds, prep = source_dataset(resolve_source(folder))
        studio = np.argmax(model.predict(prep.apply(raw), verbose=0), axis=1)  # what the studio trains on
    else:
        bunch = skd.load_digits()
        raw = bunch.images.astype("float32")[..., None]  # pixels 0..16, as the user has them
        studio = np.argmax(model.predict(raw / 16.0, verbose=0), axis=1)
    assert raw.max() > 2  # really raw: not scaled to [0, 1] nor standardized
    float_classes = _litert_classes(tmp_path / "out" / "model.tflite", raw)
    assert np.array_equal(float_classes, studio)
    int8_classes = _litert_classes(tmp_path / "out" / "model_int8.tflite", raw)
    assert np.mean(int8_classes == studio) >= 0.97
    card = json.loads((tmp_path / "out" / "model_card.json").read_text())
    assert card["preprocessing"]["folded"] is True
    assert card["int8_quantization"]["model_int8.tflite"]["dtype"] == "int8"


def _converter_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().split(b"\0")
                status = (entry / "status").read_text()
            except OSError:
                continue
            ppid = int(next(ln.split()[1] for ln in status.splitlines() if ln.startswith("PPid:")))
            if b"engine.export.worker" in cmd and ppid == os.getpid():
                pids.append(int(entry.name))
    return pids


@pytest.mark.slow
def test_a_crashed_converter_costs_one_file_and_says_so(tmp_path):
    """A real SIGSEGV of the converter while it writes the int8 file: one error, the rest written."""
    killed = []

    def on_progress(p):
        if p.message == "writing model_int8.tflite" and not killed:
            time.sleep(0.05)
            for pid in _converter_pids():
                os.kill(pid, signal.SIGSEGV)
                killed.append(pid)

    options = ExportOptions.parse("tflite,onnx", "none,int8")
    result = export_job(resolve_source(EXAMPLES / "iris_mlp.sprout"), options, tmp_path / "out", on_progress)
    assert killed
    assert [e["file"] for e in result.errors] == ["model_int8.tflite"]
    assert "crashed (killed by SIGSEGV)" in result.errors[0]["message"]
    assert sorted(a.path.name for a in result.artifacts) == ["model.onnx", "model.tflite"]
    assert all(a.ok for a in result.artifacts)
    assert not (tmp_path / "out" / "model_int8.tflite").exists()


@pytest.mark.slow
def test_stop_keeps_whole_files_only(tmp_path):
    control = JobControl()
    old = tmp_path / "out" / "model.onnx"
    old.parent.mkdir()
    old.write_bytes(b"the previous export")

    def on_progress(p):
        if p.milestone:
            control.stop()  # after the first finished file

    options = ExportOptions.parse("keras,tflite,onnx", "none")
    result = export_job(resolve_source(EXAMPLES / "iris_mlp.sprout"), options, tmp_path / "out", on_progress, control)
    assert result.stopped and not result.ok
    assert [a.path.name for a in result.artifacts] == ["model.keras"]
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert not any(n.startswith(".sprout-export") for n in names), names
    assert old.read_bytes() == b"the previous export"  # not reached: the old file stands
    assert "model.tflite" not in names


@pytest.mark.slow
def test_a_converter_that_stops_answering_costs_one_file(tmp_path, monkeypatch):
    """A frozen converter (SIGSTOP while it writes the int8 file) is killed after the silence limit."""
    from engine.export import runner

    frozen = []

    def on_progress(p):
        if frozen and p.message.startswith("model_int8.tflite"):  # its error: the next converter may start slowly
            monkeypatch.setattr(runner, "SILENCE_SECONDS", 900.0)
        if p.message == "writing model_int8.tflite" and not frozen:
            monkeypatch.setattr(runner, "SILENCE_SECONDS", 3.0)  # now: the converter's start-up is silent too
            time.sleep(0.05)
            for pid in _converter_pids():
                os.kill(pid, signal.SIGSTOP)
                frozen.append(pid)

    options = ExportOptions.parse("tflite", "int8,none")
    started = time.monotonic()
    result = export_job(resolve_source(EXAMPLES / "iris_mlp.sprout"), options, tmp_path / "out", on_progress)
    assert frozen and time.monotonic() - started < 120
    assert [e["file"] for e in result.errors] == ["model_int8.tflite"]
    assert "no answer for 3 s" in result.errors[0]["message"]
    assert [a.path.name for a in result.artifacts] == ["model.tflite"] and result.artifacts[0].ok
    for pid in frozen:
        assert not os.path.exists(f"/proc/{pid}") or "Z" in open(f"/proc/{pid}/stat").read().split()[2]
