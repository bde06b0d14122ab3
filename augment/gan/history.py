"""A GAN's training history: one row of losses and D outputs per epoch."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class History:
    """Per-epoch means of the losses and D outputs (what a loss-curve plot shows)."""

    rows: list[dict[str, float]] = field(default_factory=list)

    def column(self, key: str) -> list[float]:
        return [r[key] for r in self.rows]
