"""Helpers for blocks' ``KerasImport`` declarations: copy options from a saved layer config.

Pure Python (no Keras): a declaration names the config keys a block reads; the importer
(``engine/build/importer.py``) rebuilds the block's layer and reports every other option.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

from blocks.spec import KerasImport


def plain(value):
    """A config value with JSON lists turned into tuples (as block parameters hold them)."""
    if isinstance(value, list):
        return tuple(plain(v) for v in value)
    return value


def keep(*names: str, single: tuple[str, ...] = ()) -> Callable[[Mapping], dict]:
    """A params function copying ``names`` from a layer config (missing keys keep defaults).

    Args:
        names: config keys that are also the block's parameter names.
        single: keys Keras stores as a 1-tuple (Conv1D's ``kernel_size``) for an int parameter.
    """
    def params(config: Mapping) -> dict:
        out = {}
        for name in names:
            if name in config:
                value = plain(config[name])
                if name in single and isinstance(value, tuple) and len(value) == 1:
                    value = value[0]
                out[name] = value
        return out
    return params


def standing_for(*classes: str, names: tuple[str, ...] = (), single: tuple[str, ...] = ()) -> KerasImport:
    """``KerasImport(classes, keep(*names))``: the common case of options copied by name."""
    return KerasImport(tuple(classes), keep(*names, single=single))


def activation_named(allowed, param: str | None = "activation") -> Callable[[Mapping], dict | None]:
    """For an ``Activation`` layer: ``{param: name}`` when ``name`` is one of ``allowed``, else None.

    Args:
        allowed: the activation names the block computes.
        param: the block's parameter holding the name; None for a block of one function.
    """
    def params(config: Mapping) -> dict | None:
        name = config.get("activation")
        if not (isinstance(name, str) and name in allowed):
            return None
        return {param: name} if param else {}
    return params
