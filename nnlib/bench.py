"""Timing helpers for the chapters and the performance appendix (standard library only).

``timeit(fn, *args)`` calls ``fn(*args)`` in an inner loop whose length is chosen
automatically (so that one repeat lasts about ``min_time`` seconds), repeats the
loop ``repeat`` times and returns the time of **one call**: the best repeat (the least
disturbed by other processes) and the median. ``compare`` formats several such
timings as a table with ratios to a baseline::

    >>> t = {"python": timeit(slow, x), "numpy": timeit(fast, x)}
    >>> print(compare(t, baseline="python", flop=2 * n**3))

Timings depend on the machine and its load: chapters print them in cells tagged
``nbval-ignore-output`` and assert only generous bounds in the next cell.
"""
from __future__ import annotations

import math
import statistics
import time
from typing import Callable, Mapping, NamedTuple

__all__ = ["Timing", "timeit", "compare", "format_time"]


class Timing(NamedTuple):
    """The result of :func:`timeit`; ``best`` and ``median`` are seconds per call."""

    best: float
    median: float
    number: int   # calls per repeat (the inner loop)
    repeat: int   # repeats of the inner loop

    def __str__(self) -> str:
        return (f"{format_time(self.best)} на вызов (лучший из {self.repeat}, медиана "
                f"{format_time(self.median)}, {self.number} вызовов в повторе)")


def format_time(seconds: float) -> str:
    """``0.0123 -> '12.3 мс'``: three significant digits and a unit from нс to с."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"format_time: expected a finite non-negative number of "
                         f"seconds, got {seconds!r}")
    for unit, scale in (("с", 1.0), ("мс", 1e-3), ("мкс", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} нс"


def _loop(fn, args, kwargs, number, sync, clock):
    start = clock()
    for _ in range(number):
        fn(*args, **kwargs)
    if sync is not None:
        sync()
    return clock() - start


def timeit(fn: Callable, *args, repeat: int = 5, min_time: float = 0.05,
           number: int | None = None, sync: Callable[[], object] | None = None,
           clock: Callable[[], float] = time.perf_counter, **kwargs) -> Timing:
    """Time ``fn(*args, **kwargs)``; returns :class:`Timing` in seconds per call.

    * ``number`` (calls per repeat): if ``None``, it is calibrated — the loop is run
      with 1, 10, 100, ... calls until it lasts ``min_time / 10``, then scaled so that a
      repeat lasts about ``min_time``. The calibration also warms ``fn`` up (caches,
      lazy initialisation, the first CUDA call).
    * ``repeat`` loops are timed with ``clock`` (below); ``best`` is the fastest
      (the least disturbed by other processes), ``median`` the typical one.
    * ``sync`` is called at the end of every loop, before the clock stops: pass
      ``torch.cuda.synchronize`` when ``fn`` launches GPU work, which is asynchronous.
    * ``clock``: wall time (:func:`time.perf_counter`) by default. For single-threaded
      code on a shared machine pass :func:`time.thread_time` — the CPU time of the
      calling thread, which other processes competing for the cores do not inflate.
    """
    if not callable(fn):
        raise TypeError(f"timeit: fn must be callable, got {type(fn).__name__}")
    if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
        raise ValueError(f"timeit: repeat must be a positive integer, got {repeat!r}")
    if not (isinstance(min_time, (int, float)) and min_time >= 0):
        raise ValueError(f"timeit: min_time must be a non-negative number of seconds, "
                         f"got {min_time!r}")
    if number is None:
        number = 1
        while True:
            elapsed = _loop(fn, args, kwargs, number, sync, clock)
            if elapsed >= min_time / 10 or number >= 10**7:
                break
            number *= 10
        number = max(1, math.ceil(number * min_time / max(elapsed, 1e-9)))
    elif isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ValueError(f"timeit: number must be a positive integer or None, "
                         f"got {number!r}")
    times = [_loop(fn, args, kwargs, number, sync, clock) / number
             for _ in range(repeat)]
    return Timing(best=min(times), median=statistics.median(times), number=number,
                  repeat=repeat)


def compare(timings: Mapping[str, Timing | float], baseline: str | None = None,
            flop: float | Mapping[str, float] | None = None) -> str:
    """A text table of several methods:
    time per call, speed-up over ``baseline``, GFLOP/s.

    ``timings`` maps a method's name to a :class:`Timing` (its ``best`` is used) or to
    seconds. ``baseline`` (default: the first method) gets 1.0; a method twice as fast
    gets 2.0. ``flop`` — the operation count of one call (one number for all methods,
    or a dict per method) — adds a GFLOP/s column.
    """
    if not timings:
        raise ValueError("compare: no timings given")
    secs = {name: float(t.best if isinstance(t, Timing) else t)
            for name, t in timings.items()}
    for name, s in secs.items():
        if not (math.isfinite(s) and s > 0):
            raise ValueError(f"compare: time of {name!r} must be a positive number "
                             f"of seconds, got {s!r}")
    if baseline is None:
        baseline = next(iter(secs))
    if baseline not in secs:
        raise KeyError(f"compare: baseline {baseline!r} is not one of {list(secs)}")
    if flop is not None and not isinstance(flop, Mapping):
        flop = {name: flop for name in secs}
    header = ["метод", "время", "ускорение"] + (["GFLOP/s"] if flop is not None else [])
    rows = []
    for name, s in secs.items():
        row = [name, format_time(s), f"{_number(secs[baseline] / s)}×"]
        if flop is not None:
            row.append(_number(flop[name] / s / 1e9) if name in flop else "")
        rows.append(row)
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths)))
             for r in [header] + rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"ускорение = время «{baseline}» / время метода")
    return "\n".join(lines)


def _number(x: float) -> str:
    """Three significant digits, without an exponent for large numbers:
    3720.4 -> '3720'."""
    return f"{x:.0f}" if x >= 1000 else f"{x:.3g}"
