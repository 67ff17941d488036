"""`main.py check` on long chains: loading and validation must grow linearly with the graph.

Chains of Input -> N x Dense(4) -> Output, links listed in reverse (the order that made
cycle checks quadratic). The ratio is the 40k-node time over ten times the 4k-node time:
at most 1 means linear or better.
"""
from __future__ import annotations

import json
import time


def chain_text(n: int) -> str:
    """A project of ``n`` Dense nodes between an Input and an Output, links in reverse order."""
    nodes = [{"id": "in", "block": "core.input", "params": {"shape": [4]}, "position": [0, 0]}]
    nodes += [{"id": f"d{i}", "block": "core.dense", "params": {"units": 4}, "position": [i, 0]} for i in range(n)]
    nodes.append({"id": "out", "block": "core.output", "position": [n, 0]})
    ids = [node["id"] for node in nodes]
    links = [{"from": [a, "out"], "to": [b, "in"]} for a, b in zip(ids, ids[1:])]
    return json.dumps({"format": "sprout", "version": 1, "nodes": nodes, "links": links[::-1],
                       "data": {"source": "iris"}})


def check_seconds(n: int) -> float:
    """Parse and analyze a chain of ``n`` nodes (what ``main.py check`` does), in seconds."""
    from blocks import default_registry
    from engine.analysis.graph import analyze
    from engine.model.project import parse_project

    text = chain_text(n)
    t0 = time.perf_counter()
    analysis = analyze(parse_project(text, default_registry()).document)
    seconds = time.perf_counter() - t0
    assert analysis.ok, analysis.errors[:1]
    return seconds


def run() -> dict:
    times = {n: check_seconds(n) for n in (1000, 4000, 10000, 40000)}
    ratio = times[40000] / (10 * times[4000])
    return {"name": "check_40k_chain", "ratio": round(ratio, 2), "target": "<= 1.0 and 40k under 5 s",
            "what": ", ".join(f"{n // 1000}k nodes {t:.2f}s" for n, t in times.items()),
            "seconds": {str(n): round(t, 3) for n, t in times.items()}}


if __name__ == "__main__":
    print(run())
