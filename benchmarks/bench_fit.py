"""Time dlkit's fit against a PyTorch CPU training loop on the same MLPs, and print a markdown table.

    .venv/bin/python benchmarks/bench_fit.py [--repeats 5] [--rounds 3] [--threads N]

For each network (ReLU MLP, float32, softmax cross-entropy, SGD with momentum 0.9,
shuffled mini-batches) both libraries train one epoch on the same random data,
each in its own fresh process: one warm-up epoch, then the median of `repeats`
timed epochs, reported as training samples per second. The two libraries run
alternately in `rounds` pairs of processes and each figure is the median over
its rounds, so that a change in the machine's load hits both sides alike. The PyTorch loop is the
usual one (index a batch, forward, loss, zero_grad, backward, step, loss.item()),
so both sides read the loss back once per batch, as fit does. Both use every core
by default (NumPy through OpenBLAS, PyTorch through its intra-op threads);
``--threads N`` sets OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS
for both workers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

# name: (layer sizes, batch size, number of samples in one epoch)
NETWORKS = {
    "784-256-10": ([784, 256, 10], 128, 128 * 60),
    "784-1024-1024-10": ([784, 1024, 1024, 10], 256, 256 * 12),
    "2-16-2": ([2, 16, 2], 4, 4 * 1000),
}
LR, MOMENTUM = 0.01, 0.9


def data(sizes, n):
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], size=n)
    return X, y


def torch_mlp(sizes):
    """The benchmark's ReLU MLP in torch.nn (seeded), the same layers as dlkit's MLP(sizes)."""
    import torch

    torch.manual_seed(1)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(torch.nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def time_epochs(run_epoch, repeats):
    run_epoch()  # warm-up: first-call costs, allocator, BLAS threads
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run_epoch()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def worker_dlkit(sizes, batch, n, repeats):
    import numpy as np

    from dlkit import losses, optim
    from dlkit.nn import MLP
    from dlkit.train import fit

    X, y = data(sizes, n)
    rng = np.random.default_rng(1)
    model = MLP(sizes, activation="relu", rng=rng, dtype="float32")
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss = losses.CrossEntropy()

    def epoch():
        fit(model, loss, optimizer, X, y, epochs=1, batch_size=batch, rng=rng, progress=False)

    return time_epochs(epoch, repeats)


def worker_torch(sizes, batch, n, repeats):
    import torch

    X, y = data(sizes, n)
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    model = torch_mlp(sizes)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch():
        order = torch.randperm(n)
        total = 0.0
        for start in range(0, n, batch):
            index = order[start:start + batch]
            loss = loss_fn(model(X[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()

    return time_epochs(epoch, repeats)


def versions():
    import numpy
    import torch

    return f"numpy {numpy.__version__}, torch {torch.__version__}, Python {platform.python_version()}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="fresh processes per library, alternated")
    parser.add_argument("--threads", type=int, default=None, help="BLAS/OpenMP threads for both libraries")
    parser.add_argument("--worker", nargs=2, metavar=("LIBRARY", "NETWORK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        library, network = args.worker
        sizes, batch, n = NETWORKS[network]
        seconds = {"dlkit": worker_dlkit, "torch": worker_torch}[library](sizes, batch, n, args.repeats)
        print(json.dumps({"seconds": seconds, "samples": n}))
        return

    environment = dict(os.environ)
    if args.threads is not None:
        for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            environment[variable] = str(args.threads)
    threads = "default threads" if args.threads is None else f"{args.threads} thread(s)"
    print(f"dlkit fit vs PyTorch (CPU), float32, SGD momentum {MOMENTUM}, {threads}; {versions()}")
    print("| network | batch | dlkit samples/s | PyTorch samples/s | dlkit / PyTorch |")
    print("|---|---|---|---|---|")
    for network, (_, batch, _) in NETWORKS.items():
        rates = {"dlkit": [], "torch": []}
        for _ in range(args.rounds):  # alternate the libraries so that both see the same machine load
            for library in rates:
                command = [sys.executable, __file__, "--repeats", str(args.repeats),
                           "--worker", library, network]
                worker = subprocess.run(command, check=True, capture_output=True, text=True, env=environment)
                result = json.loads(worker.stdout)
                rates[library].append(result["samples"] / result["seconds"])
        rates = {library: statistics.median(values) for library, values in rates.items()}
        print(f"| {network} | {batch} | {rates['dlkit']:,.0f} | {rates['torch']:,.0f} | "
              f"{rates['dlkit'] / rates['torch']:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
