"""Loading and saving Keras models safely: ``safe_mode`` always on, errors named."""
from __future__ import annotations

import zipfile
from pathlib import Path

from engine import atomic
from engine.errors import SproutError

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")


class ModelFileError(SproutError):
    """A model file cannot be read or written."""


def load_model(path: str | Path):
    """Load a ``.keras`` or ``.h5`` model without running any code stored in it.

    Raises:
        ModelFileError: the file is missing, corrupt, or holds code (refused by safe mode).
    """
    import keras

    from blocks import register_keras_objects

    register_keras_objects()

    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: no such model file")
    if not path.is_file():  # a folder, FIFO or device: Keras would block on it or read it endlessly
        raise ModelFileError(f"{path}: not a regular file; a model file must be a regular file")
    if path.suffix not in MODEL_SUFFIXES:
        raise ModelFileError(f"{path}: not a model file (expected {', '.join(MODEL_SUFFIXES)})")
    if path.suffix == ".keras" and not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path}: not a valid .keras archive (corrupt or truncated)")
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except ValueError as exc:
        text = str(exc)
        if "safe_mode" in text or "lambda" in text.lower():
            raise ModelFileError(f"{path}: refused: the model contains Python code (a Lambda layer); "
                                 "Sprout never runs code from a file") from None
        raise ModelFileError(f"{path}: cannot load the model: {text.splitlines()[0] if text else exc}") from None
    except Exception as exc:  # h5py/zip/keras errors of many kinds for a corrupt file
        raise ModelFileError(f"{path}: cannot load the model ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else ''})") from None


def save_model(model, path: str | Path) -> Path:
    """Save ``model`` as ``.keras`` or ``.h5`` (by the suffix), atomically; ModelFileError on failure."""
    path = Path(path)
    if path.suffix not in MODEL_SUFFIXES:
        raise ModelFileError(f"{path}: choose a .keras or .h5 file name")
    import logging

    absl = logging.getLogger("absl")
    level = absl.level
    blocking = atomic.file_in_the_way(path)
    if blocking is not None:
        raise ModelFileError(f"{path}: {blocking} is a file, not a folder")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        absl.setLevel(logging.ERROR)  # .h5 is the user's explicit choice: skip Keras's "legacy" nag
        if path.suffix == ".keras":
            with atomic.replacing(path) as tmp:
                model.save(tmp)
        else:
            atomic.write_bytes(path, _h5_bytes(model))
    except OSError as exc:
        raise ModelFileError(f"{path}: could not save ({exc.strerror or exc}); "
                             "the previous file is unchanged") from None
    finally:
        absl.setLevel(level)
    return path


def _h5_bytes(model) -> bytes:
    """The ``.h5`` file of ``model``, built in memory.

    HDF5 writing straight to a file that hits a full disk raises ``RuntimeError`` from
    deep inside the library and leaves it in a state that crashes the process later
    (seen: a segfault at the next HDF5 call). Built in memory, the only disk write is a
    plain one through the atomic writer, whose failure is an ordinary ``OSError``.
    Keras's public ``model.save`` needs a path, so this calls the function it delegates
    to for ``.h5`` (pinned Keras 3.15; tests/engine/build/test_model_files.py guards it).
    """
    import io

    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        legacy_h5_format.save_model_to_hdf5(model, f)
    return buffer.getvalue()
