"""What an ablation varies: ``--vary`` specs parsed into variants of a project's graph.

Three forms (several make a grid, every combination a variant):

* ``param:NODE.PARAM=V1,V2,...``: one node's parameter over values (JSON values, else
  text: ``param:n7.rate=0.1,0.3,0.5``, ``param:n2.kernel_size=[3,3],[5,5]``);
* ``swap:KIND=OTHER[,OTHER...]``: every block of a kind replaced by another (each OTHER one
  more level beside the graph as it is), with the parameters both have carried over
  (``swap:core.conv2d=paper.octconv``); ``OTHER(param=value,...)`` sets parameters on the
  new nodes, and OctConv's ``alpha`` sets each octave section's alphas by the nodes' places
  (``swap:core.conv2d=paper.octconv(alpha=0.25),paper.octconv(alpha=0.5)``). KIND may also be an activation
  name: ``swap:relu=paper.swish`` replaces every ReLU, inline (``activation="relu"`` of a
  layer, split into the layer plus a Swish node) or an Activation node; OTHER may be an
  activation name too (``swap:relu=gelu``);
* ``toggle:NODE``: a node on and off (off: removed, its input wired to what it fed).

NODE is a node id or a unique title. Every variant is checked by building its graph
document (parameter and link rules); errors are one line naming the spec. No Keras here.
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

from blocks.rules.params import ACTIVATIONS
from engine.errors import SproutError
from engine.model.document import GraphDocument


class SpecError(SproutError):
    """A ``--vary`` spec that cannot be applied; the message names it."""


@dataclass(frozen=True)
class Change:
    """One factor's level: ``kind`` param/swap/toggle, and what it sets."""

    kind: str
    target: str  # NODE (param, toggle) or KIND (swap)
    value: object = None  # the parameter value, the swap's OTHER (None: unchanged), toggle on/off
    param: str = ""

    @property
    def label(self) -> str:
        if self.kind == "param":
            return f"{self.target}.{self.param}={json.dumps(self.value) if not isinstance(self.value, str) else self.value}"
        if self.kind == "swap":
            if self.value is None:
                return self.target
            options = ",".join(f"{k}={json.dumps(v)}" for k, v in json.loads(self.param).items()) if self.param else ""
            return f"{self.value}({options})" if options else self.value
        return f"{self.target} {'on' if self.value else 'off'}"


@dataclass(frozen=True)
class Factor:
    """One ``--vary``: its text and its levels."""

    text: str
    levels: tuple[Change, ...]


def split_values(text: str) -> list[str]:
    """``1,[3,3],"a,b"`` -> ``["1", "[3,3]", "\\"a,b\\""]``: commas outside brackets and quotes."""
    out, depth, quote, cur = [], 0, False, []
    for ch in text:
        if ch == '"':
            quote = not quote
        elif not quote and ch in "[{(":
            depth += 1
        elif not quote and ch in "]})":
            depth -= 1
        if ch == "," and depth == 0 and not quote:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return [v.strip() for v in out]


def _value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_factor(text: str) -> Factor:
    """One ``--vary`` spec; :class:`SpecError` with the expected forms when it is not one."""
    kind, sep, rest = text.partition(":")
    forms = "expected param:NODE.PARAM=V1,V2,..., swap:BLOCK_ID=OTHER_ID or toggle:NODE"
    if not sep or not rest.strip():
        raise SpecError(f"--vary {text!r}: {forms}")
    if kind == "param":
        head, eq, values = rest.partition("=")
        node, dot, param = head.rpartition(".")
        if not eq or not dot or not node or not param or not values.strip():
            raise SpecError(f"--vary {text!r}: expected param:NODE.PARAM=V1,V2,...")
        levels = [Change("param", node, _value(v), param) for v in split_values(values)]
        if len(levels) < 2 or any(v == "" for v in split_values(values)):
            raise SpecError(f"--vary {text!r}: give at least two values, separated by commas")
        return Factor(text, tuple(levels))
    if kind == "swap":
        old, eq, new = rest.partition("=")
        others = split_values(new) if eq else []
        if not old.strip() or not others or any(not o or o == old.strip() for o in others):
            raise SpecError(f"--vary {text!r}: expected swap:BLOCK_ID=OTHER_ID[,OTHER_ID(param=value,...)...] "
                            "(kinds other than the one replaced)")
        levels = [Change("swap", old.strip(), None)]
        for other in others:
            block, options = swap_target(other, text)
            levels.append(Change("swap", old.strip(), block, json.dumps(options, sort_keys=True) if options else ""))
        return Factor(text, tuple(levels))
    if kind == "toggle":
        return Factor(text, (Change("toggle", rest.strip(), True), Change("toggle", rest.strip(), False)))
    raise SpecError(f"--vary {text!r}: unknown kind {kind!r}; {forms}")


