"""PyTorch as an oracle for the training controls: optimizers, schedules, clipping.

Run by hand, never by the tests (PyTorch is not a dependency)::

    pip install torch==2.13.0       # a CPU build
    python benchmarks/torch_optimizers.py [--steps 200] [--epochs 60]

In float64, the same sequence of random gradients goes to our optimizer (one flat
vector: the weights first, then the biases, as a network lays them out) and to its
PyTorch counterpart (one tensor per layer, the weights in a parameter group of their
own so that weight decay reaches them only). Printed: the largest absolute difference
of the parameters after every step, over all steps. Then each learning-rate schedule's
rate per epoch against ``torch.optim.lr_scheduler``, and gradient clipping against
``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``.
"""

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from skperceptron._engine.optimizers import SGD, Adam, AdamW, RMSprop  # noqa: E402
from skperceptron._engine.schedules import Schedule  # noqa: E402
from skperceptron._training.clipping import Clipping  # noqa: E402
from skperceptron._utils import kernels  # noqa: E402

#: The layers of a small network, (n_in, n_out) per weight layer.
LAYERS = [(20, 16), (16, 8), (8, 3)]
TARGET = 1e-12


def _layout():
    weights = [np.prod(shape) for shape in LAYERS]
    biases = [n_out for _, n_out in LAYERS]
    return weights, biases, int(sum(weights))


def _split(flat):
    """The flat vector as per-layer arrays: weights, then biases (views)."""
    weights, biases, n_coef = _layout()
    out, start = [], 0
    for shape, size in zip(LAYERS, weights):
        out.append(flat[start:start + size].reshape(shape))
        start += size
    for size in biases:
        out.append(flat[start:start + size])
        start += size
    return out


def _gradients(steps, rng, zeros=True):
    _, biases, n_coef = _layout()
    size = n_coef + sum(biases)
    # Gradients of varied scale per step, some entries exactly 0 now and then (not
    # with eps = 0, where a first gradient of 0 makes Adam's step 0 / 0 in both).
    scale = np.exp(rng.normal(size=(steps, 1)))
    grads = rng.normal(size=(steps, size)) * scale
    if zeros:
        grads[rng.uniform(size=grads.shape) < 0.02] = 0.0
    return grads


def compare_optimizer(ours, make_torch, steps, rates=None, l2=0.0, seed=0, zeros=True):
    """Max |theta_ours - theta_torch| over ``steps`` steps of the same gradients.

    ``rates``: the learning rate of each step (a schedule), set on both; ``l2``: our
    L2 factor on the weights, PyTorch's ``weight_decay`` of the weights' group (the
    coupled L2 term of SGD, Adam and RMSprop)."""
    rng = np.random.RandomState(seed)
    grads = _gradients(steps, rng, zeros)
    theta = rng.normal(size=grads.shape[1])
    n_coef = _layout()[2]
    params = [torch.tensor(a.copy(), dtype=torch.float64, requires_grad=True)
              for a in _split(theta.copy())]
    optimizer = make_torch(params)
    worst = 0.0
    for k in range(steps):
        if rates is not None:
            ours.rate = rates[k]
            for group in optimizer.param_groups:
                group["lr"] = rates[k]
        ours.step(theta, grads[k].copy(), l2, n_coef)
        for p, g in zip(params, _split(grads[k].copy())):
            p.grad = torch.tensor(g.copy(), dtype=torch.float64)
        optimizer.step()
        theirs = np.concatenate([p.detach().numpy().ravel() for p in params])
        diff = float(np.abs(theta - theirs).max())
        worst = max(worst, diff if np.isfinite(diff) else np.inf)  # NaN: not a match
    return worst


def _groups(params, decay, **kwargs):
    """Two parameter groups: the weights with ``decay``, the biases with none."""
    n = len(LAYERS)
    return [dict(params=params[:n], weight_decay=decay, **kwargs),
            dict(params=params[n:], weight_decay=0.0, **kwargs)]


