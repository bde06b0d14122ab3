"""Screen rules for *which* generated rows the GAN over-sampler returns, on the whole suite.

The GAN fits dominate the suite's cost, so this fits each fold's generators once (exactly as
`ConditionalGANOverSampler` with its defaults would, same seeds), makes ``pool`` candidates per
wanted row, and applies every rule to the same candidates. The classical arms run as in the
suite. Each rule's records are summarised as if it were the only "ours" arm (`augment.suite`'s
win/tie/loss, corrected paired test, ranks), so rules are compared on identical generators:

    OMP_NUM_THREADS=1 python benchmarks/selection_screen.py --jobs 2 --repeats 2 --gan-seeds 1

Rules are chosen on the whole suite, never on one table (BENCHMARK.md, "Generalisation").
Writes benchmarks/results/selection_screen.jsonl (raw fold records) and prints one suite table
per rule plus a one-line-per-rule overview.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

RULES = ("typical", "herd", "typical_herd", "all", "herd_pool10")
FAITHFUL = {"faithful_lr": "logistic", "faithful_rf": "forest", "faithful": "blend"}
# candidates per wanted row; the others use the first ``--pool``
POOL = {"herd_pool10": 10, "herd_pool3": 3}


class FaithfulRows:
    """A class-fidelity filter, then herding (screened, not adopted: selection_screen.md).

    Fitted on the real rows; `choose` keeps a class's candidates that a classifier fitted on
    the real rows places in that class at least as firmly as the class's own real rows are
    placed out of fold, then herds ``n`` of them (`herd`).

    Kernel herding matches a class's spread, not its boundary: a GAN learns marginals and
    smooth dependencies well and sharp interactions badly, so a share of the rows it makes for
    a class sit where a model of the real data puts another class (label noise for the
    downstream classifier). The bar is relative, per class: a candidate passes if the
    classifier's probability for its class is at least the ``quantile`` of the out-of-fold
    probabilities of the class's real rows, so candidates as borderline as the real rows
    still pass. When fewer than ``n`` pass, the most probable candidates fill up.

    Parameters
    ----------
    X, y : the real rows (a DataFrame) and their labels.
    model : {"logistic", "forest", "blend"}, default="blend"
        The classifier, on the selection space (`RowSpace`): an L2 logistic regression, a
        random forest (interactions), or the mean of their probabilities.
    quantile : float, default=0.25
    folds : int, default=5
        Out-of-fold splits for the real rows' probabilities (fewer for tiny classes).
    random_state : int, default=0
    """

    def __init__(
        self,
        X: pd.DataFrame,
        y,
        model: str = "blend",
        quantile: float = 0.25,
        folds: int = 5,
        random_state: int = 0,
    ) -> None:
        from sklearn.model_selection import StratifiedKFold

        from augment.selection import HerdedRows

        self.herder = HerdedRows(X, y)
        self.y, self.space, self.points = self.herder.y, self.herder.space, self.herder.points
        self.classes = np.unique(self.y)
        self.model, self.quantile, self.seed = model, quantile, random_state
        self.bars: dict = {c: 0.0 for c in self.classes}
        if len(self.classes) < 2:
            self.models = []
            return
        counts = np.array([(self.y == c).sum() for c in self.classes])
        splits = int(min(folds, counts.min()))
        oof = np.zeros((len(self.y), len(self.classes)))
        if splits >= 2:
            cv = StratifiedKFold(splits, shuffle=True, random_state=random_state)
            for tr, te in cv.split(self.points, self.y):
                oof[te] = self._proba(self._fit(self.points[tr], self.y[tr]), self.points[te])
            for j, c in enumerate(self.classes):
                self.bars[c] = float(np.quantile(oof[self.y == c, j], quantile))
        self.models = self._fit(self.points, self.y)

    def _fit(self, P: np.ndarray, y: np.ndarray) -> list:
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.linear_model import LogisticRegression

        out = []
        if self.model in ("logistic", "blend"):
            out.append(LogisticRegression(max_iter=1000).fit(P, y))
        if self.model in ("forest", "blend"):
            forest = RandomForestClassifier(100, min_samples_leaf=1, random_state=self.seed)
            out.append(forest.fit(P, y))
        return out

    def _proba(self, models: list, P: np.ndarray) -> np.ndarray:
        """Mean class probabilities ``(len(P), n_classes)`` in the order of ``self.classes``."""
        out = np.zeros((len(P), len(self.classes)))
        for m in models:
            cols = np.searchsorted(self.classes, m.classes_)
            out[:, cols] += m.predict_proba(P) / len(models)
        return out

    def passing(self, P: np.ndarray, label, n: int, rng: np.random.Generator) -> np.ndarray:
        """Sorted positions of the candidate points ``P`` that pass the bar of ``label`` (the
        ``n`` most probable when fewer pass)."""
        if not self.models or label not in self.bars:
            return np.arange(len(P))
        prob = self._proba(self.models, P)[:, int(np.searchsorted(self.classes, label))]
        keep = np.flatnonzero(prob >= self.bars[label] - 1e-9)
        if len(keep) < n:
            keep = np.sort(np.argsort(-prob - 1e-9 * rng.random(len(P)), kind="stable")[:n])
        return keep

    def choose(self, candidates: pd.DataFrame, label, n: int, rng: np.random.Generator):
        """Indices (into ``candidates``) of the ``n`` rows to keep for class ``label``."""
        if n >= len(candidates):
            return np.arange(len(candidates))
        keep = self.passing(self.space.points(candidates), label, n, rng)
        return keep[self.herder.choose(candidates.iloc[keep], label, n, rng)]


def repelled_herd(real, other, C, n: int, repel: float, rng) -> np.ndarray:
    """Kernel herding (`augment.selection.herd`) with each candidate's attraction to its class's
    real rows lowered by ``repel`` times its mean kernel to the other classes' real rows, so
    candidates where the other classes are dense are taken last (screened, not adopted:
    selection_screen.md). One block: the suite's classes want fewer than ``HERD_BLOCK`` rows."""
    from augment.selection import (
        HERD_BLOCK,
        HERD_REAL_MAX,
        _median_distance,
        herd_greedy,
        mean_kernel,
    )

    if n >= len(C):
        return np.arange(len(C))
    assert n <= HERD_BLOCK, "the screen's repelled herding runs on one block"
    if len(real) > HERD_REAL_MAX:
        real = real[rng.choice(len(real), HERD_REAL_MAX, replace=False)]
    if len(other) > HERD_REAL_MAX:
        other = other[rng.choice(len(other), HERD_REAL_MAX, replace=False)]
    gamma = 0.5 / _median_distance(real, C) ** 2
    mu = mean_kernel(C, real, gamma) - repel * mean_kernel(C, other, gamma)
    return herd_greedy(C, mu, n, gamma)


