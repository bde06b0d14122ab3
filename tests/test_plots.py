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


def _titles(monkeypatch) -> list[str]:
    """The suptitles of the figures the plots save from now on."""
    titles = []
    save = plots._save

    def spy(fig, path):
        titles.append(fig._suptitle.get_text() if fig._suptitle else "")
        return save(fig, path)

    monkeypatch.setattr(plots, "_save", spy)
    return titles


def test_marginals_say_which_features_they_show(tmp_path, monkeypatch):
    """A 9-feature table shows 6 features: the title says so and names them (it showed 6 of
    9 silently); a table that fits shows every feature and says nothing of it."""
    titles = _titles(monkeypatch)
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 10)
    wide = pd.DataFrame({f"f{i}": rng.normal(size=len(y)) for i in range(9)})
    plots.class_marginals(wide, y, wide, y, ["a", "b"], [], tmp_path / "wide.png")
    assert "6 of 9 features shown: f0, f1, f2, f3, f4, f5" in titles[0]
    plots.class_marginals(wide.iloc[:, :6], y, wide, y, ["a", "b"], [], tmp_path / "six.png")
    assert "features shown" not in titles[1]
