# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Upgrade safety of the suite (issue 9): on a database with realistic data (the
distribution simulator plus a little data in every module), each module uninstalls
cleanly in reverse dependency order and leaves standard Odoo working, the suite
reinstalls and works again, and ``-u all`` twice changes nothing, user configuration
included (noupdate data is never overwritten). Real odoo-bin processes, real PostgreSQL.

Both tests copy one data database that the module fixture builds once (about a minute).
"""

import ast
import json
import os

import pytest

from . import harness

PREFIX = "wm_h4_upgrade"
# uninstall order: a module goes before every module it depends on
ORDER = tuple(reversed(harness.SUITE))
MARK = "@@json "

# ------------------------------------------------------------
# odoo-bin shell snippets (run with ``ARGS``, a dict, defined; ``emit`` prints JSON)
# ------------------------------------------------------------

PRELUDE = """
import json
from odoo import Command
def emit(value):
    print({mark!r} + json.dumps(value, default=str))
ARGS = json.loads({args!r})
"""

SIMULATE = """
summary = env["workflow.simulator"].run(
    days=ARGS["days"], orders_per_day=ARGS["orders_per_day"], seed=ARGS["seed"], commit=True
)
env.cr.commit()
emit(summary)
"""

# a little data in every module, through their real APIs
MODULE_DATA = """
admin = env.ref("base.user_admin")
env["workflow.approval.policy"].create({
    "name": "Large sale orders", "res_model": "sale.order", "condition": "amount",
    "threshold": 50000.0,
    "tier_ids": [Command.create({
        "approver_type": "user", "user_ids": [Command.set(admin.ids)], "sla_hours": 24.0,
    })],
})
machine = env["product.product"].create(
    {"name": "Upgrade test machine", "type": "consu", "list_price": 90000.0}
)
order = env["sale.order"].create({
    "partner_id": env["res.partner"].create({"name": "Upgrade test customer"}).id,
    "order_line": [Command.create({"product_id": machine.id, "price_unit": 90000.0})],
})
order.action_confirm()
integration = env["workflow.integration"].create({
    "name": "Upgrade test receiver", "kind": "other", "url": "http://127.0.0.1:9/hook",
    "max_attempts": 3,
})
env["workflow.integration.route"].create(
    {"name": "Custom events", "integration_id": integration.id, "event_type": "custom"}
)
env["workflow.integration.message"]._queue_outbound([{
    "integration_id": integration.id, "event_type": "custom", "payload": {"type": "upgrade"},
}])
sale = env["ir.model"]._get_id("sale.order")
# server actions of the suite's own types, referring to shipped records
o2c = env.ref("workflow_monitor_distribution.definition_order_to_cash")
env["ir.actions.server"].create([
    {"name": "Upgrade test: log event", "model_id": sale, "state": "workflow_event",
     "workflow_definition_id": o2c.id,
     "workflow_stage_id": env.ref("workflow_monitor_distribution.stage_o2c_confirmed").id},
    {"name": "Upgrade test: raise exception", "model_id": sale,
     "state": "workflow_exception",
     "workflow_category_id": env.ref("workflow_monitor_distribution.category_late_delivery").id},
    {"name": "Upgrade test: webhook", "model_id": sale, "state": "workflow_webhook",
     "workflow_integration_id": integration.id},
])
env["workflow.ai.model"]._cron_train()
env["workflow.exception"]._cron_ai_suggest(batch_size=200)
env.cr.commit()
request = env["workflow.approval.request"].search([("res_id", "=", order.id)])
emit({
    "order_state": order.state,
    "request_state": request.state,
    "activities": len(request.activity_ids),
    "messages": env["workflow.integration.message"].search_count([]),
    "suggestions": env["workflow.ai.suggestion"].search_count([]),
    "exceptions": env["workflow.exception"].search_count([]),
})
"""

# what each uninstall must remove, computed while every module is installed: for the
# module at position i of ORDER, the records of its external ids that no module still
# installed after it also owns; its models' tables; its fields on the other models
INVENTORY = """
IMD = env["ir.model.data"].sudo()
order = ARGS["order"]
result = {}
for index, module in enumerate(order):
    removed = set(order[: index + 1])
    rows = IMD.search([("module", "=", module)])
    kept = {
        (row.model, row.res_id)
        for row in IMD.search([("module", "not in", list(removed)),
                               ("res_id", "in", rows.mapped("res_id"))])
    }
    owned = [row for row in rows if (row.model, row.res_id) not in kept]
    models = env["ir.model"].browse(r.res_id for r in owned if r.model == "ir.model")
    own_models = set(models.mapped("model"))
    tables = sorted(
        env[m]._table for m in own_models if m in env and env[m]._auto and not env[m]._abstract
    )
    fields_ = env["ir.model.fields"].browse(r.res_id for r in owned if r.model == "ir.model.fields")
    foreign = []
    for field in fields_:
        if field.model in own_models or field.model not in env:
            continue
        table = env[field.model]._table
        env.cr.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
            [table, field.name],
        )
        foreign.append([field.model, field.name, table if env.cr.rowcount else None])
    records = [
        [env[r.model]._table, r.res_id, f"{r.model},{r.name}"]
        for r in owned
        if r.model in env and r.model not in own_models and env[r.model]._auto
        and r.model not in ("ir.model", "ir.model.fields")
    ]
    relations = env["ir.model.relation"].search([("module.name", "=", module)]).mapped("name")
    result[module] = {
        "models": sorted(own_models),
        "tables": tables + sorted(set(relations)),
        "foreign_fields": foreign,
        "records": records,
        "crons": [r.res_id for r in owned if r.model == "ir.cron"],
        "menus": [r.res_id for r in owned if r.model == "ir.ui.menu"],
    }
