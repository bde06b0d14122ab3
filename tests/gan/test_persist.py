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


class _Evil:
    def __reduce__(self):
        import os

        return (os.system, ("touch pwned",))


def test_model_file_with_pickled_code_is_refused_unrun(tmp_path, monkeypatch):
    import pickle

    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "evil.pt"
    bad.write_bytes(pickle.dumps({"format": _Evil()}))
    with pytest.raises(InvalidDataError, match="not a loadable augment model file"):
        load_model(bad)
    torch_file = tmp_path / "evil_torch.pt"
    import torch

    torch.save({"format": "augment-cgan/1", "kind": _Evil()}, torch_file)
    with pytest.raises(InvalidDataError, match="Weights only load failed"):
        load_model(torch_file)
    assert not (tmp_path / "pwned").exists()  # the pickled code never ran


def test_checkpoint_is_not_a_model_file(tmp_path):
    import torch

    ckpt = tmp_path / "c.pt"
    torch.save({"format": "augment-ckpt/1", "epoch": 1}, ckpt)
    with pytest.raises(InvalidDataError, match=r"not an augment model file \(expected format"):
        load_model(ckpt)


def test_model_file_records_the_sha256_of_its_contents(tmp_path):
    import torch

    from augment.torchutil import DIGEST_KEY, payload_digest

    X = np.random.default_rng(0).random((16, 1, 8, 8), dtype=np.float32)
    gan = ImageCGAN(ImageGANConfig(epochs=1, batch_size=8, channels=16), 0, progress=False)
    path = save_model(gan.fit(X, np.repeat([3, 7], 8)), tmp_path / "m.pt")
    payload = torch.load(path, weights_only=True)
    assert payload[DIGEST_KEY] == payload_digest(payload)  # the same after a load as at save
    payload["meta"] = payload["meta"].replace('"classes": [3, 7]', '"classes": [3, 8]')
    assert payload[DIGEST_KEY] != payload_digest(payload)  # the metadata counts too
