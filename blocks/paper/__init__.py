"""Techniques from papers (ids ``paper.*``): one module per block, each exposing ``SPEC``."""
