"""Sprout's custom Keras layers and schedules: top-level classes, one module per technique.

Every module here imports Keras at module level, so nothing outside this package imports
it at module level (tests/test_architecture.py enforces it): block modules import a layer
inside their ``build``/hook functions, and :func:`register_keras_objects` imports them all
before a saved model is loaded. Each class is registered with
``keras.saving.register_keras_serializable(package="sprout")``; its name and ``get_config``
keys are part of every saved ``.keras`` file (tests/fixtures/keras/ pins them).
"""
from __future__ import annotations

import importlib
import pkgutil

PACKAGE = "sprout"  # the registration prefix: "sprout>Swish"


def register_keras_objects() -> dict:
    """Import every module of this package, registering its classes with Keras.

    Returns:
        ``{class name: class}`` for every class registered under the ``sprout`` package
        (the generated code looks layers up by name in it).
    """
    import keras

    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == module.__name__ \
                    and keras.saving.get_registered_name(value) == f"{PACKAGE}>{value.__name__}":
                found[value.__name__] = value
    return found
