"""Studio benchmarks: start-up vs importing TensorFlow, and a 500-node graph."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from tests.bench.common import median

NODES = 500


def _wall(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         env={**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")})
    return time.perf_counter() - t0, out.stdout.strip()


def startup() -> dict:
    """Process start to window shown, as a ratio to `python -c "import tensorflow"`."""
    gui_times, tf_times, heavy = [], [], ""
    for _ in range(3):
        wall, out = _wall([sys.executable, "-m", "tests.bench.gui_startup"])
        gui_times.append(wall)
        heavy = out.split()[-1]
        tf_times.append(_wall([sys.executable, "-c", "import tensorflow"])[0])
    gui, tf = median(gui_times), median(tf_times)
    return {"name": "gui_startup", "what": "process start -> main window shown, vs `python -c 'import tensorflow'`",
            "gui_s": round(gui, 3), "import_tf_s": round(tf, 3), "ratio": round(gui / tf, 3),
            "tf_loaded_at_show": heavy != "-", "target": "<= 0.3"}


def big_graph() -> dict:
    """Load and render a 500-node graph; revalidate after one parameter edit; repaint frame time."""
    import tempfile

    from PySide6.QtWidgets import QApplication

    from engine.model.project import Project, save_project
    from gui.editing.commands import SetParamsCommand
    from gui.editing.editor import Editor
    from gui.main_window import MainWindow
    from tests.bench.bench_compile import resnet_document

    global_blocks = -(-(NODES - 5) // 4)  # 4 nodes per residual block + 5 others
    import tests.bench.bench_compile as bc
    saved_blocks, bc.BLOCKS = bc.BLOCKS, global_blocks
    try:
        doc = resnet_document()
    finally:
        bc.BLOCKS = saved_blocks
    from engine.model.layout import layered_positions
    for uid, pos in layered_positions(doc, max_columns=20).items():
        doc.move_node(uid, pos)
    path = os.path.join(tempfile.mkdtemp(), "big.sprout")
    save_project(Project(doc), path)

    app = QApplication.instance() or QApplication([])
    window = MainWindow(Editor(), warm_up=False)
    window.show()
    app.processEvents()
    t0 = time.perf_counter()
    window.open_path(path, ask_save=False)
    window.view.viewport().repaint()
    load_render = time.perf_counter() - t0
    nodes = len(window.editor.doc.nodes)

    conv = next(u for u, n in window.editor.doc.nodes.items() if n.block == "core.conv2d")
    edits = []
    for i in range(15):
        t0 = time.perf_counter()
        window.editor.stack.push(SetParamsCommand(window.editor.doc, conv, {"filters": 8 + (i % 2)}))
        window.editor.revalidate()  # analysis + scene labels + summary, as after a real edit
        edits.append(time.perf_counter() - t0)

    window.view.fit_all()
    frames = []
    for _ in range(10):
        t0 = time.perf_counter()
        window.view.viewport().repaint()
        frames.append(time.perf_counter() - t0)
    window.editor.stack.setClean()
    window.close()
    from gui.jobs import wait_all

    wait_all()  # a data preview may still be loading: join it before the QApplication goes
    revalidate_ms = 1000 * median(edits)
    return {"name": "gui_500_nodes", "what": f"{nodes}-node graph in the studio",
            "load_render_s": round(load_render, 3), "revalidate_ms": round(revalidate_ms, 2),
            "revalidate_p90_ms": round(1000 * statistics.quantiles(edits, n=10)[-1], 2),
            "full_view_frame_ms": round(1000 * median(frames), 2),
            "ratio": round(revalidate_ms / 30.0, 3), "target": "revalidate <= 30 ms (ratio to 30 ms <= 1)"}


def run() -> list[dict]:
    return [startup(), big_graph()]
