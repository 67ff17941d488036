"""Registers Sprout's custom Keras layers with Keras's serialization registry.

Called (never at start-up) by whatever loads a model, so a saved ``.keras`` file
reloads with ``safe_mode=True``; importing this module does nothing by itself. The standard blocks use Keras's own
layers; the paper techniques add their layer modules here.
"""
from __future__ import annotations

CUSTOM_LAYER_MODULES: tuple[str, ...] = ()


def register() -> None:
    """Import every custom layer module (each registers itself on import)."""
    import importlib

    for name in CUSTOM_LAYER_MODULES:
        importlib.import_module(name)

