"""The Experiments dock: an ablation's variants, seeds and epochs, its runs, table and curves.

The definition lives in the project's ``experiments`` section (every edit one undo step,
saved with the project, the same one ``main.py ablate`` reads). Run trains every
(variant, seed) through ``engine.experiments.job.run_ablation`` on the one GUI worker
(the runs themselves go to the local process pool); Stop ends the pool, and running the
same definition again resumes it (finished runs are read back, not trained again). The
winner is applied to the graph as one undo step.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine.errors import SproutError
from engine.experiments import results
from engine.experiments.plan import SECTION, Experiment, apply_variant, saved_experiment
from engine.experiments.spec import SpecError, parse_factor
from engine.model.layout import layered_positions
from engine.model.project import ProjectSnapshot, dumps, parse_project
from gui.editing.commands import ReplaceGraphCommand, SetProjectFieldCommand
from gui.experiments.results_view import ResultsView
from gui.jobs import Job

SPEC_HINT = "param:n7.rate=0.1,0.3 · swap:core.conv2d=paper.octconv · toggle:n5"


class ExperimentsDock(QDockWidget):
    """Bottom dock; ``try_alternatives(uid)`` is the canvas's right-click entry."""

    def __init__(self, window):
        super().__init__("Experiments", window)
        self.setObjectName("experiments")
        self.main_window, self.editor = window, window.editor
        self.job: Job | None = None
        self.rows: list[dict] = []
        self.summaries: list[results.VariantSummary] = []
        self.ran: Experiment | None = None  # the definition the table shows
        self.out = None
        self._loading = False

        self.vary_list = QListWidget()
        self.vary_list.setToolTip("Each line is one factor; several make a grid (every combination a variant)")
        self.spec_edit = QLineEdit()
        self.spec_edit.setPlaceholderText(SPEC_HINT)
        self.spec_edit.returnPressed.connect(self._add_typed)
        add, remove = QPushButton("Add"), QPushButton("Remove")
        add.clicked.connect(self._add_typed)
        remove.clicked.connect(self.remove_selected)
        self.seeds, self.epochs, self.workers = QSpinBox(), QSpinBox(), QSpinBox()
        self.seeds.setRange(1, 20)
        self.epochs.setRange(1, 500)
        self.workers.setRange(0, 64)
        self.workers.setSpecialValueText("auto")
        for spin in (self.seeds, self.epochs):
            spin.valueChanged.connect(self._store)
        self.run_button, self.stop_button = QPushButton("Run experiment"), QPushButton("Stop")
        self.run_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.progress = QProgressBar()
        self.running_label = QLabel("")
        self.running_label.setWordWrap(True)
        self.ticker = QTimer(self)
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self.show_running)
        self.labels: list[str] = []  # variant labels by index, for the running runs' folders
        self.status = QLabel("Right-click a block and choose “Try alternatives…”, or type a factor above.")
        self.status.setWordWrap(True)

        form = QWidget()
        lay = QVBoxLayout(form)
        lay.addWidget(QLabel("<b>Variants</b> (factors)"))
        lay.addWidget(self.vary_list, 1)
        lay.addWidget(self.spec_edit)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        lay.addLayout(row)
        numbers = QFormLayout()
        numbers.addRow("Seeds per variant", self.seeds)
        numbers.addRow("Epochs per run", self.epochs)
        numbers.addRow("Processes", self.workers)
        lay.addLayout(numbers)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        lay.addLayout(buttons)
        lay.addWidget(self.progress)
        lay.addWidget(self.running_label)
        lay.addWidget(self.status)

        self.apply_button = QPushButton("Apply the winner")
        self.apply_button.setToolTip("Change the graph into the best variant (one undo step)")
        self.apply_button.clicked.connect(self.apply_winner)
        self.results_view = ResultsView(self.apply_button)
        self.table, self.plot = self.results_view.table, self.results_view.plot
        form.setMaximumWidth(300)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(form)
        split.addWidget(self.results_view)
        split.setStretchFactor(1, 1)
        split.setCollapsible(0, False)
        split.setSizes([270, 5000])  # scaled to the dock's width
        self.setWidget(split)
        self.editor.document_replaced.connect(self.load)
        self.load()
        self._update_buttons()

    # -- the definition ----------------------------------------------------------------
    def experiment(self) -> Experiment:
        vary = tuple(self.vary_list.item(i).text() for i in range(self.vary_list.count()))
        return Experiment(vary, self.seeds.value(), self.epochs.value())

    @Slot()
    def load(self) -> None:
        """Show the project's saved experiment (defaults when it has none)."""
        self._loading = True
        try:
            try:
                saved = saved_experiment(self.editor.project) or Experiment((), 3, 5)
            except SpecError as exc:
                saved = Experiment((), 3, 5)
                self.status.setText(str(exc))
            self.vary_list.clear()
            self.vary_list.addItems(list(saved.vary))
            self.seeds.setValue(saved.seeds)
            self.epochs.setValue(saved.epochs)
        finally:
            self._loading = False
        self._update_buttons()

    @Slot()
    def _store(self) -> None:
        if self._loading:
            return
        project = self.editor.project
        extra = {**project.extra, SECTION: self.experiment().to_json()}
        self.editor.stack.push(SetProjectFieldCommand(project, "extra", extra, on_change=self._changed,
                                                      text="Edit experiment"))

    def _changed(self) -> None:
        self.editor.notify_project_changed()
        if not self._loading and self.experiment().to_json() != (self.editor.project.extra.get(SECTION) or {}):
            self.load()  # an undo: show what the project holds now

    def add_specs(self, specs: list[str]) -> bool:
        """Add factors (checked first: a bad one is one line in the status, nothing added)."""
        try:
            for text in specs:
                parse_factor(text)
        except SpecError as exc:
            self.status.setText(str(exc))
            return False
        present = {self.vary_list.item(i).text() for i in range(self.vary_list.count())}
        self.vary_list.addItems([s for s in specs if s not in present])
        self._store()
        self._update_buttons()
        return True

    @Slot()
    def _add_typed(self) -> None:
        text = self.spec_edit.text().strip()
        if text and self.add_specs([text]):
            self.spec_edit.clear()

    @Slot()
    def remove_selected(self) -> None:
        for item in self.vary_list.selectedItems():
            self.vary_list.takeItem(self.vary_list.row(item))
        self._store()
        self._update_buttons()

    def try_alternatives(self, uid: str):
        """The right-click entry: a dialog of the node's alternatives; accepted, they join the variants."""
        from gui.experiments.alternatives_dialog import AlternativesDialog

        dialog = AlternativesDialog(self.editor.doc, uid, self.main_window)
        dialog.accepted.connect(lambda: self.add_specs(dialog.specs()) and self.show_dock())
        dialog.open()
        return dialog

    def show_dock(self) -> None:
        self.show()
        self.raise_()

    # -- running -------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    @Slot()
    def start(self) -> bool:
        if self.running:
            return False
        from engine.experiments.job import AblationOptions, check_variants, experiment_folder, run_ablation
        from engine.runs.store import runs_root

        project = self.editor.project
        try:
            experiment = self.experiment().checked()
            if not experiment.vary:
                raise SpecError("add at least one factor to vary first")
            found = check_variants(project, experiment)  # every variant analysed before any training
            count, self.labels = len(found), [v.label for v in found]
            root = runs_root(project.path, self.main_window.training_dock.controller.untitled_root)
            self.out = experiment_folder(root, experiment)
        except SproutError as exc:
            self.status.setText(str(exc))
            return False
        self.ran, self.rows, self.summaries = experiment, [], []
        self._show_results()
        options = AblationOptions(experiment, self.out, self.workers.value() or None, None, self.editor.registry)
        self.job = Job(run_ablation, ProjectSnapshot(dumps(project), project.path), options, name="sprout-ablation",
                       doing="the ablation", owner=self)
        self.job.milestone.connect(self._on_report)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(lambda message: self.status.setText(f"The experiment failed: {message}"))
        self.job.ended.connect(self._update_buttons)
        self.progress.setRange(0, count * experiment.seeds)
        self.progress.setValue(0)
        self.status.setText(f"Training {count} variant(s) x {experiment.seeds} seed(s) in {self.out} …")
        self.job.start()
        self.ticker.start()
        self._update_buttons()
        return True

    @Slot()
    def show_running(self) -> None:
        """Each running run and the epoch it has reached (from its folder's progress file)."""
        from engine.experiments.worker import running_runs

        if not self.running or self.out is None:
            self.ticker.stop()
            self.running_label.setText("")
            return
        parts = []
        for run in running_runs(self.out / "runs"):
            head, _, rest = run["folder"].partition("-s")
            index, seed = int(head[1:]) if head[1:].isdigit() else -1, rest.split("-")[0]
            label = self.labels[index] if 0 <= index < len(self.labels) else run["folder"]
            parts.append(f"{label}, seed {seed}: epoch {run['epoch']}/{run['epochs'] or '?'}")
        self.running_label.setText(("Running: " + " · ".join(parts)) if parts else "Starting the workers…")

    @Slot()
    def stop(self) -> None:
        if self.running:
            self.job.stop()
            self.status.setText("Stopping: the running runs end now; Run again resumes with the finished ones kept.")

    @Slot(object)
    def _on_report(self, p) -> None:
        self.progress.setValue(p.step)
        self.status.setText(p.message)
        row = (p.metrics or {}).get("row")
        if row is not None:
            self.rows.append(row)
            self._show_results()

    @Slot(object)
    def _on_finished(self, result) -> None:
        self.rows = list(result.rows)
        self._show_results()
        done = f"{result.trained} run(s) trained" + (f", {result.resumed} kept from before" if result.resumed else "")
        best = next((s for s in self.summaries if s.best), None)
        tail = f"; best: {best.label} ({100 * best.mean:.2f}%)" if best else ""
        self.status.setText(("Stopped: " if result.stopped else "Finished: ") + done + tail
                            + f". Results: {self.out / 'summary.md'}")

    def _show_results(self) -> None:
        self.summaries = self.results_view.show_rows(self.rows, self.out)
        self._update_buttons()

    def winner(self) -> results.VariantSummary | None:
        return next((s for s in self.summaries if s.best), None)

    @Slot()
    def apply_winner(self) -> bool:
        """Make the graph the best variant, as one undo step; False (and a status line) when it cannot."""
        best = self.winner()
        if best is None or self.ran is None:
            return False
        project = self.editor.project
        trial = parse_project(dumps(project), self.editor.registry, source="winner")
        try:
            apply_variant(trial.document, self.ran, best.label)  # on a copy first: a refusal changes nothing
        except SproutError as exc:
            self.status.setText(f"Cannot apply {best.label}: {str(exc).splitlines()[0]}")
            return False
        if trial.document.state() == project.document.state():
            self.status.setText(f"The graph as it is ({best.label}) is the best: nothing to change.")
            return False
        experiment, columns = self.ran, self.main_window.view.arrange_columns()

        def change(doc):
            had = set(doc.nodes)
            apply_variant(doc, experiment, best.label)
            if set(doc.nodes) != had:  # nodes came or went: lay the graph out again, in the same step
                for uid, pos in layered_positions(doc, max_columns=columns).items():
                    doc.move_node(uid, pos)

        self.editor.stack.push(ReplaceGraphCommand(self.editor.doc, change, f"Apply the winner: {best.label}"))
        self.main_window.scene.flush_routes()
        self.status.setText(f"Applied {best.label} to the graph (Edit > Undo takes it back).")
        return True

    def _update_buttons(self, *_args) -> None:
        running = self.running
        if not running and self.ticker.isActive():  # the job ended: no run is running any more
            self.ticker.stop()
            self.running_label.setText("")
        self.run_button.setEnabled(not running and self.vary_list.count() > 0)
        self.stop_button.setEnabled(running)
        self.apply_button.setEnabled(not running and self.winner() is not None)

    def confirm_close(self) -> bool:
        """Closing the window stops a running experiment (its finished runs are kept)."""
        if self.running:
            self.job.stop()
            self.job.wait()
        return True


