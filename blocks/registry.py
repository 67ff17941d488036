"""Block discovery: every module in ``blocks/`` that defines ``SPEC`` is a block.

The registry is an instance, so tests can build a tiny one from a few specs.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable

from blocks.categories import sort_key as category_order
from blocks.spec import BlockSpec


class UnknownBlockError(KeyError):
    """No block has this id (nor a legacy id)."""

    def __str__(self) -> str:
        return f"Unknown block id {self.args[0]!r}"


class Registry:
    """A set of block specs addressed by id, with legacy ids resolved."""

    def __init__(self, specs: Iterable[BlockSpec] = ()):
        self._specs: dict[str, BlockSpec] = {}
        self._legacy: dict[str, str] = {}
        for spec in specs:
            self.add(spec)

    def add(self, spec: BlockSpec) -> None:
        """Register ``spec``; an id (or legacy id) may be registered only once."""
        if spec.id in self._specs or spec.id in self._legacy:
            raise ValueError(f"duplicate block id {spec.id!r}")
        self._specs[spec.id] = spec
        for old in spec.legacy_ids:
            self._legacy[old] = spec.id

    def resolve(self, block_id: str) -> str:
        """The current id for ``block_id`` (which may be a legacy id)."""
        if block_id in self._specs:
            return block_id
        if block_id in self._legacy:
            return self._legacy[block_id]
        raise UnknownBlockError(block_id)

    def get(self, block_id: str) -> BlockSpec:
        """The spec for ``block_id``.

        Raises:
            UnknownBlockError: if no block has that id.
        """
        return self._specs[self.resolve(block_id)]

    def __contains__(self, block_id: object) -> bool:
        return block_id in self._specs or block_id in self._legacy

    def __iter__(self):
        return iter(sorted(self._specs.values(), key=lambda s: (s.category, s.title)))

    def __len__(self) -> int:
        return len(self._specs)

    def categories(self) -> dict[str, list[BlockSpec]]:
        """Specs grouped by category, for the palette: categories in ``blocks.categories`` order.

        Within a category the specs keep the registry's order (by title).
        """
        out: dict[str, list[BlockSpec]] = {}
        for spec in self:
            out.setdefault(spec.category, []).append(spec)
        return {name: out[name] for name in sorted(out, key=category_order)}


BLOCK_PACKAGES = ("blocks.core", "blocks.paper")  # the id namespace of a block is its folder


def discover(packages: Iterable[str] = BLOCK_PACKAGES) -> Registry:
    """Walk ``packages`` and register the ``SPEC`` of every module that has one.

    Only the block folders are walked: ``blocks/layers/`` imports Keras and ``blocks/rules/``
    holds helpers, so neither is imported here.
    """
    reg = Registry()
    for package in [packages] if isinstance(packages, str) else packages:
        pkg = importlib.import_module(package)
        for info in sorted(pkgutil.walk_packages(pkg.__path__, prefix=package + "."), key=lambda i: i.name):
            module = importlib.import_module(info.name)
            spec = getattr(module, "SPEC", None)
            if isinstance(spec, BlockSpec):
                reg.add(spec)
    return reg


_default: Registry | None = None


def default_registry() -> Registry:
    """The registry of all shipped blocks (discovered once, then cached)."""
    global _default
    if _default is None:
        _default = discover()
    return _default
