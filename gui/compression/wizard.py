"""Model > Compress...: from a trained run to a small model that fits its device, in one click.

Five pages over ``engine.compress`` (the first three laid out in ``pages.py``): Start
(the run, its baseline, the device and the budget, with gauges for the graph as it
stands), Fit to budget (the search as a job with progress and Stop), By hand (a plan,
checked before it runs, with each method's pros and cons), Results (every plan tried
against the budget, ``results.py``) and Export (the chosen model into the export dialog,
pre-filled with the device's formats, ``export_page.py``). Work goes to ``<run>/compressed/``, so it shows under the run in the
Runs list and survives a restart; the chosen plan is saved in the project's
``compression`` section. Closing during a search stops it and keeps what finished.
"""
from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QDialog, QLabel, QTabWidget, QVBoxLayout

from engine.analysis.budget import DEVICE_FIELDS, check_budget
from engine.analysis.device import load_devices
from engine.errors import SproutError
from engine.runs import store as runs
from gui.compression.export_page import ExportPage
from gui.compression.pages import fit_page, hand_page, start_page
from gui.compression.results import ResultsView
from gui.jobs import Job

PLAN_LINE = re.compile(r"plan \d+: ")


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
        self.tabs.addTab(start_page(self), "1  Start")
        self.tabs.addTab(fit_page(self), "2  Fit to budget")
        self.tabs.addTab(hand_page(self), "3  By hand")
        self.results = ResultsView()
        self.tabs.addTab(self.results, "4  Results")
        self.export_page = ExportPage(self)
        self.tabs.addTab(self.export_page, "5  Export")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        self._fill_runs(run_id)
        self._take_project_budget()

    def _take_project_budget(self) -> None:
        """Start from the project's target device and limits (the summary panel's), else the first preset."""
        budget = self.editor.project.budget
        index = self.device_box.findData(budget.get("device"))
        self.device_box.setCurrentIndex(max(0, index))
        self._device_changed()
        for key, box in (("flash_kb", self.flash), ("ram_kb", self.ram)):
            value = budget.get(key)
            if index >= 0 and isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                box.setValue(float(value))

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

    def device(self):
        """The target device of the Start page."""
        return self.devices[max(0, self.device_box.currentIndex())]

    def _device_changed(self) -> None:
        device = self.device()
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
        budget = {"device": device.id, "precision": device.precision, "macs_per_s": device.macs_per_s,
                  "flash_kb": self.flash.value(), "ram_kb": self.ram.value()}
        parts = []
        for line in (line for line in check_budget(analysis.totals(), budget) if line.key in DEVICE_FIELDS):
            color = "#c62828" if line.over else "#2e7d32"
            limit = "" if line.limit is None else f" of {line.limit:g}"
            parts.append(f"<span style='color:{color}'>{line.name}: {line.used:,.1f}{limit}"
                         + (" — over budget" if line.over else "") + "</span>")
        self.gauges.setText("<br>".join(parts) + f"<br>(at {device.precision}; RAM = peak activations + arena margin)")

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
        from engine.compress.expected import line as expected_line
        from engine.compress.job import check_plan, load_inputs
        from engine.compress.plan import load_plan

        folder = self.run_folder()
        try:
            plan = load_plan(self.plan_edit.toPlainText(), "plan")
            if folder is not None:
                source, project, dataset, _ = load_inputs(folder)
                lines = check_plan(plan, project, None, source)
                record = self._folders.get(self.run_box.currentData(), (None, {}))[1]
                if isinstance(record.get("params"), int):
                    lines.insert(0, expected_line(record["params"], plan.steps))
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
        if PLAN_LINE.match(p.message):  # "plan 2: structured 30% + int8" and its outcome; the rest goes to the bar
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
            self.export_page.choose(result.winner.row if result.winner else None,
                                    result.winner.label if result.winner else "")
        else:
            rows = [{"label": f"{i}. {r['method']}", "fits": True, **r} for i, r in enumerate(result.report["steps"], 1)]
            self.results.show_attempts(rows, self.flash.value())
            self._save_plan(result.report["plan"], [], "by hand")
            steps = [r for r in result.report["steps"] if r.get("error") is None]
            self.export_page.choose(steps[-1] if steps else None, "the plan by hand, last step")
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
