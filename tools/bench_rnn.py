"""nnlib's LSTM and GRU against torch (CPU, one thread): forward + backward, one batch.

    .venv/bin/python tools/bench_rnn.py [--repeat R]

A book-sized batch: L=50 steps, N=64 sequences, input 32, hidden 128, float32.
Both libraries compute the same things: the output, the gradients of every parameter
and of the input (torch's input has ``requires_grad=True``); the parameters' ``.grad``
are reset before each call in both. The runs are interleaved (nnlib, torch, nnlib, ...,
``repeat`` rounds of a calibrated inner loop, :func:`nnlib.bench.timeit`); the clock
is the calling thread's CPU time, which other processes on a busy machine do not
inflate. Prints the median time per call of each and the ratio nnlib/torch.
"""
from __future__ import annotations

import os

# one BLAS/OpenMP thread, set before numpy and torch load their thread pools
os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

L, N, INPUT, HIDDEN = 50, 64, 32, 128


def workloads(torch, nnlib):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((L, N, INPUT)).astype(np.float32)
    g = rng.standard_normal((L, N, HIDDEN)).astype(np.float32)
    tx, tg = torch.tensor(x, requires_grad=True), torch.tensor(g)
    out = {}
    for name in ("LSTM", "GRU"):
        ours = getattr(nnlib.nn, name)(INPUT, HIDDEN, dtype=np.float32,
                                       rng=np.random.default_rng(1))
        theirs = getattr(torch.nn, name)(INPUT, HIDDEN)
        theirs.load_state_dict({k: torch.tensor(v)
                                for k, v in ours.state_dict().items()})

        def n_step(ours=ours):
            ours.zero_grad()
            ours(x)
            ours.backward(g)

        def t_step(theirs=theirs):
            theirs.zero_grad()
            tx.grad = None
            theirs(tx)[0].backward(tg)

        out[f"{name} fwd+bwd L={L} N={N} I={INPUT} H={HIDDEN}"] = (n_step, t_step)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()

    import torch

    import nnlib
    from nnlib.bench import timeit

    torch.set_num_threads(1)
    print(f"float32, 1 thread, median of {args.repeat} interleaved rounds, CPU time "
          f"(numpy {np.__version__}, torch {torch.__version__})")
    print(f"{'workload':38s} {'nnlib':>10s} {'torch':>10s} {'nnlib/torch':>12s}")
    for name, (fn_n, fn_t) in workloads(torch, nnlib).items():
        tn, tt = [], []
        for _ in range(args.repeat):
            tn.append(timeit(fn_n, repeat=1, min_time=0.1, clock=time.thread_time).best)
            tt.append(timeit(fn_t, repeat=1, min_time=0.1, clock=time.thread_time).best)
        mn, mt = statistics.median(tn), statistics.median(tt)
        print(f"{name:38s} {mn * 1e3:8.2f}ms {mt * 1e3:8.2f}ms {mn / mt:11.2f}×")


if __name__ == "__main__":
    main()
