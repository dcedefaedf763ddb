# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Upgrade safety across versions (issue 15): the suite of an earlier commit
(``BASE_COMMIT``, the last one before the architecture reshape; ``WM_UPGRADE_FROM``
overrides it) is installed from ``git archive`` on a fresh database and filled through
its real flows (the distribution simulator, approvals decided by their approvers,
exceptions worked on, webhooks delivered, dead-lettered, queued and received over HTTP).
``odoo-bin -u`` of the suite with this checkout's code must then log no error and leave
every workflow instance, event, exception, approval request (with its decisions, tiers,
approvers and authors) and integration message as it was: same rows, same ids, same
value in every column both versions have. Columns the new code adds are allowed; a
column it drops fails the test with its name. The upgraded suite then still works:
pending approvals are decided, queued webhooks delivered, new orders followed.

Real odoo-bin processes and PostgreSQL, like the other slow tests; needs the git
history (CI runs on a full clone: a missing commit fails there instead of skipping).
The data snippets call BASE_COMMIT's API: another ``WM_UPGRADE_FROM`` must have it too.
"""

import ast
import base64
import configparser
import hashlib
import hmac
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter

import pytest

from . import harness

BASE_COMMIT = os.environ.get("WM_UPGRADE_FROM") or "09c27b9987105b75aa12aa19ad650d771ef57b9b"
ARCHIVED = (*harness.SUITE, "tests/addons")
DB = "wm_upg_from_previous"
MARK = "@@json "
SECRET = "whsec_" + base64.b64encode(b"upgrade-from-previous-secret-32b").decode()
# the rows that must survive the upgrade untouched (the user's data, not configuration
# that the modules' data files may legitimately update)
DATA_TABLES = (
    "workflow_instance",
    "workflow_event",
    "workflow_exception",
    "workflow_approval_policy",
    "workflow_approval_tier",
    "workflow_approval_request",
    "workflow_approval_decision",
    "workflow_approval_author",
    "workflow_approval_request_approver_rel",
    "workflow_approval_request_author_rel",
    "workflow_approval_request_tier_user_rel",
    "res_users_workflow_approval_tier_rel",
    "workflow_integration",
    "workflow_integration_route",
    "workflow_integration_message",
    "workflow_ai_suggestion",
)
SHOWN = 15  # differences listed in a failure message

# ------------------------------------------------------------
# odoo-bin shell snippets, run with the earlier code (PRELUDE first: ARGS, emit)
# ------------------------------------------------------------

PRELUDE = """
import json
from odoo import Command
def emit(value):
    print({mark!r} + json.dumps(value, default=str))
ARGS = json.loads({args!r})
"""

# users, a two-tier approval policy, a webhook receiver and a dead end, then a few
# simulated days (the routes send the approval events to the receiver)
SETUP = """
Users = env["res.users"].with_context(no_reset_password=True)
def user(login, groups):
    return Users.create({
        "name": login.replace("_", " ").title(), "login": login,
        "groups_id": [Command.set([env.ref(group).id for group in groups])],
    })
sales = user("wm_upg_sales", [
    "base.group_user", "sales_team.group_sale_salesman", "stock.group_stock_user",
])
deciders = [
    "base.group_user", "sales_team.group_sale_manager", "workflow_monitor_base.group_workflow_user",
]
first, second = user("wm_upg_approver1", deciders), user("wm_upg_approver2", deciders)
env["workflow.approval.policy"].create({
    "name": "Upgrade: large sale orders", "res_model": "sale.order", "condition": "amount",
    "threshold": 50000.0,
    "tier_ids": [
        Command.create({"sequence": 1, "approver_type": "user",
                        "user_ids": [Command.set(first.ids)], "sla_hours": 24.0}),
        Command.create({"sequence": 2, "approver_type": "user",
                        "user_ids": [Command.set(second.ids)], "sla_hours": 48.0}),
    ],
})
receiver = env["workflow.integration"].create({
    "name": "Upgrade receiver", "kind": "other", "url": ARGS["receiver"],
    "signing_secret": ARGS["secret"],
})
env["workflow.integration.route"].create([
    {"name": "Approvals", "integration_id": receiver.id, "event_type": "approval"},
    {"name": "Custom events", "integration_id": receiver.id, "event_type": "custom"},
])
dead = env["workflow.integration"].create({
    "name": "Upgrade dead end", "kind": "other", "url": "http://127.0.0.1:9/hook",
    "max_attempts": 1,
})
env.cr.commit()
summary = env["workflow.simulator"].run(days=ARGS["days"], orders_per_day=ARGS["orders_per_day"],
                                        seed=ARGS["seed"], commit=True)
