"""nnlib's convolution against torch (CPU), and against numpy's own matrix product.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python tools/bench_conv.py
    OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 .venv/bin/python tools/bench_conv.py

Each workload is one ``Conv2d`` layer, float32, forward + backward (input, weight and
bias gradients) in both libraries on the same data, timed interleaved: nnlib, torch,
nnlib, torch, ... ``--repeat`` rounds; the table gives the medians and the ratio
nnlib/torch (< 1: nnlib is faster). torch uses as many threads as numpy's BLAS is
given (``OPENBLAS_NUM_THREADS``, default 1, set before numpy is imported). With one
thread the clock is the CPU time of the calling thread, which other processes on a
busy machine do not inflate; with more, wall time.

For the largest layer it also prints GFLOP/s: the three matrix products of a
convolution's forward+backward (output, input gradient, weight gradient) each take
:math:`2 N P C_{out} C_{in} K` floating-point operations (P output pixels, K kernel
taps), compared with what numpy's ``@`` reaches on the same three products alone and
on a square 1024 one.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", os.environ["OPENBLAS_NUM_THREADS"])
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

# (name, input shape, Conv2d arguments)
WORKLOADS = [
    ("LeNet C1 1→6 5×5, (64,1,28,28)", (64, 1, 28, 28), (1, 6, 5), {}),
    ("LeNet C1 1→6 5×5 p=2, (64,1,28,28)", (64, 1, 28, 28), (1, 6, 5),
     dict(padding=2)),
    ("LeNet C3 6→16 5×5, (64,6,14,14)", (64, 6, 14, 14), (6, 16, 5), {}),
    ("64→64 3×3 p=1, (32,64,32,32)", (32, 64, 32, 32), (64, 64, 3), dict(padding=1)),
]
BIG = WORKLOADS[-1][0]


def _pair(torch, nnlib, shape, args, kw):
    """Two closures, one forward+backward step each: nnlib's and torch's."""
    rng = np.random.default_rng(0)
    conv = nnlib.nn.Conv2d(*args, **kw, dtype=np.float32, rng=rng)
    tconv = torch.nn.Conv2d(*args, **kw)
    tconv.load_state_dict({k: torch.tensor(v) for k, v in conv.state_dict().items()})
    x = rng.standard_normal(shape).astype(np.float32)
    g = rng.standard_normal(conv(x).shape).astype(np.float32)
    conv.backward(g)
    tx, tg = torch.tensor(x, requires_grad=True), torch.tensor(g)

    def ours():
        conv.zero_grad()
        conv(x)
        conv.backward(g)

    def theirs():
        tconv.zero_grad()
        tx.grad = None
        tconv(tx).backward(tg)

    return ours, theirs


def _gemms(shape, args, kw):
    """The three products of the layer's forward+backward (groups=1) as plain numpy
    ``@``, in two forms: per image, as nnlib calls them (W (C_out, C_in·K) @
    cols_n (C_in·K, P), W^T @ G_n, G_n @ cols_n^T), and as one 2-D product each
    over all N·P pixels."""
    rng = np.random.default_rng(1)
    c_in, c_out, k = args
    n, _, h, w = shape
    p = kw.get("padding", 0)
    npix = (h + 2 * p - k + 1) * (w + 2 * p - k + 1)
    f32 = np.float32
    wm = rng.standard_normal((c_out, c_in * k * k)).astype(f32)
    cols = rng.standard_normal((n, c_in * k * k, npix)).astype(f32)
    gm = rng.standard_normal((n, c_out, npix)).astype(f32)
    cols2, gm2 = cols.reshape(c_in * k * k, -1), gm.reshape(c_out, -1)

    def per_image():
        wm @ cols
        wm.T @ gm
        (gm @ cols.swapaxes(1, 2)).sum(axis=0)

    def flat():
        wm @ cols2
        wm.T @ gm2
        gm2 @ cols2.T

    flop = 3 * 2 * c_out * c_in * k * k * n * npix
    a = rng.standard_normal((1024, 1024)).astype(f32)
    return per_image, flat, flop, (lambda: a @ a), 2 * 1024 ** 3


def _interleaved(fns, repeat, clock):
    from nnlib.bench import timeit

    times = [[] for _ in fns]
    for _ in range(repeat):
        for fn, t in zip(fns, times):
            t.append(timeit(fn, repeat=1, min_time=0.05, clock=clock).best)
    return [statistics.median(t) for t in times]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", default="", help="workloads whose name contains this")
    args = ap.parse_args()
    import torch

    import nnlib

    threads = int(os.environ["OPENBLAS_NUM_THREADS"])
    torch.set_num_threads(threads)
    clock = time.thread_time if threads == 1 else time.perf_counter
    print(f"float32, forward+backward, {threads} thread(s) (numpy BLAS and torch), "
          f"median of {args.repeat} interleaved rounds, "
          f"{'CPU time' if threads == 1 else 'wall time'}")
    print(f"{'workload':38s} {'nnlib':>9s} {'torch':>9s} {'nnlib/torch':>12s}")
    for name, shape, cargs, kw in WORKLOADS:
        if args.only not in name:
            continue
        ours, theirs = _pair(torch, nnlib, shape, cargs, kw)
        if name != BIG:
            tn, tt = _interleaved([ours, theirs], args.repeat, clock)
            print(f"{name:38s} {tn * 1e3:7.2f}ms {tt * 1e3:7.2f}ms {tn / tt:11.2f}×")
            continue
        per_image, flat, flop, square, flop_sq = _gemms(shape, cargs, kw)
        tn, tt, ti, tf, tsq = _interleaved([ours, theirs, per_image, flat, square],
                                           args.repeat, clock)
        print(f"{name:38s} {tn * 1e3:7.2f}ms {tt * 1e3:7.2f}ms {tn / tt:11.2f}×")
        gf = [flop / t / 1e9 for t in (tn, tt, ti, tf)] + [flop_sq / tsq / 1e9]
        print(f"  GFLOP/s, 3 products of {flop / 1e9:.2f} GFLOP: nnlib {gf[0]:.1f}, "
              f"torch {gf[1]:.1f}")
        print(f"  numpy @ alone on the same products: per image {gf[2]:.1f} "
              f"({ti * 1e3:.1f} ms), as 2-D over N·P {gf[3]:.1f} ({tf * 1e3:.1f} ms); "
              f"square 1024 {gf[4]:.1f}")
        print(f"  nnlib = {gf[0] / gf[2]:.0%} of numpy's @ per image, "
              f"{gf[0] / gf[3]:.0%} of 2-D, {gf[0] / gf[4]:.0%} of square 1024")

if __name__ == "__main__":
    main()
