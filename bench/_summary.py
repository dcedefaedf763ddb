#!/usr/bin/env python3
# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""One table of every benchmark target: reads bench/results/<script>.json (written by
`_common.report()`), lists each of their "checks" with its value, target and PASS/FAIL,
plus the machine it ran on, and writes bench/results/summary.md and summary.json.

scripts/bench.sh runs it after the scripts and names those that crashed (--crashed), so a
crash shows as a CRASH row instead of silently missing. A missed target is a FAIL row; the
exit code is 0 either way (bench.sh decides the exit code from the crashes).

    python bench/_summary.py [--db wm_bench] [--config .odoo.conf] [--crashed NAME ...]
"""

import argparse
import glob
import json
import os
import platform
import sys

from _common import RESULTS_DIR, utc_now

SUMMARY = "summary"


def read_results(results_dir):
    """{script name: stored result} of every result file, the summary's own excluded."""
    results = {}
    for path in sorted(glob.glob(os.path.join(results_dir, "*.json"))):
        name = os.path.splitext(os.path.basename(path))[0]
        if name == SUMMARY:
            continue
        with open(path) as handle:
            results[name] = json.load(handle)
    return results


def first_line(path, prefix):
    try:
        with open(path) as handle:
            for line in handle:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def postgres_version(config, db):
    """Version of the server holding the benchmark database, or why it is unknown."""
    import psycopg2

    import odoo

    odoo.tools.config.parse_config(["-c", config, "--log-level=warn"])
    try:
        with odoo.sql_db.db_connect(db).cursor() as cr:
            cr.execute("SHOW server_version")
            return cr.fetchone()[0]
    except psycopg2.Error as error:
        return f"unknown ({str(error).strip().splitlines()[0]})"


def machine(config, db):
    import odoo.release

    mem_kb = first_line("/proc/meminfo", "MemTotal:")
    return {
        "date": utc_now(),
        "cores": os.cpu_count(),
        "ram_gib": round(int(mem_kb.split()[0]) / 1024**2, 1) if mem_kb else None,
        "cpu_model": first_line("/proc/cpuinfo", "model name") or platform.processor(),
        "postgresql": postgres_version(config, db),
        "database": db,
        "python": platform.python_version(),
        "odoo": odoo.release.version,
        "kernel": f"{platform.system()} {platform.release()}",
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }


def rows(results, crashed):
    """The table rows: one per check, one per script without checks, one per crash."""
    table = []
    for name in sorted(set(results) | set(crashed)):
        if name in crashed:
            table.append(
                {
                    "benchmark": name,
                    "name": "script crashed or timed out (see its log)",
                    "status": "CRASH",
                }
            )
            continue
        result = results[name]
        checks = result.get("checks") or []
        if not checks:
            table.append(
                {
                    "benchmark": name,
                    "name": "no checks reported",
                    "status": "NO CHECKS",
                    "finished_at": result.get("finished_at"),
                }
            )
        for item in checks:
            table.append(
                dict(
                    item,
                    benchmark=name,
                    status="PASS" if item["pass"] else "FAIL",
                    finished_at=result.get("finished_at"),
                )
            )
    return table


def fmt(value, unit):
    if value is None:
        return ""
    if isinstance(value, float):
        value = f"{value:,.3f}".rstrip("0").rstrip(".")
    elif isinstance(value, int) and not isinstance(value, bool):
        value = f"{value:,}"
    return f"{value} {unit}".strip()


def markdown(info, table):
    lines = [
        "# Benchmark summary",
        "",
        f"- date: {info['date']}",
        f"- machine: {info['cores']} cores, {info['ram_gib']} GiB RAM, {info['cpu_model']}, "
        f"{info['kernel']}",
        f"- PostgreSQL {info['postgresql']} (database {info['database']}), "
        f"Odoo {info['odoo']}, Python {info['python']}",
        f"- load average when summarised: {' / '.join(map(str, info['load_average']))}",
        "",
        "| benchmark | check | value | target | result | run at |",
        "|---|---|---|---|---|---|",
    ]
    for row in table:
        target = ""
        if "op" in row:
            target = f"{row['op']} {fmt(row['target'], row.get('unit', ''))}"
        value = fmt(row.get("value"), row.get("unit", ""))
        lines.append(
            f"| {row['benchmark']} | {row['name']} | {value} | {target} | "
            f"**{row['status']}** | {row.get('finished_at') or ''} |"
        )
    counts = {}
    for row in table:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    lines += ["", "Totals: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))]
    return "\n".join(lines) + "\n", counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=os.environ.get("WM_ODOO_CONF", ".odoo.conf"))
    parser.add_argument("--db", default=os.environ.get("WM_BENCH_DB", "wm_bench"))
    parser.add_argument("--results", default=RESULTS_DIR)
    parser.add_argument("--crashed", nargs="*", default=[], help="scripts that crashed")
    args = parser.parse_args()

    results = read_results(args.results)
    crashed = set(args.crashed)
    info = machine(args.config, args.db)
    table = rows(results, crashed)
    text, counts = markdown(info, table)
    os.makedirs(args.results, exist_ok=True)
    with open(os.path.join(args.results, f"{SUMMARY}.md"), "w") as handle:
        handle.write(text)
    with open(os.path.join(args.results, f"{SUMMARY}.json"), "w") as handle:
        json.dump(
            {"machine": info, "totals": counts, "checks": table},
            handle,
            indent=2,
            sort_keys=True,
            default=str,
        )
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
