"""Model > Compress...: from a trained run to a small model that fits its device, in one click.

Four pages over ``engine.compress``: Start (the run, its baseline, the device and the
budget, with gauges for the graph as it stands), Fit to budget (the search as a job with
progress and Stop), By hand (a plan, checked before it runs, with each method's pros and
cons) and Results (the plans tried against the budget, and Export of the winner in the
device's formats). Work goes to ``<run>/compressed/``, so it shows under the run in the
Runs list and survives a restart; the chosen plan is saved in the project's
``compression`` section. Closing during a search stops it and keeps what finished.
"""
from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.analysis.device import device_lines, estimate, load_devices
from engine.errors import SproutError
from engine.runs import store as runs
from gui.compression.results import ResultsView
from gui.jobs import Job

METHOD_HELP = {
    "prune": "Pruning zeroes (or removes, structured) the smallest weights. + large gzip savings, no new blocks; "
             "- unstructured sparsity does not shrink the .tflite an MCU stores, only structured does.",
    "quantize": "int8 quantization stores weights and activations in 8 bits. + 4x smaller, fast int8 kernels; "
                "- a small accuracy cost (QAT fine-tuning recovers most of it).",
    "distill": "Knowledge distillation trains a slimmer student on the teacher's soft labels. + any size you "
               "want; - needs training time (epochs) and a good teacher.",
    "factorize": "Low-rank factorization splits a layer into two thinner ones (SVD / Tucker-2). + fewer MACs and "
                 "parameters; - pays off only on large layers, needs fine-tuning.",
}
EXAMPLE_PLAN = {"steps": [{"method": "prune", "sparsity": 0.5, "structured": True, "fine_tune_epochs": 2},
                          {"method": "quantize", "mode": "int8"}]}


def run_fit(request, budget, on_progress, control):
    """Job: ``request`` = (run folder, out folder)."""
    from engine.compress.fit import fit_budget_job

    folder, out = request
    return fit_budget_job(folder, budget, out, on_progress, control)


def run_plan(request, plan, on_progress, control):
    """Job: ``request`` = (run folder, out folder)."""
    from engine.compress.job import compress_job

    folder, out = request
    return compress_job(folder, plan, out, on_progress, control)


