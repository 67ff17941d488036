"""The editor side of the studio: the editing model adapter, undo commands, actions, inspector, palette, summary, code view."""
