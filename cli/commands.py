"""The sub-commands. Human progress goes to stderr, results to stdout or files."""
from __future__ import annotations

import json
import signal
import sys
import tempfile
from pathlib import Path

from blocks.registry import default_registry
from engine.analysis.graph import analyze
from engine.errors import SproutError
from engine.model.project import dumps
from engine.runs.writer import write_training_files
from engine.train.workflow import open_project, plan_run, run_training

EXAMPLES = Path(__file__).resolve().parent.parent / "resources" / "examples"


def cmd_check(args) -> int:
    """Per-node table of shapes, parameters and MACs; exit 1 when any node is faulty."""
    project = open_project(args.project)
    doc = project.document
    analysis = analyze(doc)
    rows = []
    for uid in analysis.order:
        res = analysis.nodes[uid]
        shape = res.out_shapes[0] if res.out_shapes else None
        rows.append({"id": uid, "block": res.block, "title": doc.node(uid).title,
                     "output_shape": list(shape) if shape else None,
                     "params": res.cost.params, "macs": res.cost.macs})
    totals = analysis.totals()
    if args.json:
        print(json.dumps({"ok": analysis.ok, "nodes": rows, "totals": totals,
                          "diagnostics": [{"node": d.uid, "severity": d.severity, "message": d.message}
                                          for d in analysis.diagnostics]}, indent=2))
    else:
        print(f"{'node':<8} {'block':<24} {'output shape':<22} {'params':>10} {'MACs':>12}")
        for r in rows:
            spec = doc.spec(r["id"])
            shape = "- (technique)" if not spec.inputs and not spec.outputs else _shape_text(r["output_shape"])
            print(f"{r['id']:<8} {r['block']:<24} {shape:<22} {r['params']:>10,} {r['macs']:>12,}")
        print(f"total: {totals['params']:,} parameters, {totals['macs']:,} MACs, "
              f"{totals['activation_bytes'] / 1024:.1f} KiB activations per sample, "
              f"{totals['size_float32_bytes'] / 1024:.1f} KiB at float32, {totals['size_int8_bytes'] / 1024:.1f} KiB at int8")
    for d in analysis.diagnostics:
        print(f"{d.severity}: {d}", file=sys.stderr)
    return 0 if analysis.ok else 1


def _shape_text(shape) -> str:
    """(None, 8, 8, 1) -> '(batch, 8, 8, 1)'; a (high, low) pair -> 'H (batch, ...) | L (batch, ...)'."""
    if not shape:
        return "?"
    if isinstance(shape[0], (list, tuple)):
        return " | ".join(f"{tag} {_shape_text(s)}" for tag, s in zip("HL", shape) if s)
    return "(batch, " + ", ".join(map(str, shape[1:])) + ")"


def cmd_train(args) -> int:
    """Train a project and write model.keras, history.csv and summary.json."""
    from cli.progress import ProgressBar

    project = open_project(args.project)
    if args.label:
        project.data["label"] = args.label
    plan = plan_run(project, epochs=args.epochs, data=args.data, seed=args.seed, batch_size=args.batch_size)
    stop = _StopFlag()
    print(f"training {args.project} for {plan.train_config.epochs} epochs on {plan.data_config.source} "
          "(Ctrl+C stops after the current batch and keeps the weights)", file=sys.stderr)
    with stop.installed():
        compiled, dataset, result = run_training(plan, ProgressBar(), stop.control)
    write_training_files(args.out, compiled.model, result, plan.train_config, dataset)
    _report(result, args.out)
    return 0 if result.stop_reason in ("completed", "early_stopping", "stopped") else 1


