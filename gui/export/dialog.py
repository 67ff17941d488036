"""The export dialog: pick a source, tick formats, read the pre-flight, export, see what was written.

A thin view over :mod:`engine.export`: the pre-flight is pure Python and runs on the GUI
thread at every change; the export itself is ``export_job`` on the one GUI worker
(``gui.jobs``), whose own converter process does the TensorFlow work. Closing the dialog
during an export stops it and waits for it, so only whole files remain.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QFileDialog

from engine.errors import SproutError
from engine.export.job import export_job
from engine.export.preflight import preflight
from gui.export.layout import build_widgets
from gui.export.sources import SourceChoice, graph_choice, model_choice, run_choices
from gui.export.tables import show_plan, show_preflight, show_results, summary_of
from gui.jobs import Job

ERROR_STYLE, OK_STYLE, PLAIN_STYLE = "color: #c62828; font-weight: bold;", "color: #2e7d32;", ""


def run_export(request, options, on_progress, control):
    """A job (``engine.jobs``): ``request`` is ``(source, out_dir)``; returns the ExportResult."""
    source, out_dir = request
    return export_job(source, options, out_dir, on_progress, control)


class ExportDialog(QDialog):
    """Model > Export...: one export at a time, from a run, the graph or a model file.

    Args:
        editor: the studio's Editor (project, analysis, registry).
        untitled_root: where the runs of an untitled project live.
        run_id: the run to preselect (default: the newest run, else the graph).
    """

    def __init__(self, editor, untitled_root: Path, run_id: str | None = None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export model")
        self.editor = editor
        self.job: Job | None = None
        self.result = None
        self._sources: dict[str, object] = {}  # key -> ExportSource, or the one-line reason it cannot be used
        self._planned = False

        build_widgets(self)

        project = editor.project
        params = editor.analysis.totals()["params"] if editor.analysis is not None else None
        for choice in [*run_choices(project, untitled_root), graph_choice(project, params, untitled_root)]:
            self._add_choice(choice)
        self.source_box.currentIndexChanged.connect(self._source_changed)
        self.model_button.clicked.connect(self._pick_model_file)
        self.browse_button.clicked.connect(self._browse)
        self.out_edit.textChanged.connect(self._refresh)
        self.form.changed.connect(self._refresh)
        self.export_button.clicked.connect(self.start_export)
        self.stop_button.clicked.connect(self.stop)
        self.folder_button.clicked.connect(self.show_in_folder)
        self.close_button.clicked.connect(self.reject)
        if not (run_id is not None and self.select(f"run:{run_id}")):
            self._source_changed()
            if run_id is not None:
                self._say(f"Run {run_id} has no folder with a model on disk: choose another source.", ERROR_STYLE)
        self._sync()

    # -- sources ---------------------------------------------------------------------
    def _add_choice(self, choice: SourceChoice) -> None:
        self.source_box.addItem(choice.label, choice)

    def choice(self) -> SourceChoice | None:
        """The chosen source entry."""
        return self.source_box.currentData()

    def select(self, key: str) -> bool:
        """Choose the source with this key (``run:<id>``, ``graph``, ``model:<path>``); False if absent."""
        for i in range(self.source_box.count()):
            if self.source_box.itemData(i).key == key:
                if i == self.source_box.currentIndex():
                    self._source_changed()
                self.source_box.setCurrentIndex(i)
                return True
        return False

    def select_run(self, run_id: str) -> bool:
        """Choose a run of the project; False when it has no such run (with a folder)."""
        return self.select(f"run:{run_id}")

    def add_model_file(self, path) -> None:
        """Offer a ``.keras``/``.h5`` file as the source, and choose it."""
        self.add_source(model_choice(path))

    def add_source(self, choice: SourceChoice) -> None:
        """Offer another source (a model file, a compressed model) and choose it."""
        if not any(self.source_box.itemData(i).key == choice.key for i in range(self.source_box.count())):
            self._add_choice(choice)
        self.select(choice.key)

    def source(self):
        """The chosen source resolved for the engine, or None (the reason is in the message line)."""
        choice = self.choice()
        if choice is None:
            return None
        if choice.key not in self._sources:
            try:
                self._sources[choice.key] = choice.resolve()
            except SproutError as exc:
                self._sources[choice.key] = str(exc)
        found = self._sources[choice.key]
        return None if isinstance(found, str) else found

    # -- the plan --------------------------------------------------------------------
    @Slot()
    def _source_changed(self, *_args) -> None:
        choice = self.choice()
        if choice is not None:
            self.out_edit.setText(str(choice.out_dir))  # refreshes
        self._refresh()

    @Slot()
    def _refresh(self, *_args) -> None:
        """Re-check the options and redraw the pre-flight and the planned files."""
        if self.running:
            return
        self._planned = False
        self.tabs.setCurrentIndex(0)
        choice, source = self.choice(), self.source()
        if source is None:
            reason = self._sources.get(choice.key) if choice is not None else "nothing to export"
            return self._show_plan_error(str(reason))
        try:
            options = self.form.options().checked()
            pre = preflight(source, options, self.editor.registry)
        except SproutError as exc:
            return self._show_plan_error(str(exc))
        planned = options.planned()
        show_preflight(self.preflight_table, pre)
        show_plan(self.plan_table, planned, pre.refused, choice.params)
        writable = [p for p in planned if p[0] not in pre.refused]
        if not writable:
            self._say("Every chosen format is refused for this source (see the red rows).", ERROR_STYLE)
        elif not self.out_edit.text().strip():
            self._say("Choose a folder for the files.", ERROR_STYLE)
        else:
            refused = f"; {len(planned) - len(writable)} refused" if len(writable) < len(planned) else ""
            self._say(f"{len(writable)} file(s) will be written into {self.out_dir()}{refused}.", PLAIN_STYLE)
            self._planned = True
        self._sync()

    def _show_plan_error(self, reason: str) -> None:
        show_preflight(self.preflight_table, None)
        show_plan(self.plan_table, [], (), None)
        self._say(reason.splitlines()[0] if reason else "cannot export", ERROR_STYLE)
        self._sync()

    def out_dir(self) -> Path:
        """The output folder as typed."""
        return Path(self.out_edit.text().strip()).expanduser()

    # -- the job ---------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True from Export until the worker thread has ended."""
        return self.job is not None and self.job.running

    @Slot()
    def start_export(self) -> bool:
        """Run the export on the job worker; False when it cannot start (the reason is shown)."""
        if self.running or not self._planned:
            return False
        source, options = self.source(), self.form.options().checked()
        self.result = None
        self.results_table.setRowCount(0)
        self.job = Job(run_export, (source, self.out_dir()), options, name="sprout-export", doing="exporting",
                       owner=self)
        self.job.progress.connect(self._on_progress)
        self.job.milestone.connect(self._on_milestone)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(self._on_failed)
        self.job.ended.connect(self._on_ended)
        self.progress.setRange(0, 0)
        self.progress.setFormat("Starting…")
        self._say("Loading the data and starting the converter…", PLAIN_STYLE)
        self.job.start()
        self._sync()
        return True

    @Slot()
    def stop(self) -> None:
        """Stop now: the converter is ended, the file it was writing dropped, the finished files kept."""
        if self.running:
            self.job.stop()
            self.progress.setFormat("Stopping…")
            self._sync()

    def stop_and_wait(self) -> None:
        """Stop and block until the worker has ended (its result is delivered first)."""
        if self.running:
            self.job.stop()
            self.job.wait()

    def done(self, code: int) -> None:
        self.stop_and_wait()  # closing during an export: stop it cleanly, keep the whole files
        super().done(code)

    @Slot(object)
    def _on_progress(self, chunk: list) -> None:
        self._show_progress(chunk[-1])

    @Slot(object)
    def _on_milestone(self, p) -> None:
        self._show_progress(p)

    def _show_progress(self, p) -> None:
        if p.total:
            self.progress.setRange(0, p.total)
            self.progress.setValue(p.step)
            self.progress.setFormat("Stopping…" if self.job.control.stopped else "%v of %m files")
        self._say(p.message, PLAIN_STYLE)

    @Slot(object)
    def _on_finished(self, result) -> None:
        self.result = result
        show_results(self.results_table, result)
        self.tabs.setCurrentIndex(1)
        progress_text, text, alarm = summary_of(result)
        self.progress.setFormat(progress_text)
        self._say(text, ERROR_STYLE if alarm else OK_STYLE)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("Failed")
        self._say(message.splitlines()[0] if message else "The export failed.", ERROR_STYLE)

    @Slot()
    def _on_ended(self) -> None:
        if self.progress.maximum() == 0:  # stopped before the first report
            self.progress.setRange(0, 1)
            self.progress.setFormat("Stopped")
        self._sync()

    # -- folder ----------------------------------------------------------------------
    def folder_url(self) -> QUrl:
        """What Show in folder opens: the last export's folder, else the chosen one."""
        folder = self.result.out_dir if self.result is not None else self.out_dir()
        return QUrl.fromLocalFile(str(Path(folder).resolve()))

    @Slot()
    def show_in_folder(self) -> bool:
        """Open the output folder in the file manager."""
        return QDesktopServices.openUrl(self.folder_url())

    @Slot()
    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export into folder", self.out_edit.text())
        if folder:
            self.out_edit.setText(folder)

    @Slot()
    def _pick_model_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Export a model file", str(self.out_dir().parent),
                                              "Keras models (*.keras *.h5)")
        if path:
            self.add_model_file(path)

    # -- display ---------------------------------------------------------------------
    def _say(self, text: str, style: str) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(style)

    def _sync(self) -> None:
        running = self.running
        for widget in (self.source_box, self.model_button, self.out_edit, self.browse_button, self.form):
            widget.setEnabled(not running)
        self.export_button.setEnabled(not running and self._planned)
        self.stop_button.setEnabled(running and not self.job.control.stopped)
        folder = self.result.out_dir if self.result is not None else self.out_dir()
        self.folder_button.setEnabled(not running and bool(self.out_edit.text().strip()) and Path(folder).is_dir())
