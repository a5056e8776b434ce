"""Robust statistics for cost baselines: median and median absolute deviation.

Costs of agent runs are skewed and their outliers are what we look for, so a
mean and standard deviation would be dragged by the very spikes they should
expose. The median and the MAD ignore up to half of the sample being odd.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["MAD_SCALE", "Spread", "spread"]

#: Scales a MAD to a standard deviation for normally distributed data.
MAD_SCALE = 1.4826


@dataclass(frozen=True, slots=True, kw_only=True)
class Spread:
    """The median of a sample and its scaled median absolute deviation."""

    median: float
    sigma: float
    size: int

    def is_spike(self, value: float, *, factor: float, z: float) -> bool:
        """Whether ``value`` is at least ``factor`` × the median and ``z`` sigmas above it.

        The ratio alone would flag a tiny value above a tinier median; the
        deviation alone would flag noise when the sample barely varies (a MAD
        of zero). Both must hold. A zero median makes any positive value a
        ratio spike, so the deviation decides.
        """
        if value <= self.median:
            return False
        if self.median > 0 and value < factor * self.median:
            return False
        return value - self.median >= z * self.sigma

    def ratio(self, value: float) -> float | None:
        return None if self.median <= 0 else value / self.median


def spread(values: Sequence[float]) -> Spread | None:
    """The :class:`Spread` of ``values``, or None for an empty sample."""
    if not values:
        return None
    middle = statistics.median(values)
    mad = statistics.median([abs(v - middle) for v in values])
    return Spread(median=middle, sigma=MAD_SCALE * mad, size=len(values))
