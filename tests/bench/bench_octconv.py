"""OctConv (alpha 0.5) vs Conv2D, 64 -> 64 channels, 3x3, 32x32 images, batch 32.

Three MAC counts must agree: the block's cost rule, TensorFlow's own profiler counting
the FLOPs of every Conv2D op in the traced graph (independent of our code), and the
theory ``1 - 3/4 * a * (2 - a)``. The CPU forward-time ratio shows how much of the
saving survives on real hardware (pooling, upsampling and four small convolutions).
"""
from __future__ import annotations

from fractions import Fraction

from tests.bench.common import best_of

ALPHA = 0.5
CHANNELS, SIZE, BATCH, KERNEL = 64, 32, 32, 3
CALLS = 10  # forward passes per timed run


def _conv_macs_from_tf(fn, specs) -> int:
    """MACs of the Conv2D ops in ``fn``'s graph, as TensorFlow's profiler counts them."""
    import tensorflow as tf

    graph = tf.function(fn).get_concrete_function(*specs).graph
    opts = tf.compat.v1.profiler.ProfileOptionBuilder(
        tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()).with_empty_output().build()
    opts["account_type_regexes"] = ["Conv2D"]  # only convolutions, as the cost rule counts
    prof = tf.compat.v1.profiler.profile(graph, options=opts)
    return prof.total_float_ops // 2  # the profiler counts 2 FLOPs per multiply-accumulate


def run() -> dict:
    import keras
    import numpy as np
    import tensorflow as tf

    from blocks import default_registry

    spec = default_registry().get("paper.octconv")
    params = spec.validate_params({"filters": CHANNELS, "kernel_size": (KERNEL, KERNEL), "alpha_in": ALPHA,
                                   "alpha_out": ALPHA, "activation": "relu"})
    c_low = int(ALPHA * CHANNELS)
    in_shape = ((None, SIZE, SIZE, CHANNELS - c_low), (None, SIZE // 2, SIZE // 2, c_low))
    rule_macs = spec.cost(params, [in_shape], spec.infer_shape(params, [in_shape])).macs

    oct_layer = spec.build(params, "oct")
    plain = keras.layers.Conv2D(CHANNELS, KERNEL, padding="same", activation="relu")
    rng = np.random.default_rng(0)
    x_high = tf.constant(rng.normal(size=(BATCH, *in_shape[0][1:])).astype("float32"))
    x_low = tf.constant(rng.normal(size=(BATCH, *in_shape[1][1:])).astype("float32"))
    x = tf.constant(rng.normal(size=(BATCH, SIZE, SIZE, CHANNELS)).astype("float32"))
    oct_layer((x_high, x_low))
    plain(x)
    assert oct_layer.count_params() == plain.count_params()

    def oct_fn(h, lo):
        return oct_layer((h, lo))

    tf_oct = _conv_macs_from_tf(oct_fn, [tf.TensorSpec((1, *s[1:])) for s in in_shape]) * BATCH
    tf_plain = _conv_macs_from_tf(lambda t: plain(t), [tf.TensorSpec((1, SIZE, SIZE, CHANNELS))]) * BATCH
    plain_macs = SIZE * SIZE * KERNEL * KERNEL * CHANNELS * CHANNELS * BATCH
    theory = 1 - Fraction(3, 4) * Fraction(ALPHA) * (2 - Fraction(ALPHA))
    assert tf_plain == plain_macs, (tf_plain, plain_macs)
    assert Fraction(tf_oct, tf_plain) == Fraction(rule_macs * BATCH, plain_macs) == theory

    oct_call = tf.function(lambda: oct_layer((x_high, x_low)), jit_compile=False)
    plain_call = tf.function(lambda: plain(x), jit_compile=False)

    def timed(call):
        def go():
            for _ in range(CALLS):
                out = call()
            np.asarray(out[0] if isinstance(out, tuple) else out)  # wait for the result
        go()  # trace and warm up
        return go

    oct_go, plain_go = timed(oct_call), timed(plain_call)
    oct_s, plain_s = [], []
    for _ in range(3):  # interleave so drift in machine load hits both alike
        oct_s.append(best_of(oct_go, 3))
        plain_s.append(best_of(plain_go, 3))
    t_oct, t_plain = min(oct_s) / CALLS, min(plain_s) / CALLS
    return {"name": "octconv_speed",
            "what": f"OctConv alpha {ALPHA} vs Conv2D {CHANNELS}->{CHANNELS} 3x3, {SIZE}x{SIZE}, batch {BATCH}, "
                    "CPU forward",
            "octconv_ms": round(1000 * t_oct, 3), "conv2d_ms": round(1000 * t_plain, 3),
            "ratio": round(t_oct / t_plain, 3),
            "macs_ratio": float(Fraction(rule_macs * BATCH, plain_macs)),
            "macs_ratio_tf_profiler": float(Fraction(tf_oct, tf_plain)),
            "macs_theory": float(theory),
            "target": f"macs_ratio == macs_theory == {float(theory)}; time ratio < 1 (lower is faster)"}


if __name__ == "__main__":
    print(run())