def _candidates(
    X: pd.DataFrame, y: np.ndarray, seed: int, pool: int, gan: dict | None = None, generators=1
):
    """The default sampler's generators, fitted with its own seed derivation, and per class its
    ``pool * n`` candidates (`ConditionalGANOverSampler(n_generators=generators)` without the
    selection step: generator g is seeded ``inner + 7919 g`` and makes its near-equal share)."""
    from imblearn.utils import check_sampling_strategy
    from sklearn.utils import check_random_state

    from augment.gan.tabular import TabularGANConfig
    from augment.selection import near_equal_shares

    inner = int(check_random_state(seed).randint(np.iinfo(np.int32).max))
    gan = dict(gan or {})
    per_class, subclass, pacs, n_modes = (
        gan.pop(key, None) for key in ("per_class", "subclass", "pacs", "n_modes")
    )
    if n_modes:  # mixture modes per numeric column (the transformer's n_modes; 1: standardise)
        import augment.gan.tabular as tabular
        from augment.transform.tabular import TabularTransformer

        tabular.TabularTransformer = functools.partial(TabularTransformer, n_modes=int(n_modes))
    cfg = TabularGANConfig(**gan)
    wanted = check_sampling_strategy("auto", y, "over-sampling")
    if per_class:  # one GAN per class that needs rows, fitted on that class's rows only
        return inner, _per_class_candidates(X, y, wanted, cfg, inner, pool, per_class)
    if subclass:  # condition on (class, cluster within the class)
        return inner, _subclass_candidates(X, y, wanted, cfg, inner, pool, subclass)
    # "pacs": [p0, p1, ...]: one generator per pack size (generator g seeded as the sampler's
    # g-th), their candidates shared out and pooled as with n_generators
    cfgs = [cfg] * generators
    if pacs:
        from dataclasses import replace

        cfgs = [replace(cfg, pac=int(q)) for q in pacs]
        generators = len(cfgs)
    gans = [
        critic_keeping_gan()(c, random_state=inner + 7919 * g, progress=False).fit(X, y)
        for g, c in enumerate(cfgs)
    ]
    out = {}
    for i, (cls, n) in enumerate(wanted.items()):
        if n > 0:
            made = [
                gans[g].sample(m, cls, random_state=inner + 1 + i + 7919 * g)
                for g, m in enumerate(near_equal_shares(n * pool, generators))
                if m > 0
            ]
            rows = pd.concat(made, ignore_index=True)
            out[cls] = (n, rows.astype(X.dtypes.to_dict()))
    _GANS[:] = gans  # the latent and critic rules reuse them
    return inner, out


