"""engine/runs."""
