"""Sprout's blocks: one module per block, each exposing ``SPEC``.

Importing this package has no side effects and does not import Keras.
"""
from blocks.registry import Registry, default_registry, discover
from blocks.spec import BlockSpec, Cost, ParamError, ParamSpec, PortSpec, ShapeError


def register_keras_objects() -> dict:
    """Register Sprout's custom Keras layers (imports Keras); call before loading a model.

    Returns:
        ``{class name: class}`` of the registered classes (see ``blocks.layers``).
    """
    from blocks.layers import register_keras_objects as register

    return register()


__all__ = ["BlockSpec", "Cost", "ParamError", "ParamSpec", "PortSpec", "Registry", "ShapeError",
           "default_registry", "discover", "register_keras_objects"]
