"""Time one dlkit training step on every backend found, against PyTorch native on the same device.

    .venv/bin/python benchmarks/bench_backends.py [--repeats 5] [--backends numpy,torch] [--baseline]

A training step is forward, loss, backward and an optimizer step (SGD, lr 0.01) of a
ReLU MLP in float32 with softmax cross-entropy, on one fixed batch already on the
device. dlkit runs the step that `fit` runs (its `Loss` and `SGD` objects, and
``backward(..., input_grad=False)``: no gradient for the data), PyTorch
native through torch.nn / torch.optim (zero_grad, backward, step). Every
(library, backend, network) runs in its own fresh process: warm-up, then the
median over `repeats` blocks of steps, each block at least 0.2 s (the GPU is
synchronised at the end of a block); the processes run `rounds` times, interleaved,
and the table keeps each one's best (background load only ever slows a run down).
Networks: 2-16-2 b4, 784-256-10 b128, 784-1024-1024-10 b256, and on a GPU also
4096-4096-4096-4096-10 b4096. GFLOP/s counts 6·batch·Σ(fan_in·fan_out) per step
(2 for the forward pass, 4 for backward).

Backends found: numpy always; torch (CPU) when PyTorch is installed; cupy and
torch-cuda when a CUDA GPU is there, plus their reduced-precision mode (bfloat16
on torch-cuda, float16 on cupy) on the large network. array_api_strict checks
conformance and is not meant to be fast; ask for it with --backends.

--baseline times dlkit on NumPy as it was before the backend work of issue 10:
`namespace` from commit 674e1b9 (no fast path) and a plain ``a @ b`` in place of
`dlkit.backend.matmul`, patched into every dlkit module.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fit import data, torch_mlp  # noqa: E402 (the same data and PyTorch model as the fit benchmark)

NETWORKS = {  # name: (layer sizes, batch size, GPU only)
    "2-16-2": ([2, 16, 2], 4, False),
    "784-256-10": ([784, 256, 10], 128, False),
    "784-1024-1024-10": ([784, 1024, 1024, 10], 256, False),
    "4096x3-10": ([4096, 4096, 4096, 4096, 10], 4096, True),
}
LR = 0.01
BASELINE_COMMIT = "674e1b9"  # dlkit/backend.py before issue 10


def flops_per_step(sizes, batch):
    return 6 * batch * sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False))


def time_steps(step, synchronize, repeats):
    """Median seconds per step over `repeats` blocks of at least 0.2 s, after a warm-up."""
    for _ in range(3):
        step()
    synchronize()
    n, elapsed = 1, 0.0
    while elapsed < 0.2:  # find a block length
        n *= 2
        start = time.perf_counter()
        for _ in range(n):
            step()
        synchronize()
        elapsed = time.perf_counter() - start
    per_step = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n):
            step()
        synchronize()
        per_step.append((time.perf_counter() - start) / n)
    return statistics.median(per_step)


def _synchronizer(backend_name, device):
    if backend_name == "cupy":
        import cupy

        return cupy.cuda.Device().synchronize
    if backend_name == "torch" and str(device).startswith("cuda"):
        import torch

        return torch.cuda.synchronize
    return lambda: None


def _patch_baseline():
    """Put the pre-issue-10 NumPy path into every loaded dlkit module (see --baseline)."""
    import types

    import dlkit
    from dlkit import backend

    source = subprocess.run(["git", "show", f"{BASELINE_COMMIT}:dlkit/backend.py"], check=True,
                            capture_output=True, text=True, cwd=Path(dlkit.__file__).parents[1]).stdout
    before = sys.modules["dlkit_backend_before"] = types.ModuleType("dlkit_backend_before")
    exec(compile(source, "backend.py@" + BASELINE_COMMIT, "exec"), before.__dict__)  # noqa: S102

    def plain_matmul(a, b, out=None):
        return a @ b

    for module in [m for name, m in sys.modules.items() if name.startswith("dlkit")]:
        if getattr(module, "namespace", None) is backend.namespace:
            module.namespace = before.namespace
        if getattr(module, "matmul", None) is backend.matmul:
            module.matmul = plain_matmul


def worker_dlkit(sizes, batch, backend_name, device, precision, repeats, baseline):
    import numpy as np

    from dlkit import losses, nn, optim
    from dlkit.backend import asarray, use_backend

    if baseline:
        _patch_baseline()
    X_host, y_host = data(sizes, batch)
    with use_backend(backend_name, device, precision):
        X, y = asarray(X_host), asarray(y_host)
        model = nn.MLP(sizes, activation="relu", rng=np.random.default_rng(1), dtype="float32")
        optimizer, loss = optim.SGD(model.parameters(), lr=LR), losses.CrossEntropy()

        def step():
            optimizer.zero_grad()
            loss.forward(y, model(X))
            model.backward(loss.backward(), input_grad=False)  # as fit does: no dL/dX for the data
            optimizer.step()

        return time_steps(step, _synchronizer(backend_name, device), repeats)


def worker_torch(sizes, batch, device, precision, repeats):
    import contextlib

    import torch

    X_host, y_host = data(sizes, batch)
    X, y = torch.from_numpy(X_host).to(device), torch.from_numpy(y_host).to(device)
    model = torch_mlp(sizes).to(device)
    optimizer, loss_fn = torch.optim.SGD(model.parameters(), lr=LR), torch.nn.CrossEntropyLoss()
    reduced = precision in ("bfloat16", "float16")

    def step():
        optimizer.zero_grad()
        context = torch.autocast(device.split(":")[0], getattr(torch, precision)) if reduced else \
            contextlib.nullcontext()
        with context:
            loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()

    return time_steps(step, _synchronizer("torch", device), repeats)


def available():
    """(label, dlkit backend, device, precision) for every backend this machine has."""
    found = [("numpy", "numpy", "cpu", "full")]
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        found.append(("torch-cpu", "torch", "cpu", "full"))
        if torch.cuda.is_available():
            found += [("torch-cuda", "torch", "cuda", "full"),
                      ("torch-cuda-bf16", "torch", "cuda", "bfloat16")]
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() > 0:
            found += [("cupy", "cupy", "cuda", "full"), ("cupy-fp16", "cupy", "cuda", "float16")]
    except Exception:  # noqa: BLE001 (not installed, or no driver / GPU)
        pass
    return found


def run_worker(*args):
    command = [sys.executable, __file__, "--worker", json.dumps(args)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        return None, result.stderr.strip().splitlines()[-1]
    return json.loads(result.stdout)["seconds"], None


def versions():
    import numpy

    text = f"numpy {numpy.__version__}, Python {platform.python_version()}"
    try:
        import torch

        text += f", torch {torch.__version__}"
    except ImportError:
        pass
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--backends", help="comma-separated labels, e.g. numpy,torch-cpu,array_api_strict")
    parser.add_argument("--networks", help="comma-separated names, e.g. 2-16-2,784-256-10")
    parser.add_argument("--baseline", action="store_true", help="also time NumPy as before issue 10")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each process; the best is kept")
    parser.add_argument("--threads", type=int, help="CPU threads for BLAS and PyTorch (default: theirs)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:  # read by OpenBLAS/MKL/OpenMP at import, so set before the workers start
        for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[variable] = str(args.threads)
    if args.worker:
        library, network, backend_name, device, precision, baseline = json.loads(args.worker)
        sizes, batch, _ = NETWORKS[network]
        if library == "dlkit":
            seconds = worker_dlkit(sizes, batch, backend_name, device, precision, args.repeats, baseline)
        else:
            seconds = worker_torch(sizes, batch, device, precision, args.repeats)
        print(json.dumps({"seconds": seconds}))
        return

    backends = available() + [("array_api_strict", "array_api_strict", None, "full")]
    wanted = args.backends.split(",") if args.backends else [b[0] for b in available()]
    backends = [b for b in backends if b[0] in wanted]
    if args.baseline and any(b[0] == "numpy" for b in backends):
        backends.insert(0, ("numpy-before", "numpy", "cpu", "full"))
    gpu = any(b[2] == "cuda" for b in backends)
    networks = args.networks.split(",") if args.networks else [
        n for n, v in NETWORKS.items() if gpu or not v[2]]
    threads = f"{args.threads} thread(s)" if args.threads else "default threads"
    print(f"One training step (forward, backward, SGD step), float32; {versions()}; {threads}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print("| network | batch | backend | dlkit ms/step | PyTorch native ms/step | dlkit speed vs PyTorch | "
          "dlkit GFLOP/s |")
    print("|---|---|---|---|---|---|---|")
    native = {}  # (network, device, precision): PyTorch's seconds per step
    for network in networks:
        sizes, batch, gpu_only = NETWORKS[network]
        rows = [b for b in backends if b[3] == "full" or gpu_only]  # reduced precision: large products only
        best, errors = {}, {}
        for _ in range(args.rounds):  # rounds interleave the runs, so a burst of load hits all alike
            timed = set()
            for label, backend_name, device, precision in rows:
                seconds, error = run_worker("dlkit", network, backend_name, device, precision,
                                            label == "numpy-before")
                if seconds is None:
                    errors[label] = error
                else:
                    best[label] = min(seconds, best.get(label, math.inf))
                key = (network, "cuda" if device == "cuda" else "cpu", precision)
                if key not in timed:
                    timed.add(key)
                    seconds, _ = run_worker("torch", network, "torch", key[1], precision, False)
                    if seconds is not None:
                        native[key] = min(seconds, native.get(key, math.inf))
        for label, _, device, precision in rows:
            if label not in best:
                print(f"| {network} | {batch} | {label} | failed: {errors[label]} | | | |", flush=True)
                continue
            mine = best[label]
            theirs = native.get((network, "cuda" if device == "cuda" else "cpu", precision))
            ratio = f"{theirs / mine:.2f}x" if theirs else "n/a"
            theirs_ms = f"{theirs * 1e3:.3f}" if theirs else "n/a"
            gflops = flops_per_step(sizes, batch) / mine / 1e9
            print(f"| {network} | {batch} | {label} | {mine * 1e3:.3f} | {theirs_ms} | {ratio} | "
                  f"{gflops:.1f} |", flush=True)


if __name__ == "__main__":
    main()
