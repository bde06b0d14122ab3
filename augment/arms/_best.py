"""The one "best classical arm" rule, shared by the run's verdict and the benchmark suite."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from augment.arms._registry import classical_arms


def best_classical(
    means: Mapping[str, float], classical: Collection[str] | None = None
) -> str | None:
    """The classical arm with the highest mean, or None when ``means`` has none.

    Parameters
    ----------
    means : mapping
        ``arm -> mean`` (e.g. balanced accuracy); on ties the first arm in its order wins.
    classical : collection of str, optional
        The arms that count as classical; default the registry's (`classical_arms`: no
        generator, not a reference such as the oracle).
    """
    pool = set(classical_arms() if classical is None else classical)
    candidates = [a for a in means if a in pool]
    return max(candidates, key=lambda a: means[a]) if candidates else None
