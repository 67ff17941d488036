"""main.py, the composition root: a sub-command -> cli, a project or nothing -> the studio, else a usage error."""
from __future__ import annotations

import subprocess
import sys

import pytest

import main as main_module
from cli.commands import names
from main import main
from tests.conftest import EXAMPLES, ROOT

COMMANDS = ("ablate", "analyze-compression", "blocks", "check", "compress", "demo", "export", "import", "lr-range",
            "search-pba", "train")


@pytest.fixture
def studio(monkeypatch):
    """Record what would open the studio or run the demo, with a display unless told otherwise."""
    import cli.commands.demo
    import gui.app

    calls = {"gui": [], "demo": []}
    state = {"display": True}
    monkeypatch.setattr(gui.app, "has_display", lambda: state["display"])
    monkeypatch.setattr(gui.app, "run_gui", lambda project=None: calls["gui"].append(project) or 0)
    monkeypatch.setattr(cli.commands.demo, "run", lambda args: calls["demo"].append(args) or 0)  # no training
    monkeypatch.setattr("engine.build.backend.import_keras_quietly", lambda: None)  # nor the TensorFlow import
    calls["state"] = state
    return calls


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: main.py: ")
    for name in COMMANDS:
        assert name in lines[0]
    return lines[0]


def test_the_registry_has_the_commands_of_today():
    assert names() == COMMANDS  # `gui` is no sub-command any more: main.py routes to the studio itself


def test_a_mistyped_command_is_a_one_line_usage_error_in_a_real_process():
    proc = subprocess.run([sys.executable, "main.py", "frobnicate"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1 and proc.stdout == ""
    line = _one_error_line(proc.stderr)
    assert "'frobnicate'" in line and "Traceback" not in proc.stderr


@pytest.mark.parametrize("argv, word", [
    (["frobnicate"], "unknown command 'frobnicate'"),
    (["--frob"], "unknown option '--frob'"),
    (["nope.sprout"], "no such project file 'nope.sprout'"),
    ([str(EXAMPLES / "digits_mlp.sprout"), "extra"], "unexpected argument 'extra'"),
])
def test_anything_else_is_a_usage_error_and_opens_nothing(argv, word, studio, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nope.sprout is missing here for sure
    assert main(argv) == 1
    assert word in _one_error_line(capsys.readouterr().err)
    assert studio["gui"] == [] and studio["demo"] == []


def test_an_existing_project_opens_the_studio_on_it(studio, capsys):
    path = str(EXAMPLES / "digits_mlp.sprout")
    assert main([path]) == 0
    assert studio["gui"] == [path] and studio["demo"] == []
    assert capsys.readouterr().err == ""


def test_no_argument_opens_the_studio(studio):
    assert main([]) == 0
    assert studio["gui"] == [None]


def test_the_studio_exit_code_is_passed_on(studio, monkeypatch):
    monkeypatch.setattr("gui.app.run_gui", lambda project=None: 3)
    assert main([]) == 3


@pytest.mark.parametrize("argv", [[], [str(EXAMPLES / "digits_mlp.sprout")]])
def test_without_a_display_one_line_and_the_demo(argv, studio, capsys):
    studio["state"]["display"] = False
    assert main(argv) == 0
    assert studio["gui"] == []
    assert len(studio["demo"]) == 1
    args = studio["demo"][0]
    assert args.command == "demo" and args.epochs is None and args.out is None  # the demo's own defaults
    assert capsys.readouterr().err.strip().splitlines() == [main_module.NO_DISPLAY]


def test_a_sub_command_goes_to_the_cli_not_the_studio(studio, capsys):
    assert main(["check", str(EXAMPLES / "iris_mlp.sprout"), "--json"]) == 0
    assert '"ok": true' in capsys.readouterr().out and studio["gui"] == []


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in names():
        assert f"\n    {name} " in out or f"\n    {name}\n" in out  # a long name gets its help on the next line
    assert "gui" not in out.split("positional arguments")[1]


def test_help_in_a_real_process_lists_every_command():
    proc = subprocess.run([sys.executable, "main.py", "-h"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    assert "{" + ",".join(COMMANDS) + "}" in proc.stdout
