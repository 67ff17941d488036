"""Where ablation runs execute: this process, a local process pool, or a Ray cluster.

A runner takes the payloads of the runs still to do and calls ``on_row`` with each row as
it finishes; ``control`` is polled between results, and a stop ends the pool at once (the
running runs are killed; their folders have no marker, so a resume trains them again).

The local pool uses the *spawn* start method: forking a process that has loaded
TensorFlow hangs. A worker holds about 700 MB once TensorFlow and a model are loaded, so
the pool is sized by memory as well as cores; each worker's TensorFlow gets its share of
the cores. Ray is imported only inside :func:`run_ray`: the local default does not need it.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable

from engine.errors import SproutError

WORKER_BYTES = 700 * 1024 * 1024


class RayUnavailable(SproutError):
    """Ray is not installed or the address does not answer (one line, naming it)."""


def available_memory() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 4 * WORKER_BYTES


def pool_size(runs: int, asked: int | None = None) -> int:
    """Workers for ``runs`` runs: the asked number, else one per core that memory allows."""
    if asked:
        return max(1, min(int(asked), runs))
    cores = os.cpu_count() or 1
    by_memory = max(1, available_memory() // WORKER_BYTES)
    return max(1, min(cores, by_memory, runs))


def run_here(payloads: list[dict], on_row: Callable[[dict], None], control=None) -> None:
    """One after the other in this process (the baseline of the benchmark, and ``--workers 1``)."""
    from engine.experiments.worker import run_task

    for payload in payloads:
        if control is not None and control.should_stop():
            return
        on_row(run_task(payload))


def run_pool(payloads: list[dict], workers: int, on_row: Callable[[dict], None], control=None) -> None:
    """A spawn-context process pool of ``workers``; stop terminates it."""
    import multiprocessing as mp

    from engine.experiments.worker import limit_threads, run_task

    threads = max(1, (os.cpu_count() or 1) // workers)
    ctx = mp.get_context("spawn")
    pool = ctx.Pool(workers, initializer=limit_threads, initargs=(threads,), maxtasksperchild=None)
    try:
        pending = [pool.apply_async(run_task, ({**p, "threads": threads},)) for p in payloads]
        while pending:
            if control is not None and control.should_stop():
                pool.terminate()
                return
            done = [r for r in pending if r.ready()]
            for r in done:
                pending.remove(r)
                on_row(r.get())  # a failed run raises here, in the parent, with its message
            if not done:
                time.sleep(0.05)
        # Every result is in (each run wrote its marker before returning): end the workers now.
        # A close() would wait for each TensorFlow to tear itself down, ~10 s here.
        pool.terminate()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


def import_ray():
    """Ray, or RayUnavailable saying how to get it."""
    try:
        import ray
    except ImportError:
        raise RayUnavailable("Ray is not installed (pip install 'ray[tune]==2.60.0'); "
                             "run without --ray for the local pool") from None
    return ray


def start_ray(ray, address: str) -> None:
    """Connect to ``address`` (``local``: start a private local Ray); one line when it does not answer."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no network at run time
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # Tune's console tables: the caller reports progress
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")
    check_address(address)
    try:
        if address == "local":
            ray.init(include_dashboard=False, log_to_driver=False, ignore_reinit_error=True,
                     num_cpus=os.cpu_count() or 1)
        else:
            ray.init(address=address, log_to_driver=False, ignore_reinit_error=True)
    except Exception as exc:  # noqa: BLE001 - ConnectionError, TimeoutError, RuntimeError: all one line
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RayUnavailable(f"no Ray cluster at {address!r}: {first}; run without --ray for the local pool") from None


def check_address(address: str) -> None:
    """A ``ray://HOST:PORT`` that nothing listens on fails in seconds, not after Ray's 30 s of retries."""
    import socket

    if not address.startswith("ray://"):
        return
    host, _, port = address[len("ray://"):].rpartition(":")
    if not host or not port.isdigit():
        raise RayUnavailable(f"Ray address {address!r}: expected ray://HOST:PORT (e.g. ray://10.0.0.5:10001)")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as exc:
        raise RayUnavailable(f"no Ray cluster at {address!r}: nothing answers there ({exc.strerror or exc}); "
                             "run without --ray for the local pool") from None


def run_ray(payloads: list[dict], address: str, on_row: Callable[[dict], None], control=None) -> None:
    """On a Ray cluster (``ray://host:port``, ``auto``) or a local Ray (``local``)."""
    ray = import_ray()
    start_ray(ray, address)
    try:
        from engine.experiments.worker import run_task

        remote = ray.remote(num_cpus=1)(run_task)
        pending = {remote.remote({**p, "threads": 1}): p for p in payloads}  # one core a task
        while pending:
            if control is not None and control.should_stop():
                for ref in pending:
                    ray.cancel(ref, force=True)
                return
            done, _ = ray.wait(list(pending), num_returns=1, timeout=0.2)
            for ref in done:
                pending.pop(ref)
                on_row(ray.get(ref))
    finally:
        ray.shutdown()
