"""Datasets: embedded sets, user folders/CSV/NPZ, seeded splits, clear errors."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from engine.data.datasets import EMBEDDED, DataConfig, load_dataset
from engine.errors import DataError


@pytest.mark.parametrize("name, shape, classes", [
    ("digits", (8, 8, 1), 10), ("digits-seq", (8, 8), 10), ("iris", (4,), 3), ("wine", (13,), 3),
    ("breast-cancer", (30,), 2)])
def test_embedded_datasets(name, shape, classes):
    ds = load_dataset(DataConfig(name))
    assert ds.input_shape == shape and ds.num_classes == classes
    total = len(ds.x_train) + len(ds.x_val) + len(ds.x_test)
    assert len(ds.x_test) == pytest.approx(0.15 * total, abs=2)
    assert set(EMBEDDED) >= {name}


def test_split_is_seeded_and_stratified():
    a, b = load_dataset(DataConfig("digits", seed=3)), load_dataset(DataConfig("digits", seed=3))
    c = load_dataset(DataConfig("digits", seed=4))
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.y_test, c.y_test)
    counts = np.bincount(a.y_test, minlength=10)
    assert counts.min() >= 24 and counts.max() <= 30  # ~27 of each digit in 270


def test_tables_are_standardized_with_training_statistics():
    ds = load_dataset(DataConfig("wine"))
    np.testing.assert_allclose(ds.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(ds.x_train.std(axis=0), 1, atol=1e-4)
    assert abs(ds.x_test.mean()) < 0.5


def _images(root, sizes):
    for cls, size in sizes:
        (root / cls).mkdir(exist_ok=True)
        for i in range(6):
            Image.fromarray(np.full(size[::-1], 40 * i, dtype="uint8")).save(root / cls / f"{i}.png")


def test_image_folder(tmp_path):
    _images(tmp_path, [("cat", (5, 4)), ("dog", (5, 4))])
    ds = load_dataset(DataConfig(str(tmp_path), val_fraction=0.2, test_fraction=0.2))
    assert ds.input_shape == (4, 5, 1) and ds.class_names == ["cat", "dog"]
    assert ds.x_train.max() <= 1.0


def test_image_folder_of_mixed_sizes_names_the_file(tmp_path):
    _images(tmp_path, [("a", (5, 4)), ("b", (6, 4))])
    with pytest.raises(DataError, match=r"b/0\.png: image size 6x4 differs from 5x4"):
        load_dataset(DataConfig(str(tmp_path)))


def test_csv_with_label_column(tmp_path):
    path = tmp_path / "plants.csv"
    rows = ["height,width,label"] + [f"{i},{i % 3},{'tall' if i > 10 else 'short'}" for i in range(20)]
    path.write_text("\n".join(rows))
    ds = load_dataset(DataConfig(str(path)))
    assert ds.input_shape == (2,) and ds.class_names == ["short", "tall"]


def test_csv_without_label_column(tmp_path):
    path = tmp_path / "plants.csv"
    path.write_text("a,b\n1,2\n3,4\n")
    with pytest.raises(DataError, match=r"no label column 'label'; the columns are \['a', 'b'\]"):
        load_dataset(DataConfig(str(path)))


def test_csv_with_text_in_a_feature(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,label\n1,0\nx,1\n")
    with pytest.raises(DataError, match=r"row 3, column 'a': 'x' is not a number"):
        load_dataset(DataConfig(str(path)))


def test_npz(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x=np.random.rand(30, 3).astype("float32"), y=np.arange(30) % 2)
    ds = load_dataset(DataConfig(str(path)))
    assert ds.input_shape == (3,) and ds.num_classes == 2


def test_npz_with_python_objects_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, x=np.array([{"a": 1}] * 20, dtype=object), y=np.arange(20))
    with pytest.raises(DataError, match="refused: the file holds Python objects"):
        load_dataset(DataConfig(str(path)))


def test_corrupt_npz_and_missing_path(tmp_path):
    path = tmp_path / "broken.npz"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match="broken.npz: not a readable .npz"):
        load_dataset(DataConfig(str(path)))
    with pytest.raises(DataError, match="no such file or folder"):
        load_dataset(DataConfig(str(tmp_path / "nowhere")))


def test_bad_data_config():
    with pytest.raises(DataError, match=r"Expected 0 <= data.val_fraction < 0.9"):
        DataConfig.from_dict({"val_fraction": 2})
