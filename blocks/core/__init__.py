"""Standard blocks (ids ``core.*``): one module per block, each exposing ``SPEC``."""