env.cr.commit()
emit({"confirmed": summary["confirmed"], "receiver": receiver.id, "dead": dead.id,
      "inbound_uuid": receiver.inbound_uuid, "sales": sales.id, "first": first.id,
      "second": second.id})
"""

# approval requests in every state, exceptions worked on, webhooks sent or queued
FLOWS = """
sales, first, second = env["res.users"].browse([ARGS["sales"], ARGS["first"], ARGS["second"]])
admin = env.ref("base.user_admin")
machine = env["product.product"].create(
    {"name": "Upgrade machine", "type": "consu", "list_price": 90000.0}
)
customer = env["res.partner"].create({"name": "Upgrade customer"})
orders = env["sale.order"].with_user(sales).create([
    {"partner_id": customer.id,
     "order_line": [Command.create({"product_id": machine.id, "price_unit": 90000.0 + n})]}
    for n in range(6)
])
for order in orders:
    order.action_confirm()
env.cr.commit()
Request = env["workflow.approval.request"]
def request(order):
    return Request.search([("res_model", "=", "sale.order"), ("res_id", "=", order.id)])
request(orders[1]).with_user(first).action_approve("Tier 1 agrees")
request(orders[2]).with_user(first).action_approve()
request(orders[2]).with_user(second).action_approve("Fine")
request(orders[3]).with_user(first).action_reject("Too expensive")
request(orders[4]).with_user(first).action_request_changes("Lower the price")
request(orders[5]).with_user(admin).action_cancel()
env.cr.commit()

Exception = env["workflow.exception"]
new = Exception.search([("state", "=", "new")], order="id")
assert len(new) >= 8, len(new)
new[0:2].action_start()
new[2].with_user(admin).action_assign_to_me()
new[3:5].write({"resolution": "Fixed before the upgrade"})
new[3:5].action_resolve()
new[5].write({"resolution": "Not a problem"})
new[5].action_dismiss()
new[6].action_escalate()
env.cr.commit()
env["workflow.ai.model"]._cron_train()
env["workflow.exception"]._cron_ai_suggest(batch_size=50)
env.cr.commit()

