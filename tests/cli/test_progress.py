"""The one CLI renderer of job progress: milestones as lines, a redrawn bar only on a terminal."""
from __future__ import annotations

import io

import pytest

from cli import progress
from cli.progress import ProgressBar, bar_line, milestone_line
from engine.jobs import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: now[0])
    return now


def _epoch(step=3, total=10, **metrics):
    return Progress("epoch", step, total, f"epoch {step}/{total}", metrics, milestone=True)


def test_a_milestone_is_one_line_with_its_metrics():
    stream = io.StringIO()
    ProgressBar(stream)(_epoch(loss=0.31, accuracy=0.912345, val_loss=0.4, seconds=1.26, batches=5, lr=0.01))
    assert stream.getvalue() == "epoch 3/10  loss 0.3100  accuracy 0.9123  val_loss 0.4000  1.3s\n"


def test_a_milestone_without_a_message_names_its_stage_and_step():
    assert milestone_line(Progress("export", 2, 3, milestone=True)) == "export 2/3"
    assert milestone_line(Progress("prune", 4, milestone=True, metrics={"size_kb": 12.5})) == "prune 4  size_kb 12.5000"


def test_a_stream_that_is_no_terminal_gets_no_bar_spam(clock):
    stream = io.StringIO()
    bar = ProgressBar(stream, min_interval=0.0)
    for step in range(1, 201):
        clock[0] += 1.0
        bar(Progress("train", step, 200, "epoch 1/1", {"loss": 1.0 / step}))
    assert stream.getvalue() == ""
    bar(_epoch(1, 1, loss=0.5))
    assert stream.getvalue() == "epoch 1/1  loss 0.5000\n"


def test_a_terminal_gets_one_bar_redrawn_in_place_and_throttled(clock):
    stream = Terminal()
    bar = ProgressBar(stream, min_interval=0.5, width=10)
    bar(Progress("train", 5, 10, "epoch 1/2", {"loss": 0.25}))
    clock[0] += 0.1
    bar(Progress("train", 6, 10, "epoch 1/2"))  # too soon: skipped
    assert stream.getvalue() == "\r\033[Ktrain [#####.....] 5/10 epoch 1/2 loss 0.2500"
    clock[0] += 0.5
    bar(_epoch(1, 2, loss=0.2))  # a milestone is never throttled and replaces the bar
    assert stream.getvalue().endswith("\r\033[Kepoch 1/2  loss 0.2000\n")


def test_the_header_comes_with_the_first_report_only():
    stream = io.StringIO()
    bar = ProgressBar(stream, header="LR range test on p.sprout")
    assert stream.getvalue() == ""  # not before the slow set-up succeeded
    bar(Progress("lr-range", 1, 5))
    bar(_epoch())
    assert stream.getvalue().splitlines() == ["LR range test on p.sprout", "epoch 3/10"]


def test_a_bar_without_a_total_shows_the_count_only():
    assert bar_line(Progress("search", 7, None, "trial 7")) == "search 7 trial 7"
