"""The linear depth schedule for Swapout keep probabilities (pure Python).

Singh, Hoiem & Forsyth (NeurIPS 2016) compare constant and linearly decaying drop
rates and report the best results with "Linear(1, 0.5)": the drop rate rises linearly
with depth from 0 at the first swapout block to 0.5 at the last, i.e. for block i of L
(counting from 0) keep = 1 - 0.5 * i / (L - 1), used for both theta1 (X) and theta2 (F(X)).
Early layers then stay almost deterministic and the deeper ones are regularized most.
"""
from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping

SWAPOUT_ID = "paper.swapout"
LAST_DROP = 0.5  # the drop rate at the deepest block in the paper's best schedule


def linear_keep_schedule(blocks: int | Iterable, last_drop: float = LAST_DROP) -> list[float]:
    """Keep probabilities for L swapout blocks in depth order.

    Args:
        blocks: the number of blocks L, or a list of them (swapout parameter dicts or
            document node dicts; for node dicts only ``paper.swapout`` nodes count).
        last_drop: the drop rate of the last block (0 <= last_drop < 1); 0.5 in the paper.

    Returns:
        ``[1 - last_drop * i / (L - 1) for i in range(L)]``; a single block keeps 1.0
        (it is the first block, where the drop rate starts at 0).

    Raises:
        ValueError: for a negative count or ``last_drop`` outside [0, 1).
    """
    if not 0.0 <= last_drop < 1.0:
        raise ValueError(f"Expected 0 <= last_drop < 1. Received: last_drop={last_drop!r}")
    count = blocks if isinstance(blocks, int) else len(_swapout_items(blocks))
    if count < 0:
        raise ValueError(f"Expected a block count >= 0. Received: {count}")
    if count == 1:
        return [1.0]
    return [1.0 - last_drop * i / (count - 1) for i in range(count)]


def apply_linear_schedule(items: Iterable, last_drop: float = LAST_DROP) -> list:
    """Copies of ``items`` with ``keep_x`` and ``keep_fx`` set by the linear schedule.

    ``items`` is in depth order: either swapout parameter dicts, or the ``nodes`` list of
    a project document (node dicts with ``block`` and ``params``), in which case the other
    nodes are returned unchanged and the swapout nodes are numbered in list order.
    """
    items = [copy.deepcopy(dict(i)) for i in items]
    targets = _swapout_items(items)
    for item, keep in zip(targets, linear_keep_schedule(len(targets), last_drop), strict=True):
        params = item.setdefault("params", {}) if "block" in item else item
        params["keep_x"] = params["keep_fx"] = keep
    return items


def _swapout_items(items: Iterable) -> list:
    out = []
    for item in items:
        if not isinstance(item, Mapping):
            raise ValueError(f"Expected dicts of swapout parameters or document nodes. Received: {item!r}")
        if "block" not in item or item["block"] == SWAPOUT_ID:
            out.append(item)
    return out
