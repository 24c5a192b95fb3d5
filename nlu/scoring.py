"""Accuracy as an honest figure: a rate with its 95 % Wilson interval, per slice, and the top confusions."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

Z95 = 1.959963984540054


def wilson(correct: int, total: int, z: float = Z95) -> tuple[float, float]:
    """Return the Wilson score interval of ``correct``/``total`` (0–1); (0, 1) when there is nothing to count."""
    if total <= 0:
        return 0.0, 1.0
    p = correct / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(correct: int, total: int) -> str:
    """Write ``correct``/``total`` as ``96.1 % [93.0–97.9] (196/204)``: the rate and its 95 % interval."""
    if total <= 0:
        return "n/a (0)"
    low, high = wilson(correct, total)
    return f"{100 * correct / total:.1f} % [{100 * low:.1f}–{100 * high:.1f}] ({correct}/{total})"


def per_group(results: Iterable[tuple[Iterable[str], bool]]) -> dict[str, tuple[int, int]]:
    """Count (correct, total) per group; each result names the groups it belongs to."""
    counts: dict[str, list[int]] = {}
    for groups, hit in results:
        for group in groups:
            tally = counts.setdefault(group, [0, 0])
            tally[0] += hit
            tally[1] += 1
    return {group: (c, t) for group, (c, t) in sorted(counts.items())}


def top_confusions(pairs: Iterable[tuple[str, str]], limit: int = 10) -> list[tuple[str, str, int]]:
    """The most frequent (expected, got) pairs among the misses."""
    counted = Counter((e, g) for e, g in pairs if e != g)
    return [(e, g, n) for (e, g), n in counted.most_common(limit)]
