"""blocks/rules."""
