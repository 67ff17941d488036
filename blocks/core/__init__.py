"""blocks/core."""