emit(result)
"""

UNINSTALL = """
module = env["ir.module.module"].search([("name", "=", ARGS["module"])])
module.button_immediate_uninstall()
emit({"uninstalled": ARGS["module"]})
"""

# standard flow (sell, deliver) and the suite modules still installed
CHECK = """
installed = set(env["ir.module.module"].search(
    [("name", "like", "workflow_monitor_%"), ("state", "=", "installed")]
).mapped("name"))
tag = ARGS["tag"]
warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
product = env["product.product"].create(
    {"name": f"Upgrade check {tag}", "is_storable": True, "list_price": 10.0}
)
env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 10.0)
order = env["sale.order"].create({
    "partner_id": env["res.partner"].create({"name": f"Upgrade check {tag}"}).id,
    "warehouse_id": warehouse.id,
    "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 2.0})],
})
order.action_confirm()
picking = order.picking_ids
picking.action_assign()
picking.move_ids.write({"quantity": 2.0, "picked": True})
picking.button_validate()
env.cr.commit()
result = {
    "installed": sorted(installed),
    "order_state": order.state,
    "picking_state": picking.state,
    "delivered": sum(order.order_line.mapped("qty_delivered")),
}
if "workflow_monitor_distribution" in installed:
    result["events"] = env["workflow.event"].search_count(
        [("res_model", "=", "sale.order"), ("res_id", "=", order.id)]
    )
if "workflow_monitor_base" in installed:
    data = env["workflow.dashboard"].with_user(env.ref("base.user_admin")).get_dashboard_data()
    result["dashboard"] = sorted(data)
    result["kpis"] = len(data["kpis"])
failures = {}
crons = env["ir.model.data"].search(
    [("module", "in", sorted(installed)), ("model", "=", "ir.cron")]
)
for row in crons:
    cron = env["ir.cron"].browse(row.res_id)
    try:
        cron.method_direct_trigger()
        env.cr.commit()
    except Exception as exc:
        env.cr.rollback()
        failures[row.name] = repr(exc)
