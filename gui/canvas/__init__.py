"""The graph canvas: a scene that mirrors the document, a view for zoom, pan and drops."""
