"""blocks/paper."""