Message = env["workflow.integration.message"]
Message._queue_outbound([
    {"integration_id": ARGS["receiver"], "event_type": "custom", "payload": {"n": n}}
    for n in range(3)
] + [{"integration_id": ARGS["dead"], "event_type": "custom", "payload": {"n": "dead"}}])
env.cr.commit()
Message._cron_deliver()
env.cr.commit()
pending = Message._queue_outbound([
    {"integration_id": ARGS["receiver"], "event_type": "custom", "payload": {"n": "queued"}}
])
env.cr.commit()
emit({
    "orders": orders.ids,
    "order_states": orders.mapped("state"),
    "requests": [request(order).state for order in orders],
    "pending_message": pending.ids,
})
"""

# ------------------------------------------------------------
# after the upgrade, this checkout's code
# ------------------------------------------------------------

SMOKE = """
second = env["res.users"].browse(ARGS["second"])
orders = env["sale.order"].browse(ARGS["orders"])
request = env["workflow.approval.request"].search(
    [("res_model", "=", "sale.order"), ("res_id", "=", orders[1].id)]
)
request.with_user(second).action_approve("Approved after the upgrade")
env.cr.commit()
product = env["product.product"].create({"name": "Upgrade smoke", "list_price": 10.0})
order = env["sale.order"].create({
    "partner_id": orders[0].partner_id.id,
    "order_line": [Command.create({"product_id": product.id, "price_unit": 10.0})],
})
order.action_confirm()
env.cr.commit()
Message = env["workflow.integration.message"]
Message._cron_deliver()
env.cr.commit()
emit({
    "request": request.state,
    "approved_order": orders[1].state,
    "order": order.state,
    "events": env["workflow.event"].search_count(
        [("res_model", "=", "sale.order"), ("res_id", "=", order.id)]
    ),
    "instances": env["workflow.instance"].search_count(
        [("res_model", "=", "sale.order"), ("res_id", "=", order.id)]
    ),
    "queued": Message.browse(ARGS["pending_message"]).mapped("state"),
})
"""


def run_shell(db, code, log, conf=None, **args):
    """Runs ``code`` in odoo-bin shell after PRELUDE; returns what it emitted. Fails on a
    traceback or an ERROR/CRITICAL line."""
    prelude = PRELUDE.format(mark=MARK, args=json.dumps(args))
    output = harness.shell(db, prelude + code, timeout=900, log=log, conf=conf)
    errors = harness.error_lines(output)
    assert not errors, f"{log}: errors logged:\n" + "\n".join(errors[:20])
    values = [
        json.loads(line[len(MARK) :]) for line in output.splitlines() if line.startswith(MARK)
    ]
    assert len(values) == 1, f"{log}: expected one result:\n{output[-3000:]}"
    return values[0]


# ------------------------------------------------------------
# the earlier code
# ------------------------------------------------------------


def _git(*args, **kwargs):
    return subprocess.run(
        ["git", "-C", harness.REPO, *args], capture_output=True, check=False, **kwargs
    )


def _has_base_commit():
    try:
        return _git("cat-file", "-e", f"{BASE_COMMIT}^{{commit}}").returncode == 0
    except OSError:
        return False


def _fetch_history():
    """A shallow clone (CI may make one) gets its history from ``origin``: the commit
    before the reshape is an ancestor of main. Nothing happens without a remote."""
    shallow = _git("rev-parse", "--is-shallow-repository", text=True).stdout.strip()
    depth = ["--unshallow"] if shallow == "true" else []
    _git("fetch", "--quiet", *depth, "origin", timeout=600)


def extract_previous(target):
    """The suite's addons at BASE_COMMIT in ``target``; skips (fails on CI) without it."""
    known = _has_base_commit()
    if not known:
        _fetch_history()
        known = _has_base_commit()
    if not known:
        reason = f"commit {BASE_COMMIT} is not in the git history of {harness.REPO}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI needs a full clone)")
        pytest.skip(f"{reason} (shallow clone or no git): set WM_UPGRADE_FROM")
    listed = _git("ls-tree", "--name-only", BASE_COMMIT, "--", *ARCHIVED, text=True)
    paths = [path for path in ARCHIVED if path in listed.stdout.split()]
    assert "workflow_monitor_base" in paths, listed
    archive = _git("archive", "--format=tar", BASE_COMMIT, *paths)
    assert archive.returncode == 0, archive.stderr
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return [path for path in paths if path in harness.SUITE]


def previous_config(target):
    """An Odoo config like CONF whose addons path has the earlier suite instead of this
    checkout's (same database server and data directory)."""
    parser = configparser.ConfigParser()
    parser.read(harness.CONF)
    options = parser["options"]
    repo = os.path.realpath(harness.REPO)
    paths = [os.path.realpath(path.strip()) for path in options["addons_path"].split(",")]
    kept = [path for path in paths if os.path.commonpath([path, repo]) != repo]
    old = [str(target), str(target / "tests" / "addons")]
    options["addons_path"] = ",".join(kept + [p for p in old if os.path.isdir(p)])
    options.setdefault("data_dir", harness.data_dir())
    conf = target / "odoo.conf"
    with open(conf, "w") as handle:
        parser.write(handle)
    return str(conf)


# ------------------------------------------------------------
# webhooks received over HTTP by the earlier code
# ------------------------------------------------------------


