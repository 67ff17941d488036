"""Epoch scalars of a run as TensorBoard event files."""
from __future__ import annotations

from pathlib import Path


class TensorBoardLog:
    """Epoch scalars as TensorBoard event files (``train/`` and ``validation/``, like Keras's callback).

    ``tf.summary.scalar`` needs the separate ``tensorboard`` package at write time, so
    scalars go through the core ``tf.summary.write`` with the scalar plugin's metadata:
    the files are the same, and ``tensorboard --logdir`` shows them.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._writers = None
        self._meta = None

    def epoch(self, row: dict) -> None:
        """Log one history row; called on the training thread after each epoch."""
        import tensorflow as tf
        from tensorflow.core.framework import summary_pb2

        if self._writers is None:
            self._writers = {s: tf.summary.create_file_writer(str(self.folder / s)) for s in ("train", "validation")}
            self._meta = summary_pb2.SummaryMetadata(
                plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"),
                data_class=summary_pb2.DATA_CLASS_SCALAR).SerializeToString()
        step = int(row["epoch"])
        values = {"train": {"epoch_loss": row.get("loss"), "epoch_accuracy": row.get("accuracy"),
                            "epoch_learning_rate": row.get("lr")},
                  "validation": {"epoch_loss": row.get("val_loss"), "epoch_accuracy": row.get("val_accuracy")}}
        for split, scalars in values.items():
            with self._writers[split].as_default():
                for tag, value in scalars.items():
                    if isinstance(value, (int, float)):
                        tf.summary.write(tag, tf.constant(float(value), tf.float32), step=step, metadata=self._meta)

    def close(self) -> None:
        """Flush and close the files."""
        for writer in (self._writers or {}).values():
            writer.flush()
            writer.close()
        self._writers = None


