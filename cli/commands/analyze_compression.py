"""``analyze-compression``: how much each layer of a trained model can be pruned or factorized.

Each layer alone, no fine-tuning, validation accuracy drop in points: the figures to
choose a plan's sparsity and energy from.
"""
from __future__ import annotations

import json

NEEDS_KERAS = True


def add_parser(subparsers):
    """Register ``analyze-compression SOURCE [--tolerance PT] [--data NAME] [--json]``."""
    p = subparsers.add_parser("analyze-compression", help="per-layer sensitivity to pruning and low-rank "
                                                          "factorization of a trained model")
    p.add_argument("source", help="a run folder (trained) or a .keras/.h5 model file")
    p.add_argument("--tolerance", type=float, default=0.5, help="accuracy drop allowed per layer, in points "
                                                                "(default 0.5)")
    p.add_argument("--data", default=None, help="data to measure on (default: the run's own)")
    p.add_argument("--json", action="store_true", help="print the numbers as JSON instead of a table")
    return p


def run(args) -> int:
    """Measure and print the table (or JSON)."""
    from cli.common import StopFlag
    from cli.progress import ProgressBar
    from engine.compress.sensitivity import sensitivity_job

    flag = StopFlag()
    with flag.installed():
        result = sensitivity_job(args.source, {"tolerance": args.tolerance, "data": args.data},
                                 ProgressBar(), flag.control)
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if k != "table"}, indent=2))
    else:
        print(result["table"])
    return 0
