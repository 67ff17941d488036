"""blocks/layers."""
