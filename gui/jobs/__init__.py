"""One worker for every engine job (DESIGN.md sections 1 and 6).

``Job(fn, snapshot, options, ...).start()`` runs ``fn(snapshot, options, on_progress,
control)`` on a QThread, with reports buffered to about five a second, pause/resume/stop
through ``job.control`` and signals that carry plain data on the GUI thread.
"""
from __future__ import annotations

from gui.jobs.job import Job, live_jobs, wait_all
from gui.jobs.worker import FLUSH_S, JobWorker, describe_failure, describe_plainly

__all__ = ["FLUSH_S", "Job", "JobWorker", "describe_failure", "describe_plainly", "live_jobs", "wait_all"]
