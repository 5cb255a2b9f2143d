"""Finite-difference gradient checks for minitransformer.

    from gradcheck import gradcheck
    result = gradcheck(lambda x, w, b: F.layer_norm(x, w, b), [x, w, b])
    assert result.passed, result.report()

Every float input with requires_grad=True is checked. The analytic side is
`backward()` of L = sum(fn(inputs) * gy) for a random upstream gradient gy;
the numeric side is the central difference
    dL/dx_i ~ (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)
in float64, element by element for inputs of up to `max_elements` elements
and along `n_directions` random unit directions d for larger ones (compare
dL/dx . d with (L(x + eps d) - L(x - eps d)) / 2 eps; Chainer's check_backward).

Pass: |analytic - numeric| <= atol + rtol |numeric| for every element
(or direction). Reported errors: max_abs_err = max |analytic - numeric|,
max_rel_err = max_abs_err / the largest |gradient| of that input (the error
relative to the gradient's own scale, which stays meaningful where single
entries are near zero).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy

from minitransformer import backend as B
from minitransformer.tensor import Tensor, no_grad

__all__ = ["gradcheck", "GradcheckResult", "GradcheckError"]


class GradcheckError(AssertionError):
    pass


@dataclass
class InputCheck:
    index: int
    shape: tuple
    mode: str              # "elementwise" or "directions"
    analytic: numpy.ndarray
    numeric: numpy.ndarray
    max_abs_err: float
    max_rel_err: float
    passed: bool


@dataclass
class GradcheckResult:
    checks: list = field(default_factory=list)
    gy: numpy.ndarray | None = None

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def max_abs_err(self) -> float:
        return max((c.max_abs_err for c in self.checks), default=0.0)

    @property
    def max_rel_err(self) -> float:
        return max((c.max_rel_err for c in self.checks), default=0.0)

    def report(self) -> str:
        lines = []
        for c in self.checks:
            mark = "ok" if c.passed else "FAILED"
            lines.append(f"input {c.index} {c.shape} ({c.mode}): max abs err {c.max_abs_err:.3g}, "
                         f"max rel err {c.max_rel_err:.3g} {mark}")
            if not c.passed:
                with numpy.printoptions(precision=6, threshold=20, edgeitems=3):
                    lines.append(f"  analytic: {c.analytic.ravel()}")
                    lines.append(f"  numeric:  {c.numeric.ravel()}")
        if not self.passed and self.gy is not None:
            with numpy.printoptions(precision=4, threshold=10, edgeitems=2):
                lines.append(f"upstream gradient gy {self.gy.shape}: {self.gy.ravel()}")
        return "\n".join(lines)


def _first(out):
    return out[0] if isinstance(out, tuple) else out


def gradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, max_elements=256, n_directions=6,
              seed=0, raise_exception=False) -> GradcheckResult:
    """Compare fn's backward with central differences; see the module docstring.

    fn: Tensors -> Tensor (or a tuple whose first item is checked).
    inputs: Tensors (float ones with requires_grad=True are checked) or arrays/constants.
    """
    xs = []
    for x in inputs:
        if isinstance(x, Tensor) and x.dtype.kind == "f":
            xs.append(Tensor(x.data.astype("float64"), requires_grad=x.requires_grad))
        else:
            xs.append(x)
    checked = [i for i, x in enumerate(xs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True")
    xp = B.get_array_module(xs[checked[0]].data)
    r = numpy.random.default_rng(seed)

    out = _first(fn(*xs))
    gy = r.standard_normal(out.shape)
    gy_dev = B.to_backend(gy, B.backend_of(out.data))
    out.backward(gy_dev)

    def loss(i, value):
        args = list(xs)
        args[i] = Tensor(value)
        with no_grad():
            return float((_first(fn(*args)).data * gy_dev).sum())

    result = GradcheckResult(gy=gy)
    for i in checked:
        x = xs[i].data
        grad = B.to_numpy(xs[i].grad) if xs[i].grad is not None else numpy.zeros(x.shape)
        if x.size <= max_elements:
            mode, analytic, numeric = "elementwise", grad, numpy.empty(x.shape)
            for j in range(x.size):
                e = xp.zeros(x.size)
                e[j] = eps
                e = e.reshape(x.shape)
                numeric.flat[j] = (loss(i, x + e) - loss(i, x - e)) / (2 * eps)
            scale = numpy.abs(numeric).max()
        else:
            mode = "directions"
            d = r.standard_normal((n_directions, *x.shape))
            d /= numpy.sqrt((d ** 2).reshape(n_directions, -1).sum(1)).reshape(-1, *[1] * x.ndim)
            analytic = (d * grad).reshape(n_directions, -1).sum(1)
            numeric = numpy.array([(loss(i, x + eps * B.to_backend(dk, B.backend_of(x)))
                                    - loss(i, x - eps * B.to_backend(dk, B.backend_of(x)))) / (2 * eps) for dk in d])
            scale = numpy.sqrt((grad ** 2).sum())
        err = numpy.abs(analytic - numeric)
        max_abs = float(err.max()) if err.size else 0.0
        check = InputCheck(i, tuple(x.shape), mode, analytic, numeric, max_abs,
                           max_abs / scale if scale > 0 else max_abs,
                           bool((err <= atol + rtol * numpy.abs(numeric)).all()))
        result.checks.append(check)
    if raise_exception and not result.passed:
        raise GradcheckError("gradient check failed\n" + result.report())
    return result
