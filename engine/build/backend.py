"""Importing TensorFlow/Keras once, quietly, without touching the process's stderr.

TensorFlow's start-up notes (oneDNN, CUDA probing) are silenced through its own logging
settings: ``TF_CPP_MIN_LOG_LEVEL`` for the C++ runtime, read when the runtime loads, so
it is set before the import. File descriptor 2 is never redirected: the import usually
runs on a worker thread while the studio is already running, and pointing the process's
stderr elsewhere for those seconds would swallow every error the other threads print
meanwhile (a traceback, Qt's own messages, a crash report). A few lines that TensorFlow's
bundled libraries print while they load, before any setting applies (a CUDA stub's "Could
not find cuda drivers" note), can therefore reach the terminal; that is the price of
never hiding anything else.
"""
from __future__ import annotations

import os
import sys

# 3 hides the C++ runtime's INFO, WARNING and ERROR notes (the "failed call to cuInit" line
# on machines without a GPU); Python errors still surface as exceptions.
TF_LOG_LEVEL = "3"

_loaded = False


def import_keras_quietly():
    """Import Keras on the TensorFlow backend with TensorFlow's C++ logging turned down.

    Safe to call from any thread and more than once; a ``TF_CPP_MIN_LOG_LEVEL`` or
    ``KERAS_BACKEND`` already in the environment is kept.

    Returns:
        The ``keras`` module.
    """
    global _loaded
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", TF_LOG_LEVEL)
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if _loaded or "tensorflow" in sys.modules:
        import keras
        return keras
    import keras
    import tensorflow as tf

    tf.constant(0)  # device probing happens on first use: here, not in the first run
    _loaded = True
    return keras
