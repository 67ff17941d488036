"""TensorFlow Lite / LiteRT (``.tflite``): float32, float16, dynamic range or full int8.

Checked by the LiteRT interpreter (``ai_edge_litert``): float32 must match the Keras
model to 1e-4; the quantized variants must give the same class on at least 97% of the
test samples (for regression: within 5% of the outputs' spread).
"""
from __future__ import annotations

from engine import atomic
from engine.export.formats import ExportFormat, variant_suffix


def write(ctx, variant, path):
    """Convert (built-in ops only) and write atomically."""
    atomic.write_bytes(path, ctx.tflite(variant))


def check(ctx, variant, path):
    """Run every check sample through the LiteRT interpreter."""
    from engine.export.checks import compare, run_tflite

    got, quant = run_tflite(path.read_bytes(), ctx.x_check)
    ctx.details[path.name] = {"input": quant, "variant": variant}
    return compare(f"LiteRT interpreter ({variant})", [got], ctx.expected("tflite"), variant == "float32",
                   ctx.classification)


FORMAT = ExportFormat(name="tflite", title="TensorFlow Lite (LiteRT)", client="LiteRT interpreter",
                      family="tflite", file_name=lambda base, variant: f"{base}{variant_suffix(variant)}.tflite",
                      write=write, check=check, variants=True)
