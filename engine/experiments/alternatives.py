"""What a node could be instead: the choices behind the studio's "Try alternatives...".

Blocks declare a ``family`` (:class:`blocks.spec.BlockSpec`): blocks of one family take
and give the same kinds of tensors and can stand in for each other (Conv2D, OctConv and
SeparableConv2D; Dropout, JumpOut, Gaussian noise and Excitation Dropout; ...). For a node
this offers the other blocks of its family, as ``swap:`` specs over every block of its
kind, and for a non-linearity (an Activation node or a layer's ``activation``) the other
activation blocks (Swish, hard swish) and a few activation names, as ``swap:NAME=...``
over every use of that activation. Each :class:`Alternative` names its spec level; the
chosen ones of one kind make one factor (:func:`factor_specs`).
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.model.document import GraphDocument

ACTIVATION_NAMES = ("relu", "gelu", "elu", "relu6", "tanh")  # the names worth comparing with a ReLU


@dataclass(frozen=True)
class Alternative:
    """One choice: ``kind`` (the swap's KIND), ``other`` (OTHER), and how it reads."""

    kind: str
    other: str
    text: str


def alternatives(doc: GraphDocument, uid: str) -> list[Alternative]:
    """The alternatives for node ``uid`` (none for inputs, outputs and blocks of no family)."""
    node = doc.node(uid)
    spec = doc.spec(uid)
    out: list[Alternative] = []
    reg = doc.registry
    if spec.family and spec.id != "core.activation":
        for other in reg:
            if other.family == spec.family and other.id != spec.id:
                out.append(Alternative(spec.id, other.id, f"every {spec.title} → {other.title}"))
    activation = node.params.get("activation")
    if isinstance(activation, str) and activation not in ("linear", "softmax") and any(
            p.name == "activation" for p in spec.params):
        for other in reg:
            if other.family == "activation" and other.id != "core.activation":
                out.append(Alternative(activation, other.id, f"every {activation} → {other.title}"))
        for name in ACTIVATION_NAMES:
            if name != activation:
                out.append(Alternative(activation, name, f"every {activation} → {name}"))
    if spec.family == "activation" and spec.id != "core.activation":
        for other in reg:
            if other.family == "activation" and other.id not in (spec.id, "core.activation"):
                out.append(Alternative(spec.id, other.id, f"every {spec.title} → {other.title}"))
    return out


def factor_specs(chosen: list[Alternative]) -> list[str]:
    """One ``swap:`` factor per kind among ``chosen``: ``["swap:relu=paper.swish,paper.hard_swish", ...]``."""
    by_kind: dict[str, list[str]] = {}
    for alt in chosen:
        by_kind.setdefault(alt.kind, []).append(alt.other)
    return [f"swap:{kind}={','.join(others)}" for kind, others in by_kind.items()]