result["crons_run"] = len(crons)
result["cron_failures"] = failures
emit(result)
"""

# the suite works again after a reinstall
REINSTALLED = """
summary = env["workflow.simulator"].run(days=1, orders_per_day=3, seed=11, commit=True)
admin = env.ref("base.user_admin")
data = env["workflow.dashboard"].with_user(admin).get_dashboard_data()
env["workflow.approval.policy"].create({
    "name": "Reinstalled policy", "res_model": "sale.order", "condition": "amount",
    "threshold": 50000.0,
    "tier_ids": [Command.create({"approver_type": "user", "user_ids": [Command.set(admin.ids)]})],
})
machine = env["product.product"].create({"name": "Reinstall machine", "list_price": 90000.0})
big = env["sale.order"].create({
    "partner_id": env["res.partner"].create({"name": "Reinstall customer"}).id,
    "order_line": [Command.create({"product_id": machine.id, "price_unit": 90000.0})],
})
big.action_confirm()
integration = env["workflow.integration"].create(
    {"name": "Reinstall receiver", "url": "http://127.0.0.1:9/hook"}
)
env["workflow.integration.route"].create(
    {"name": "Everything", "integration_id": integration.id}
)
small = env["sale.order"].create({
    "partner_id": big.partner_id.id,
    "order_line": [Command.create({"product_id": machine.id, "price_unit": 10.0})],
})
small.action_confirm()
env.cr.commit()
env["workflow.ai.model"]._cron_train()
env["workflow.exception"]._cron_ai_suggest(batch_size=200)
env.cr.commit()
emit({
    "orders": summary["orders"],
    "open_exceptions": sum(summary["exceptions"].values()),
    "dashboard": sorted(data),
    "big_state": big.state,
    "requests": env["workflow.approval.request"].search_count([("res_id", "=", big.id)]),
    "small_state": small.state,
    "small_events": env["workflow.event"].search_count(
        [("res_model", "=", "sale.order"), ("res_id", "=", small.id)]
    ),
    "queued": env["workflow.integration.message"].search_count(
        [("integration_id", "=", integration.id)]
    ),
    "ai_processed": env["workflow.exception"].search_count([("ai_processed", "=", True)]),
    "ai_logs": env["workflow.ai.log"].search_count([]),
})
"""

# configuration a user changes (all shipped as noupdate data or plain fields)
USER_EDITS = """
policy = env.ref("workflow_monitor_distribution.sla_o2c_confirmed_main")
policy.write({"warning_hours": 3.5, "target_hours": 7.25})
warehouse = env["stock.warehouse"].search([("code", "=", "SIMN")])
warehouse.write({"workflow_cutoff_time": 11.5, "workflow_late_tolerance_hours": 9.0})
category = env.ref("workflow_monitor_distribution.category_late_delivery")
category.write({"response_hours": 13.0})
env.ref("workflow_monitor_base.ir_cron_stale_sweep").write({"interval_number": 3})
env.ref("workflow_monitor_ai.ir_cron_ai_briefing").write({"active": False})
env["ir.config_parameter"].set_param("workflow_monitor.stale_days", "9")
env.cr.commit()
emit({"policy": policy.id, "warehouse": warehouse.id, "category": category.id})
"""


def run_shell(db, code, log, **args):
    """Runs ``code`` in odoo-bin shell after PRELUDE; returns the values it emitted and
    the output. Fails on a traceback (harness.shell) and on any ERROR/CRITICAL line."""
    prelude = PRELUDE.format(mark=MARK, args=json.dumps(args))
    output = harness.shell(db, prelude + code, timeout=900, log=log)
    errors = harness.error_lines(output)
    assert not errors, f"{log}: errors logged:\n" + "\n".join(errors[:20])
    values = [
        json.loads(line[len(MARK) :]) for line in output.splitlines() if line.startswith(MARK)
    ]
    assert values, f"{log}: nothing emitted:\n{output[-3000:]}"
    return values[-1] if len(values) == 1 else values


def suite_depends():
    """{module: suite modules it depends on}, from the manifests."""
    depends = {}
    for module in harness.SUITE:
        with open(os.path.join(harness.REPO, module, "__manifest__.py")) as handle:
            manifest = ast.literal_eval(handle.read())
        depends[module] = set(manifest.get("depends", [])) & set(harness.SUITE)
    return depends


def standard_data(db):
    """Counts (by state) of the standard documents the uninstalls must not touch."""
    return {
        table: sorted(harness.query(db, sql))
        for table, sql in (
            ("sale_order", "SELECT state, count(*) FROM sale_order GROUP BY state"),
            ("sale_order_line", "SELECT count(*), sum(qty_delivered) FROM sale_order_line"),
            ("purchase_order", "SELECT state, count(*) FROM purchase_order GROUP BY state"),
            ("stock_picking", "SELECT state, count(*) FROM stock_picking GROUP BY state"),
            ("stock_move", "SELECT state, count(*) FROM stock_move GROUP BY state"),
            (
                "account_move",
                "SELECT move_type || ':' || state || ':' || payment_state, count(*) "
                "FROM account_move GROUP BY 1",
            ),
            ("account_move_line", "SELECT count(*), sum(balance) FROM account_move_line"),
            ("account_payment", "SELECT state, count(*) FROM account_payment GROUP BY state"),
            ("stock_quant", "SELECT count(*), sum(quantity) FROM stock_quant"),
            ("res_partner", "SELECT active, count(*) FROM res_partner GROUP BY active"),
            ("product_product", "SELECT active, count(*) FROM product_product GROUP BY active"),
            ("stock_warehouse", "SELECT code, active FROM stock_warehouse"),
        )
    }


def existing(db, table, ids):
    if not ids:
        return []
    if not harness.scalar(db, "SELECT to_regclass(%s) IS NOT NULL", [table]):
        return []
    return [
        row[0] for row in harness.query(db, f'SELECT id FROM "{table}" WHERE id = ANY(%s)', [ids])
    ]


@pytest.fixture(scope="module")
def data_db():
    """The template plus 4 simulated days and data in every module; tests copy it."""
    db = harness.new_database(f"{PREFIX}_data")
    try:
        summary = run_shell(db, SIMULATE, "upgrade-simulate.log", days=4, orders_per_day=6, seed=7)
        assert summary["confirmed"] > 10 and summary["deliveries"] and summary["invoices"]
        data = run_shell(db, MODULE_DATA, "upgrade-module-data.log")
        assert data["order_state"] == "draft" and data["request_state"] == "pending", data
        assert data["activities"] == 1 and data["messages"] >= 1, data
        assert data["suggestions"] > 0 and data["exceptions"] > 0, data
        yield db
    finally:
        harness.drop_database(db)


def test_uninstall_each_module_then_reinstall(data_db):
    """Each module uninstalls without an error in reverse dependency order and takes
    all it added with it (models, tables, fields and columns on standard models,
    records, scheduled actions, menus); standard documents are untouched, a sale order
    is still confirmed and delivered, and the modules left still run their scheduled
    actions. The whole suite then reinstalls and works again."""
    depends = suite_depends()
    for index, module in enumerate(ORDER):
        assert not depends[module] & set(ORDER[:index]), f"{module} uninstalled after a dependency"
    db = harness.new_database(f"{PREFIX}_uninstall", template=data_db)
    try:
        inventory = run_shell(db, INVENTORY, "upgrade-inventory.log", order=list(ORDER))
        assert inventory["workflow_monitor_base"]["crons"]
        assert inventory["workflow_monitor_base"]["menus"]
        assert inventory["workflow_monitor_distribution"]["foreign_fields"]
        for index, module in enumerate(ORDER):
            short = module.removeprefix("workflow_monitor_")
            before = standard_data(db)
            run_shell(db, UNINSTALL, f"upgrade-uninstall-{short}.log", module=module)
            assert before == standard_data(db), f"standard data changed by uninstalling {module}"
            expected = inventory[module]
            state = harness.scalar(
                db, "SELECT state FROM ir_module_module WHERE name = %s", [module]
            )
            assert state == "uninstalled", module
            assert not harness.query(
                db, "SELECT name, model FROM ir_model_data WHERE module = %s", [module]
            ), f"{module}: external ids left"
            assert not harness.query(
                db, "SELECT model FROM ir_model WHERE model = ANY(%s)", [expected["models"]]
            ), f"{module}: models left"
            assert not harness.query(
                db,
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_name = ANY(%s)",
                [expected["tables"]],
            ), f"{module}: tables left"
            for model, name, table in expected["foreign_fields"]:
                assert not harness.query(
                    db,
                    "SELECT id FROM ir_model_fields WHERE model = %s AND name = %s",
                    [model, name],
                ), f"{module}: field {model}.{name} left"
                if table:
                    assert not harness.query(
                        db,
                        "SELECT 1 FROM information_schema.columns "
                        "WHERE table_name = %s AND column_name = %s",
                        [table, name],
                    ), f"{module}: column {table}.{name} left"
            assert not existing(db, "ir_cron", expected["crons"]), f"{module}: crons left"
            assert not existing(db, "ir_ui_menu", expected["menus"]), f"{module}: menus left"
            left = [
                xmlid
                for table, res_id, xmlid in expected["records"]
                if existing(db, table, [res_id])
            ]
            assert not left, f"{module}: records left: {left[:20]}"
            check = run_shell(db, CHECK, f"upgrade-check-{short}.log", tag=short)
            assert check["installed"] == sorted(ORDER[index + 1 :]), check
            assert check["order_state"] == "sale" and check["picking_state"] == "done", check
            assert check["delivered"] == 2.0, check
            assert not check["cron_failures"], check
            remaining = ORDER[index + 1 :]
            if "workflow_monitor_distribution" in remaining:
                assert check["events"] >= 2, check
            if remaining:
                assert check["crons_run"] >= 5 and "kpis" in check["dashboard"], check
        # nothing of the suite is left anywhere
        assert not harness.query(
            db,
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_name LIKE 'workflow%%'",
        )
        assert not harness.query(
            db,
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name LIKE 'workflow%%'",
        )
        assert not harness.query(db, "SELECT model FROM ir_model WHERE model LIKE 'workflow.%%'")
        assert not harness.query(
            db, "SELECT module, name FROM ir_model_data WHERE module LIKE 'workflow_monitor%%'"
        )

        harness.odoo_bin(
            db, "-i", ",".join(harness.SUITE), timeout=900, log="upgrade-reinstall.log"
        )
        again = run_shell(db, REINSTALLED, "upgrade-reinstalled.log")
        assert again["orders"] >= 3 and again["open_exceptions"] > 0, again
        assert {"kpis", "aging", "exceptions", "technical"} <= set(again["dashboard"]), again
        assert again["big_state"] == "draft" and again["requests"] == 1, again
        assert again["small_state"] == "sale" and again["small_events"] >= 1, again
        assert again["queued"] >= 1, again
        # too little history for suggestions: the AI job processed them all and logged
        assert again["ai_processed"] >= again["open_exceptions"] and again["ai_logs"], again
    finally:
        harness.drop_database(db)


def fingerprint(db):
    """The suite's state: row counts of every workflow_* table, the external ids of the
    suite, its scheduled actions, its system parameters and the full rows of the
    configuration a user edits (write dates aside)."""
    tables = [
        row[0]
        for row in harness.query(
            db,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' AND table_name LIKE 'workflow%%' ORDER BY 1",
        )
    ]
    config = (
        "workflow_definition",
        "workflow_stage",
        "workflow_sla_policy",
        "workflow_exception_category",
        "workflow_team",
        "workflow_kpi",
        "workflow_approval_policy",
        "workflow_approval_tier",
        "workflow_integration",
        "workflow_integration_route",
    )
    rows = {
        table: harness.query(
            db,
            f"SELECT to_jsonb(t) - 'write_date' - 'write_uid' FROM \"{table}\" t ORDER BY id",
        )
        for table in config
    }
    return {
        "counts": {
            table: harness.scalar(db, f'SELECT count(*) FROM "{table}"') for table in tables
        },
        "xmlids": harness.query(
            db,
            "SELECT module, name, model, res_id, noupdate FROM ir_model_data "
            "WHERE module LIKE 'workflow_monitor%%' ORDER BY module, name",
        ),
        "crons": harness.query(
            db,
            "SELECT d.name, c.active, c.interval_number, c.interval_type, c.priority, s.code "
            "FROM ir_cron c JOIN ir_act_server s ON s.id = c.ir_actions_server_id "
            "JOIN ir_model_data d ON d.model = 'ir.cron' AND d.res_id = c.id "
            "WHERE d.module LIKE 'workflow_monitor%%' ORDER BY d.name",
        ),
        "parameters": harness.query(
            db,
            "SELECT key, value FROM ir_config_parameter WHERE key LIKE 'workflow%%' ORDER BY key",
        ),
        "warehouses": harness.query(
            db,
            "SELECT to_jsonb(w) - 'write_date' - 'write_uid' FROM stock_warehouse w ORDER BY id",
        ),
        "config": rows,
    }


def diff(left, right):
    """The keys (and table names) where two fingerprints differ, for the failure message."""
    out = []
    for key in left:
        if left[key] != right[key]:
            if isinstance(left[key], dict):
                out += [f"{key}.{k}" for k in left[key] if left[key][k] != right[key].get(k)]
            else:
                out.append(key)
    return out


def test_update_all_twice_is_idempotent(data_db):
    """``-u all`` twice exits 0 without an ERROR line and leaves the suite exactly as the
    user left it: same rows everywhere, same external ids, scheduled actions, parameters
    and configuration, the user's edits of noupdate data and warehouse parameters kept."""
    db = harness.new_database(f"{PREFIX}_update", template=data_db)
    try:
        edited = run_shell(db, USER_EDITS, "upgrade-user-edits.log")
        initial = fingerprint(db)
        harness.odoo_bin(db, "-u", "all", timeout=900, log="upgrade-update-1.log")
        first = fingerprint(db)
        harness.odoo_bin(db, "-u", "all", timeout=900, log="upgrade-update-2.log")
        second = fingerprint(db)
        assert first == second, f"the second -u all changed: {diff(first, second)}"
        assert initial == first, f"-u all changed: {diff(initial, first)}"
        # the edits are there (not only unchanged between the runs)
        policy = harness.query(
            db,
            "SELECT warning_hours, target_hours FROM workflow_sla_policy WHERE id = %s",
            [edited["policy"]],
        )
        assert policy == [(3.5, 7.25)]
        assert harness.query(
            db,
            "SELECT workflow_cutoff_time, workflow_late_tolerance_hours FROM stock_warehouse "
            "WHERE id = %s",
            [edited["warehouse"]],
        ) == [(11.5, 9.0)]
        assert (
            harness.scalar(
                db,
                "SELECT response_hours FROM workflow_exception_category WHERE id = %s",
                [edited["category"]],
            )
            == 13.0
        )
        crons = {name: row for name, *row in second["crons"]}
        assert crons["ir_cron_stale_sweep"][1] == 3
        assert crons["ir_cron_ai_briefing"][0] is False
        assert ("workflow_monitor.stale_days", "9") in second["parameters"]
    finally:
        harness.drop_database(db)
