"""python -m gradcheck: check every op's hand-written backward against central differences."""
from __future__ import annotations

import argparse
import sys
import time

from . import gradcheck
from .cases import CASES


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m gradcheck",
        description="Check every minitransformer op's backward against central finite differences "
                    "in float64, and print a table (op, shapes, max abs err, max rel err, pass/fail). "
                    "Exits with status 1 if any op fails. max rel err is the error relative to the "
                    "largest gradient entry of that input.")
    p.add_argument("--backend", default="numpy", help="array backend: numpy (default) or cupy")
    p.add_argument("--op", action="append", help="check only ops whose name contains this (repeatable)")
    p.add_argument("--eps", type=float, default=1e-6, help="finite-difference step (default 1e-6)")
    p.add_argument("--atol", type=float, default=1e-5, help="absolute tolerance (default 1e-5)")
    p.add_argument("--rtol", type=float, default=1e-3, help="relative tolerance (default 1e-3)")
    p.add_argument("--max-rel", type=float, default=1e-6,
                   help="also fail an op whose max rel err exceeds this (default 1e-6)")
    p.add_argument("--seed", type=int, default=0, help="seed of inputs and upstream gradients")
    args = p.parse_args(argv)

    from minitransformer.backend import BackendError, get_backend
    try:
        get_backend(args.backend)
    except BackendError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    cases = [c for c in CASES if not args.op or any(o in c.op for o in args.op)]
    if not cases:
        print(f"error: no op matches {args.op}", file=sys.stderr)
        return 2
    header = f"{'op':<18} {'shapes':<36} {'max abs err':>11} {'max rel err':>11}  result"
    print(f"gradcheck on backend {args.backend}, float64, eps={args.eps:g}, atol={args.atol:g}, "
          f"rtol={args.rtol:g}, max rel err < {args.max_rel:g}")
    print(header)
    print("-" * len(header))
    failed, t0 = 0, time.perf_counter()
    for case in cases:
        r = gradcheck(case.fn, case.inputs(args.backend, args.seed), eps=args.eps, atol=args.atol,
                      rtol=args.rtol, seed=args.seed)
        ok = r.passed and r.max_rel_err < args.max_rel
        failed += not ok
        print(f"{case.op:<18} {case.shapes:<36} {r.max_abs_err:>11.2e} {r.max_rel_err:>11.2e}  "
              f"{'pass' if ok else 'FAIL'}")
        if not ok:
            print("   " + r.report().replace("\n", "\n   "))
    print(f"\n{len(cases) - failed} passed, {failed} failed in {time.perf_counter() - t0:.1f}s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
