"""Training started from the studio: throughput against plain ``model.fit``, and GUI latency.

The studio run goes through the whole path a user takes (snapshot, worker thread, live
curves redrawn at full rate, TensorBoard files), while a 10 ms heartbeat QTimer on the
GUI thread measures how late the event loop gets to it during training.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np

from tests.bench.common import epoch_timer, median

EXAMPLE = "digits_cnn"
EPOCHS = 12
BATCH = 32
HEARTBEAT_MS = 10


def _studio_run(app, window, dock) -> tuple[list[float], list[float]]:
    """Train from the dock; returns epoch seconds and heartbeat lateness (ms) during training."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    beats: list[float] = []
    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.PreciseTimer)
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(lambda: beats.append(time.perf_counter()))  # GUI-thread timer: runs on the GUI thread
    loop = QEventLoop()
    watch = QTimer()
    watch.setInterval(20)
    watch.timeout.connect(lambda: loop.quit() if not dock.running else None)
    assert dock.start()
    heartbeat.start()
    watch.start()
    loop.exec()
    heartbeat.stop()
    watch.stop()
    outcome = dock.last_outcome
    if not outcome or outcome.get("failed"):
        raise RuntimeError(f"studio run failed: {outcome}")
    # Only count the training itself: from the first batch report to the end.
    t_first = dock.controller.progress.t_first or beats[0]
    gaps = np.diff([b for b in beats if b >= t_first])
    late_ms = list(np.maximum(0.0, gaps * 1000 - HEARTBEAT_MS))
    return [row["seconds"] for row in outcome["history"][1:]], late_ms


def _plain_fit(doc, ds, cfg) -> list[float]:
    import keras

    from engine.build.compiler import compile_document
    from engine.train.trainer import prepare_model

    keras.utils.set_random_seed(cfg.seed)
    compiled = compile_document(doc)
    prepare_model(compiled, ds, cfg)
    timer = epoch_timer()
    compiled.model.fit(ds.x_train, ds.y_train, batch_size=BATCH, epochs=EPOCHS, verbose=0, shuffle=True,
                       validation_data=(ds.x_val, ds.y_val), callbacks=[timer])
    return timer.seconds[1:]  # epoch 1 includes tracing


def run() -> list[dict]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from engine.build.backend import import_keras_quietly
    from engine.data.datasets import DataConfig, load_dataset
    from engine.train.config import TrainConfig
    from engine.train.workflow import open_project
    from gui.editing.editor import Editor
    from gui.main_window import MainWindow
    from gui.training import install_training_dock
    from tests.conftest import EXAMPLES

    import_keras_quietly()
    app = QApplication.instance() or QApplication([])
    tmp = Path(tempfile.mkdtemp(prefix="sprout-bench-"))
    window = MainWindow(Editor(autosave_folder=tmp / "autosave"), warm_up=False)
    dock = install_training_dock(window)
    dock.controller.untitled_root = tmp / "runs"
    window.show()
    window.open_path(EXAMPLES / f"{EXAMPLE}.sprout", template=True)
    window.editor.project.training = {**window.editor.project.training, "epochs": EPOCHS, "batch_size": BATCH}
    app.processEvents()

    doc = open_project(EXAMPLES / f"{EXAMPLE}.sprout").document
    cfg = TrainConfig.from_dict(window.editor.project.training)
    ds = load_dataset(DataConfig("digits"))
    gui_epochs, plain_epochs, late = [], [], []
    def studio():
        seconds, lateness = _studio_run(app, window, dock)
        gui_epochs.extend(seconds)
        late.extend(lateness)

    def plain():
        plain_epochs.extend(_plain_fit(doc, ds, cfg))

    for first, second in ((studio, plain), (plain, studio)) * 2:  # ABBA: order effects cancel
        first()
        second()
    window.editor.stack.setClean()
    window.close()
    from gui.jobs import wait_all

    wait_all()  # a data preview may still be loading: join it before the QApplication goes
    gui, plain = median(gui_epochs), median(plain_epochs)
    p99 = float(np.percentile(late, 99)) if late else 0.0
    worst = float(max(late)) if late else 0.0
    return [
        {"name": "gui_train_throughput", "what": f"studio run (worker, live curves) vs plain model.fit, {EXAMPLE}, "
                                                 f"batch {BATCH}",
         "gui_epoch_s": round(gui, 4), "plain_epoch_s": round(plain, 4), "ratio": round(plain / gui, 3),
         "target": ">= 1.3 (throughput ratio)"},
        {"name": "gui_train_latency", "what": f"{HEARTBEAT_MS} ms heartbeat lateness on the GUI thread during training",
         "p50_ms": round(float(np.percentile(late, 50)), 2) if late else 0.0, "p99_ms": round(p99, 2),
         "max_stall_ms": round(worst, 2), "beats": len(late), "ratio": round(p99 / 30.0, 3),
         "target": "p99 <= 30 ms (ratio <= 1)"},
    ]


if __name__ == "__main__":
    for res in run():
        print(res)
