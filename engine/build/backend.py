"""Importing TensorFlow/Keras once, quietly.

TensorFlow's C++ runtime prints start-up notes (oneDNN, CUDA probing) straight to file
descriptor 2 before any logging setting applies, so the only way to keep a user's
terminal clean is to point fd 2 elsewhere while the import runs. Python-level errors
still surface because the import's exceptions propagate normally.
"""
from __future__ import annotations

import os
import sys

_loaded = False


def import_keras_quietly():
    """Import Keras on the TensorFlow backend, hiding the C++ start-up banner."""
    global _loaded
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if _loaded or "tensorflow" in sys.modules:
        import keras
        return keras
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import keras
            import tensorflow as tf

            tf.constant(0)  # device probing happens on first use; keep it inside the quiet zone
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    _loaded = True
    return keras
