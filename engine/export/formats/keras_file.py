"""``.keras``: the Keras 3 archive, checked by ``keras.saving.load_model(safe_mode=True)``."""
from __future__ import annotations

from engine.export.formats import Check, ExportFormat


def write(ctx, variant, path):
    """The model as trained (stochastic inference kept), atomically."""
    from engine.build.modelio import save_model

    save_model(ctx.model("keras"), path)


def check(ctx, variant, path):
    """Load it back in safe mode and predict the check samples."""
    return check_model_file(ctx, path, "keras.saving.load_model(safe_mode=True)")


def check_model_file(ctx, path, client: str) -> Check:
    """Shared by ``.keras`` and ``.h5``: weights always; predictions unless the model samples at inference."""
    import numpy as np

    from engine.build.modelio import load_model
    from engine.export.checks import compare

    loaded = load_model(path)
    original = ctx.model("keras")
    same = all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), original.get_weights()))
    if not same or len(loaded.get_weights()) != len(original.get_weights()):
        return Check(False, f"{client}: the weights read back differ from the model's")
    result = compare(client, loaded(ctx.x_check, training=False), ctx.expected("keras"), True, ctx.classification)
    if not result.ok and _samples(original):
        return Check(True, f"{client}: weights identical; predictions not compared (the model samples at "
                           "inference: a Swapout block with stochastic inference)")
    return result


def _samples(model) -> bool:
    return any(getattr(layer, "inference", None) == "stochastic" for layer in _layers(model))


def _layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _layers(layer)


FORMAT = ExportFormat(name="keras", title="Keras 3 (.keras)", client="Keras (safe mode)", family="keras",
                      file_name=lambda base, variant: f"{base}.keras", write=write, check=check)
