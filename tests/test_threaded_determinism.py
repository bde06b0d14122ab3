"""Arms x seeds run on a thread pool: seeded models must not race on torch's global RNG."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from augment.cnn import CNNClassifier
from augment.gan import ImageCGAN, ImageGANConfig, load_model, save_model


def _fit_predict(seed: int, X, y) -> np.ndarray:
    clf = CNNClassifier(image_shape=(1, 8, 8), steps=5, batch_size=16, random_state=seed)
    return clf.fit(X, y).predict_proba(X)


def test_parallel_cnn_fits_equal_sequential_ones():
    rng = np.random.default_rng(0)
    X = rng.random((64, 1, 8, 8), dtype=np.float32)
    y = np.repeat([0, 1], 32)
    seeds = list(range(6))
    sequential = [_fit_predict(s, X, y) for s in seeds]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda s: _fit_predict(s, X, y), seeds * 2))
    for i, out in enumerate(parallel):
        np.testing.assert_array_equal(out, sequential[i % len(seeds)])


def test_loading_models_in_parallel_does_not_disturb_seeded_fits(tmp_path):
    """The flow's gan tasks load the saved GAN while other tasks fit seeded CNNs."""
    rng = np.random.default_rng(1)
    X = rng.random((64, 1, 8, 8), dtype=np.float32)
    y = np.repeat([0, 1], 32)
    gan = ImageCGAN(ImageGANConfig(epochs=1, batch_size=16, channels=16), 0, progress=False)
    path = save_model(gan.fit(X, y), tmp_path / "g.pt")
    expected = _fit_predict(3, X, y)

    def job(i: int):
        return _fit_predict(3, X, y) if i % 2 == 0 else load_model(path, device="cpu")

    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(job, range(16)))
    for out in outs[::2]:
        np.testing.assert_array_equal(out, expected)
