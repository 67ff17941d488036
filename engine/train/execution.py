"""Running a step in blocks of batches: one call into the graph per block.

On the small models Sprout trains, a CPU spends much of each step on the way into the
graph and back (a Python round trip per batch). Keras's ``steps_per_execution`` removes
most of that, but it is a Python number baked into the traced function: each value costs
a trace, so finding the fastest value costs a trace per candidate and a separate
calibration run.

Here the block length is an argument of the graph function (a tensor): one trace serves
every length and the length can change from one call to the next. That makes calibration
free: the run itself measures the candidates on its own first batches
(``engine.train.calibrate``). Which batches go into which block changes neither their
order nor the optimizer steps, so a run gives the metrics of batch-by-batch training
within floating-point noise, whatever blocks it ran in.
"""
from __future__ import annotations

import time


class BlockStep:
    """``step`` run ``n`` times in one graph call: ``block(iterator, n) -> logs``.

    ``step`` is a Keras ``train_step`` or ``test_step`` (``data -> logs``); ``logs`` are
    the last batch's outputs (Keras's steps return running metric means, so they cover
    the block). ``jit`` compiles each batch's step with XLA, as Keras's ``jit_compile``
    does. The caller must not ask for more batches than the iterator has left.
    """

    def __init__(self, step, jit: bool = False):
        import tensorflow as tf

        self.jit = bool(jit)
        self.calls = 0

        @tf.autograph.experimental.do_not_convert
        def one_batch(data):
            return step(data)

        one = tf.function(one_batch, reduce_retracing=True, jit_compile=self.jit)

        @tf.autograph.experimental.do_not_convert
        def block(iterator, n):
            logs = one(iterator.get_next())

            def more(i, _logs):
                return tf.less(i, n)

            def body(i, _logs):
                return i + 1, one(iterator.get_next())

            _, logs = tf.while_loop(more, body, (tf.constant(1), logs))
            return logs

        self._block = tf.function(block, reduce_retracing=True)
        self._n = lambda n: tf.constant(int(n), dtype=tf.int32)

    def __call__(self, iterator, n: int):
        self.calls += 1
        return self._block(iterator, self._n(n))

    def timed(self, iterator, n: int):
        """``(logs, seconds)``: the call's wall time, synced on the loss."""
        t0 = time.perf_counter()
        logs = self(iterator, n)
        if isinstance(logs, dict) and "loss" in logs:
            float(logs["loss"])
        return logs, time.perf_counter() - t0


def is_graph_iterator(iterator) -> bool:
    """True for the ``tf.data`` iterators Keras's TensorFlow loop passes (a block needs one)."""
    import tensorflow as tf

    return isinstance(iterator, (tf.data.Iterator, tf.distribute.DistributedIterator))
