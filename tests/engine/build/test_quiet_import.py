"""The quiet TensorFlow import never redirects the process's stderr (issue 9, item 11)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

# Runs in a fresh process: TensorFlow must not be imported yet. The import runs on a
# thread, as the studio's warm-up does, while the main thread keeps writing to stderr
# (as a failing Qt slot would) and watches where fd 2 points.
SCRIPT = r"""
import json, os, sys, threading, time

real = os.readlink("/proc/self/fd/2")
dup2_calls = []
_dup2 = os.dup2
def spy(fd, fd2, *args, **kwargs):
    dup2_calls.append([fd, fd2])
    return _dup2(fd, fd2, *args, **kwargs)
os.dup2 = spy

from engine.build.backend import import_keras_quietly

done, errors, seen = threading.Event(), [], set()
def warm_up():
    try:
        import_keras_quietly()
    except BaseException as exc:
        errors.append(repr(exc))
    finally:
        done.set()

thread = threading.Thread(target=warm_up)
thread.start()
marks = 0
while not done.is_set():
    seen.add(os.readlink("/proc/self/fd/2"))
    print(f"MARK {marks}", file=sys.stderr, flush=True)
    marks += 1
    time.sleep(0.005)
thread.join()
print(json.dumps({"real": real, "after": os.readlink("/proc/self/fd/2"), "seen": sorted(seen),
                  "dup2": dup2_calls, "errors": errors, "marks": marks, "tf": "tensorflow" in sys.modules}))
"""


def test_stderr_written_during_the_threaded_import_reaches_the_real_stderr():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["errors"] == [] and report["tf"]
    assert report["marks"] > 5  # the main thread really wrote while TensorFlow loaded
    lines = proc.stderr.splitlines()
    missing = [i for i in range(report["marks"]) if f"MARK {i}" not in lines]
    assert missing == []  # every line written meanwhile reached the real stderr...
    assert report["dup2"] == []  # ...because fd 2 is never pointed anywhere else
    assert report["seen"] == [report["real"]] and report["after"] == report["real"]


def test_the_import_turns_tensorflows_logging_down_but_keeps_a_users_setting(monkeypatch):
    import engine.build.backend as backend

    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    backend.import_keras_quietly()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == backend.TF_LOG_LEVEL == "3"
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    backend.import_keras_quietly()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"
