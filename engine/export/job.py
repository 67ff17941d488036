"""The export job: a source and options in, checked files and a model card out.

``export_job(source, options, out_dir, on_progress, control)`` follows the job contract
(DESIGN.md section 1). It never imports TensorFlow: data and samples are prepared here,
every conversion and check runs in the converter process (:mod:`engine.export.runner`),
and each finished file is moved from a staging folder into ``out_dir`` atomically, so a
stopped or crashed export leaves whole files only (and the old ones where no new one came).
"""
from __future__ import annotations

import gzip
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine import atomic
from engine.errors import RunFolderError
from engine.export.options import ExportError, ExportOptions
from engine.export.preflight import Preflight, preflight
from engine.export.runner import run_converter
from engine.export.source import ExportSource
from engine.jobs import JobControl, OnProgress, Progress, report
from engine.runs.writer import prepare_folder

REPRESENTATIVE = 200


@dataclass(frozen=True)
class Artifact:
    """One file (or folder) the export wrote, and what its client said."""

    format: str
    variant: str
    path: Path
    ok: bool
    message: str
    size: int = 0
    gzip_size: int = 0
    details: dict = field(default_factory=dict)


@dataclass
class ExportResult:
    """Everything the export did (plain data, safe across threads)."""

    out_dir: Path
    preflight: Preflight
    artifacts: list[Artifact] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # {"format", "variant", "file", "message"}
    model: dict = field(default_factory=dict)  # what the converter found: inputs, outputs, params
    card: tuple[Path, ...] = ()
    stopped: bool = False

    @property
    def ok(self) -> bool:
        """Every planned file written and its check passed."""
        return not self.errors and not self.stopped and all(a.ok for a in self.artifacts)


def export_job(source: ExportSource, options: ExportOptions, out_dir: str | Path,
               on_progress: OnProgress | None = None, control: JobControl | None = None) -> ExportResult:
    """Write and check every file ``options`` asks for into ``out_dir``.

    Raises:
        ExportError: bad options, or every asked format refused by the pre-flight.
        SproutError: the data or the folder cannot be used.
    """
    options = options.checked()
    table = preflight(source, options)
    files = [{"format": f, "variant": v, "file": name} for f, v, name in options.planned()
             if f not in table.refused]
    if not files:
        raise ExportError("nothing to export: " + "; ".join(r.line() for r in table.rows if r.level == "refuse"))
    out = prepare_folder(out_dir).resolve()  # the converter runs in another folder
    result = ExportResult(out, table)
    report(on_progress, Progress("export", 0, len(files), "loading the data and the converter", milestone=False))
    dataset, prep = source_dataset(source)
    # Files are made in a staging folder inside ``out`` (so moving them in is a rename on
    # one file system); the request and the samples go to the system's temporary folder,
    # so a nearly full output disk is spent on models only.
    scratch = Path(tempfile.mkdtemp(prefix="sprout-export-"))
    staging = None
    try:
        staging = Path(tempfile.mkdtemp(prefix=".sprout-export-", dir=out))
        request = _request(source, options, scratch, staging, files, dataset, prep)

        def on_event(event: dict) -> None:
            _on_event(event, result, staging, len(files), on_progress)

        run_converter(request, scratch / "request.json", on_event, control)
        result.stopped = bool(control is not None and control.stopped)
        if result.artifacts:
            from engine.export.card import write_card

            result.card = write_card(result, source, options, dataset, prep)
    except OSError as exc:
        raise RunFolderError(f"{out}: cannot write the export ({exc.strerror or exc})") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return result


def _on_event(event: dict, result: ExportResult, staging: Path, total: int, on_progress) -> None:
    kind = event.get("event")
    done = len(result.artifacts) + len(result.errors)
    if kind == "model":
        result.model = {k: v for k, v in event.items() if k != "event"}
    elif kind == "start":
        report(on_progress, Progress("export", done, total, f"writing {event['file']}"))
    elif kind == "done":
        target = result.out_dir / event["file"]
        ready = staging / event["file"]
        if ready.is_dir():
            atomic.replace_dir(ready, target)
        else:
            with atomic.replacing(target) as tmp:
                shutil.copyfile(ready, tmp)
        size, packed = sizes(target)
        result.artifacts.append(Artifact(event["format"], event["variant"], target, bool(event["ok"]),
                                         event["message"], size, packed, dict(event.get("details") or {})))
        report(on_progress, Progress("export", done + 1, total, f"{event['file']}: {event['message']}",
                                     milestone=True))
    elif kind == "error":  # the message names the staging copy: name the file the user asked for
        message = event["message"].replace(str(staging / event["file"]), str(result.out_dir / event["file"]))
        result.errors.append({**{k: event[k] for k in ("format", "variant", "file")}, "message": message})
        report(on_progress, Progress("export", done + 1, total, f"{event['file']}: not written"))


def sizes(path: Path) -> tuple[int, int]:
    """(bytes, gzipped bytes) of a file, or summed over a folder's files."""
    paths = [p for p in sorted(path.rglob("*")) if p.is_file()] if path.is_dir() else [path]
    raw = sum(p.stat().st_size for p in paths)
    packed = sum(len(gzip.compress(p.read_bytes(), compresslevel=9, mtime=0)) for p in paths)
    return raw, packed


def source_dataset(source: ExportSource):
    """The source's dataset and its raw-input transform (None, None without data)."""
    if source.data is None:
        return None, None
    from engine.data.datasets import DataConfig, load_dataset

    seed = (source.record.get("data") or {}).get("seed")
    config = DataConfig.from_dict(source.data, seed=seed)
    dataset = load_dataset(config, base_dir=source.base_dir)
    return dataset, dataset.preprocessing


def _request(source: ExportSource, options: ExportOptions, scratch: Path, staging: Path, files, dataset,
             prep) -> dict:
    fold = options.raw_inputs and prep is not None
    samples = scratch / "samples.npz"
    if dataset is not None:
        x_check = dataset.x_test if len(dataset.x_test) else dataset.x_val
        x_check = x_check[:options.check_samples]
        x_rep = dataset.x_train[:REPRESENTATIVE]
        if fold:
            x_check, x_rep = prep.invert(x_check), prep.invert(x_rep)
        np.savez(samples, x_check=x_check, x_rep=x_rep)
    return {"options": options.to_dict(), "staging": str(staging), "files": files,
            "model_path": str(source.model_path.resolve()) if source.model_path else None,
            "graph_text": source.graph_text, "seed": int((json.loads(source.graph_text).get("training") or {})
                                                         .get("seed", 0)) if source.graph_text else 0,
            "samples": str(samples) if dataset is not None else None,
            "preprocessing": prep.to_dict() if fold else None,
            "class_names": list(dataset.class_names) if dataset is not None else []}
