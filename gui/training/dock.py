"""The training dock: the view of a run (buttons, progress, live curves, runs, results).

It holds widgets only; the run lifecycle and the run list live in
:class:`~gui.training.controller.TrainingController`, whose signals (emitted on the GUI
thread) this view displays. ``start``/``stop``/``toggle_pause``/``confirm_close`` are
passed on to the controller so menus, shortcuts and the main window have one place to call.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.layout_state import FitWidthScrollArea
from gui.training.controller import TrainingController
from gui.training.panel import SetupPanel
from gui.training.plots import TrainingPlots
from gui.training.results import ResultsView
from gui.training.run_state import ending_text, status_text
from gui.training.runs_view import RunsView


class TrainingDock(QDockWidget):
    """Bottom dock with the run controls; ``setup_dock`` holds the settings form."""

    def __init__(self, window):
        super().__init__("Training", window)
        self.setObjectName("training")
        self.main_window = window
        self.editor = window.editor
        # ``window.ask`` is looked up at each question: tests replace it after the window is built.
        self.controller = TrainingController(self.editor, lambda title, text, buttons: window.ask(title, text, buttons),
                                             parent=self)
        self.run_recorded = self.controller.run_recorded

        self.setup = SetupPanel(self.editor)
        scroll = FitWidthScrollArea()
        scroll.setWidget(self.setup)
        self.setup_dock = QDockWidget("Training setup", window)
        self.setup_dock.setObjectName("training_setup")
        self.setup_dock.setWidget(scroll)

        self.act_train = self._action("&Train", self.start, "F5", "Train the model on the project's data")
        self.act_pause = self._action("&Pause", self.toggle_pause, "F6", "Pause or resume between two blocks of batches")
        self.act_stop = self._action("&Stop", self.stop, "Shift+F5", "Stop after the current block of batches, keep the weights")
        self.train_button, self.pause_button, self.stop_button = (QPushButton() for _ in range(3))
        for button, act in ((self.train_button, self.act_train), (self.pause_button, self.act_pause),
                            (self.stop_button, self.act_stop)):
            button.clicked.connect(act.trigger)
        self.epoch_bar = QProgressBar()
        self.epoch_bar.setMinimumWidth(260)
        self.epoch_bar.setFormat("Ready")
        self.epoch_bar.setValue(0)
        self.status = QLabel("")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.message.hide()
        bar = QHBoxLayout()
        for b in (self.train_button, self.pause_button, self.stop_button):
            bar.addWidget(b)
        bar.addWidget(self.epoch_bar)
        bar.addWidget(self.status, 1)

        self.plots = TrainingPlots()
        self.runs_view = RunsView()
        self.results = ResultsView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.plots, "Curves")
        self.tabs.addTab(self.runs_view, "Runs")
        self.tabs.addTab(self.results, "Results")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)
        self.setWidget(body)

        self.runs_view.opened.connect(self.open_run)
        self.runs_view.renamed.connect(self.rename_run)
        self.runs_view.delete_requested.connect(self.delete_run)
        self.runs_view.overlay_changed.connect(self._overlay_changed)
        c = self.controller
        c.started.connect(self._run_started)
        c.state_changed.connect(self._sync_state)
        c.batches.connect(self._on_batches)
        c.epoch_ended.connect(self._on_epoch)
        c.run_finished.connect(self._on_finished)
        c.run_failed.connect(self._on_failed)
        c.notice.connect(self._show_message)
        c.runs_changed.connect(self._runs_changed)
        c.run_selected.connect(self.runs_view.select)
        c.run_opened.connect(self._run_opened)
        c.project_replaced.connect(self._project_replaced)
        self._eta_timer = QTimer(self)
        self._eta_timer.setInterval(500)
        self._eta_timer.timeout.connect(self._update_status)
        self._sync_state()
        self._show_runs(self.editor.project.runs)

    def _action(self, text, slot, shortcut, tip) -> QAction:
        act = QAction(text, self)
        act.setShortcut(QKeySequence(shortcut))
        act.setStatusTip(tip)
        act.triggered.connect(slot)
        return act

    # -- the controller's API, for menus and the window --------------------------------
    @property
    def running(self) -> bool:
        """True while a run's worker thread exists (from Train until it has ended)."""
        return self.controller.running

    @property
    def control(self):
        """The latest run's JobControl (None before the first run)."""
        return self.controller.control

    @property
    def last_outcome(self) -> dict | None:
        """The latest run's outcome dict (``failed`` set when it failed)."""
        return self.controller.last_outcome

    @Slot()
    def start(self) -> bool:
        """Train the project on a worker thread; False if it cannot start (the reason is shown here)."""
        self.bring_forward()
        return self.controller.start()

    def bring_forward(self) -> None:
        """Show this dock over the Summary tab beside it (reopened if the user had closed it)."""
        self.show()
        self.raise_()
        self.tabs.setCurrentWidget(self.plots)

    @Slot()
    def toggle_pause(self) -> None:
        """Pause a running run, or resume a paused one."""
        self.controller.toggle_pause()

    @Slot()
    def stop(self) -> None:
        """End the run after the current batch; its weights are kept."""
        self.controller.stop()

    def confirm_close(self) -> bool:
        """Ask before closing during training; on yes, stop and wait. False = keep the window open."""
        return self.controller.confirm_close()

    @Slot(str)
    def open_run(self, run_id: str) -> bool:
        """Show a stored run's curves and results."""
        return self.controller.open_run(run_id)

    @Slot(str, str)
    def rename_run(self, run_id: str, name: str) -> None:
        """Rename a run (kept in the project)."""
        self.controller.rename_run(run_id, name)

    @Slot(str)
    def delete_run(self, run_id: str) -> bool:
        """Delete a run and its folder after asking."""
        return self.controller.delete_run(run_id)

    # -- display -----------------------------------------------------------------------
    @Slot()
    def _sync_state(self) -> None:
        c = self.controller
        self.act_train.setEnabled(not c.running)
        self.act_pause.setEnabled(c.running and not c.stopping)
        self.act_pause.setText("&Resume" if c.paused else "&Pause")
        self.act_stop.setEnabled(c.running and not c.stopping)
        for button, act in ((self.train_button, self.act_train), (self.pause_button, self.act_pause),
                            (self.stop_button, self.act_stop)):
            button.setText(act.text().replace("&", ""))
            button.setEnabled(act.isEnabled())
        if c.stopping:
            self.epoch_bar.setFormat("Stopping after this batch…")
        if not c.running:
            self._eta_timer.stop()
            self._update_status()

    @Slot(str, bool)
    def _show_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))  # no empty line above the curves
        self.message.setStyleSheet("color: #d32f2f; font-weight: bold;" if error else "color: #2e7d32;")

    @Slot()
    def _run_started(self) -> None:
        self.plots.reset()
        self.results.clear()
        self.epoch_bar.setRange(0, 1)
        self.epoch_bar.setValue(0)
        self.epoch_bar.setFormat("Preparing data and model…")
        self._show_message("")
        self.tabs.setCurrentWidget(self.plots)
        self._eta_timer.start()

    @Slot(object)
    def _on_batches(self, chunk: list) -> None:
        self.plots.add_batches(chunk)
        p = self.controller.progress
        self.epoch_bar.setRange(0, p.batches)
        self.epoch_bar.setValue(p.batch + 1)
        self.epoch_bar.setFormat(f"Epoch {p.epoch + 1}/{p.epochs} · batch %v/%m")

    @Slot(object)
    def _on_epoch(self, row: dict) -> None:
        self.plots.add_epoch(row)

    @Slot(object)
    def _on_finished(self, outcome: dict) -> None:
        self.results.show_results(outcome["classes"])
        self.epoch_bar.setFormat(ending_text(outcome["stop_reason"]))

    @Slot(str)
    def _on_failed(self, _message: str) -> None:
        self.epoch_bar.setFormat("Failed")

    @Slot()
    def _update_status(self) -> None:
        c = self.controller
        self.status.setText(status_text(c.progress, c.control, c.running))

    @Slot(object)
    def _runs_changed(self, records: list) -> None:
        self._show_runs(records)
        self._overlay_changed(self.runs_view.overlay_ids())  # a deleted or moved run leaves the overlay

    def _show_runs(self, records: list) -> None:
        self.runs_view.set_runs(records, self.controller.compressed_children(records))

    @Slot(object, object)
    def _run_opened(self, history: list, classes) -> None:
        self.plots.set_history(history)
        self.results.show_results(classes)
        self.tabs.setCurrentWidget(self.plots)

    @Slot(list)
    def _overlay_changed(self, ids: list) -> None:
        self.plots.set_overlays(self.controller.overlays(ids))

    @Slot()
    def _project_replaced(self) -> None:
        """Another project: nothing of the previous one's last run stays (a live run keeps its curves)."""
        self._show_runs(self.editor.project.runs)
        self.plots.set_overlays([])
        if not self.running:
            self.plots.reset()
            self.results.clear()
            self._show_message("")
            self.epoch_bar.setRange(0, 1)
            self.epoch_bar.setValue(0)
            self.epoch_bar.setFormat("Ready")
            self.status.setText("")
