"""Copy and paste of node selections as plain JSON (internal links kept).

A payload is checked exactly as a project file is: its nodes and links are wrapped in a
minimal project and parsed by :func:`engine.model.project.from_dict`, so a paste accepts
nothing a file could not hold (unknown blocks, bad parameters, links to missing nodes,
out-of-range numbers, lone surrogates) and needs no checks of its own.
"""
from __future__ import annotations

import json

from engine.errors import SproutError
from engine.model import project as project_file
from engine.model.document import GraphDocument

FORMAT = "sprout-clip"
MAX_CHARS = project_file.MAX_BYTES  # the bound a project file gets; a paste is never larger


class PasteError(SproutError):
    """A Sprout clipboard payload that fails the checks a project file gets."""


def copy_nodes(doc: GraphDocument, uids) -> str:
    """JSON for the nodes ``uids`` and the links between them."""
    chosen = [u for u in doc.nodes if u in set(uids)]
    nodes = [{"id": u, "block": doc.node(u).block, "params": _plain(doc.node(u).params),
              "position": list(doc.node(u).position), "title": doc.node(u).title} for u in chosen]
    links = [{"from": [lk.source, lk.source_port], "to": [lk.target, lk.target_port]}
             for lk in doc.links() if lk.source in chosen and lk.target in chosen]
    return json.dumps({"format": FORMAT, "nodes": nodes, "links": links})


def plan_paste(doc: GraphDocument, text: str, offset=(40.0, 40.0)) -> tuple[list[dict], list[tuple]] | None:
    """Turn clipboard JSON into nodes with fresh uids and the links between them.

    Returns ``(nodes, links)`` ready for ``add_node(**node)`` and ``add_link(*link)``, or
    None when the text is not a Sprout clipboard payload (plain text, other JSON).
    Nothing is evaluated and nothing in ``doc`` changes.

    Raises:
        PasteError: the text is a payload but a project file with these nodes and links
            would be refused; the message is the loader's, in one line.
    """
    if len(text) > MAX_CHARS:
        raise PasteError(f"Cannot paste: the clipboard holds {len(text):,} characters; "
                         f"the most Sprout reads is {MAX_CHARS:,}")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    wrapped = {"format": project_file.FORMAT, "version": project_file.VERSION,
               "nodes": data.get("nodes", []), "links": data.get("links", [])}
    try:
        parsed = project_file.from_dict(wrapped, doc.registry, source="clipboard").document
    except SproutError as exc:  # from_dict lets a node's own NodeError through unwrapped
        raise PasteError(f"Cannot paste: {exc}") from None
    except RecursionError:
        raise PasteError("Cannot paste: the clipboard's structure is nested too deeply") from None
    mapping = _fresh_uids(doc, list(parsed.nodes))
    nodes = [{"block": n.block, "params": dict(n.params),
              "position": (_clamp(n.position[0] + offset[0]), _clamp(n.position[1] + offset[1])),
              "title": n.title, "uid": mapping[n.uid]} for n in parsed.nodes.values()]
    links = [(mapping[lk.source], lk.source_port, mapping[lk.target], lk.target_port) for lk in parsed.links()]
    return nodes, links


def _fresh_uids(doc: GraphDocument, old: list[str]) -> dict[str, str]:
    """A new uid for each of ``old``, none used in ``doc`` (old ids may clash with it)."""
    taken = set(doc.nodes)
    mapping: dict[str, str] = {}
    counter = 0
    for uid in old:
        while True:
            counter += 1
            new = f"n{len(taken) + counter}"
            if new not in taken:
                break
        taken.add(new)
        mapping[uid] = new
    return mapping


def _clamp(v: float) -> float:
    """Keep an offset copy within the coordinates a project file may hold, so it saves and loads."""
    return max(-project_file.MAX_COORDINATE, min(project_file.MAX_COORDINATE, v))


def _plain(params: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
