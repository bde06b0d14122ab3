"""Training-by-sampling for the conditional tabular GAN, with no per-row Python loop.

Every training row gets a condition: its class (exact; it is always an input of G and D) and,
as in CTGAN, one other discrete column fixed to one of its categories. Per batch row we draw a
class (uniformly: rare classes are learned as well as common ones), a discrete column
(uniformly), a category of that column (by log-frequency within the class, so rare categories
are seen often enough), then a real row of that class with that category. All draws are
tensor ops over precomputed group tables.
"""

from __future__ import annotations

import numpy as np
import torch

from augment.transform.tabular import Span


class ConditionSampler:
    """Draw ``(rows, condition)`` batches for training and conditions for sampling.

    Parameters
    ----------
    spans : list of Span
        The transformer's spans; ``category`` spans can be fixed by the condition.
    n_classes : int
    freq : array (J, C, K), optional
        Category counts per (column, class); set by `fit`, saved with a model for sampling.
    """

    def __init__(self, spans: list[Span], n_classes: int, freq: np.ndarray | None = None):
        cats = [s for s in spans if s.role == "category"]
        self.n_classes = n_classes
        self.n_cols = max(len(cats), 1)  # a table with no discrete column: one dummy column
        widths = [s.width for s in cats] or [1]
        self.k_max = max(widths)
        self.cond_dim = sum(s.width for s in cats)  # one-hot of the fixed category
        self._has_cats = bool(cats)
        self._offset = torch.tensor(np.concatenate([[0], np.cumsum(widths)[:-1]]))
        # output columns of every category, padded: (J, K); pads point at column 0 (masked)
        out_idx = np.zeros((self.n_cols, self.k_max), dtype=np.int64)
        mask = np.zeros((self.n_cols, self.k_max), dtype=bool)
        for j, s in enumerate(cats):
            out_idx[j, : s.width] = np.arange(s.start, s.end)
            mask[j, : s.width] = True
        self.out_idx = torch.from_numpy(out_idx)
        self.out_mask = torch.from_numpy(mask)
        self._cats = cats
        if freq is not None:
            self._set_freq(np.asarray(freq, dtype=np.float64))

    def _set_freq(self, freq: np.ndarray) -> None:
        self.freq_ = freq.reshape(self.n_cols, self.n_classes, self.k_max)  # (J, C, K)
        self._p_train = torch.from_numpy(np.log1p(self.freq_))  # log-frequency, for training
        self._p_orig = torch.from_numpy(self.freq_)  # frequency, for sampling

    def fit(self, Z: np.ndarray, codes: np.ndarray) -> ConditionSampler:
        """Index the encoded training rows ``Z`` (N, D) by (column, class, category)."""
        n = len(codes)
        if self._cats:
            cat_idx = np.stack([Z[:, s.start : s.end].argmax(1) for s in self._cats], axis=1)
        else:
            cat_idx = np.zeros((n, 1), dtype=np.int64)  # (N, J)
        j_idx = np.broadcast_to(np.arange(self.n_cols), cat_idx.shape)
        group = (j_idx * self.n_classes + codes[:, None]) * self.k_max + cat_idx  # (N, J)
        flat = group.ravel()
        counts = np.bincount(flat, minlength=self.n_cols * self.n_classes * self.k_max)
        order = np.argsort(flat, kind="stable")
        self._rows = torch.from_numpy(order // self.n_cols)  # row of each sorted pair
        self._start = torch.from_numpy(np.concatenate([[0], np.cumsum(counts)[:-1]]))
        self._count = torch.from_numpy(counts)
        self._set_freq(counts.astype(np.float64))
        return self

    def _condition(
        self, c: torch.Tensor, probs: torch.Tensor, gen: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Column ``j`` and category ``k`` per class in ``c`` (categories absent in c: p = 0)."""
        b = len(c)
        j = torch.randint(self.n_cols, (b,), generator=gen)
        p = probs[j, c]  # (B, K)
        k = torch.multinomial(p, 1, generator=gen).squeeze(1)
        return j, k, self.one_hot(j, k)

    def one_hot(self, j: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        """The conditional vector ``(B, cond_dim)`` fixing category ``k`` of column ``j``."""
        cond = torch.zeros(len(j), self.cond_dim)
        if self._has_cats:
            cond[torch.arange(len(j)), self._offset[j] + k] = 1.0
        return cond

    def sample_train(
        self, batch: int, gen: torch.Generator, pack: int = 1
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(rows, classes, cond, (j, k) as (B, 2))``: real rows matching a drawn condition.

        ``pack``: consecutive runs of this many rows share one class (``batch`` a multiple of
        it), so a PacGAN critic judges each pack against real rows of a single class.
        """
        c = torch.randint(self.n_classes, (batch // pack,), generator=gen).repeat_interleave(pack)
        j, k, cond = self._condition(c, self._p_train, gen)
        g = (j * self.n_classes + c) * self.k_max + k
        u = torch.rand(batch, generator=gen, dtype=torch.float64)
        pick = self._start[g] + (u * self._count[g]).long().clamp(max=self._count[g] - 1)
        return self._rows[pick], c, cond, torch.stack([j, k], 1)

    def sample_cond(self, c: int, n: int, gen: torch.Generator) -> torch.Tensor:
        """Conditions for generating ``n`` rows of class ``c``: categories by their frequency."""
        cls = torch.full((n,), c, dtype=torch.long)
        return self._condition(cls, self._p_orig, gen)[2]

    def generator_input(self, codes: np.ndarray, gen: torch.Generator) -> torch.Tensor:
        """The generator's conditioning input ``(N, n_classes + cond_dim)`` for rows of classes
        ``codes``: the class one-hot and, per class, conditions drawn by `sample_cond`."""
        codes = np.asarray(codes, dtype=np.int64)
        onehot = torch.zeros(len(codes), self.n_classes)
        onehot[torch.arange(len(codes)), torch.from_numpy(codes)] = 1.0
        cond = torch.zeros(len(codes), self.cond_dim)
        for c in np.unique(codes):
            rows = torch.from_numpy(np.flatnonzero(codes == c))
            cond[rows] = self.sample_cond(int(c), len(rows), gen)
        return torch.cat([onehot, cond], dim=1)
