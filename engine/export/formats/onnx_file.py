"""ONNX (``.onnx``) through tf2onnx, dynamic batch, checked by ``onnx.checker`` and onnxruntime."""
from __future__ import annotations

from engine import atomic
from engine.export.formats import Check, ExportFormat


def write(ctx, variant, path):
    """``model.export(format="onnx")`` at the chosen opset, written atomically."""
    import contextlib
    import io
    import warnings

    model = ctx.model("portable")
    model(ctx.x_check[:1], training=False)  # Keras exports only a model that has been called
    with atomic.replacing(path) as tmp, warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        model.export(str(tmp), format="onnx", opset_version=ctx.options.opset, verbose=False)


def check(ctx, variant, path):
    """The ONNX checker, then onnxruntime on every check sample (one batch: the batch axis is dynamic)."""
    import onnx
    import onnxruntime as ort

    from engine.export.checks import compare

    proto = onnx.load(str(path))
    try:
        onnx.checker.check_model(proto, full_check=True)
    except onnx.checker.ValidationError as exc:
        return Check(False, f"onnx.checker: {str(exc).splitlines()[0]}")
    opset = max(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = session.get_inputs()[0]
    got = session.run(None, {feed.name: ctx.x_check.astype("float32" if "float" in feed.type else "int64")})
    ctx.details[path.name] = {"opset": opset, "input_name": feed.name, "batch": str(feed.shape[0])}
    result = compare(f"onnx.checker + onnxruntime (opset {opset})", got, ctx.expected("portable"), True,
                     ctx.classification)
    return result


FORMAT = ExportFormat(name="onnx", title="ONNX", client="onnxruntime", family="portable",
                      file_name=lambda base, variant: f"{base}.onnx", write=write, check=check)
