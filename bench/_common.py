# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Shared plumbing of the benchmarks: open an Odoo registry on a database given on the
command line, time callables, print and store results.

Contract with bench/_summary.py (run by `make bench` after every script): each script
passes to `report()` a dict with a key "checks", the list of `check()` results of its
targets, so that one table can show every measured figure next to its target. A missed
target is data (a FAIL row), not an error: scripts must not raise on it.
"""

import argparse
import contextlib
import datetime
import json
import operator
import os
import statistics
import sys
import time

ODOO_SRC = os.environ.get("ODOO_SRC", "/opt/odoo")
if ODOO_SRC not in sys.path:
    sys.path.insert(0, ODOO_SRC)

import odoo  # noqa: E402
from odoo import SUPERUSER_ID, api  # noqa: E402
from odoo.tools import SQL  # noqa: E402

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


def _admin_execute(query):
    with contextlib.closing(odoo.sql_db.db_connect("postgres").cursor()) as cr:
        cr._cnx.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
        cr.execute(query)


@contextlib.contextmanager
def scratch_database(source, suffix):
    """A throwaway copy of ``source`` named ``<source>_<suffix>``, dropped on exit, for a
    benchmark that must change rows other benchmarks read (e.g. the SLA sweep moves every
    due instance of the database). Nobody may be connected to ``source`` meanwhile."""
    name = f"{source}_{suffix}"
    drop = SQL("DROP DATABASE IF EXISTS %s WITH (FORCE)", SQL.identifier(name))
    _admin_execute(drop)  # left over by a killed run
    _admin_execute(
        SQL("CREATE DATABASE %s TEMPLATE %s", SQL.identifier(name), SQL.identifier(source))
    )
    try:
        yield name
    finally:
        odoo.modules.registry.Registry.delete(name)
        odoo.sql_db.close_db(name)
        _admin_execute(drop)


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


OPERATORS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}


def check(name, value, op, target, unit=""):
    """One target of a benchmark: ``value op target`` (e.g. ``check("p95", 92.5, "<", 200,
    "ms")``). A value of None (nothing measured) fails."""
    if op not in OPERATORS:
        raise ValueError(f"check {name!r}: unknown operator {op!r}, use one of {list(OPERATORS)}")
    return {
        "name": name,
        "value": value,
        "op": op,
        "target": target,
        "unit": unit,
        "pass": value is not None and bool(OPERATORS[op](value, target)),
    }


def report(name, result):
    """Print ``result`` and store it as bench/results/<name>.json for the summary. Its
    "checks", when given, must be a list of ``check()`` dicts; a result without them is
    stored all the same and shown as "no checks" by the summary."""
    checks = result.get("checks", [])
    keys = {"name", "value", "op", "target", "unit", "pass"}
    if not isinstance(checks, list) or any(
        not isinstance(item, dict) or not keys <= item.keys() for item in checks
    ):
        raise ValueError(f"report({name!r}): result['checks'] must be a list of check() dicts")
    result = dict(result, benchmark=name, finished_at=utc_now())
    os.makedirs(RESULTS_DIR, exist_ok=True)
    with open(os.path.join(RESULTS_DIR, f"{name}.json"), "w") as handle:
        json.dump(result, handle, indent=2, sort_keys=True, default=str)
    print(json.dumps(result, indent=2, sort_keys=True, default=str))
    return result


def utc_now():
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