def post_webhook(server, inbound_uuid, msg_id, envelope):
    """POSTs ``envelope`` signed like Standard Webhooks; returns the HTTP status."""
    body = json.dumps(envelope).encode()
    timestamp = str(int(time.time()))
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    req = urllib.request.Request(
        f"{server.url}/workflow_monitor/hook/{inbound_uuid}",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": "v1," + base64.b64encode(digest).decode(),
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status
    except urllib.error.HTTPError as error:
        return error.code


def receive_webhooks(db, conf, inbound_uuid, order_id):
    """Inbound messages through the earlier controller: an event and an exception
    (processed), a repeat (duplicate), an engine-only event type (rejected)."""
    event = {
        "type": "workflow.event",
        "data": {"event_type": "integration", "res_model": "sale.order", "res_id": order_id,
                 "payload": {"carrier": "upgrade"}},
    }  # fmt: skip
    exception = {
        "type": "workflow.exception",
        "data": {"category": "integration_failure", "message": "Carrier API down",
                 "res_model": "sale.order", "res_id": order_id, "severity": "high"},
    }  # fmt: skip
    refused = {"type": "workflow.event", "data": {"event_type": "sla"}}
    with harness.Server(db, "--max-cron-threads=0", name="upg-previous", conf=conf) as server:
        statuses = [
            post_webhook(server, inbound_uuid, "msg_upg_event", event),
            post_webhook(server, inbound_uuid, "msg_upg_exception", exception),
            post_webhook(server, inbound_uuid, "msg_upg_event", event),
            post_webhook(server, inbound_uuid, "msg_upg_refused", refused),
        ]
    errors = harness.error_lines(server.log_text())
    assert not errors, "\n".join(errors[:20])
    return statuses


# ------------------------------------------------------------
# snapshots and their comparison
# ------------------------------------------------------------


def snapshot(db):
    """{table: {"columns": set, "rows": Counter or {id: row}}} for DATA_TABLES that
    exist: rows as JSON (keyed by id; relation tables without id as a multiset)."""
    result = {}
    for table in DATA_TABLES:
        columns = {
            row[0]
            for row in harness.query(
                db,
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = %s",
                [table],
            )
        }
        if not columns:
            continue
        rows = [row[0] for row in harness.query(db, f'SELECT to_jsonb(t) FROM "{table}" t')]
        if "id" in columns:
            keyed = {row["id"]: row for row in rows}
        else:
            keyed = Counter(json.dumps(row, sort_keys=True) for row in rows)
        result[table] = {"columns": columns, "rows": keyed}
    return result


def _project(rows, columns):
    """A multiset of JSON rows restricted to ``columns``."""
    return Counter(
        json.dumps({k: v for k, v in json.loads(row).items() if k in columns}, sort_keys=True)
        for row in rows.elements()
    )


def compare(before, after):
    """Human-readable differences: tables or columns gone, rows lost, added or changed."""
    problems = []
    for table, old in before.items():
        new = after.get(table)
        if new is None:
            problems.append(f"table {table} is gone")
            continue
        gone = sorted(old["columns"] - new["columns"])
        problems += [f"column {table}.{column} is gone" for column in gone]
        shared = old["columns"] & new["columns"]
        if isinstance(old["rows"], Counter):
            old_rows, new_rows = _project(old["rows"], shared), _project(new["rows"], shared)
            if old_rows != new_rows:
                lost = sum((old_rows - new_rows).values())
                added = sum((new_rows - old_rows).values())
                problems.append(f"{table}: {lost} row(s) lost, {added} added")
            continue
        lost = sorted(set(old["rows"]) - set(new["rows"]))
        added = sorted(set(new["rows"]) - set(old["rows"]))
        if lost:
            problems.append(f"{table}: {len(lost)} row(s) lost, ids {lost[:SHOWN]}")
        if added:
            problems.append(f"{table}: {len(added)} row(s) added, ids {added[:SHOWN]}")
        for row_id in sorted(set(old["rows"]) & set(new["rows"])):
            old_row, new_row = old["rows"][row_id], new["rows"][row_id]
            problems += [
                f"{table} id {row_id}: {column} {old_row[column]!r} -> {new_row[column]!r}"
                for column in sorted(shared)
                if old_row[column] != new_row[column]
            ]
    return problems


def states(db, table, columns):
    """{(column values...): count} of ``table`` grouped by ``columns`` (constants)."""
    return {
        tuple(row[:-1]): row[-1]
        for row in harness.query(
            db, f'SELECT {columns}, count(*) FROM "{table}" GROUP BY {columns}'
        )
    }


def installed_versions(db):
    return dict(
        harness.query(
            db,
            "SELECT name, latest_version FROM ir_module_module "
            "WHERE name LIKE 'workflow_monitor_%%' AND state = 'installed'",
        )
    )


def manifest_version(module):
    with open(os.path.join(harness.REPO, module, "__manifest__.py")) as handle:
        return ast.literal_eval(handle.read())["version"]


def fill_previous(db, conf, receiver):
    """Data in every module through the earlier code's real flows; returns the ids the
    smoke test needs (SETUP and FLOWS results)."""
    setup = run_shell(
        db, SETUP, "upg-setup.log", conf=conf, receiver=receiver.url, secret=SECRET,
        days=3, orders_per_day=5, seed=7,
    )  # fmt: skip
    assert setup["confirmed"] >= 5, setup
    flows = run_shell(db, FLOWS, "upg-flows.log", conf=conf, **setup)
    # "request changes" sends the document back to its author: the request is cancelled
    assert flows["requests"] == [
        "pending", "pending", "approved", "rejected", "cancelled", "cancelled",
    ], flows  # fmt: skip
    assert flows["order_states"][2] == "sale", flows
    statuses = receive_webhooks(db, conf, setup["inbound_uuid"], flows["orders"][0])
    assert statuses == [200, 200, 200, 422], statuses
    assert len(receiver.snapshot()) >= 3, receiver.snapshot()

    exceptions = states(db, "workflow_exception", "state")
    expected = {"new", "assigned", "in_progress", "resolved", "dismissed"}
    assert expected <= {state for (state,) in exceptions}, exceptions
    messages = states(db, "workflow_integration_message", "direction, state")
    expected = {("out", "delivered"), ("out", "dead"), ("out", "pending")}
    expected |= {("in", "processed"), ("in", "duplicate"), ("in", "rejected")}
    assert expected <= set(messages), messages
    return {**setup, **flows}


@pytest.fixture
def previous_db(tmp_path):
    """(database name, config of the earlier code, suite modules it has); the database
    is created by the test's install and dropped afterwards."""
    target = tmp_path / "previous"
    target.mkdir()
    modules = extract_previous(target)
    conf = previous_config(target)
    harness.drop_database(DB)
    try:
        yield DB, conf, modules
    finally:
        harness.drop_database(DB)


def test_upgrade_from_previous_commit_keeps_data(previous_db):
    """Install at BASE_COMMIT, fill through the real flows, ``-u`` the suite with this
    code: no error, no row of the monitored data lost, added or changed, and the
    upgraded suite still decides approvals, delivers webhooks and follows orders."""
    db, conf, modules = previous_db
    harness.odoo_bin(
        db, "-i", ",".join(modules), "--without-demo=all", timeout=1200,
        log="upg-install-previous.log", conf=conf,
    )  # fmt: skip
    with harness.WebhookReceiver(SECRET) as receiver:
        ids = fill_previous(db, conf, receiver)
        delivered = len(receiver.snapshot())
        before = snapshot(db)
        assert set(before) == set(DATA_TABLES), set(DATA_TABLES) - set(before)
        assert len(before["workflow_instance"]["rows"]) >= 20, "too little data"
        assert len(before["workflow_approval_decision"]["rows"]) >= 5, "too few decisions"

        # the upgrade, with this checkout's code (odoo_bin fails on an ERROR line)
        suite = [m for m in harness.SUITE if os.path.isdir(os.path.join(harness.REPO, m))]
        output = harness.odoo_bin(db, "-u", ",".join(suite), timeout=1200, log="upg-upgrade.log")
        assert "Modules loaded." in output, output[-3000:]
        assert installed_versions(db) == {module: manifest_version(module) for module in modules}

        after = snapshot(db)
        problems = compare(before, after)
        assert not problems, f"{len(problems)} difference(s) after -u:\n" + "\n".join(problems[:60])
        counts = {table: len(after[table]["rows"]) for table in before}
        assert counts == {table: len(old["rows"]) for table, old in before.items()}

        smoke = run_shell(db, SMOKE, "upg-smoke.log", **ids)
        assert smoke["request"] == "approved" and smoke["approved_order"] == "sale", smoke
        assert smoke["order"] == "sale" and smoke["events"] >= 1, smoke
        assert smoke["instances"] == 1 and smoke["queued"] == ["delivered"], smoke
        assert len(receiver.snapshot()) > delivered, "nothing delivered after the upgrade"
        assert all(hook["signature_ok"] for hook in receiver.snapshot())