#: the generators of the last `_candidates` call (one job runs in one process)
_GANS: list = []


@functools.cache
def critic_keeping_gan():
    """`TabularCGAN` subclass (defined on first use: torch loads lazily here)."""
    from augment.gan.tabular import TabularCGAN

    class KeepCritic(TabularCGAN):
        """`TabularCGAN` that keeps its trained critic (``critic_``); same fit, same draws."""

        def _training(self, *args, **kwargs):
            plan = super()._training(*args, **kwargs)
            self.critic_ = plan.D
            return plan

    return KeepCritic


def critic_scores(g, X, y, cls, rows: pd.DataFrame, seed: int, reps: int = 8) -> np.ndarray:
    """The trained PacGAN critic's score of each candidate row of class ``cls``: the candidate
    in a random slot of a pack whose other slots are real rows of the class, averaged over
    ``reps`` packs (higher: more real-looking to the critic). Conditions as in training: the
    class one-hot and, with discrete columns, one column fixed to the row's own category."""
    import torch

    rng = np.random.default_rng(seed)
    k = len(g.classes_)
    code = int(np.searchsorted(g.classes_, cls))
    cats = [sp for sp in g.transformer_.spans_ if sp.role == "category"]

    def encode(frame: pd.DataFrame):
        Z = g.transformer_.transform(frame, random_state=seed)
        onehot = torch.zeros(len(Z), k)
        onehot[:, code] = 1.0
        cond = torch.zeros(len(Z), g.conditions_.cond_dim)
        if cats:  # column j fixed to the row's own category, as training-by-sampling does
            j = rng.integers(len(cats), size=len(Z))
            own = np.stack([Z[:, sp.start : sp.end].argmax(1) for sp in cats], axis=1)
            own = own[np.arange(len(Z)), j]
            cond = g.conditions_.one_hot(torch.from_numpy(j), torch.from_numpy(own))
        rows = torch.from_numpy(Z[:, g.order_].astype(np.float32))
        return rows, torch.cat([onehot, cond], dim=1)

    xc, cc = encode(rows.reset_index(drop=True))
    xr, cr = encode(X[np.asarray(y) == cls].reset_index(drop=True))
    D = g.critic_.eval()
    pac, m = D.pac, len(xc)
    total = np.zeros(m)
    with torch.no_grad():
        for _ in range(reps):
            pick = torch.from_numpy(rng.integers(len(xr), size=(m, pac)))
            xs, cs = xr[pick].clone(), cr[pick].clone()  # (M, pac, .)
            slot = int(rng.integers(pac))
            xs[:, slot], cs[:, slot] = xc, cc
            total += D(xs.reshape(m * pac, -1), cs.reshape(m * pac, -1)).numpy()
    return total / reps


