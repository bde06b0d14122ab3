"""Plots stay bounded whatever the class count (issue 12.7: 300 classes took 57 s and 8.5 GB)."""

import time

import numpy as np
import pandas as pd
from PIL import Image

from augment import plots

K = 300
MAX_PX = plots.MAX_INCHES * 110 + 400  # dpi 110, plus what bbox_inches="tight" adds


def _size(path):
    with Image.open(path) as im:
        return im.size


def test_confusion_and_recall_for_300_classes_are_bounded(tmp_path):
    rng = np.random.default_rng(0)
    matrix = rng.integers(0, 5, size=(K, K))
    names = [f"class_{i}" for i in range(K)]
    t = time.perf_counter()
    c = plots.confusion(matrix, names, "many classes", tmp_path / "c.png")
    r = plots.recall_bars({"gan": rng.random(K), "smote": rng.random(K)}, names, tmp_path / "r.png")
    assert time.perf_counter() - t < 60  # generous; before: 57 s for the confusion matrix alone
    for path in (c, r):
        w, h = _size(path)
        assert w <= MAX_PX and h <= MAX_PX, (path.name, w, h)


def test_few_classes_keep_every_cell_label(tmp_path):
    import matplotlib.pyplot as plt

    seen = {}
    real_close = plt.close

    def spy(fig):  # read the texts back before the figure goes
        seen["texts"] = [t.get_text() for t in fig.axes[0].texts]
        real_close(fig)

    plt.close = spy
    try:
        plots.confusion(np.array([[3, 1], [0, 4]]), ["a", "b"], "two", tmp_path / "c.png")
    finally:
        plt.close = real_close
    assert seen["texts"] == ["0.75", "0.25", "1.00"]


def test_marginals_for_300_classes_show_the_rarest_twenty(tmp_path):
    rng = np.random.default_rng(1)
    y = np.concatenate([np.repeat(np.arange(K), 4), np.zeros(100, int)])  # class 0 is common
    real = pd.DataFrame({"x": rng.normal(size=len(y))})
    out = plots.class_marginals(
        real, y, real, y, [str(i) for i in range(K)], [], tmp_path / "m.png"
    )
    w, h = _size(out)
    assert w <= 20 * 2.4 * 110 + 600 and h <= MAX_PX
    assert 0 not in plots._shown(K, np.bincount(y, minlength=K))  # the rarest are shown
