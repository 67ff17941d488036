"""The desktop studio: PySide6 views over the engine (DESIGN.md sections 1 and 6)."""