def latent_candidates(g, X, y, cls, m: int, seed: int, space, draws: int = 50) -> pd.DataFrame:
    """``m`` rows of class ``cls`` made by generator ``g`` from latent codes interpolated
    between the codes of neighbouring real rows (a SMOTE in the generator's latent space).

    Each real row of the class is "inverted" crudely: of ``draws`` x (real rows) generated
    candidates, the one nearest to it (selection space) lends its noise vector and conditional
    vector. A new code lies on the segment between a real row's code and the code of one of its
    5 nearest real neighbours (norm interpolated too, so it stays on the Gaussian shell); the
    generator decodes it. Every row is the generator's output; coverage of every real row's
    neighbourhood is what the plain pool may lack.
    """
    import torch
    from sklearn.neighbors import NearestNeighbors

    from augment.torchutil import seeded_torch_rng

    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    code = int(np.searchsorted(g.classes_, cls))
    real = space.points(X[np.asarray(y) == cls])
    dtypes = X.dtypes.to_dict()

    @torch.no_grad()
    def decode(z, cond, s: int) -> pd.DataFrame:
        with seeded_torch_rng(s, g.device_):
            out = g.generator_(z.to(g.device_), cond.to(g.device_)).float().cpu().numpy()
        Z = np.zeros((len(z), g.transformer_.output_dim_), dtype=np.float32)
        Z[:, g.order_] = out
        return g.transformer_.inverse_transform(Z, random_state=s).astype(dtypes)

    M = max(draws * len(real), 2 * m)
    z = torch.randn(M, g.noise_dim_, generator=gen)
    cond = g.conditions_.generator_input(np.full(M, code), gen)
    P = space.points(decode(z, cond, seed))
    inv = NearestNeighbors(n_neighbors=1).fit(P).kneighbors(real)[1][:, 0]
    zi, ci = z[inv], cond[inv]
    a = rng.integers(len(real), size=m)
    if len(real) > 1:
        k = min(5, len(real) - 1)
        nbr = NearestNeighbors(n_neighbors=k + 1).fit(real).kneighbors(real)[1][:, 1:]
        b = nbr[a, rng.integers(k, size=m)]
    else:
        b = a
    lam = torch.from_numpy(rng.random((m, 1))).float()
    za, zb = zi[a], zi[b]
    zn = za + lam * (zb - za)
    norm = (1 - lam) * za.norm(dim=1, keepdim=True) + lam * zb.norm(dim=1, keepdim=True)
    zn = zn / zn.norm(dim=1, keepdim=True).clamp_min(1e-6) * norm
    return decode(zn, ci[a], seed + 1)


