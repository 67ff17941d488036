"""``export``: a run, a project or a model file to every format a small model goes to.

Several formats in one call, each file checked by the program that will run it (in the
converter process), a model card beside them, and a table of what was written.
"""
from __future__ import annotations

import sys
from pathlib import Path

from engine.errors import SproutError

NEEDS_KERAS = False  # the converter process imports TensorFlow, this one does not


def add_parser(subparsers):
    """Register ``export SOURCE --format F1,F2 [--quantize Q1,Q2] [--out DIR]``."""
    from engine.export.formats import formats
    from engine.export.options import DEFAULT_OPSET, QUANTIZE_WORDS

    p = subparsers.add_parser("export", help="export a run, project or model to .keras, .h5, SavedModel, "
                                             "TFLite, ONNX, Python or a C header")
    p.add_argument("source", help="a run folder (trained), a .sprout project (untrained weights) or a .keras/.h5 model")
    p.add_argument("--format", required=True, help=f"comma-separated: {','.join(formats())}")
    p.add_argument("--quantize", default="none",
                   help=f"TFLite/C variants, comma-separated: {', '.join(dict.fromkeys(QUANTIZE_WORDS))} "
                        "(default none = float32)")
    p.add_argument("--int8-io", choices=("int8", "float"), default="int8",
                   help="input/output tensors of the int8 variant (default int8)")
    p.add_argument("--opset", type=int, default=DEFAULT_OPSET, help=f"ONNX opset 13-18 (default {DEFAULT_OPSET})")
    p.add_argument("--name", default=None, help="base name of the files (default: the source's name)")
    p.add_argument("--no-raw-inputs", action="store_true",
                   help="do not fold the data's preprocessing into the model (the card states it instead)")
    p.add_argument("--data", default=None, help="data for a bare model file's samples (embedded name or path)")
    p.add_argument("--out", default=None, help="output folder (default: SOURCE_export beside the source); "
                                               "a file name ending in the one format's suffix writes that file")
    return p


def run(args) -> int:
    """Pre-flight, export with a progress bar, then the table of files on stdout."""
    from cli.common import StopFlag
    from cli.progress import ProgressBar
    from engine.export.job import export_job
    from engine.export.options import ExportOptions
    from engine.export.preflight import preflight
    from engine.export.source import resolve_source

    source = resolve_source(args.source, data=args.data)
    out, name = _out_and_name(args, source)
    options = ExportOptions.parse(args.format, args.quantize, int8_io=args.int8_io, opset=args.opset,
                                  raw_inputs=not args.no_raw_inputs, name=name)
    if source.kind == "project":
        print("note: a project exports untrained weights; export a run folder for the trained model",
              file=sys.stderr)
    table = preflight(source, options)
    for line in table.lines():
        print(f"pre-flight: {line}", file=sys.stderr)
    flag = StopFlag()
    with flag.installed():
        result = export_job(source, options, out, ProgressBar(header=f"note: exporting {source.label} to {out}"),
                            flag.control)
    print(_table(result))
    for error in result.errors:
        print(f"error: {error['file']}: {error['message']}", file=sys.stderr)
    if result.stopped:
        print("stopped: the files listed were written completely; the others were not started", file=sys.stderr)
    if table.refused:
        print(f"refused by the pre-flight: {', '.join(table.refused)}", file=sys.stderr)
    return 0 if result.ok and not table.refused else 1


def _out_and_name(args, source) -> tuple[Path, str]:
    from engine.export.formats import formats

    stem = source.path.stem if source.kind != "run" else "model"
    name = args.name or _identifier(stem)
    if args.out is None:
        return source.path.parent / f"{source.path.stem}_export" if source.kind != "run" \
            else source.path / "export", name
    out = Path(args.out)
    words = [w.strip() for w in args.format.split(",") if w.strip()]
    if len(words) == 1 and words[0] in formats() and out.suffix:
        fmt = formats()[words[0]]
        expected = Path(fmt.file_name("x", "float32")).suffix
        if out.suffix != expected:
            raise SproutError(f"--out {out} must end in {expected or 'no suffix'} for --format {words[0]} "
                              "(or name a folder)")
        return out.parent, args.name or out.stem
    return out, name


def _identifier(stem: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in stem).strip("_-")
    return cleaned or "model"


def _table(result) -> str:
    rows = [("file", "bytes", "gzipped", "check")]
    for a in result.artifacts:
        rows.append((a.path.name, f"{a.size:,}", f"{a.gzip_size:,}", ("ok: " if a.ok else "FAILED: ") + a.message))
    for e in result.errors:
        rows.append((e["file"], "-", "-", "not written: " + e["message"]))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]}" for r in rows]
    if result.card:
        lines.append(f"model card: {result.card[0]} and {result.card[1].name}")
    return "\n".join(lines)
