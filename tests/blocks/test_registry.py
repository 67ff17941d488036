"""The registry's category metadata (blocks/categories.py) and the Keras registration (blocks/layers/)."""
from __future__ import annotations

import re
from dataclasses import replace

from blocks import categories, default_registry
from blocks.registry import Registry

REGISTRY = default_registry()


def test_every_block_category_is_described():
    described = {c.name for c in categories.CATEGORIES}
    missing = sorted({s.category for s in REGISTRY} - described)
    assert not missing, f"add these categories to blocks/categories.py: {missing}"


def test_categories_are_well_formed():
    names = [c.name for c in categories.CATEGORIES]
    orders = [c.order for c in categories.CATEGORIES]
    assert len(set(names)) == len(names) and len(set(orders)) == len(orders)
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c.color) for c in categories.CATEGORIES)
    assert categories.color("Paper techniques") == "#2e7d32"
    assert categories.color("No such category") == categories.DEFAULT_COLOR


def test_registry_lists_categories_in_table_order_then_unknown_ones():
    dense, swish = REGISTRY.get("core.dense"), REGISTRY.get("paper.swish")
    reg = Registry([swish, replace(dense, id="test.b", category="Zeta"), dense,
                    replace(dense, id="test.a", category="Alpha"), replace(dense, id="test.io", category="Input / Output")])
    assert list(reg.categories()) == ["Input / Output", "Core", "Paper techniques", "Alpha", "Zeta"]
    shipped = list(REGISTRY.categories())
    table = [c.name for c in sorted(categories.CATEGORIES, key=lambda c: c.order) if c.name in shipped]
    assert shipped == table
    assert sum(len(v) for v in REGISTRY.categories().values()) == len(REGISTRY)


def test_register_keras_objects_returns_every_custom_class_a_block_builds():
    """Whatever custom class a block builds (or schedules) is registered for safe-mode loading."""
    import keras

    from blocks import register_keras_objects

    found = register_keras_objects()
    assert {"Swish", "Swapout", "JumpOut", "AdditiveGaussianNoise", "CyclicLR", "OctConv2D", "OctaveBatchNormAct",
            "ZoneoutLSTM", "ZoneoutGRU", "ZoneoutLSTMCell", "ZoneoutGRUCell", "ExcitationDropout"} <= set(found)
    for name, cls in found.items():
        assert cls.__module__.startswith("blocks.layers.")
        assert keras.saving.get_registered_object(f"sprout>{name}") is cls
    for spec in REGISTRY:
        built = []
        if spec.build is not None:
            built.append(type(spec.build(spec.defaults(), "blk")))
        hooks = spec.training(spec.defaults()) if spec.training else None
        if hooks and hooks.lr_schedule:
            built.append(type(hooks.lr_schedule(1e-3, 10, 2)))
        for cls in built:
            if not cls.__module__.startswith("keras"):
                assert found.get(cls.__name__) is cls, f"{spec.id} builds {cls.__name__}, which is not registered"
