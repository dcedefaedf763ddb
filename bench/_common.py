"""Shared plumbing of the benchmarks: open an Odoo registry on a database given on the
command line, time callables, print and store results."""

import argparse
import json
import os
import statistics
import sys
import time

ODOO_SRC = os.environ.get("ODOO_SRC", "/opt/odoo")
if ODOO_SRC not in sys.path:
    sys.path.insert(0, ODOO_SRC)

import odoo  # noqa: E402
from odoo import SUPERUSER_ID, api  # noqa: E402

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def parse_args(description, extra=None):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--config", default=os.environ.get("WM_ODOO_CONF", ".odoo.conf"))
    parser.add_argument("--db", default=os.environ.get("WM_BENCH_DB", "wm_bench"))
    parser.add_argument("--runs", type=int, default=30)
    if extra:
        extra(parser)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "--log-level=warn"])
    return args


def environment(db):
    registry = odoo.modules.registry.Registry(db)
    cr = registry.cursor()
    return registry, cr, api.Environment(cr, SUPERUSER_ID, {})


def percentiles(samples):
    ordered = sorted(samples)

    def pick(q):
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]

    return {
        "p50": statistics.median(ordered),
        "p95": pick(0.95),
        "min": ordered[0],
        "max": ordered[-1],
        "runs": len(ordered),
    }


def timed(func, runs, warmup=2):
    for _ in range(warmup):
        func()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000.0)
    return percentiles(samples)


def report(name, result):
    os.makedirs(RESULTS_DIR, exist_ok=True)
    with open(os.path.join(RESULTS_DIR, f"{name}.json"), "w") as handle:
        json.dump(result, handle, indent=2, sort_keys=True, default=str)
    print(json.dumps(result, indent=2, sort_keys=True, default=str))
    return result
