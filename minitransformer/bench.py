"""Side-by-side benchmark: minitransformer vs PyTorch eager, same model, weights and batches.

    python -m minitransformer.bench               # CPU, the default model and a grid of sizes
    python -m minitransformer.bench --quick       # the default model only
    python -m minitransformer.bench --backend cupy   # CuPy vs torch on CUDA

For each configuration: milliseconds per training step (forward, backward,
clipping, AdamW) and per inference batch, tokens per second, peak memory of a
step, the ratio minitransformer / PyTorch, and achieved GFLOP/s against a
measured sgemm peak. Medians over repeated runs after warm-up; the two engines
alternate within each repeat so that machine drift cancels.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy


@dataclass
class BenchConfig:
    d_model: int
    seq_len: int
    batch: int = 32
    heads: int = 1
    layers: int = 1
    vocab: int = 8000

    @property
    def name(self):
        return f"d{self.d_model} T{self.seq_len} B{self.batch} h{self.heads} L{self.layers}"

    def model_config(self):
        from .model import ModelConfig
        return ModelConfig(vocab_size=self.vocab, max_len=max(128, self.seq_len), d_model=self.d_model,
                           n_heads=self.heads, n_layers=self.layers, d_ff=4 * self.d_model, dropout=0.1)

    def train_flops(self):
        """Matrix-product FLOPs of one training step (backward = 2x forward)."""
        N, d, T = self.batch * self.seq_len, self.d_model, self.seq_len
        per_layer = 2 * N * (4 * d * d + 2 * d * 4 * d) + 2 * 2 * N * T * d
        return 3 * self.layers * per_layer


DEFAULT = BenchConfig(128, 32)
GRID = [BenchConfig(d, t) for d in (64, 128, 256) for t in (32, 64, 128)]


def make_batch(cfg: BenchConfig, seed=0):
    """Random ids (B, T) with [CLS] first, padded rows (lengths T/2..T), labels."""
    r = numpy.random.default_rng(seed)
    lengths = r.integers(cfg.seq_len // 2, cfg.seq_len + 1, size=cfg.batch)
    lengths[0] = cfg.seq_len
    ids = r.integers(5, cfg.vocab, size=(cfg.batch, cfg.seq_len))
    mask = numpy.arange(cfg.seq_len)[None, :] < lengths[:, None]
    ids[:, 0], ids[~mask] = 2, 0
    return ids, mask, r.integers(0, 6, size=cfg.batch)


class Ours:
    name = "minitransformer"

    def __init__(self, cfg: BenchConfig, backend: str):
        from . import backend as B
        from .model import Transformer
        from .optim import AdamW
        self.B = B
        self.b = B.get_backend(backend)
        B.manual_seed(0)
        self.model = Transformer(cfg.model_config(), backend=backend)
        self.opt = AdamW(self.model.param_groups(0.01), lr=1e-4)
        ids, mask, y = make_batch(cfg)
        self.batch = tuple(self.b.from_host(a) for a in (ids, mask, y))

    def train_step(self):
        from .trainer import train_step
        self.model.train()
        loss, _ = train_step(self.model, self.opt, *self.batch, lr=1e-4, clip=1.0)
        return loss

    def infer(self):
        from .tensor import no_grad
        self.model.eval()
        with no_grad():
            return self.model(self.batch[0], self.batch[1])

    def sync(self):
        if self.b.name == "cupy":
            self.b.xp.cuda.Device().synchronize()


class Torch:
    name = "pytorch"

    def __init__(self, cfg: BenchConfig, ours: Ours, device: str):
        import torch
        from .torch_reference import to_torch
        self.torch, self.device = torch, device
        self.model = to_torch(ours.model).to(device)
        self.opt = torch.optim.AdamW(self.model.param_groups(0.01), lr=1e-4)
        ids, mask, y = make_batch(cfg)
        self.batch = tuple(torch.from_numpy(a).to(device) for a in (ids, mask, y))

    def train_step(self):
        from .torch_reference import torch_train_step
        self.model.train()
        loss, _ = torch_train_step(self.model, self.opt, *self.batch, lr=1e-4, clip=1.0)
        return loss

    def infer(self):
        self.model.eval()
        with self.torch.inference_mode():
            return self.model(self.batch[0], self.batch[1])

    def sync(self):
        if self.device == "cuda":
            self.torch.cuda.synchronize()


def timed(engine, what):
    engine.sync()
    t0 = time.perf_counter()
    getattr(engine, what)()
    engine.sync()
    return time.perf_counter() - t0


def measure(cfg: BenchConfig, backend: str, repeats: int, warmup: int) -> dict:
    ours = Ours(cfg, backend)
    theirs = Torch(cfg, ours, "cuda" if backend == "cupy" else "cpu")
    res = {}
    for what in ("train_step", "infer"):
        for _ in range(warmup):
            timed(ours, what), timed(theirs, what)
        t_ours, t_torch = [], []
        for r in range(repeats):
            pair = (ours, theirs) if r % 2 == 0 else (theirs, ours)    # alternate who goes first
            for e in pair:
                (t_ours if e is ours else t_torch).append(timed(e, what))
        res[what] = (statistics.median(t_ours), statistics.median(t_torch))
    return res


def peak_memory_mb(cfg: BenchConfig, engine: str, backend: str) -> float:
    """Growth of the peak resident memory (VmHWM) over 3 training steps, in a fresh process.
    The peak is reset just before the steps (Linux: /proc/self/clear_refs), so what the
    process held before (imports, the model) is not counted."""
    code = (
        "import json\n"
        "from minitransformer.bench import BenchConfig, Ours, Torch, _status_kb\n"
        f"cfg = BenchConfig(**{cfg.__dict__!r})\n"
        f"e = Ours(cfg, {backend!r})\n"
        f"e = e if {engine!r} == 'ours' else Torch(cfg, e, 'cpu')\n"
        "import gc; gc.collect()\n"
        "before = _status_kb('VmRSS')\n"
        "open('/proc/self/clear_refs', 'w').write('5')\n"
        "for _ in range(3): e.train_step()\n"
        "print(json.dumps((_status_kb('VmHWM') - before) / 1024))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def sgemm_peak_gflops(backend="numpy", n=2048) -> float:
    from . import backend as B
    b = B.get_backend(backend)
    a = b.from_host(numpy.random.default_rng(0).standard_normal((n, n)).astype(numpy.float32))
    times = []
    for _ in range(7):
        if b.name == "cupy":
            b.xp.cuda.Device().synchronize()
        t0 = time.perf_counter()
        _ = a @ a
        if b.name == "cupy":
            b.xp.cuda.Device().synchronize()
        times.append(time.perf_counter() - t0)
    return 2 * n ** 3 / min(times[2:]) / 1e9


def thread_report(backend):
    import torch
    from threadpoolctl import threadpool_info
    blas = [f"{i['internal_api']} {i.get('architecture', '')} x{i['num_threads']}" for i in threadpool_info()
            if i["user_api"] == "blas"]
    return {"numpy BLAS": ", ".join(blas) or "unknown", "torch threads": torch.get_num_threads(),
            "torch BLAS": "MKL" if torch.backends.mkl.is_available() else "other",
            "cpu count": os.cpu_count(), "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)")}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m minitransformer.bench", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--backend", default="numpy", choices=["numpy", "cupy"])
    p.add_argument("--quick", action="store_true", help="the default model only")
    p.add_argument("--repeats", type=int, default=21)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurement (fresh processes)")
    p.add_argument("--json", help="also write the results to this file")
    args = p.parse_args(argv)

    import torch
    from tqdm.auto import tqdm
    torch.set_num_threads(os.cpu_count())
    configs = [DEFAULT] if args.quick else GRID
    threads = thread_report(args.backend)
    peak = sgemm_peak_gflops(args.backend)
    print(f"backend {args.backend}; " + "; ".join(f"{k}: {v}" for k, v in threads.items()))
    print(f"measured sgemm peak (2048^3 float32, {args.backend}): {peak:.1f} GFLOP/s; "
          f"median of {args.repeats} after {args.warmup} warm-up, engines alternating\n")
    rows = []
    for cfg in tqdm(configs, desc="configs", leave=False):
        r = measure(cfg, args.backend, args.repeats, args.warmup)
        (tr_o, tr_t), (in_o, in_t) = r["train_step"], r["infer"]
        mem = (None, None)
        if not args.no_memory and args.backend == "numpy" and os.path.exists("/proc/self/clear_refs"):
            mem = (peak_memory_mb(cfg, "ours", args.backend), peak_memory_mb(cfg, "torch", args.backend))
        tokens = cfg.batch * cfg.seq_len
        rows.append(dict(config=cfg.name, default=cfg == DEFAULT, train_ms=(tr_o * 1e3, tr_t * 1e3),
                         train_ratio=tr_o / tr_t, infer_ms=(in_o * 1e3, in_t * 1e3), infer_ratio=in_o / in_t,
                         train_tok_s=(tokens / tr_o, tokens / tr_t),
                         gflops=(cfg.train_flops() / tr_o / 1e9, cfg.train_flops() / tr_t / 1e9),
                         peak_mem_mb=mem))
    head = ("| config | train ms (ours / torch) | ratio | infer ms (ours / torch) | ratio "
            "| train tok/s (ours / torch) | GFLOP/s (ours / torch, % of peak) | peak MB (ours / torch) |")
    print(head)
    print("|" + "---|" * 8)
    for r in rows:
        g = r["gflops"]
        mem = "n/a" if r["peak_mem_mb"][0] is None else f"{r['peak_mem_mb'][0]:.0f} / {r['peak_mem_mb'][1]:.0f}"
        name = r["config"] + (" (default)" if r["default"] else "")
        print(f"| {name} | {r['train_ms'][0]:.2f} / {r['train_ms'][1]:.2f} | **{r['train_ratio']:.2f}** "
              f"| {r['infer_ms'][0]:.2f} / {r['infer_ms'][1]:.2f} | {r['infer_ratio']:.2f} "
              f"| {r['train_tok_s'][0]:,.0f} / {r['train_tok_s'][1]:,.0f} "
              f"| {g[0]:.1f} / {g[1]:.1f} ({100 * g[0] / peak:.0f}% / {100 * g[1] / peak:.0f}%) | {mem} |")
    default = next((r for r in rows if r["default"]), None)
    if default:
        print(f"\ndefault model train-step ratio minitransformer / PyTorch = {default['train_ratio']:.2f} "
              f"({'no slower' if default['train_ratio'] <= 1.0 else 'SLOWER'} than PyTorch eager)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"threads": threads, "sgemm_peak_gflops": peak, "rows": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
