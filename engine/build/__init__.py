"""engine/build."""
