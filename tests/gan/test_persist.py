import numpy as np
import pandas as pd
import pytest

from augment import InvalidDataError, load_dataset
from augment.gan import (
    ImageCGAN,
    ImageGANConfig,
    TabularCGAN,
    TabularGANConfig,
    load_model,
    save_model,
)


def test_tabular_roundtrip_samples_identically(tmp_path, mixed_csv):
    data = load_dataset(mixed_csv, label="outcome")
    gan = TabularCGAN(TabularGANConfig(epochs=1, hidden=16), data.discrete, 0, progress=False)
    gan.fit(data.X, data.y)
    path = save_model(gan, tmp_path / "m.pt")
    back = load_model(path, device="cpu")
    pd.testing.assert_frame_equal(
        gan.sample(9, 1, random_state=5), back.sample(9, 1, random_state=5)
    )
    assert back.history.rows == gan.history.rows


def test_image_roundtrip(tmp_path):
    X = np.random.default_rng(0).random((16, 1, 8, 8), dtype=np.float32)
    gan = ImageCGAN(ImageGANConfig(epochs=1, batch_size=8, channels=16), 0, progress=False)
    gan.fit(X, np.repeat([3, 7], 8))
    back = load_model(save_model(gan, tmp_path / "m.pt"))
    np.testing.assert_array_equal(
        gan.sample(4, 7, random_state=1), back.sample(4, 7, random_state=1)
    )


def test_tampered_file_fails_clearly(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x80\x04not a torch file")
    with pytest.raises(InvalidDataError, match="bad.pt: not a loadable augment model file"):
        load_model(bad)