def optimizer_rows(steps):
    size = sum(_layout()[1]) + _layout()[2]
    lr, f64 = 1e-2, np.float64
    cosine = [lr * (1 + math.cos(math.pi * (k // 10) / (steps // 10))) / 2 + 1e-5
              for k in range(steps)]  # a new rate every 10 steps, as epochs would
    rows = []

    def row(name, counterpart, ours, make_torch, **kw):
        rows.append((name, counterpart, compare_optimizer(ours, make_torch, steps, **kw)))

    for wd in (0.01, 0.1):
        row(f"AdamW weight_decay={wd}", f"AdamW(weight_decay={wd}, weights only)",
            AdamW(size, f64, lr, weight_decay=wd),
            lambda p, wd=wd: torch.optim.AdamW(_groups(p, wd), lr=lr, foreach=False))
    row("AdamW 0.1, cosine rate", "AdamW, the same rate each step",
        AdamW(size, f64, lr, weight_decay=0.1),
        lambda p: torch.optim.AdamW(_groups(p, 0.1), lr=lr, foreach=False), rates=cosine)
    row("AdamW 0.1 + L2 1e-3", "AdamW; grad + 1e-3 w fed in",
        AdamW(size, f64, lr, weight_decay=0.1),
        lambda p: _L2Fed(torch.optim.AdamW(_groups(p, 0.1), lr=lr, foreach=False), p, 1e-3),
        l2=1e-3)
    for rho in (0.99, 0.9):
        row(f"RMSprop rho={rho}", f"RMSprop(alpha={rho}, eps=1e-8)",
            RMSprop(size, f64, lr, rho=rho),
            lambda p, rho=rho: torch.optim.RMSprop(p, lr=lr, alpha=rho, eps=1e-8,
                                                   foreach=False))
    row("RMSprop, cosine rate", "RMSprop, the same rate each step",
        RMSprop(size, f64, lr), lambda p: torch.optim.RMSprop(p, lr=lr, foreach=False),
        rates=cosine)
    row("RMSprop + L2 1e-3", "RMSprop(weight_decay=1e-3 on weights)",
        RMSprop(size, f64, lr),
        lambda p: torch.optim.RMSprop(_groups(p, 1e-3), lr=lr, foreach=False), l2=1e-3)
    row("Adam eps=0", "Adam(eps=0)", Adam(size, f64, lr, epsilon=0.0),
        lambda p: torch.optim.Adam(p, lr=lr, eps=0.0, foreach=False), zeros=False)
    row("Adam eps=0 + L2 1e-3", "Adam(eps=0, weight_decay=1e-3 on W)",
        Adam(size, f64, lr, epsilon=0.0),
        lambda p: torch.optim.Adam(_groups(p, 1e-3), lr=lr, eps=0.0, foreach=False),
        l2=1e-3, zeros=False)
    row("Adam eps=1e-8 (sklearn's)", "Adam(eps=1e-8): eps placed apart",
        Adam(size, f64, lr), lambda p: torch.optim.Adam(p, lr=lr, foreach=False))
    row("SGD", "SGD", SGD(size, f64, lr), lambda p: torch.optim.SGD(p, lr=lr))
    row("SGD, cosine rate", "SGD, the same rate each step", SGD(size, f64, lr),
        lambda p: torch.optim.SGD(p, lr=lr), rates=cosine)
    row("SGD + L2 1e-3", "SGD(weight_decay=1e-3 on weights)", SGD(size, f64, lr),
        lambda p: torch.optim.SGD(_groups(p, 1e-3), lr=lr), l2=1e-3)
    for nesterov in (False, True):
        name = "Nesterov" if nesterov else "momentum"
        row(f"SGD {name} 0.9", f"SGD(momentum=0.9, nesterov={nesterov})",
            SGD(size, f64, lr, momentum=0.9, nesterovs_momentum=nesterov),
            lambda p, n=nesterov: torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=n))
    row("SGD momentum, cosine rate", "SGD(momentum=0.9): lr outside buffer",
        SGD(size, f64, lr, momentum=0.9, nesterovs_momentum=False),
        lambda p: torch.optim.SGD(p, lr=lr, momentum=0.9), rates=cosine)
    return rows


class _L2Fed:
    """A torch optimizer stepping on grad + l2 * w for the weights: our L2 term beside
    AdamW's decay (PyTorch's AdamW has no coupled L2 of its own)."""

    def __init__(self, optimizer, params, l2):
        self.optimizer, self.params, self.l2 = optimizer, params, l2
        self.param_groups = optimizer.param_groups

    def step(self):
        with torch.no_grad():
            for p in self.params[:len(LAYERS)]:
                p.grad += self.l2 * p
        self.optimizer.step()


# ----------------------------------------------------------------- schedules
def _torch_rates(make, epochs, lr0):
    param = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=lr0)
    scheduler = make(optimizer)
    rates = []
    for _ in range(epochs):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(rates)


def schedule_rows(epochs):
    from torch.optim import lr_scheduler as S

    lr0, W = 0.1, 5
    T = epochs - W
    rows = []

    def row(name, counterpart, ours, make, n=epochs):
        theirs = _torch_rates(make, n, lr0)
        mine = np.array([ours.rate(e, lr0) for e in range(n)])
        rows.append((name, counterpart, float(np.abs(mine - theirs).max()),
                     float(np.abs((mine - theirs) / np.where(theirs, theirs, 1)).max())))

    row("step 0.5 / 7", "StepLR(step_size=7, gamma=0.5)", Schedule("step", lr0, 0.5, 7),
        lambda o: S.StepLR(o, 7, 0.5))
    row("exponential 0.95", "ExponentialLR(gamma=0.95)", Schedule("exponential", lr0, 0.95),
        lambda o: S.ExponentialLR(o, 0.95))
    row(f"cosine T={epochs}", f"CosineAnnealingLR(T_max={epochs})",
        Schedule("cosine", lr0, None, epochs), lambda o: S.CosineAnnealingLR(o, epochs))
    row(f"cosine T={epochs // 2}, e <= {epochs // 2}",
        f"CosineAnnealingLR(T_max={epochs // 2})", Schedule("cosine", lr0, None, epochs // 2),
        lambda o: S.CosineAnnealingLR(o, epochs // 2), n=epochs // 2 + 1)
    row("callable 1/(1+e)", "LambdaLR(lambda e: 1/(1+e))",
        Schedule(lambda e: 1 / (1 + e), lr0), lambda o: S.LambdaLR(o, lambda e: 1 / (1 + e)))

    def warm(after):
        return lambda o: S.SequentialLR(
            o, [S.LinearLR(o, start_factor=1 / (W + 1), end_factor=1.0, total_iters=W),
                after(o)], milestones=[W])

    row(f"warm-up {W} + constant", f"LinearLR(1/{W + 1}, 1, {W})",
        Schedule("constant", lr0, warmup=W),
        lambda o: S.LinearLR(o, start_factor=1 / (W + 1), end_factor=1.0, total_iters=W))
    row(f"warm-up {W} + step 0.5 / 7", "Seq(LinearLR, StepLR)",
        Schedule("step", lr0, 0.5, 7, warmup=W), warm(lambda o: S.StepLR(o, 7, 0.5)))
    row(f"warm-up {W} + cosine T={T}", f"Seq(LinearLR, CosineAnnealingLR({T}))",
        Schedule("cosine", lr0, None, T, warmup=W), warm(lambda o: S.CosineAnnealingLR(o, T)))
    row(f"warm-up {W} + exponential", "Seq(LinearLR, ExponentialLR)",
        Schedule("exponential", lr0, 0.9, warmup=W), warm(lambda o: S.ExponentialLR(o, 0.9)))
    # Beyond T our cosine stays at 0; PyTorch's curve rises again (a period of 2 T).
    beyond = _torch_rates(lambda o: S.CosineAnnealingLR(o, 10), 21, lr0)
    return rows, beyond


# ----------------------------------------------------------------- clipping
def clipping_rows(trials, seed=0):
    rng = np.random.RandomState(seed)
    rows = []
    for name, norm, value in [("norm 1", 1.0, None), ("norm 50", 50.0, None),
                              ("value 0.5", None, 0.5), ("value 0.5 + norm 1", 1.0, 0.5)]:
        worst, clipped_both = 0.0, 0
        for _ in range(trials):
            flat = rng.normal(size=sum(_layout()[1]) + _layout()[2]) * np.exp(rng.normal())
            params = [torch.zeros(a.shape, dtype=torch.float64, requires_grad=True)
                      for a in _split(flat.copy())]
            for p, g in zip(params, _split(flat.copy())):
                p.grad = torch.tensor(g.copy())
            if value is not None:
                torch.nn.utils.clip_grad_value_(params, value)
            if norm is not None:
                torch.nn.utils.clip_grad_norm_(params, norm)
            theirs = np.concatenate([p.grad.numpy().ravel() for p in params])
            # Our norm as the history computes it: the layers' sums of squares, added.
            squares = sum(float(np.dot(a.ravel(), a.ravel())) for a in _split(flat))
            ours = flat.copy()
            clipped_both += Clipping(norm, value).apply(ours, math.sqrt(squares))
            worst = max(worst, float(np.abs(ours - theirs).max()))
        rows.append((name, worst, clipped_both, trials))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--trials", type=int, default=200)
    args = parser.parse_args(argv)
    torch.set_default_dtype(torch.float64)
    size = sum(_layout()[1]) + _layout()[2]
    print(f"PyTorch {torch.__version__}, numpy {np.__version__}; float64; "
          f"{size} parameters in {2 * len(LAYERS)} tensors (weights {_layout()[2]})")

    print(f"\nOptimizers: max |theta_ours - theta_torch| over {args.steps} steps of the "
          "same random gradients,\nour numpy forms, then our compiled loops (numba)")
    print(f"{'ours':<26}  {'PyTorch':<38}  {'numpy':>9}  {'compiled':>9}")
    print(f"{'-' * 26}  {'-' * 38}  {'-' * 9}  {'-' * 9}")
    failures = 0
    # A vector this small runs the numpy forms until numba is loaded (``compiled``).
    numpy_rows = optimizer_rows(args.steps)
    if kernels.HAVE_NUMBA:
        kernels.compiled()  # loads numba: from now on every step runs the compiled loop
        compiled_rows = optimizer_rows(args.steps)
    else:
        compiled_rows = [(name, counterpart, np.nan) for name, counterpart, _ in numpy_rows]
    for (name, counterpart, diff), (_, _, diff_compiled) in zip(numpy_rows, compiled_rows):
        expected_apart = "eps placed apart" in counterpart or "outside" in counterpart
        worst = max(diff, diff_compiled if np.isfinite(diff_compiled) else 0.0)
        mark = "" if worst <= TARGET or expected_apart else "  > 1e-12"
        failures += bool(mark)
        print(f"{name:<26}  {counterpart:<38}  {diff:9.2e}  {diff_compiled:9.2e}{mark}")
    print("  Adam eps=1e-8: scikit-learn's Adam (ours) adds eps to sqrt(v), PyTorch to\n"
          "    sqrt(v / (1 - b2^k)); equal with eps=0. SGD momentum under a changing rate:\n"
          "    our velocity (scikit-learn's) holds lr * g, PyTorch's buffer holds g and is\n"
          "    multiplied by the rate of each step; equal under a constant rate.")

    rows, beyond = schedule_rows(args.epochs)
    print(f"\nSchedules: the rate of each of {args.epochs} epochs, lr0 = 0.1")
    print(f"{'ours':<26}  {'torch.optim.lr_scheduler':<38}  {'max |diff|':>10}  "
          f"{'max rel':>8}")
    print(f"{'-' * 26}  {'-' * 38}  {'-' * 10}  {'-' * 8}")
    for name, counterpart, diff, rel in rows:
        print(f"{name:<26}  {counterpart:<38}  {diff:10.2e}  {rel:8.1e}")
    print("  Seq: SequentialLR(milestones=[5]). LinearLR's start_factor 1 / (W + 1) and\n"
          "  total_iters W give our warm-up's (e + 1) / (W + 1).\n"
          "  Past T_max PyTorch's cosine rises again: CosineAnnealingLR(T_max=10) at epochs\n"
          "  10, 15, 20: " + ", ".join(f"{beyond[e]:.3g}" for e in (10, 15, 20))
          + "; ours stays at 0.")

    print(f"\nClipping: {args.trials} random gradients each, max |diff| of the clipped "
          "gradient")
    print(f"{'bounds':<20}  {'torch.nn.utils':<40}  {'max |diff|':>10}  {'clipped':>9}")
    print(f"{'-' * 20}  {'-' * 40}  {'-' * 10}  {'-' * 9}")
    names = {"norm": "clip_grad_norm_", "value": "clip_grad_value_"}
    for name, diff, clipped, trials in clipping_rows(args.trials):
        counterpart = " then ".join(names[w] for w in name.split() if w in names)
        failures += diff > TARGET
        print(f"{name:<20}  {counterpart:<40}  {diff:10.2e}  {clipped:>4}/{trials}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
