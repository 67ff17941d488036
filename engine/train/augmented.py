"""Training batches with per-epoch augmentation (PBA and friends), as a Keras PyDataset."""
from __future__ import annotations

import math

import numpy as np


def augmented_batches(x: np.ndarray, y: np.ndarray, batch_size: int, augments, seed: int, current_epoch):
    """A ``keras.utils.PyDataset`` yielding shuffled batches with ``augments`` applied.

    Each augment is ``(x_batch, epoch, rng) -> x_batch``. The epoch comes from
    ``current_epoch()`` (the training callback's counter), not from ``on_epoch_end``:
    Keras peeks at a batch and calls ``on_epoch_end`` once before training starts.
    Validation and test data never pass through here: augmentation is training-only.
    """
    import keras

    class _Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__(workers=1, use_multiprocessing=False)
            self.rng = np.random.default_rng(seed)
            self.order = self.rng.permutation(len(x))

        def __len__(self):
            return math.ceil(len(x) / batch_size)

        def __getitem__(self, index):
            idx = self.order[index * batch_size:(index + 1) * batch_size]
            xb = np.array(x[idx], copy=True)
            for fn in augments:
                xb = fn(xb, current_epoch(), self.rng)
            return xb.astype("float32", copy=False), y[idx]

        def on_epoch_end(self):
            self.order = self.rng.permutation(len(x))

    return _Batches()