def swap_target(other: str, spec: str) -> tuple[str, dict]:
    """``paper.octconv(alpha=0.25)`` -> ``("paper.octconv", {"alpha": 0.25})``."""
    head, paren, tail = other.partition("(")
    if not paren:
        return other.strip(), {}
    if not tail.endswith(")") or not head.strip():
        raise SpecError(f"--vary {spec!r}: expected OTHER_ID(param=value,...) in {other!r}")
    options = {}
    for item in split_values(tail[:-1]):
        name, eq, value = item.partition("=")
        if not eq or not name.strip() or not value.strip():
            raise SpecError(f"--vary {spec!r}: expected param=value in {other!r}; found {item!r}")
        options[name.strip()] = _value(value.strip())
    return head.strip(), options


def variants(factors: list[Factor]) -> list[tuple[Change, ...]]:
    """Every combination of the factors' levels (the grid), first levels first."""
    return list(itertools.product(*(f.levels for f in factors))) if factors else [()]


def variant_label(changes: tuple[Change, ...]) -> str:
    return " · ".join(c.label for c in changes) or "baseline"


def resolve_node(doc: GraphDocument, name: str, spec: str) -> str:
    """A node id, or the one node titled ``name``."""
    if name in doc.nodes:
        return name
    titled = [uid for uid, n in doc.nodes.items() if n.title == name]
    if len(titled) == 1:
        return titled[0]
    if titled:
        raise SpecError(f"--vary {spec!r}: {len(titled)} nodes are titled {name!r} ({', '.join(titled)}); use an id")
    raise SpecError(f"--vary {spec!r}: no node {name!r} (ids: {', '.join(list(doc.nodes)[:12])})")


def apply(doc: GraphDocument, changes: tuple[Change, ...], spec_of: dict[Change, str]) -> None:
    """Apply a variant's changes to ``doc`` (a copy the caller owns)."""
    from engine.experiments.rewrite import bypass, replace_activation, replace_block

    for change in changes:
        spec = spec_of.get(change, change.label)
        try:
            if change.kind == "param":
                uid = resolve_node(doc, change.target, spec)
                known = {p.name for p in doc.spec(uid).params}
                if change.param not in known:
                    raise SpecError(f"--vary {spec!r}: {doc.node(uid).block} has no parameter {change.param!r} "
                                    f"(it has {', '.join(sorted(known)) or 'none'})")
                doc.set_params(uid, {change.param: change.value})
            elif change.kind == "swap" and change.value is not None:
                options = json.loads(change.param) if change.param else {}
                if change.target in ACTIVATIONS:
                    if replace_activation(doc, change.target, change.value, options) == 0:
                        raise SpecError(f"--vary {spec!r}: the graph has no {change.target} activation")
                elif not replace_block(doc, change.target, change.value, options):
                    raise SpecError(f"--vary {spec!r}: the graph has no {change.target} block")
            elif change.kind == "toggle":
                uid = resolve_node(doc, change.target, spec)
                if not change.value:
                    bypass(doc, uid)
        except SpecError:
            raise
        except SproutError as exc:
            raise SpecError(f"--vary {spec!r}: {str(exc).splitlines()[0]}") from None
