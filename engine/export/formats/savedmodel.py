"""TensorFlow SavedModel (a folder) with a ``serve`` signature, checked by ``tf.saved_model.load``."""
from __future__ import annotations

from engine.export.formats import ExportFormat


def write(ctx, variant, path):
    """``model.export(path, format="tf_saved_model")``: the inference function as ``serve``."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # it prints the signature; the card has it
        ctx.model("portable").export(str(path), format="tf_saved_model", verbose=False)


def check(ctx, variant, path):
    """Load the folder with TensorFlow and call the serving signature."""
    import tensorflow as tf

    from engine.export.checks import compare

    loaded = tf.saved_model.load(str(path))
    serve = loaded.signatures["serving_default"]
    name = next(iter(serve.structured_input_signature[1]))
    x = tf.constant(ctx.x_check, dtype=serve.structured_input_signature[1][name].dtype)
    out = serve(**{name: x})
    got = [out[k].numpy() for k in sorted(out)]
    return compare("tf.saved_model.load, serving_default", got, ctx.expected("portable"), True,
                   ctx.classification)


FORMAT = ExportFormat(name="savedmodel", title="TensorFlow SavedModel", client="tf.saved_model.load",
                      family="portable", file_name=lambda base, variant: f"{base}_savedmodel", write=write,
                      check=check, folder=True)
