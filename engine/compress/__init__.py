"""Compression: prune, quantize, distill, factorize, chained by a plan and measured (no Qt)."""
