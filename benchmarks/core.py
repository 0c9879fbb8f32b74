"""nnlib against torch (CPU) on the core workloads: GELU, softmax, cross-entropy, Adam, MLP step.

    .venv/bin/python benchmarks/core.py [--threads N] [--repeat R]

For each workload both libraries run forward+backward (or one optimiser step) on the same
float32 data, interleaved: nnlib, torch, nnlib, torch, ... ``repeat`` rounds, each round a
calibrated inner loop (see :func:`nnlib.bench.timeit`). The table gives the median time per
call and the ratio nnlib/torch (< 1: nnlib is faster). torch uses the same number of threads
as numpy's BLAS is allowed (``--threads``, default: the number of cores).
"""
from __future__ import annotations

import argparse
import math
import os
import statistics

import numpy as np


def _workloads(torch, nnlib, dtype):
    F = nnlib.functional
    tdt = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    rng = np.random.default_rng(0)
    out = {}

    # -- GELU (exact), forward + backward, 128 x 4096 ----------------------------------
    x = rng.standard_normal((128, 4096)).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    gelu = nnlib.nn.GELU()
    tx = torch.tensor(x, requires_grad=True)
    tg = torch.tensor(g)

    def n_gelu():
        gelu(x)
        gelu.backward(g)

    def t_gelu():
        y = torch.nn.functional.gelu(tx)
        y.backward(tg)
        tx.grad = None

    out["GELU fwd+bwd 128×4096"] = (n_gelu, t_gelu)

    # -- softmax over the last axis, forward + backward, 512 x 1000 ---------------------
    s = rng.standard_normal((512, 1000)).astype(dtype)
    gs = rng.standard_normal(s.shape).astype(dtype)
    softmax = nnlib.nn.Softmax(dim=1)
    ts = torch.tensor(s, requires_grad=True)
    tgs = torch.tensor(gs)

    def n_softmax():
        softmax(s)
        softmax.backward(gs)

    def t_softmax():
        y = torch.softmax(ts, dim=1)
        y.backward(tgs)
        ts.grad = None

    out["softmax fwd+bwd 512×1000"] = (n_softmax, t_softmax)

    # -- cross-entropy on logits, forward + backward, 512 x 1000 ------------------------
    target = rng.integers(0, 1000, size=512)
    ce = nnlib.nn.CrossEntropyLoss()
    tt = torch.tensor(target)

    def n_ce():
        ce(s, target)
        ce.backward()

    def t_ce():
        loss = torch.nn.functional.cross_entropy(ts, tt)
        loss.backward()
        ts.grad = None

    out["cross-entropy fwd+bwd 512×1000"] = (n_ce, t_ce)

    # -- one Adam step over ~1.1M parameters ------------------------------------------
    shapes = [(1024, 1024), (1024,), (64, 1024), (64,)]
    params = [nnlib.nn.Parameter(rng.standard_normal(sh).astype(dtype)) for sh in shapes]
    for p in params:
        p.grad = rng.standard_normal(p.shape).astype(dtype)
    tparams = [torch.nn.Parameter(torch.tensor(p.data)) for p in params]
    for tp, p in zip(tparams, params):
        tp.grad = torch.tensor(p.grad)
    n_adam = nnlib.optim.Adam(params, lr=1e-3)
    t_adam = torch.optim.Adam(tparams, lr=1e-3, foreach=False)
    out["Adam step 1.1M params"] = (n_adam.step, t_adam.step)

    # -- MLP 784-256-128-10 training step, batch 128, cross-entropy + Adam ------------
    X = rng.standard_normal((128, 784)).astype(dtype)
    y = rng.integers(0, 10, size=128)
    nnlib.manual_seed(0)
    mlp = nnlib.nn.Sequential(nnlib.nn.Linear(784, 256, dtype=dtype), nnlib.nn.ReLU(),
                              nnlib.nn.Linear(256, 128, dtype=dtype), nnlib.nn.ReLU(),
                              nnlib.nn.Linear(128, 10, dtype=dtype))
    loss_fn = nnlib.nn.CrossEntropyLoss()
    opt = nnlib.optim.Adam(mlp.parameters(), lr=1e-3)
    tmlp = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                               torch.nn.Linear(256, 128), torch.nn.ReLU(),
                               torch.nn.Linear(128, 10)).to(tdt)
    tmlp.load_state_dict({k: torch.tensor(v) for k, v in mlp.state_dict().items()})
    topt = torch.optim.Adam(tmlp.parameters(), lr=1e-3, foreach=False)
    tX, ty = torch.tensor(X), torch.tensor(y)

    def n_step():
        opt.zero_grad()
        loss_fn(mlp(X), y)
        mlp.backward(loss_fn.backward(), input_grad=False)
        opt.step()

    def t_step():
        topt.zero_grad()
        torch.nn.functional.cross_entropy(tmlp(tX), ty).backward()
        topt.step()

    out["MLP step 784-256-128-10, B=128"] = (n_step, t_step)
    return out


def run(threads: int, repeat: int, dtype=np.float32) -> list[tuple[str, float, float]]:
    import torch

    import nnlib
    from nnlib.bench import timeit

    torch.set_num_threads(threads)
    rows = []
    for name, (fn_n, fn_t) in _workloads(torch, nnlib, dtype).items():
        tn, tt = [], []
        for _ in range(repeat):                      # interleaved rounds
            tn.append(timeit(fn_n, repeat=1, min_time=0.05).best)
            tt.append(timeit(fn_t, repeat=1, min_time=0.05).best)
        rows.append((name, statistics.median(tn), statistics.median(tt)))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--float64", action="store_true", help="float64 instead of float32")
    args = ap.parse_args()
    dtype = np.float64 if args.float64 else np.float32
    rows = run(args.threads, args.repeat, dtype)
    print(f"{np.dtype(dtype).name}, torch threads = {args.threads}, "
          f"median of {args.repeat} interleaved rounds")
    print(f"{'workload':34s} {'nnlib':>10s} {'torch':>10s} {'nnlib/torch':>12s}")
    for name, tn, tt in rows:
        print(f"{name:34s} {tn * 1e3:8.3f}ms {tt * 1e3:8.3f}ms {tn / tt:11.2f}×")
    gm = math.exp(statistics.mean(math.log(tn / tt) for _, tn, tt in rows))
    print(f"geometric mean of the ratios: {gm:.2f}")


if __name__ == "__main__":
    main()