class CompressWizard(QDialog):
    """The compression wizard for one project's runs."""

    def __init__(self, editor, untitled_root: Path, run_id: str | None = None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Compress model")
        self.editor, self.untitled_root = editor, Path(untitled_root)
        self.job: Job | None = None
        self.result = None
        self.devices = load_devices()
        self.tabs = QTabWidget()
        self.tabs.addTab(self._start_page(), "1  Start")
        self.tabs.addTab(self._fit_page(), "2  Fit to budget")
        self.tabs.addTab(self._hand_page(), "3  By hand")
        self.results = ResultsView()
        self.tabs.addTab(self.results, "4  Results")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        self._fill_runs(run_id)
        self._device_changed()

    # -- pages -----------------------------------------------------------------------
    def _start_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.run_box = QComboBox()
        self.run_box.currentIndexChanged.connect(lambda _i: self._refresh_gauges())
        self.baseline = QLabel("")
        self.device_box = QComboBox()
        for d in self.devices:
            self.device_box.addItem(d.title, d.id)
        self.device_box.currentIndexChanged.connect(lambda _i: self._device_changed())
        self.flash = QDoubleSpinBox()
        self.ram = QDoubleSpinBox()
        for box in (self.flash, self.ram):
            box.setRange(0, 1e9)
            box.setSuffix(" KB")
            box.setSpecialValueText("no limit")
            box.valueChanged.connect(lambda _v: self._refresh_gauges())
        self.tolerance = QDoubleSpinBox()
        self.tolerance.setRange(0, 100)
        self.tolerance.setValue(0.5)
        self.tolerance.setSuffix(" points")
        self.gauges = QLabel("")
        self.gauges.setWordWrap(True)
        form.addRow("Trained run", self.run_box)
        form.addRow("Baseline", self.baseline)
        form.addRow("Target device", self.device_box)
        form.addRow("Flash budget", self.flash)
        form.addRow("RAM budget", self.ram)
        form.addRow("Accuracy tolerance", self.tolerance)
        form.addRow("The graph as it stands", self.gauges)
        return page

    def _fit_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        intro = QLabel("Sprout tries int8, structured pruning at growing sparsity, factorization and a slimmer "
                       "student (distillation), measures each in the LiteRT interpreter, and keeps the smallest "
                       "model within your tolerance that fits the budget.")
        intro.setWordWrap(True)
        row = QHBoxLayout()
        self.fit_button = QPushButton("Fit to budget")
        self.fit_button.clicked.connect(self.fit)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        self.progress = QProgressBar()
        row.addWidget(self.fit_button)
        row.addWidget(self.stop_button)
        row.addWidget(self.progress, 1)
        self.log = QListWidget()
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.log, 1)
        layout.addWidget(self.verdict)
        return page

    def _hand_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        help_text = QLabel("<br>".join(f"<b>{m}</b>: {t}" for m, t in METHOD_HELP.items()))
        help_text.setWordWrap(True)
        self.plan_edit = QPlainTextEdit(json.dumps(EXAMPLE_PLAN, indent=1))
        row = QHBoxLayout()
        self.check_button = QPushButton("Check plan")
        self.check_button.clicked.connect(self.check_plan)
        self.run_button = QPushButton("Run plan")
        self.run_button.clicked.connect(self.run_plan)
        row.addWidget(self.check_button)
        row.addWidget(self.run_button)
        row.addStretch(1)
        self.plan_note = QLabel("")
        self.plan_note.setWordWrap(True)
        layout.addWidget(help_text)
        layout.addWidget(self.plan_edit, 1)
        layout.addLayout(row)
        layout.addWidget(self.plan_note)
        return page

    # -- state -----------------------------------------------------------------------
    def _fill_runs(self, run_id) -> None:
        project = self.editor.project
        self._folders = {}
        for record in reversed([r for r in project.runs if isinstance(r, dict) and r.get("id")]):
            folder = runs.folder_of(record, project.path, self.untitled_root)
            if folder is None or not (folder / "model.keras").is_file():
                continue
            score = runs.score_of(record)
            self.run_box.addItem(f"{record.get('name', record['id'])}"
                                 + ("" if score is None else f" (accuracy {score:.2%})"), record["id"])
            self._folders[record["id"]] = (folder, record)
        if run_id is not None and self.run_box.findData(run_id) >= 0:
            self.run_box.setCurrentIndex(self.run_box.findData(run_id))
        if not self._folders:
            self._say("No trained run to compress: train the model first (Train > Train).", error=True)

    def run_folder(self) -> Path | None:
        """The chosen run's folder."""
        chosen = self._folders.get(self.run_box.currentData())
        return chosen[0] if chosen else None

    def budget(self):
        """The budget of the Start page."""
        from engine.compress.fit import Budget

        return Budget(self.flash.value(), self.ram.value(), self.tolerance.value(),
                      self.device_box.currentData() or "custom")

    def _device_changed(self) -> None:
        device = self.devices[max(0, self.device_box.currentIndex())]
        self.flash.setValue(device.flash_kb)
        self.ram.setValue(device.ram_kb)
        self._refresh_gauges()

    def _refresh_gauges(self) -> None:
        chosen = self._folders.get(self.run_box.currentData()) if hasattr(self, "_folders") else None
        if chosen:
            record = chosen[1]
            score = runs.score_of(record)
            self.baseline.setText(f"{record.get('params', 0):,} parameters, {record.get('macs', 0):,} MACs, "
                                  + ("no accuracy" if score is None else f"test accuracy {score:.2%}"))
        analysis = self.editor.analysis
        if analysis is None or not analysis.ok:
            self.gauges.setText("the graph has errors: fix them to see its size")
            return
        device = self.devices[max(0, self.device_box.currentIndex())]
        est = estimate(self.editor.doc, analysis, device)
        parts = []
        for line in device_lines(est, self.flash.value(), self.ram.value()):
            color = "#c62828" if line.over else "#2e7d32"
            limit = "" if line.limit is None else f" of {line.limit:g}"
            parts.append(f"<span style='color:{color}'>{line.name}: {line.used:,.1f}{limit}"
                         + (" — over budget" if line.over else "") + "</span>")
        self.gauges.setText("<br>".join(parts) + f"<br>(at {device.precision})")

    # -- actions ---------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True while a search or a plan runs."""
        return self.job is not None and self.job.running

    @Slot()
    def fit(self) -> bool:
        """Start the fit-to-budget search; False when it cannot start (the reason is shown)."""
        folder = self.run_folder()
        if self.running or folder is None:
            return False
        try:
            budget = self.budget().check()
        except SproutError as exc:
            self._say(str(exc), error=True)
            return False
        self.log.clear()
        self.verdict.setText("")
        self._start(run_fit, (folder, folder / "compressed" / "fit"), budget)
        return True

    @Slot()
    def check_plan(self):
        """Parse the plan text and check it against the run; the reason in one line when bad."""
        from engine.compress.job import check_plan, load_inputs
        from engine.compress.plan import load_plan

        folder = self.run_folder()
        try:
            plan = load_plan(self.plan_edit.toPlainText(), "plan")
            if folder is not None:
                source, project, dataset, _ = load_inputs(folder)
                lines = check_plan(plan, project, None, source)
                self.plan_note.setText("Plan OK: " + ", ".join(s["method"] for s in plan.steps)
                                       + ("" if not lines else "<br>" + "<br>".join(lines)))
            return plan
        except SproutError as exc:
            self.plan_note.setText(f"<span style='color:#c62828'>{exc}</span>")
            return None

    @Slot()
    def run_plan(self) -> bool:
        """Run the plan of the By hand page."""
        plan, folder = self.check_plan(), self.run_folder()
        if plan is None or folder is None or self.running:
            return False
        self._start(run_plan, (folder, folder / "compressed"), plan)
        return True

    def _start(self, fn, request, options) -> None:
        self.job = Job(fn, request, options, name="sprout-compress", doing="compressing", owner=self,
                       needs_keras=True)
        self.job.progress.connect(lambda chunk: self._show_progress(chunk[-1]))
        self.job.milestone.connect(self._on_milestone)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(lambda text: self._say(text, error=True))
        self.progress.setRange(0, 0)
        self.tabs.setCurrentIndex(1 if fn is run_fit else 2)
        self.job.start()

    @Slot()
    def stop(self) -> None:
        """Stop the search: the running plan ends within one fine-tuning batch, finished ones stay."""
        if self.running:
            self.job.stop()
            self.progress.setFormat("Stopping…")

    def done(self, code: int) -> None:
        if self.running:  # closing during a search: stop it cleanly, keep what finished
            self.job.stop()
            self.job.wait()
        super().done(code)

    def _show_progress(self, p) -> None:
        if p.total:
            self.progress.setRange(0, p.total)
            self.progress.setValue(p.step)
        self.progress.setFormat(p.message[:80])

    def _on_milestone(self, p) -> None:
        self._show_progress(p)
        if p.stage == "fit" or p.message.endswith("done"):
            self.log.addItem(p.message)

    def _on_finished(self, result) -> None:
        self.result = result
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        if hasattr(result, "attempts"):  # a search
            rows = [a.to_json() | {"accuracy_drop_points": a.row.get("accuracy_drop_points"),
                                   "size_ratio": a.row.get("size_ratio")} for a in result.attempts]
            self.results.show_attempts(rows, self.flash.value())
            self.verdict.setText(result.message)
            if result.winner is not None:
                self._save_plan(result.winner.plan, [a.label for a in result.attempts], result.winner.label)
        else:
            rows = [{"label": f"{i}. {r['method']}", "fits": True, **r} for i, r in enumerate(result.report["steps"], 1)]
            self.results.show_attempts(rows, self.flash.value())
            self._save_plan(result.report["plan"], [], "by hand")
        self.tabs.setCurrentWidget(self.results)
        self._say(("Stopped: the finished plans are kept. " if result.stopped else "")
                  + "Results are kept under the run in the Runs list.")

    def _save_plan(self, plan: dict, tried: list, chosen: str) -> None:
        project = self.editor.project
        project.extra["compression"] = {"version": 1, **plan, "tried": tried, "chosen": chosen}
        self.editor.notify_project_changed()

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #c62828; font-weight: bold;" if error else "")
