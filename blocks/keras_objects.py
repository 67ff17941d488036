"""Registers Sprout's custom Keras layers with Keras's serialization registry.

Custom layers are defined inside cached functions (``BlockSpec.keras_classes``) so
importing ``blocks`` never imports Keras. Call :func:`register` before loading a saved
model in a fresh Python::

    import blocks, keras
    blocks.register_keras_objects()
    keras.saving.load_model("model.keras", safe_mode=True)
"""
from __future__ import annotations


def register(registry=None) -> dict:
    """Define and register every block's custom Keras classes; returns them by name."""
    from blocks.registry import default_registry

    found = {}
    for spec in registry or default_registry():
        if spec.keras_classes is not None:
            for cls in spec.keras_classes():
                found[cls.__name__] = cls
    return found
