"""Ablation studies and the PBA search (issue 14)."""
