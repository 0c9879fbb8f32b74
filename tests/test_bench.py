"""nnlib.bench: the timing helper and the comparison table (fast; no assumptions about machine speed)."""
import time

import pytest

from nnlib.bench import Timing, compare, format_time, timeit


def test_timeit_counts_calls_and_returns_seconds_per_call():
    calls = []
    t = timeit(calls.append, 1, repeat=3, number=7)
    assert isinstance(t, Timing) and t.number == 7 and t.repeat == 3
    assert len(calls) == 21  # no calibration when number is given
    assert 0 < t.best <= t.median


def test_timeit_calibrates_the_inner_loop():
    t = timeit(lambda: None, repeat=2, min_time=0.005)
    assert t.number > 100  # a no-op is far faster than 50 µs on any machine
    assert t.best < 1e-4


def test_timeit_slow_function_runs_once_per_repeat():
    calls = []

    def slow():
        calls.append(None)
        time.sleep(0.002)

    t = timeit(slow, repeat=2, min_time=0.001)
    assert t.number == 1 and len(calls) == 1 + 2  # one calibration call, then the repeats
    assert t.best >= 0.002


def test_timeit_passes_arguments_and_calls_sync():
    seen, synced = [], []
    timeit(lambda a, b=0: seen.append(a + b), 1, b=2, repeat=2, number=3, sync=lambda: synced.append(1))
    assert seen == [3] * 6 and len(synced) == 2


@pytest.mark.parametrize("kwargs", [{"repeat": 0}, {"repeat": 1.5}, {"min_time": -1}, {"number": 0}])
def test_timeit_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="timeit"):
        timeit(lambda: None, **kwargs)
    with pytest.raises(TypeError, match="timeit"):
        timeit(42)


@pytest.mark.parametrize("seconds,text", [(2.5, "2.5 с"), (0.0123, "12.3 мс"), (4.56e-5, "45.6 мкс"),
                                          (3e-8, "30 нс"), (0.0, "0 нс")])
def test_format_time(seconds, text):
    assert format_time(seconds) == text


def test_format_time_rejects_nonsense():
    with pytest.raises(ValueError, match="format_time"):
        format_time(float("nan"))


def test_compare_table_ratios_and_gflops():
    table = compare({"цикл": 2.0, "numpy": Timing(0.02, 0.03, 10, 5), "BLAS": 5e-4}, flop=2e9)
    lines = table.splitlines()
    assert lines[0].split() == ["метод", "время", "ускорение", "GFLOP/s"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split() == ["цикл", "2", "с", "1×", "1"]
    assert lines[3].split() == ["numpy", "20", "мс", "100×", "100"]
    assert lines[4].split() == ["BLAS", "500", "мкс", "4000×", "4000"]  # no exponent for large numbers
    assert len({len(line) for line in lines[:5]}) == 1  # aligned columns
    assert lines[5] == "ускорение = время «цикл» / время метода"


def test_compare_baseline_and_partial_flop():
    table = compare({"a": 1.0, "b": 4.0}, baseline="b", flop={"a": 1e9})
    a, b = table.splitlines()[2:4]
    assert "4×" in a and "1×" in b and a.split()[-1] == "1" and b.split()[-1] == "1×"
    assert "GFLOP" not in compare({"a": 1.0})


def test_compare_errors():
    with pytest.raises(ValueError, match="compare"):
        compare({})
    with pytest.raises(KeyError, match="baseline"):
        compare({"a": 1.0}, baseline="b")
    with pytest.raises(ValueError, match="'a'"):
        compare({"a": 0.0})


def test_timeit_clock_thread_time_ignores_sleeping():
    t_wall = timeit(time.sleep, 0.003, repeat=2, number=1)
    t_cpu = timeit(time.sleep, 0.003, repeat=2, number=1, clock=time.thread_time)
    assert t_wall.best >= 0.003 and t_cpu.best < 0.002  # a sleeping thread uses no CPU time
