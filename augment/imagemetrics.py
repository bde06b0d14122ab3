"""Image quality metrics that need no downloaded weights.

Features come from a small CNN (`augment.gan.features`, the network the image GAN's monitor uses
too) trained on the real train split, so "domain FID" here is the Frechet distance between real
and synthetic images in *that* network's penultimate features: comparable between runs on the
same split, not to published Inception FIDs.
Precision / recall / density / coverage follow Naeem et al. 2020 (k-nearest-neighbour balls
around real and synthetic features); TSTR trains the same CNN on synthetic images only and
tests it on the real test split.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import balanced_accuracy_score

from augment.cnn import CNNClassifier
from augment.gan.features import (
    diversity,
    feature_extractor,
    frechet_distance,
    pairwise_distances,
)

__all__ = ["diversity", "feature_extractor", "frechet_distance", "image_quality", "prdc", "tstr"]


def prdc(real: np.ndarray, fake: np.ndarray, k: int = 5) -> dict[str, float]:
    """Precision, recall, density and coverage of ``fake`` against ``real`` features."""
    k = max(1, min(k, len(real) - 1, len(fake) - 1))
    r_r, f_f, r_f = (
        pairwise_distances(real, real),
        pairwise_distances(fake, fake),
        pairwise_distances(real, fake),
    )
    r_radius = np.sort(r_r, axis=1)[:, k]  # k-th neighbour, column 0 is the point itself
    f_radius = np.sort(f_f, axis=1)[:, k]
    inside = r_f < r_radius[:, None]  # (n_real, n_fake): fake j inside real i's ball
    return {
        "precision": float(inside.any(axis=0).mean()),
        "recall": float((r_f < f_radius[None, :]).any(axis=1).mean()),
        "density": float(inside.sum(axis=0).mean() / k),
        "coverage": float((r_f.min(axis=1) < r_radius).mean()),
    }


def tstr(
    X_syn: np.ndarray, y_syn: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, seed: int = 0
) -> float:
    """Train the CNN on synthetic images only, balanced accuracy on the real test images."""
    clf = CNNClassifier(image_shape=X_syn.shape[1:], random_state=seed).fit(X_syn, y_syn)
    return float(balanced_accuracy_score(y_test, clf.predict(X_test)))


def image_quality(
    model,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    seed: int = 0,
    per_class: int = 100,
) -> dict[str, float]:
    """Domain FID, PRDC, TSTR and per-class diversity of a fitted image GAN.

    ``per_class`` synthetic images per class are compared with the real train images (the
    features' reference set); TSTR uses as many synthetic images per class as the largest class.
    """
    net = feature_extractor(X_train, y_train, seed)
    classes = np.unique(y_train)
    fake = np.concatenate(
        [model.sample(per_class, int(c), random_state=seed * 7919 + int(c)) for c in classes]
    )
    y_fake = np.repeat(classes, per_class)
    f_real, f_fake = net.transform(X_train), net.transform(fake)
    out = {"fid_domain": frechet_distance(f_real, f_fake)}
    out |= prdc(f_real, f_fake)
    divs = [diversity(X_train[y_train == c], fake[y_fake == c]) for c in classes]
    out["diversity_min"] = float(np.nanmin(divs))
    out["diversity_mean"] = float(np.nanmean(divs))
    n = int(np.bincount(y_train).max())
    X_t = np.concatenate(
        [model.sample(n, int(c), random_state=seed * 104729 + int(c)) for c in classes]
    )
    out["tstr_balanced_accuracy"] = tstr(X_t, np.repeat(classes, n), X_test, y_test, seed)
    return out
