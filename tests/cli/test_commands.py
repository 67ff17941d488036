"""The command registry: one module per sub-command, each registering exactly that command."""
from __future__ import annotations

import argparse
import importlib
import os
import signal
from types import SimpleNamespace

import pytest

from cli import commands
from cli.app import build_parser
from cli.common import StopFlag, report_result
from tests.conftest import ROOT

MODULE_FILES = sorted(p.stem for p in (ROOT / "cli" / "commands").glob("*.py") if not p.stem.startswith("_"))


def test_every_module_file_is_a_command():
    assert MODULE_FILES, "no command modules found"
    assert sorted(commands.names()) == sorted(commands.command_name(stem) for stem in MODULE_FILES)


@pytest.mark.parametrize("stem", MODULE_FILES)
def test_each_module_registers_exactly_its_one_command(stem):
    module = importlib.import_module(f"cli.commands.{stem}")
    sub = argparse.ArgumentParser().add_subparsers(dest="command")
    parser = module.add_parser(sub)
    assert list(sub.choices) == [commands.command_name(stem)]
    assert sub.choices[commands.command_name(stem)] is parser
    assert callable(module.run)
    assert commands.load(commands.command_name(stem)) is module


def test_the_parser_is_the_registry():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert tuple(sub.choices) == commands.names()


def test_command_names_from_file_names():
    assert commands.command_name("lr_range") == "lr-range"
    assert commands.command_name("import_") == "import"  # a keyword can still be a command
    with pytest.raises(KeyError):
        commands.load("gui")


def test_ctrl_c_stops_the_job_then_aborts_and_restores_the_handler(capsys):
    before = signal.getsignal(signal.SIGINT)
    flag = StopFlag()
    with flag.installed():
        assert not flag.requested
        os.kill(os.getpid(), signal.SIGINT)  # delivered to the main thread before kill returns
        assert flag.requested and flag.control.should_stop()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is before
    assert "stopping after the current batch" in capsys.readouterr().err


def test_the_result_line(capsys):
    result = SimpleNamespace(stop_reason="early_stopping", epochs_run=4, message="val_loss stopped improving",
                             metrics={"test": {"accuracy": 0.91, "loss": 0.3}})
    report_result(result, "/tmp/run")
    assert capsys.readouterr().err.splitlines() == [
        "early_stopping: 4 epochs, test accuracy 0.9100, loss 0.3000. val_loss stopped improving",
        "saved to /tmp/run",
    ]
    report_result(SimpleNamespace(stop_reason="stopped", epochs_run=1, message="", metrics={}), None)
    assert capsys.readouterr().err.splitlines() == ["stopped: 1 epochs"]
