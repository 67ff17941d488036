"""The parent side of the converter process: start it, read its events, stop it, survive its crash.

A crash (a segfault in the int8 converter, say) ends only the converter: the file it was
writing gets one clear error naming the signal, and a new converter carries on with the
files after it.
"""
from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from engine.jobs import JobControl

ROOT = Path(__file__).resolve().parents[2]  # the folder holding engine/ and blocks/
STDERR_TAIL = 4000
# A converter that says nothing for this long is stuck (a deadlock, a runaway conversion): it is
# killed and the file it was writing gets an error, like a crash. Sprout's models convert in seconds.
SILENCE_SECONDS = float(os.environ.get("SPROUT_CONVERTER_SILENCE_SECONDS", "900"))


def run_converter(request: dict, request_path: Path, on_event: Callable[[dict], None],
                  control: JobControl | None, module: str = "engine.export.worker") -> list[dict]:
    """Run the converter on ``request["files"]`` until each has a ``done`` or ``error`` event.

    ``module`` is the converter program (``python -m module REQUEST``): the export worker,
    or the compression measurer, which speak the same events. Returns every final event
    (in file order). Stops (killing the converter) when ``control`` asks; the files not
    finished then get no event.
    """
    pending = list(request["files"])
    finals: list[dict] = []
    while pending and not (control is not None and control.stopped):
        request_path.write_text(json.dumps({**request, "files": pending}), encoding="utf-8")
        events, crash = _one_process(request_path, on_event, control, module)
        finals += [e for e in events if e["event"] in ("done", "error")]
        finished = {e["file"] for e in finals}
        started = [e for e in events if e["event"] == "start" and e["file"] not in finished]
        pending = [f for f in pending if f["file"] not in finished]
        if crash is None or (control is not None and control.stopped):
            break
        if started:  # the file it was working on when it died
            item = started[-1]
            error = {"event": "error", "format": item["format"], "variant": item["variant"], "file": item["file"],
                     "message": f"the converter crashed ({crash}) while writing {item['file']}; "
                                "the other files are not affected"}
            on_event(error)
            finals.append(error)
            pending = [f for f in pending if f["file"] != item["file"]]
        else:  # it died before any file: every remaining file fails the same way
            for item in pending:
                error = {"event": "error", **{k: item[k] for k in ("format", "variant", "file")},
                         "message": f"the converter could not start ({crash})"}
                on_event(error)
                finals.append(error)
            break
    return finals


def _one_process(request_path: Path, on_event, control, module: str) -> tuple[list[dict], str | None]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", module, str(request_path)],
                                stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, cwd=str(ROOT),
                                env=env, start_new_session=True)
        events, buffer = [], b""
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        heard = time.monotonic()
        try:
            while True:
                if control is not None and control.should_stop():
                    _kill(proc)
                    return events, None
                if not selector.select(timeout=0.1):
                    if time.monotonic() - heard > SILENCE_SECONDS:
                        _kill(proc)
                        return events, f"no answer for {SILENCE_SECONDS:.0f} s, stopped"
                    continue
                heard = time.monotonic()
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    try:
                        event = json.loads(line)
                    except ValueError:
                        continue
                    events.append(event)
                    on_event(event)
            code = proc.wait()
        finally:
            selector.close()
            proc.stdout.close()
            if proc.poll() is None:
                _kill(proc)
        if code == 0:
            return events, None
        err.seek(0, os.SEEK_END)
        err.seek(max(0, err.tell() - STDERR_TAIL))
        tail = err.read().decode("utf-8", "replace").strip().splitlines()
        reason = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        last = next((line for line in reversed(tail) if line.strip() and "Traceback" not in line), "")
        return events, reason + (f": {last[:300]}" if last and code > 0 else "")


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()