def _per_class_candidates(X, y, wanted, cfg, inner: int, pool: int, budget: str) -> dict:
    """Per class: a GAN fitted on that class's rows alone (its own encoder, no other class in
    its conditional), ``pool * n`` candidates. ``budget`` "epochs": ``cfg.epochs`` over the
    class's rows; "steps": as many optimiser steps as the whole-table GAN would take."""
    from dataclasses import replace

    from augment.gan.tabular import TabularCGAN, batch_plan

    whole = batch_plan(len(X), cfg.batch_size, cfg.pac)[2] * cfg.epochs
    out = {}
    for i, (cls, n) in enumerate(wanted.items()):
        if n <= 0:
            continue
        own = np.asarray(y) == cls
        Xc = X[own].reset_index(drop=True)
        c = cfg
        if budget == "steps":
            per_epoch = batch_plan(len(Xc), cfg.batch_size, cfg.pac)[2]
            c = replace(cfg, epochs=max(cfg.epochs, -(-whole // per_epoch)))
        g = TabularCGAN(c, random_state=inner + 31 * i, progress=False).fit(Xc, y[own])
        rows = g.sample(n * pool, cls, random_state=inner + 1 + i)
        out[cls] = (n, rows.astype(X.dtypes.to_dict()))
    return out


def subclass_labels(X: pd.DataFrame, y: np.ndarray, per: int, seed: int) -> np.ndarray:
    """Integer sub-class labels: each class's real rows split by k-means (in the selection
    space) into ``max(1, min(10, n_c // per))`` clusters of about ``per`` rows."""
    from sklearn.cluster import KMeans

    from augment.selection import RowSpace

    P = RowSpace(X).points(X)
    out = np.zeros(len(y), dtype=np.int64)
    nxt = 0
    for cls in np.unique(y):
        own = np.flatnonzero(y == cls)
        k = max(1, min(10, len(own) // per))
        lab = (
            KMeans(k, n_init=3, random_state=seed).fit_predict(P[own])
            if k > 1
            else np.zeros(len(own), dtype=np.int64)
        )
        out[own] = nxt + lab
        nxt += k
    return out


def proportional_shares(n: int, sizes) -> list[int]:
    """``n`` split in proportion to ``sizes`` (largest remainders)."""
    sizes = np.asarray(sizes, dtype=float)
    raw = n * sizes / sizes.sum()
    base = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - base))[: n - base.sum()]:
        base[i] += 1
    return base.tolist()


def _subclass_candidates(X, y, wanted, cfg, inner: int, pool: int, per: int) -> dict:
    """A GAN conditioned on sub-classes (k-means clusters within each class): each class's
    candidates come from its clusters in proportion to their sizes (self-conditioning, as in
    Liu et al. 2020, on the class's own rows)."""
    from augment.gan.tabular import TabularCGAN

    y = np.asarray(y)
    sub = subclass_labels(X, y, per, inner)
    g = TabularCGAN(cfg, random_state=inner, progress=False).fit(X, sub)
    out = {}
    for i, (cls, n) in enumerate(wanted.items()):
        if n <= 0:
            continue
        labs, sizes = np.unique(sub[y == cls], return_counts=True)
        made = [
            g.sample(m, lab, random_state=inner + 1 + i + 7919 * j)
            for j, (lab, m) in enumerate(
                zip(labs, proportional_shares(n * pool, sizes), strict=True)
            )
            if m > 0
        ]
        rng = np.random.default_rng(inner + i)
        rows = pd.concat(made, ignore_index=True)
        rows = rows.iloc[rng.permutation(len(rows))].reset_index(drop=True)
        out[cls] = (n, rows.astype(X.dtypes.to_dict()))
    _GANS[:] = [g]
    return out


def _select(rule: str, X, y, cands, inner: int, pool: int = 5):
    """``(X_res, y_res)`` for one rule on the same candidates (the first ``pool * n``)."""
    from augment.selection import HerdedRows, TypicalRows, herd

    chooser, herder = TypicalRows(X, y), HerdedRows(X, y)
    faithful: dict[str, FaithfulRows] = {}

    def faithful_rows(name: str) -> FaithfulRows:  # fitted at most once per rule and call
        if name not in faithful:
            faithful[name] = FaithfulRows(X, y, model=FAITHFUL[name], random_state=inner)
        return faithful[name]

    rng = np.random.default_rng(inner)
    parts, labels = [X], [y]
    for cls, (n, rows) in cands.items():
        rows = rows.iloc[: POOL.get(rule, pool) * n]
        if rule.startswith("latent"):  # latent_herd / latent_all / latent_mix
            lat = latent_candidates(_GANS[0], X, y, cls, pool * n, inner + 17, herder.space)
            if rule == "latent_mix":  # half the pool plain, half latent, then herding
                rows = pd.concat(
                    [rows.iloc[: pool * n // 2], lat.iloc[: pool * n - pool * n // 2]],
                    ignore_index=True,
                )
            else:
                rows = lat
        if rule == "all" or rule == "latent_all":
            idx = np.arange(n)
        elif rule == "typical":
            idx = chooser.choose(rows, cls, n, rng)
        elif rule in ("herd", "herd_pool10", "herd_pool3", "latent_herd", "latent_mix"):
            idx = herder.choose(rows, cls, n, rng)
        elif rule.startswith("critic"):  # critic_top; critic_herd<q>: top q, then herding
            by_score = np.argsort(
                -critic_scores(_GANS[0], X, y, cls, rows, inner + 23), kind="stable"
            )
            if rule == "critic_top":
                idx = np.sort(by_score[:n])
            else:
                q = float(rule.removeprefix("critic_herd"))
                keep = np.sort(by_score[: max(n, int(q * len(rows)))])
                idx = keep[herder.choose(rows.iloc[keep], cls, n, rng)]
        elif rule.startswith("herd_amount"):  # herd_amount<f>: f times the wanted rows
            idx = herder.choose(
                rows, cls, max(1, round(float(rule.removeprefix("herd_amount")) * n)), rng
            )
        elif rule.startswith("herd_bw"):  # herd_bw<f>: f times the median-distance bandwidth
            from augment.selection import HERD_BLOCK, _herd_block, _median_distance

            real, P = herder.points[y == cls], herder.space.points(rows)
            assert n <= HERD_BLOCK, "the screen's bandwidth rules run on one block"
            f = float(rule.removeprefix("herd_bw"))
            idx = _herd_block(real, P, n, 0.5 / (f * _median_distance(real, P)) ** 2)
        elif rule.startswith("herd_repel"):  # herd_repel<beta>: away from the other classes
            own = y == cls
            P = herder.space.points(rows)
            beta = float(rule.removeprefix("herd_repel"))
            idx = repelled_herd(herder.points[own], herder.points[~own], P, n, beta, rng)
        elif rule in FAITHFUL:
            idx = faithful_rows(rule).choose(rows, cls, n, rng)
        elif rule in ("herd_white", "faithful_white"):
            from sklearn.covariance import LedoitWolf

            real = herder.points[y == cls]
            P = herder.space.points(rows)
            keep = np.arange(len(rows))
            if rule == "faithful_white":
                keep = faithful_rows("faithful_lr").passing(P, cls, n, rng)
            if len(real) >= 2:
                lw = LedoitWolf().fit(real)
                w, V = np.linalg.eigh(lw.covariance_)
                W = V / np.sqrt(np.maximum(w, 1e-6))
                real, P = (real - lw.location_) @ W, (P - lw.location_) @ W
            idx = keep[herd(real, P[keep], n, rng)] if len(keep) > n else keep
        elif rule == "typical_herd":
            P = herder.space.points(rows)
            keep = chooser._typical(P, cls, n, rng)
            idx = keep[herd(herder.points[y == cls], P[keep], n, rng)]
        else:
            raise ValueError(rule)
        parts.append(rows.iloc[idx])
        labels.append(np.full(len(idx), cls, dtype=y.dtype))
    return pd.concat(parts, ignore_index=True), np.concatenate(labels)


def run_job(args) -> dict:
    from sklearn.metrics import balanced_accuracy_score

    from augment.suite import classical_arms, fold_seed, make_classifier
    from augment.suite.protocol import FoldJob, init_worker, run_fold

    init_worker()
    table, repeat, fold, train, test, gan_seeds, rules, classifiers, pool, k0, gan, gens = args
    t0 = time.process_time()
    # the classical arms exactly as the suite runs them
    job = FoldJob(table, classical_arms(), classifiers, repeat, fold, train, test, 1, 0)
    records = run_fold(job)["records"]
    X_tr, y_tr = table.X.iloc[train].reset_index(drop=True), table.y[train]
    X_te, y_te = table.X.iloc[test].reset_index(drop=True), table.y[test]

    def score(arm, k, seed, Xf, yf, resample_s):
        for clf_name in classifiers:
            clf = make_classifier(clf_name, table.nominal, table.numeric, False)
            ba = balanced_accuracy_score(y_te, clf.fit(Xf, yf).predict(X_te))
            records.append(
                dict(
                    table=table.name,
                    repeat=repeat,
                    fold=fold,
                    arm=arm,
                    classifier=clf_name,
                    k=k,
                    seed=seed,
                    balanced_accuracy=float(ba),
                    resample_s=resample_s,
                    fit_s=0.0,
                )
            )

    for k in range(k0, k0 + gan_seeds):
        seed = fold_seed(0, repeat, fold, k)
        s = time.perf_counter()
        inner, cands = _candidates(
            X_tr, y_tr, seed, max([pool, *(POOL.get(r, pool) for r in rules)]), gan, gens
        )
        fit_s = time.perf_counter() - s
        for rule in rules:
            s = time.perf_counter()
            Xf, yf = _select(rule, X_tr, y_tr, cands, inner, pool)
            score(f"ours:{rule}", k, seed, Xf, yf, fit_s + time.perf_counter() - s)
    return {"records": records, "wall_s": 0.0, "cpu_s": time.process_time() - t0}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--tables", default=None)
    p.add_argument("--rules", default=",".join(RULES))
    p.add_argument("--folds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--gan-seeds", type=int, default=1)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--pool", type=int, default=5)
    p.add_argument(
        "--first-gan-seed", type=int, default=0, help="generator index k of the first fit"
    )
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "selection_screen.jsonl"))
    p.add_argument("--from-jsonl", help="summarise an earlier run's records instead")
    p.add_argument(
        "--gan",
        default="{}",
        help="TabularGANConfig overrides as JSON, e.g. '{\"patience\": 10}' (default: none)",
    )
    p.add_argument(
        "--generators",
        type=int,
        default=1,
        help="generators per fit, their candidates pooled (the sampler's n_generators)",
    )
    a = p.parse_args(argv)

    import multiprocessing as mp

    from augment.suite import default_tables, format_table, load_suite_table, make_folds
    from augment.suite.arms import classical_arms, ours
    from augment.suite.runner import result_from_outputs

    names = a.tables.split(",") if a.tables else None
    paths = default_tables()
    if names:
        paths = [q for q in paths if any(Path(q).stem == n or q == n for n in names)]
    tables = [load_suite_table(q) for q in paths]
    rules = a.rules.split(",")
    gan = json.loads(a.gan)
    classifiers = ("logistic_regression", "hist_gradient_boosting")
    outputs = []
    if a.from_jsonl:
        outputs = [json.loads(line) for line in Path(a.from_jsonl).read_text().splitlines()]
    else:
        jobs = [
            (t, r, f, tr, te, a.gan_seeds, rules, classifiers, a.pool, a.first_gan_seed, gan)
            + (a.generators,)
            for t in sorted(tables, key=lambda t: len(t.y))
            for r, f, tr, te in make_folds(t.y, a.folds, a.repeats, 0)
        ]
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        with (
            open(a.out, "w") as fh,
            ProcessPoolExecutor(a.jobs, mp_context=mp.get_context("spawn")) as ex,
        ):
            for i, out in enumerate(ex.map(run_job, jobs)):
                fh.write(json.dumps(out) + "\n")
                fh.flush()
                outputs.append(out)
                took = time.perf_counter() - start
                print(
                    f"job {i + 1}/{len(jobs)} {jobs[i][0].name} {took:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
    overview = []
    for rule in rules:
        mine = [
            {
                "records": [
                    dict(r, arm="ours") if r["arm"] == f"ours:{rule}" else r
                    for r in o["records"]
                    if not r["arm"].startswith("ours:") or r["arm"] == f"ours:{rule}"
                ],
                "wall_s": 0.0,
                "cpu_s": o["cpu_s"],
            }
            for o in outputs
        ]
        arms = {**classical_arms(), "ours": ours()}
        res = result_from_outputs(
            tables,
            arms,
            classifiers,
            mine,
            folds=a.folds,
            repeats=a.repeats,
            gan_seeds=a.gan_seeds,
            seed=0,
            n_jobs=a.jobs,
        )
        print(f"\n## rule {rule}\n")
        print(format_table(res))
        overview.append((rule, res.summary))
    print("\n## overview\n\n| rule | W/T/L | rows above | mean(ours - best) | ours' rank |")
    print("|---|---|---|---|---|")
    for rule, s in overview:
        c = s["counts"]["ours"]
        diffs = [r["vs_best"]["ours"]["diff"] for r in s["rows"]]
        print(
            f"| {rule} | {c['win']}/{c['tie']}/{c['loss']} | {c['mean_above']} "
            f"| {np.mean(diffs):+.4f} | {s['ranks']['ours']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
