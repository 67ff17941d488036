"""Free adversarial training (m = 4) vs natural training of digits_cnn: cost per pass and robustness.

Both runs make the same number of forward/backward passes over the training set (natural:
EPOCHS epochs; free: EPOCHS / m epochs of m replays each), without validation so that only
training is timed. The time ratio compares the median seconds per pass after the first
(tracing) epoch; the paper's claim is that free training costs about what natural
training costs. Clean and PGD test accuracy (10 steps, eps 0.1, step 2.5*eps/10, random
start) are reported for both models.
"""
from __future__ import annotations

from tests.bench.common import median

EPOCHS = 20  # natural epochs = passes; the free run does EPOCHS / m epochs
BATCH = 32
ROUNDS = 2


def _run(doc, cfg, ds):
    import time

    import keras

    from blocks.paper.free_adversarial import PGD_STEPS, pgd_attack
    from engine.build.compiler import compile_document
    from engine.train.trainer import effective_epochs, prepare_model

    keras.utils.clear_session()
    keras.utils.set_random_seed(cfg.seed)
    compiled = compile_document(doc)
    prepare_model(compiled, ds, cfg)
    epochs = effective_epochs(compiled, cfg)
    seconds = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self.t0)

    model = compiled.model
    t0 = time.perf_counter()
    model.fit(ds.x_train, ds.y_train, batch_size=cfg.batch_size, epochs=epochs, verbose=0, callbacks=[Timer()])
    total = time.perf_counter() - t0
    clean = model.evaluate(ds.x_test, ds.y_test, verbose=0, return_dict=True)["accuracy"]
    eps = 0.1
    adv = pgd_attack(model, ds.x_test, ds.y_test, eps, PGD_STEPS, 2.5 * eps / PGD_STEPS, 0.0, 1.0, seed=0)
    robust = model.evaluate(adv, ds.y_test, verbose=0, return_dict=True)["accuracy"]
    passes_per_epoch = EPOCHS / epochs
    return {"per_pass": median(seconds[1:]) / passes_per_epoch, "total": total,
            "clean": float(clean), "pgd": float(robust)}


def run() -> dict:
    from engine.data.datasets import DataConfig, load_dataset
    from engine.train.config import TrainConfig
    from engine.train.workflow import open_project
    from tests.conftest import EXAMPLES

    natural_doc = open_project(EXAMPLES / "digits_cnn.sprout").document
    free_doc = open_project(EXAMPLES / "digits_free_adv.sprout").document
    m = next(n.params["replays"] for n in free_doc.nodes.values() if n.block == "paper.free_adversarial")
    cfg = TrainConfig(epochs=EPOCHS, batch_size=BATCH, learning_rate=0.002)
    ds = load_dataset(DataConfig("digits"))
    nat, free = [], []
    for _ in range(ROUNDS):  # interleave so drift in machine load hits both alike
        nat.append(_run(natural_doc, cfg, ds))
        free.append(_run(free_doc, cfg, ds))
    nat_pass, free_pass = median([r["per_pass"] for r in nat]), median([r["per_pass"] for r in free])
    return {"name": "free_adversarial", "what": f"free adversarial (m={m}, eps 0.1) vs natural training, "
                                                f"digits_cnn, {EPOCHS} passes, batch {BATCH}",
            "natural_pass_s": round(nat_pass, 4), "free_pass_s": round(free_pass, 4),
            "ratio": round(free_pass / nat_pass, 3), "target": "about 1 (time ratio, paper: ~1)",
            "total_ratio": round(median([r["total"] for r in free]) / median([r["total"] for r in nat]), 3),
            "natural_clean_acc": round(nat[0]["clean"], 4), "free_clean_acc": round(free[0]["clean"], 4),
            "natural_pgd_acc": round(nat[0]["pgd"], 4), "free_pgd_acc": round(free[0]["pgd"], 4)}


if __name__ == "__main__":
    print(run())
