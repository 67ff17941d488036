"""Copy and paste of node selections as plain JSON (internal links kept)."""
from __future__ import annotations

import json

from engine.model.document import GraphDocument


def copy_nodes(doc: GraphDocument, uids) -> str:
    """JSON for the nodes ``uids`` and the links between them."""
    chosen = [u for u in doc.nodes if u in set(uids)]
    nodes = [{"id": u, "block": doc.node(u).block, "params": _plain(doc.node(u).params),
              "position": list(doc.node(u).position), "title": doc.node(u).title} for u in chosen]
    links = [{"from": [lk.source, lk.source_port], "to": [lk.target, lk.target_port]}
             for lk in doc.links() if lk.source in chosen and lk.target in chosen]
    return json.dumps({"format": "sprout-clip", "nodes": nodes, "links": links})


def plan_paste(doc: GraphDocument, text: str, offset=(40.0, 40.0)) -> tuple[list[dict], list[tuple]] | None:
    """Turn clipboard JSON into nodes with fresh uids and the links between them.

    Returns ``(nodes, links)`` ready for ``add_node(**node)`` and ``add_link(*link)``, or
    None when the text is not a Sprout clipboard payload. Nothing is evaluated.
    """
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("format") != "sprout-clip":
        return None
    mapping: dict[str, str] = {}
    taken = set(doc.nodes)
    nodes = []
    counter = 0
    for item in data.get("nodes", []):
        if not isinstance(item, dict) or item.get("block") not in doc.registry:
            continue
        while True:
            counter += 1
            uid = f"n{len(taken) + counter}"
            if uid not in taken:
                break
        taken.add(uid)
        mapping[item.get("id")] = uid
        x, y = item.get("position", [0, 0])
        nodes.append({"block": item["block"], "params": item.get("params", {}),
                      "position": (float(x) + offset[0], float(y) + offset[1]),
                      "title": item.get("title"), "uid": uid})
    links = []
    for item in data.get("links", []):
        try:
            (s, sp), (t, tp) = item["from"], item["to"]
        except (KeyError, TypeError, ValueError):
            continue
        if s in mapping and t in mapping:
            links.append((mapping[s], sp, mapping[t], tp))
    return nodes, links


def _plain(params: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
