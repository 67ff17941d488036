"""`make bench`: run every benchmark, print ratios, write .bench/results.json."""
from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

BENCHES = ("tests.bench.bench_train", "tests.bench.bench_compile", "tests.bench.bench_swish",
           "tests.bench.bench_octconv", "tests.bench.bench_gui", "tests.bench.bench_free_adv",
           "tests.bench.bench_training_gui", "tests.bench.bench_check", "tests.bench.bench_export",
           "tests.bench.bench_compress", "tests.bench.bench_fit", "tests.bench.bench_ablation")


def main() -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from engine.build.backend import import_keras_quietly

    import_keras_quietly()
    results = []
    for name in BENCHES:
        t0 = time.perf_counter()
        found = importlib.import_module(name).run()
        for res in found if isinstance(found, list) else [found]:
            res["bench_seconds"] = round(time.perf_counter() - t0, 1)
            results.append(res)
            print(f"{res['name']:<20} ratio {res['ratio']:<7} target {res['target']}  ({res['what']})", flush=True)
    out = Path(".bench")
    out.mkdir(exist_ok=True)
    record = {"machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
              "time": time.strftime("%Y-%m-%d %H:%M:%S"), "results": results}
    (out / "results.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
