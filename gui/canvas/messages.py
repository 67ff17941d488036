"""Status-bar sentences about the canvas, naming nodes by their titles (as the user sees them)."""
from __future__ import annotations

import re

from engine.errors import CycleError, DuplicateLinkError, OccupiedInputError, PortError, SproutError
from gui.editing.commands import node_name


def link_refusal(doc, exc, source: str, source_port: str, target: str, target_port: str) -> str:
    """Why the link source.source_port -> target.target_port cannot be made, in the user's words."""
    a, b = node_name(doc, source, quote=True), node_name(doc, target, quote=True)
    if isinstance(exc, CycleError):
        if source == target:
            return f"Cannot connect {a} to itself: the link would make a cycle"
        return f"Cannot connect {a} to {b}: {b} already feeds {a}, so the link would make a cycle"
    if isinstance(exc, DuplicateLinkError):
        return f"{a} is already connected to {b}"
    if isinstance(exc, OccupiedInputError):
        feeder = doc.inputs_of(target).get(target_port)
        by = node_name(doc, feeder.source, quote=True) if feeder is not None else "another link"
        return (f"Cannot connect {a} to {b}: input '{target_port}' of {b} is already fed by {by}; "
                "delete that link first")
    if isinstance(exc, PortError):
        kinds = _kinds(doc, source, source_port, target, target_port)
        if kinds:
            return f"Cannot connect {a} to {b}: output '{source_port}' carries {kinds[0]}, input '{target_port}' takes {kinds[1]}"
    return "Cannot connect: " + with_titles(doc, str(exc))


def _kinds(doc, source, source_port, target, target_port):
    try:
        out = {p.name: p.kind for p in doc.spec(source).outputs}[source_port]
        inp = {p.name: p.kind for p in doc.spec(target).inputs}[target_port]
    except (KeyError, SproutError):
        return None
    words = {"tensor": "a tensor", "pair": "a (high, low) pair", "octave": "an octave tensor or pair"}
    return words.get(out, f"a {out}"), words.get(inp, f"a {inp}")


def with_titles(doc, text: str) -> str:
    """``text`` with each node id that stands alone replaced by the node's quoted title."""
    uids = sorted(doc.nodes, key=len, reverse=True)
    if not uids:
        return text
    pattern = re.compile(r"(?<![\w])(" + "|".join(re.escape(u) for u in uids) + r")(?![\w])")
    return pattern.sub(lambda m: node_name(doc, m.group(1), quote=True), text)
