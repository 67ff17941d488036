"""``.h5``: the legacy HDF5 model file, checked by ``keras.saving.load_model(safe_mode=True)``."""
from __future__ import annotations

from engine.export.formats import ExportFormat
from engine.export.formats.keras_file import check_model_file


def write(ctx, variant, path):
    """The model as trained, built in memory and written atomically (engine.build.modelio)."""
    from engine.build.modelio import save_model

    save_model(ctx.model("keras"), path)


def check(ctx, variant, path):
    """Load it back in safe mode and predict the check samples."""
    return check_model_file(ctx, path, "keras.saving.load_model(safe_mode=True)")


FORMAT = ExportFormat(name="h5", title="Keras HDF5 (.h5)", client="Keras (safe mode)", family="keras",
                      file_name=lambda base, variant: f"{base}.h5", write=write, check=check)
