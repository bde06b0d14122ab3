"""Early stopping for the tabular GAN on a held-out fidelity distance.

`holdout_split` sets aside a stratified share of the real rows; `fidelity_distance` compares a
table with generated rows of the same classes (per-class KS statistic on continuous columns,
total variation on discrete ones, plus the gap between rank-correlation matrices); and
`TabularMonitor`, the loop's ``on_epoch_end`` hook, generates rows for the held-out labels from
the EMA generator every few epochs, writes ``val_distance`` into the epoch's history row, keeps
the best EMA weights and stops training after ``patience`` checks without improvement.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from augment.atomic import atomic_write
from augment.exceptions import IntegrityError, InvalidDataError
from augment.torchutil import load_weights_only, seal, seeded_torch_rng

log = logging.getLogger(__name__)

BEST_FORMAT = "augment-tab-monitor/1"


def holdout_split(
    codes: np.ndarray, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``(train rows, held-out rows)``: about ``fraction`` of each class held out.

    Every class with at least 2 rows gives at least 1 held-out row and keeps at least 1 for
    training; a class with a single row keeps it for training.
    """
    train, val = [], []
    for c in np.unique(codes):
        rows = np.flatnonzero(codes == c)
        rows = rows[rng.permutation(len(rows))]
        n_val = 0 if len(rows) < 2 else min(max(1, round(fraction * len(rows))), len(rows) - 1)
        val.append(rows[:n_val])
        train.append(rows[n_val:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def monitor_split(
    X: pd.DataFrame, codes: np.ndarray, fraction: float, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray, tuple[pd.DataFrame, np.ndarray] | None]:
    """``(train X, train codes, (held-out X, held-out codes) or None)`` for early stopping."""
    if not 0.0 < fraction < 1.0:
        raise InvalidDataError(f"val_fraction={fraction}; it must be between 0 and 1 (exclusive)")
    train, val = holdout_split(codes, fraction, rng)
    if not len(val):
        log.warning("no class has 2 rows to hold one out: early stopping is off")
        return X, codes, None
    pick = X.iloc
    held_out = (pick[val].reset_index(drop=True), codes[val])
    return pick[train].reset_index(drop=True), codes[train], held_out


def _as_float(s: pd.Series) -> np.ndarray:
    """Numbers, booleans, datetimes and durations as floats; missing values as NaN."""
    if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_timedelta64_dtype(s):
        v = s.to_numpy(dtype="int64", na_value=np.iinfo(np.int64).min).astype(float)
        return np.where(s.isna().to_numpy(), np.nan, v)
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic; NaN counts as a value above all others."""
    if not len(a) or not len(b):
        return float(len(a) != len(b))
    a = np.sort(np.where(np.isnan(a), np.inf, a))
    b = np.sort(np.where(np.isnan(b), np.inf, b))
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, grid, side="right") / len(a)
    cdf_b = np.searchsorted(b, grid, side="right") / len(b)
    return float(np.abs(cdf_a - cdf_b).max())


def _tv_per_class(r: pd.Series, f: pd.Series, rc, fc, k: int) -> np.ndarray:
    """Total-variation distance of a discrete column's distribution, per class ``(k,)``."""
    cats, _ = pd.factorize(
        pd.concat([r, f], ignore_index=True).astype(object), use_na_sentinel=False
    )
    m = int(cats.max()) + 1 if len(cats) else 1
    pr = np.bincount(rc * m + cats[: len(r)], minlength=k * m).reshape(k, m).astype(float)
    pf = np.bincount(fc * m + cats[len(r) :], minlength=k * m).reshape(k, m).astype(float)
    pr /= np.maximum(pr.sum(1, keepdims=True), 1)
    pf /= np.maximum(pf.sum(1, keepdims=True), 1)
    return 0.5 * np.abs(pr - pf).sum(1)


def _rank_corr(V: np.ndarray) -> np.ndarray:
    """Spearman correlation matrix of the columns of ``V``; missing values at the mean rank."""
    ranks = pd.DataFrame(V).rank().to_numpy()
    ranks = np.where(np.isnan(ranks), np.nanmean(ranks, axis=0), ranks)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.corrcoef(ranks, rowvar=False)
    return np.nan_to_num(c)  # constant columns: no correlation


def fidelity_distance(
    real: pd.DataFrame,
    fake: pd.DataFrame,
    real_codes: np.ndarray,
    fake_codes: np.ndarray,
    discrete: list[str],
) -> dict[str, float]:
    """How far ``fake`` rows are from ``real`` ones (0: same distributions; lower is better).

    ``marginal``: per class, the mean over columns of the KS statistic (continuous) or the
    total-variation distance (``discrete`` columns), averaged over classes weighted by their
    share of ``real`` rows; both lie in [0, 1]. ``correlation``: mean absolute difference
    between the Spearman correlation matrices of the continuous columns (all classes pooled;
    0 with fewer than 2 such columns). ``distance``: their mean, or ``marginal`` alone when
    there is no correlation to compare.
    """
    real_codes, fake_codes = np.asarray(real_codes), np.asarray(fake_codes)
    k = int(max(real_codes.max(initial=0), fake_codes.max(initial=0))) + 1
    weights = np.bincount(real_codes, minlength=k) / max(len(real_codes), 1)
    per_col = []
    cont = [c for c in real.columns if c not in set(discrete)]
    for col in real.columns:
        if col not in cont:
            tv = _tv_per_class(real[col], fake[col], real_codes, fake_codes, k)
            per_col.append(float(weights @ tv))
            continue
        a, b = _as_float(real[col]), _as_float(fake[col])
        ks = [
            ks_statistic(a[real_codes == c], b[fake_codes == c]) if weights[c] else 0.0
            for c in range(k)
        ]
        per_col.append(float(weights @ np.asarray(ks)))
    marginal = float(np.mean(per_col)) if per_col else 0.0
    out = {"marginal": marginal, "correlation": 0.0, "distance": marginal}
    if len(cont) >= 2:
        Vr = np.column_stack([_as_float(real[c]) for c in cont])
        Vf = np.column_stack([_as_float(fake[c]) for c in cont])
        gap = np.abs(_rank_corr(Vr) - _rank_corr(Vf))
        out["correlation"] = float(gap[np.triu_indices(len(cont), 1)].mean())
        out["distance"] = 0.5 * (marginal + out["correlation"])
    return out


def row_generator(
    transformer, conditions, order: np.ndarray, noise_dim: int
) -> Callable[[nn.Module, np.ndarray, int], pd.DataFrame]:
    """``generate(G, codes, seed)``: one decoded row per class code, drawn from ``G``.

    Same conditioning as `augment.TabularCGAN.sample` (class one-hot + a conditional vector
    drawn by category frequency); every draw, Gumbel noise included, comes from ``seed``, and
    torch's global RNG is left as it was (training goes on exactly as without the checks).
    """

    @torch.no_grad()
    def generate(G: nn.Module, codes: np.ndarray, seed: int) -> pd.DataFrame:
        gen = torch.Generator().manual_seed(seed)
        device = next(G.parameters()).device
        z = torch.randn(len(codes), noise_dim, generator=gen)
        cond = conditions.generator_input(codes, gen)
        with seeded_torch_rng(seed, device):
            out = G(z.to(device), cond.to(device)).float().cpu().numpy()
        Z = np.zeros((len(codes), transformer.output_dim_), dtype=np.float32)
        Z[:, order] = out  # back to the transformer's column order
        return transformer.inverse_transform(Z, random_state=seed)

    return generate


class TabularMonitor:
    """The tabular GAN's ``on_epoch_end`` hook: held-out fidelity checks and early stopping.

    Parameters
    ----------
    real : DataFrame, the held-out real rows (never trained on)
    codes : (N,) class codes of ``real``
    generate : ``generate(G, codes, seed) -> DataFrame``, decoded rows from generator ``G``,
        one per entry of ``codes`` with exactly that class
    discrete : the discrete columns (see `fidelity_distance`)
    every : epochs between checks (0: never); the ``last_epoch`` is always checked
    patience : checks without a lower distance before stopping
    seed : the same generation seed at every check, so checks differ only by the weights
    best_path : a file keeping the monitor's state across resumed fits (see ``__call__``)
    key : fingerprint of the training; a ``best_path`` file with another one is ignored
    """

    def __init__(
        self,
        real: pd.DataFrame,
        codes: np.ndarray,
        generate: Callable[[nn.Module, np.ndarray, int], pd.DataFrame],
        discrete: list[str],
        every: int,
        patience: int,
        last_epoch: int,
        seed: int,
        best_path: str | Path | None = None,
        key: str = "",
    ) -> None:
        self.real, self.codes, self.generate = real, np.asarray(codes), generate
        self.discrete, self.every, self.patience = discrete, every, patience
        self.last_epoch, self.seed = last_epoch, seed
        self.best_path = None if best_path is None else Path(best_path)
        self.key = key
        self.checks: list[tuple[int, float]] = []  # (epoch, distance) of every check
        self.best_value = float("inf")
        self.best_epoch = 0
        self.best_state: dict | None = None
        self.bad_checks = 0
        self.stopped_at: int | None = None
        self._started = False

    def distance(self, G: nn.Module) -> dict[str, float]:
        """Fidelity of ``G``'s rows for the held-out labels (fixed seed: deterministic)."""
        fake = self.generate(G, self.codes, self.seed)
        return fidelity_distance(self.real, fake, self.codes, self.codes, self.discrete)

    def __call__(self, epoch: int, row: dict[str, float], G: nn.Module) -> bool:
        if not self._started:  # first epoch of this fit: after a resume, restore the state
            self._started = True
            self._resume(epoch)
        if self.every <= 0 or (epoch % self.every and epoch != self.last_epoch):
            return False
        d = self.distance(G)
        row["val_distance"] = d["distance"]
        row["val_marginal"] = d["marginal"]
        row["val_correlation"] = d["correlation"]
        if self._record(epoch, d["distance"]):
            self.best_state = copy.deepcopy(G.state_dict())
        self._save()
        if self.bad_checks >= self.patience:
            self.stopped_at = epoch
            if self.best_state is None:
                log.warning(
                    "early stop at epoch %d: the best weights (epoch %d) were lost with a resume;"
                    " keeping the last ones",
                    epoch,
                    self.best_epoch,
                )
            log.info(
                "early stop at epoch %d: best held-out distance %.4f at epoch %d",
                epoch,
                self.best_value,
                self.best_epoch,
            )
            return True
        return False

    def _record(self, epoch: int, value: float) -> bool:
        """Count a check; True when it is a new best (the patience count starts again)."""
        self.checks.append((epoch, value))
        if value < self.best_value:
            self.best_value, self.best_epoch, self.bad_checks = value, epoch, 0
            return True
        self.bad_checks += 1
        return False

    # ------------------------------------------------------------- resumed fits
    def finish(self) -> None:
        """After the loop: a fit resumed from a finished checkpoint ran no epoch (so no call);
        take the checks and best weights from file as a resume after the last epoch would."""
        if not self._started:
            self._started = True
            self._resume(self.last_epoch + 1)

    def _save(self) -> None:
        """Write the checks and the best weights beside the checkpoint (atomic)."""
        if self.best_path is None:
            return
        state = {
            "format": BEST_FORMAT,
            "key": self.key,
            "checks": torch.tensor(self.checks, dtype=torch.float64).reshape(-1, 2),
            "best_epoch": self.best_epoch,
            "best": {k: v.detach().cpu() for k, v in (self.best_state or {}).items()},
        }
        self.best_path.parent.mkdir(parents=True, exist_ok=True)
        sealed = seal(state)  # with its SHA-256, verified by `_resume`
        atomic_write(self.best_path, lambda tmp: torch.save(sealed, tmp))

    def _resume(self, epoch: int) -> None:
        """The loop resumed at ``epoch``: take the earlier checks (and best weights) from file.

        Checks at or after ``epoch`` were made after the checkpoint the loop resumed from; they
        are dropped and redone (training is deterministic, so they come out the same). The best
        weights are kept when the best of the remaining checks is the one saved; otherwise they
        are lost and, should training stop before a new best, the final weights are kept.
        """
        if epoch <= 1 or self.best_path is None or not self.best_path.is_file():
            return
        try:  # a damaged file only costs the early-stopping memory
            saved = load_weights_only(self.best_path, BEST_FORMAT, "monitor state", "")
        except (InvalidDataError, IntegrityError) as err:
            log.warning("%s: monitor state unreadable (%s); starting afresh", self.best_path, err)
            return
        if saved.get("key") != self.key:
            return
        for e, v in saved["checks"].tolist():
            if e >= epoch:
                break
            self._record(int(e), float(v))
        if self.best_epoch and self.best_epoch == int(saved["best_epoch"]):
            self.best_state = saved["best"]
        log.info(
            "resumed early-stopping state: %d checks, best %.4f at epoch %d",
            len(self.checks),
            self.best_value,
            self.best_epoch,
        )