def cmd_lr_range(args) -> int:
    """LR range test: a compact (lr, loss) table and suggested CLR bounds on stdout, every point in --out."""
    from cli.progress import ProgressBar
    from engine.model.project import ProjectSnapshot
    from engine.train.lr_range import RangeOptions, check_arguments, lr_range_job

    check_arguments(args.min_lr, args.max_lr, args.steps, args.mode)  # before any slow work
    out = Path(args.out) if args.out else None
    if out and (out.suffix.lower() != ".csv" or not out.parent.is_dir()):
        raise SproutError(f"--out {out} must be a .csv file in an existing folder")
    project = open_project(args.project)
    cfg = plan_run(project, seed=args.seed, batch_size=args.batch_size).train_config
    options = RangeOptions(args.min_lr, args.max_lr, args.steps, args.mode, args.data, args.seed, args.batch_size)
    header = (f"LR range test on {args.project}: {args.steps} iterations, {args.mode} from {args.min_lr:g} to "
              f"{args.max_lr:g}, {cfg.optimizer}, batch size {cfg.batch_size}")
    stop = _StopFlag()
    with stop.installed():
        run = lr_range_job(ProjectSnapshot(dumps(project), project.path), options, ProgressBar(header=header),
                           stop.control)
    result = run.result
    print(f"{'iteration':>9} {'lr':>12} {'loss':>10} {'smoothed':>10}")
    for p in result.compact(20):
        print(f"{p.iteration:>9} {p.lr:>12.6g} {p.loss:>10.4f} {p.smoothed:>10.4f}")
    print(f"{result.stop_reason} after {len(result.points)} iterations")
    if result.base_lr is not None:
        per_epoch = max(1, -(-run.train_samples // cfg.batch_size))
        print(f"suggested: base_lr={result.base_lr:.3g} max_lr={result.max_lr:.3g} (paper.cyclic_lr; half cycle "
              f"2-10 epochs = {2 * per_epoch}-{10 * per_epoch} iterations at batch size {cfg.batch_size})")
    else:
        print("suggested: none")
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if out:
        try:
            result.write_csv(out)
        except OSError as exc:
            raise SproutError(f"cannot write {out}: {exc.strerror or exc}") from exc
        print(f"wrote {len(result.points)} points to {out}", file=sys.stderr)
    return 0


def cmd_export(args) -> int:
    """Write a project's (untrained) model or a trained model file as .keras or .h5."""
    from engine.build.compiler import compile_document
    from engine.build.modelio import load_model, save_model

    src = Path(args.source)
    if src.suffix == ".sprout":
        model = compile_document(open_project(src).document).model
        print("note: exporting a project gives untrained weights; train it first to export a trained model",
              file=sys.stderr)
    else:
        model = load_model(src)
    out = Path(args.out)
    suffix = {"keras": ".keras", "h5": ".h5"}[args.format]
    if out.suffix != suffix:
        raise SproutError(f"--out {out} must end in {suffix} for --format {args.format}")
    save_model(model, out)
    print(out)
    return 0


def cmd_demo(args) -> int:
    """Train the example CNN on digits and print its test accuracy."""
    from cli.progress import ProgressBar

    project = open_project(EXAMPLES / "digits_cnn.sprout")
    plan = plan_run(project, epochs=args.epochs)
    out = args.out or tempfile.mkdtemp(prefix="sprout-demo-")
    print(f"demo: training digits_cnn on the embedded digits dataset ({plan.train_config.epochs} epochs)",
          file=sys.stderr)
    compiled, dataset, result = run_training(plan, ProgressBar())
    write_training_files(out, compiled.model, result, plan.train_config, dataset)
    _report(result, out)
    acc = result.metrics.get("test", {}).get("accuracy")
    print(f"test accuracy: {acc:.4f}" if acc is not None else "test accuracy: n/a")
    return 0


def cmd_blocks(args) -> int:
    """Every registered block with its id, category, ports and parameters."""
    registry = default_registry()
    if args.json:
        print(json.dumps({"blocks": [s.to_json() for s in registry]}, indent=2))
        return 0
    for cat, specs in registry.categories().items():
        print(cat)
        for s in specs:
            ins = ", ".join(p.name for p in s.inputs) or "-"
            outs = ", ".join(p.name for p in s.outputs) or "-"
            params = ", ".join(f"{p.name}={p.default!r}" for p in s.params)
            print(f"  {s.id:<24} in: {ins:<16} out: {outs:<6} {params}")
    return 0


def cmd_gui(args) -> int:
    """Open the desktop studio; with no display, say so in one line and run the demo."""
    from gui.app import has_display, run_gui

    if not has_display():
        print("No display found (DISPLAY is not set): running `python main.py demo` instead.", file=sys.stderr)
        args.epochs, args.out = None, None
        from engine.build.backend import import_keras_quietly

        import_keras_quietly()
        return cmd_demo(args)
    return run_gui(args.project)


def _report(result, out) -> None:
    test = result.metrics.get("test", {})
    line = f"{result.stop_reason}: {result.epochs_run} epochs"
    if test:
        line += ", test " + ", ".join(f"{k} {v:.4f}" for k, v in test.items())
    if result.message:
        line += f". {result.message}"
    print(line, file=sys.stderr)
    if out:
        print(f"saved to {out}", file=sys.stderr)


class _StopFlag:
    """Ctrl+C asks the job to stop after the current step; a second Ctrl+C aborts."""

    def __init__(self):
        from engine.jobs import JobControl

        self.control = JobControl()

    @property
    def requested(self) -> bool:
        return self.control.stopped

    def installed(self):
        import contextlib

        @contextlib.contextmanager
        def ctx():
            previous = signal.getsignal(signal.SIGINT)

            def handler(signum, frame):
                if self.requested:
                    raise KeyboardInterrupt
                self.control.stop()
                print("\nstopping after the current batch...", file=sys.stderr)

            signal.signal(signal.SIGINT, handler)
            try:
                yield self
            finally:
                signal.signal(signal.SIGINT, previous)
        return ctx()
