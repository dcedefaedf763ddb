# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Injection: a static check of the suite's SQL and evaluated code, and hostile inputs
fed to every user-reachable entry point.

Static part (``ast``, over every Python file of the ``workflow_monitor_*`` modules except
their tests): the query of each ``cr.execute`` / ``SQL(...)`` call must be a constant, a
``SQL()`` composition (values travel as parameters, names through ``SQL.identifier``) or
a string built only from allow-listed expressions (``SQL_ALLOWED``, each with the reason
it is not user input). Any f-string, ``%``/``format`` interpolation or concatenation of
anything else fails, and so does an allow-list entry that no longer matches the code.
Evaluated code is a sink too: ``safe_eval`` / ``eval`` / ``exec`` calls and template
rendering may only read fields that administrators alone can write (``EVALUATED``).

Dynamic part: SQL fragments, Python payloads, very long and unicode strings go into the
dashboard filters, search domains, webhook payloads and headers, AI actions, exception
notes and the domains of SLA and approval policies as a manager. Each must end in a clear
ValidationError / UserError / AccessError (or a 4xx for HTTP), with the tables intact and
no code run (a marker file the payloads try to create must not exist).
"""

import ast
import json
import os
import tempfile
import time
from pathlib import Path

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import HttpCase, TransactionCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.workflow_monitor_integrations.tools import signature

REPO = Path(__file__).resolve().parent.parent
MODULES = sorted(p for p in REPO.glob("workflow_monitor_*") if (p / "__manifest__.py").exists())

# (file, function, interpolated expression) -> why it is not user input
SQL_ALLOWED = {
    (
        "workflow_monitor_distribution/models/workflow_detector.py",
        "_detect_late_delivery",
        "DISPATCH_DUE_SQL",
    ): ("module constant of stock_warehouse.py (the dispatch due date), no value in it"),
    (
        "workflow_monitor_distribution/models/workflow_kpi.py",
        "_kpi_compute_on_time_dispatch",
        "DISPATCH_DUE_SQL",
    ): ("module constant of stock_warehouse.py (the dispatch due date), no value in it"),
    (
        "workflow_monitor_distribution/models/workflow_kpi_return.py",
        "_kpi_compute_return_rate",
        "CUSTOMER_RETURN_SQL",
    ): ("module constant of workflow_detector_return.py (what a customer return is), no value"),
    ("workflow_monitor_base/tools/sql.py", "unnest_arrays", "pg_type"): (
        "PostgreSQL type names of the (name, type) pairs of the engine's column constants "
        "(EVENT_COLUMNS, INSTANCE_INSERT_COLUMNS, the capture's CAPTURE_*_COLUMNS, message "
        "state updates), a loop variable the checker does not follow"
    ),
    ("workflow_monitor_base/models/workflow_exception_raise.py", "_values_source", "column_type"): (
        "PostgreSQL type names of the upsert's column constant SOURCE_COLUMNS, a loop "
        "variable the checker does not follow"
    ),
    (
        "workflow_monitor_base/models/workflow_exception_raise.py",
        "_upsert_extras",
        "field.column_type[1]",
    ): (
        "the PostgreSQL type Odoo gives a stored field of the registry (a field class "
        "attribute such as 'varchar' or 'int4'), never a value"
    ),
    ("workflow_monitor_base/tools/partition.py", "convert_to_monthly", "definition"): (
        "CREATE INDEX statements and view queries PostgreSQL's catalog wrote for the indexes "
        "and the views of the table being partitioned (pg_get_indexdef, pg_get_viewdef, read "
        "in the same transaction under an ACCESS EXCLUSIVE lock), run again on the "
        "partitioned table; definitions only administrators of the database can create"
    ),
}
# Queries built by the ORM (domain values bound as parameters by Query/_search).
ORM_SQL_METHODS = {"select", "subselect"}
SQL_SINKS = {"execute", "executemany", "execute_values"}
EVAL_SINKS = {"safe_eval", "eval", "exec", "_render_template"}
# (file, function) of an evaluated-code sink -> (model, field) it evaluates; the field
# must be writable by Settings administrators only.
EVALUATED = {
    ("workflow_monitor_base/models/workflow_exception_raise.py", "_automation_candidates"): (
        "base.automation",
        "filter_domain",
    ),
    ("workflow_monitor_base/models/ir_actions_server.py", "_workflow_render_messages"): (
        "ir.actions.server",
        "workflow_message",
    ),
}

# NUL characters are not in HOSTILE: PostgreSQL stores none in text, and the ORM of every
# Odoo model answers them with psycopg2's ValueError (core behaviour). They are tested
# where the suite reads raw bytes from outside: the inbound webhook.
MARKER = Path(tempfile.gettempdir()) / f"wm_injection_marker_{os.getpid()}"
HOSTILE = (
    "'; DROP TABLE workflow_event; --",
    "1) OR 1=1; DELETE FROM workflow_exception; --",
    f"__import__('os').system('touch {MARKER}')",
    f"[x for x in ().__class__.__base__.__subclasses__() if open('{MARKER}', 'w')]",
    "{{ object.env.cr.execute('DROP TABLE workflow_event') }}",
    "\u202e\ufeffé✓🚨 \\x00 \" ' ` $(touch /tmp/wm) ${7*7} %s %(x)s",
    "A" * 200_000,
)


def _source_files():
    for module in MODULES:
        for path in sorted(module.rglob("*.py")):
            if "tests" not in path.relative_to(module).parts:
                yield path


def _call_name(node):
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


class SourceIndex:
    """The parsed sources: each node's enclosing function, and the call sites of every
    function name (to follow a query passed as an argument back to its callers)."""

    def __init__(self, paths, root=REPO):
        self.files = {}  # rel path -> tree
        self.owner = {}  # node -> (rel path, enclosing function or None)
        self.calls = {}  # called name -> [call node]
        for path in paths:
            rel = str(path.relative_to(root))
            tree = ast.parse(path.read_text(), filename=rel)
            self.files[rel] = tree
            self._visit(tree, rel, None)

    def _visit(self, node, rel, function):
        for child in ast.iter_child_nodes(node):
            self.owner[child] = (rel, function)
            if isinstance(child, ast.Call) and _call_name(child):
                self.calls.setdefault(_call_name(child), []).append(child)
            is_function = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            self._visit(child, rel, child if is_function else function)


class SqlChecker:
    """Find the expressions spliced into the SQL text of a query expression.

    Constants, ``SQL()`` templates (their other arguments are bound parameters),
    ``SQL.identifier`` and ``SQL(sep).join`` compositions and ORM queries are safe. A
    local variable is followed to its assignments; a parameter to the arguments every
    call site passes (or its default). Anything else is reported as ``(file, function,
    expression)``."""

    def __init__(self, index):
        self.index = index

    def check(self, node, depth=0):
        rel, function = self.index.owner[node]
        return self._expr(node, rel, function, (), depth)

    def _report(self, rel, function, node):
        return [(rel, function.name if function else "<module>", ast.unparse(node))]

    def _expr(self, node, rel, function, seen, depth):
        def sub(child):
            return self._expr(child, rel, function, seen, depth)

        if isinstance(node, ast.Constant):
            return []
        if isinstance(node, ast.JoinedStr):
            found = []
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    found += (
                        sub(value.value)
                        if isinstance(value.value, ast.Name)
                        else (self._report(rel, function, value.value))
                    )
            return found
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
            return sub(node.left) + sub(node.right)
        if isinstance(node, (ast.Tuple, ast.List)):
            return [item for element in node.elts for item in sub(element)]
        if isinstance(node, ast.Call):
            name, func = _call_name(node), node.func
            if name == "SQL":  # SQL(template, *params): only the template is text
                return sub(node.args[0]) if node.args else []
            if isinstance(func, ast.Attribute) and name in ("identifier", "join"):
                if isinstance(func.value, ast.Name) and func.value.id == "SQL":
                    return []  # SQL.identifier quotes names
                if isinstance(func.value, ast.Call) and _call_name(func.value) == "SQL":
                    return sub(func.value)  # SQL(sep).join(SQL parts)
            if isinstance(func, ast.Attribute) and name == "format":
                return sub(func.value) + [
                    item
                    for arg in [*node.args, *(k.value for k in node.keywords)]
                    for item in sub(arg)
                ]
            if name in ORM_SQL_METHODS:
                return []
            return self._report(rel, function, node)
        if isinstance(node, ast.Name) and function is not None and node.id not in seen:
            seen = (*seen, node.id)
            values = [
                value
                for target, value in _assignments(function)
                if isinstance(target, ast.Name) and target.id == node.id
            ]
            if values:
                return [
                    item
                    for value in values
                    for item in self._expr(value, rel, function, seen, depth)
                ]
            constants = _module_constants(self.index.files[rel]).get(node.id)
            if constants and all(isinstance(value, ast.Constant) for value in constants):
                return []  # a module-level string constant (e.g. a statement's text)
            position = _parameter_position(function, node.id)
            if position is not None and depth < 3:
                return self._from_callers(function, node.id, position, depth + 1)
        return self._report(rel, function, node)

    def _from_callers(self, function, parameter, position, depth):
        """A parameter is safe when every call site passes a safe value (or none, and
        the default is safe)."""
        sites = self.index.calls.get(function.name, [])
        if not sites:
            rel, _owner = self.index.owner[function]
            return self._report(rel, function, ast.Name(parameter))
        found = []
        default = _parameter_default(function, parameter)
        for call in sites:
            offset = 1 if isinstance(call.func, ast.Attribute) else 0  # self.method(...)
            arg = next((k.value for k in call.keywords if k.arg == parameter), None)
            if arg is None and len(call.args) > position - offset >= 0:
                arg = call.args[position - offset]
            if arg is None:
                arg = default
            if arg is None:
                continue
            found += (
                self.check(arg, depth)
                if arg in self.index.owner
                else self._expr(arg, *self.index.owner[function], (), depth)
            )
        return found


def _module_constants(tree):
    """Top-level assignments of a file: {name: [values]}."""
    constants = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    constants.setdefault(target.id, []).append(node.value)
    return constants


def _assignments(function):
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                yield target, node.value
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and node.value is not None:
            yield node.target, node.value


def _parameter_position(function, name):
    arguments = function.args
    positional = [a.arg for a in arguments.posonlyargs + arguments.args]
    if name in positional:
        return positional.index(name)
    if name in [a.arg for a in arguments.kwonlyargs]:
        return -1000  # keyword only
    return None


def _parameter_default(function, name):
    arguments = function.args
    positional = arguments.posonlyargs + arguments.args
    defaults = dict(
        zip(
            [a.arg for a in positional[len(positional) - len(arguments.defaults) :]],
            arguments.defaults,
        )
    )
    defaults.update({a.arg: d for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d})
    return defaults.get(name)


def scan_sources(paths=None, root=REPO):
    """Return (sql findings, evaluated-code sinks) of the suite's sources.

    sql findings: {(file, function, expression): line of the sink};
    sinks: {(file, function): [(sink name, line)]}."""
    index = SourceIndex(paths or list(_source_files()), root)
    checker = SqlChecker(index)
    findings, sinks = {}, {}
    for node, (rel, function) in index.owner.items():
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        fname = function.name if function else "<module>"
        if name in EVAL_SINKS:
            sinks.setdefault((rel, fname), []).append((name, node.lineno))
        query = None
        if name in SQL_SINKS and node.args:
            query = node.args[1] if name == "execute_values" else node.args[0]
        elif name == "SQL" and node.args:
            query = node.args[0]
        if query is not None:
            for finding in checker.check(query):
                findings.setdefault(finding, node.lineno)
    return findings, sinks


@tagged("post_install", "-at_install")
class TestStaticInjection(TransactionCase):
    def test_sources_are_found(self):
        files = list(_source_files())
        self.assertGreaterEqual(len(MODULES), 5)
        self.assertGreater(len(files), 50)

    def test_checker_catches_interpolation(self):
        """The checker itself: interpolations are reported, compositions are not, and a
        query passed as an argument is judged by what its callers pass."""
        code = (
            "def bad(self, name):\n"
            "    self.env.cr.execute(f'SELECT * FROM t WHERE name = {name}')\n"
            "    self.env.cr.execute('SELECT %s' % name)\n"
            "    self.env.cr.execute('SELECT ' + name)\n"
            "    self.env.cr.execute('SELECT {}'.format(name))\n"
            "    query = 'SELECT * FROM t WHERE x = ' + name\n"
            "    self.env.cr.execute(query)\n"
            "def good(self, name, ids):\n"
            "    self.env.cr.execute(SQL('SELECT %s FROM t WHERE id IN %s',\n"
            "                            SQL.identifier(name), tuple(ids)))\n"
            "    self.env.cr.execute('SELECT 1 FROM t WHERE id = %s', [name])\n"
            "    self.env.cr.execute(SQL(', ').join(SQL('%s', i) for i in ids))\n"
            "    self._run(SQL('SELECT %s', name))\n"
            "def _run(self, query):\n"
            "    self.env.cr.execute(query)\n"
            "def caller(self, name):\n"
            "    self._run2('SELECT ' + name)\n"
            "def _run2(self, query):\n"
            "    self.env.cr.execute(query)\n"
            "CONSTANT = 'SELECT 1 FROM t WHERE id = %(id)s'\n"
            "BUILT = 'SELECT ' + str(len(CONSTANT))\n"
            "def constants(self):\n"
            "    self.env.cr.execute(SQL(CONSTANT, id=1))\n"
            "    self.env.cr.execute(BUILT)\n"
        )
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "sample.py"
            path.write_text(code)
            findings, _sinks = scan_sources([path], Path(folder))
        by_function = {}
        for (_file, function, expression), _line in findings.items():
            by_function.setdefault(function, set()).add(expression)
        self.assertEqual(
            by_function,
            {"bad": {"name"}, "caller": {"name"}, "constants": {"BUILT"}},
            findings,
        )
        lines = sorted(line for (_f, function, _e), line in findings.items())
        self.assertEqual(len(lines), 3, "one finding per (function, expression)")

    def test_sql_queries_interpolate_only_allowed_names(self):
        findings, _sinks = scan_sources()
        unexpected = {
            f"{file}:{line} in {function}(): {expression}"
            for (file, function, expression), line in findings.items()
            if (file, function, expression) not in SQL_ALLOWED
        }
        self.assertFalse(
            unexpected, "SQL built from non-allow-listed values:\n" + "\n".join(sorted(unexpected))
        )
        stale = set(SQL_ALLOWED) - set(findings)
        self.assertFalse(stale, f"SQL_ALLOWED entries that match no code any more: {stale}")

    def test_evaluated_code_comes_from_admin_only_fields(self):
        _findings, sinks = scan_sources()
        self.assertEqual(
            set(sinks),
            set(EVALUATED),
            f"evaluated-code sinks (safe_eval, eval, exec, templates): {sinks}",
        )
        system = self.env.ref("base.group_system")
        for model, field_name in EVALUATED.values():
            self.assertIn(field_name, self.env[model]._fields)
            writers = self.env["ir.model.access"].search(
                [
                    ("model_id.model", "=", model),
                    "|",
                    ("perm_write", "=", True),
                    ("perm_create", "=", True),
                ]
            )
            self.assertTrue(writers, model)
            for access in writers:
                group = access.group_id
                self.assertTrue(
                    group == system or system in group.trans_implied_ids,
                    f"{access.name} lets {group.full_name or 'everyone'} write "
                    f"{model}.{field_name}",
                )


@tagged("post_install", "-at_install")
class TestHostileInputs(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company

        def user(login, groups):
            return mail_new_test_user(
                cls.env,
                login=login,
                name=login,
                groups=groups,
                company_id=company.id,
                company_ids=[Command.set(company.ids)],
            )

        cls.wf_user = user(
            "wm_inj_user", "base.group_user,workflow_monitor_base.group_workflow_user"
        )
        cls.wf_manager = user(
            "wm_inj_manager",
            "base.group_user,sales_team.group_sale_manager,"
            "workflow_monitor_base.group_workflow_manager",
        )
        cls.category = cls.env["workflow.exception.category"].create(
            {"code": "wm_injection", "name": "WM injection", "team_id": False}
        )
        cls.doc = cls.env["workflow.test.document"].create({"name": "Injection doc"})
        cls.definition = cls.env.ref("workflow_monitor_test.definition_test_flow")
        cls.stage = cls.env.ref("workflow_monitor_test.stage_confirmed")

    def setUp(self):
        super().setUp()
        MARKER.unlink(missing_ok=True)

    def assert_intact(self):
        """The tables exist and no payload ran."""
        self.env.flush_all()
        for table in ("workflow_event", "workflow_exception", "workflow_instance"):
            self.env.cr.execute("SELECT to_regclass(%s)", [table])
            self.assertTrue(self.env.cr.fetchone()[0], f"table {table} is gone")
        self.assertFalse(MARKER.exists(), "a hostile payload ran code")

    def test_dashboard_filters(self):
        Dashboard = self.env["workflow.dashboard"].with_user(self.wf_user)
        bad_filters = [{"company_ids": [value]} for value in HOSTILE]
        bad_filters += [{"period_days": value} for value in HOSTILE]
        bad_filters += [{"node": value} for value in HOSTILE]
        bad_filters += [
            {"company_ids": "'; DROP TABLE workflow_event; --"},
            {"company_ids": [{"id": 1}]},
            {"node": ["stock.warehouse,1"]},
            {"period_days": [30]},
            "'; DROP TABLE workflow_event; --",
            ["company_ids"],
        ]
        for filters in bad_filters:
            with self.assertRaises(UserError, msg=str(filters)[:200]):
                Dashboard.get_dashboard_data(filters)
        data = Dashboard.get_dashboard_data({"period_days": 7})
        self.assertEqual(data["filters"]["period_days"], 7)
        self.assert_intact()

    def test_search_domains_and_orders(self):
        Exception = self.env["workflow.exception"].with_user(self.wf_user)
        Event = self.env["workflow.event"].with_user(self.wf_user)
        for value in HOSTILE:
            for Model, field in ((Exception, "name"), (Event, "source_ref")):
                self.assertFalse(Model.search([(field, "=", value)]))
                self.assertFalse(Model.search([(field, "ilike", value)]))
                self.assertEqual(Model.search_count([(field, "in", [value, value[:10]])]), 0)
        for Model in (Exception, Event):
            # Odoo itself refuses unknown fields (ValueError) and malformed orders
            with self.assertRaises(ValueError):
                Model.search([("name; DROP TABLE workflow_event; --", "=", 1)])
            with self.assertRaises(UserError):
                Model.search([], order="id; DROP TABLE workflow_event; --")
            with self.assertRaises(ValueError):
                Model.read_group([], ["id:count"], ["create_uid; DROP TABLE x; --"])
        self.assert_intact()

    def test_exception_texts_and_notes(self):
        """Hostile names, descriptions and resolutions are stored as text."""
        Exception = self.env["workflow.exception"].with_user(self.wf_user)
        for index, value in enumerate(HOSTILE):
            exception = Exception.raise_exception(
                self.doc, "wm_injection", value, dedupe_key=f"inj-{index}"
            )
            self.assertTrue(value.startswith(exception.name), "stored as text (maybe cut)")
            exception.write({"description": value, "resolution": value})
            exception.message_post(body=value)
            exception.action_resolve()
            self.assertEqual(exception.state, "resolved")
        blank = Exception.raise_exception(self.doc, "wm_injection", "b", dedupe_key="inj-b")
        blank.write({"resolution": " \t\n"})
        with self.assertRaises(UserError):  # a resolution of blanks is no resolution
            blank.action_resolve()
        with self.assertRaises(ValidationError):
            Exception.raise_exception(self.doc, "'; DROP TABLE workflow_event; --", "x")
        self.assert_intact()

    def test_ai_actions_on_hostile_exceptions(self):
        Exception = self.env["workflow.exception"].with_user(self.wf_user)
        exception = Exception.raise_exception(
            self.doc, "wm_injection", HOSTILE[2], dedupe_key="inj-ai"
        )
        exception.write({"description": "\n".join(HOSTILE[:6])})
        exception.action_ai_summarize()
        suggestion = self.env["workflow.ai.suggestion"].search(
            [("exception_id", "=", exception.id), ("kind", "=", "summary")]
        )
        self.assertEqual(len(suggestion), 1)
        with self.assertRaises(UserError):  # nothing similar: a clear refusal, no crash
            exception.action_ai_similar()
        # masking runs on whatever users write, before any provider call: long runs of
        # word characters must cost linear time (they took minutes when quadratic)
        Provider = self.env["workflow.ai.provider"]
        for text in ("\n".join(HOSTILE), "x-" * 100_000, "a." * 100_000, "Jean-" * 40_000):
            started = time.monotonic()
            masked, _count = Provider._mask(text)
            self.assertLess(time.monotonic() - started, 20, text[:20])
            self.assertEqual(len(masked), len(text), "nothing personal to mask in these")
        masked, count = Provider._mask(HOSTILE[0] + " mail jane@example.com")
        self.assertEqual((masked.endswith("[EMAIL_1]"), count), (True, 1))
        self.assert_intact()

    def test_policy_domains_as_a_manager(self):
        """Managers write SLA and approval policy domains: only literals are accepted."""
        Sla = self.env["workflow.sla.policy"].with_user(self.wf_manager)
        Approval = self.env["workflow.approval.policy"].with_user(self.wf_manager)
        hostile_domains = [
            *HOSTILE,
            f"[('name', '=', __import__('os').system('touch {MARKER}'))]",
            "[('name', '=', 'x' * 10**9)]",  # would eat the memory if evaluated
            "[('name', '=', 9**9**9)]",  # would spin the CPU if evaluated
            "[(" * 5000 + ")]" * 5000,
            "[('name', '=', 1)] + [().__class__.__mro__[1].__subclasses__()]",
        ]
        for index, domain in enumerate(hostile_domains):
            with self.assertRaises(ValidationError, msg=domain[:80]):
                Sla.create(
                    {
                        "name": f"Injection {index}",
                        "definition_id": self.definition.id,
                        "stage_id": self.stage.id,
                        "domain": domain,
                    }
                )
            with self.assertRaises(ValidationError, msg=domain[:80]):
                Approval.create(
                    {
                        "name": f"Injection {index}",
                        "res_model": "sale.order",
                        "condition": "domain",
                        "domain": domain,
                        "tier_ids": [
                            Command.create(
                                {
                                    "approver_type": "user",
                                    "user_ids": [Command.set(self.wf_manager.ids)],
                                }
                            )
                        ],
                    }
                )
        policy = Sla.create(
            {
                "name": "Injection literal",
                "definition_id": self.definition.id,
                "stage_id": self.stage.id,
                "domain": "[('name', '=', \"'; DROP TABLE workflow_event; --\")]",
            }
        )
        self.assertEqual(policy._get_domain(), [("name", "=", "'; DROP TABLE workflow_event; --")])
        self.assert_intact()

    def test_event_api_values(self):
        Event = self.env["workflow.event"].with_user(self.wf_user)
        for value in HOSTILE[:6]:
            with self.assertRaises(ValidationError):
                Event.log_events([{"event_type": value}])
            with self.assertRaises(ValidationError):
                Event.log_events([{"event_type": "custom", "source": value}])
            with self.assertRaises(ValidationError):
                Event.log_events([{"definition": value, "stage_to": "x"}])
            with self.assertRaises(ValidationError):
                Event.log_events([{"event_type": "custom", value: 1}])
        event = Event.log_events(
            [{"event_type": "custom", "source_ref": HOSTILE[0], "payload": {"v": list(HOSTILE)}}]
        )
        self.assertEqual(event.payload["v"][0], HOSTILE[0])
        self.assert_intact()


@tagged("post_install", "-at_install")
class TestHostileWebhooks(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.secret = signature.generate_secret()
        cls.integration = cls.env["workflow.integration"].create(
            {
                "name": "WM injection",
                "kind": "other",
                "signing_secret": cls.secret,
            }
        )
        cls.hook = f"/workflow_monitor/hook/{cls.integration.inbound_uuid}"
        cls.env["ir.config_parameter"].set_param(
            "workflow_monitor.security_signal_threshold", "1000000"
        )

    def setUp(self):
        super().setUp()
        MARKER.unlink(missing_ok=True)

    def post(self, body, webhook_id=None, headers=None, secret=None):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers = signature.sign_headers(
            secret or self.secret, webhook_id or f"msg_inj_{time.time_ns()}", raw
        )
        all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        return self.url_open(self.hook, data=raw, headers=all_headers)

    def test_hostile_payloads_are_refused_or_stored_as_data(self):
        before = self.env["workflow.exception"].search_count([])
        payloads = []
        for value in HOSTILE[:6]:
            payloads += [
                {"type": value, "data": {}},
                {"type": "workflow.exception", "data": {"category": value, "message": value}},
                {
                    "type": "carrier.status",
                    "data": {"tracking_ref": "T", "status": "x", "res_model": value, "res_id": 1},
                },
                {
                    "type": "carrier.status",
                    "occurred_at": value,
                    "data": {"tracking_ref": "T", "status": "x"},
                },
                {"type": "workflow.event", "data": {"event_type": value}},
            ]
        for body in payloads:
            response = self.post(body)
            self.assertEqual(response.status_code, 422, (body, response.text[:300]))
            self.assertTrue(response.json()["error"])
        # hostile values where free text is allowed are stored, never executed
        stored = self.post(
            {
                "type": "carrier.status",
                "data": {"tracking_ref": HOSTILE[0], "status": HOSTILE[2][:200]},
            }
        )
        # processed, or (carrier tracking installed) kept as an unknown reference (422)
        self.assertIn(stored.status_code, (200, 422), stored.text[:300])
        message = self.env["workflow.integration.message"].browse(stored.json()["message_id"])
        self.assertEqual(message.payload["data"]["tracking_ref"], HOSTILE[0])
        self.assertEqual(self.env["workflow.exception"].search_count([]), before)
        self.assertFalse(MARKER.exists())
        self.env.cr.execute("SELECT to_regclass('workflow_event')")
        self.assertTrue(self.env.cr.fetchone()[0])

    def test_nul_characters_are_refused_and_stored(self):
        Message = self.env["workflow.integration.message"]
        for raw in (
            b'{"type": "carrier.status", "data": {"tracking_ref": "N\\u0000", "status": "x"}}',
            b'{"type": "carrier.status", "data": {"\\u0000": 1}}',
            b'{"type": "carrier.status",\x00 "data": {}}',
        ):
            webhook_id = f"msg_nul_{time.time_ns()}"
            response = self.post(raw, webhook_id=webhook_id)
            self.assertEqual(response.status_code, 400, response.text[:300])
            self.assertTrue(response.json()["error"])
            stored = Message.search([("webhook_id", "=", webhook_id)])
            self.assertEqual((stored.state, stored.last_http_status), ("rejected", 400))
            self.assertNotIn("\x00", stored.raw_body)

    def test_hostile_headers(self):
        body = {"type": "workflow.event", "data": {"event_type": "custom"}}
        Message = self.env["workflow.integration.message"]
        for index, value in enumerate((*HOSTILE[:2], "é✓🚨" * 20)):
            # HTTP header values are bytes: UTF-8 sent, read back as latin-1 (WSGI)
            webhook_id = f"{value}-{index}".encode().decode("latin-1")
            response = self.post(body, webhook_id=webhook_id)
            self.assertEqual(response.status_code, 200, response.text[:300])
            stored = Message.browse(response.json()["message_id"])
            self.assertEqual(stored.webhook_id, webhook_id[:255])
        too_long = self.post(body, webhook_id="x" * 5000)
        self.assertEqual(too_long.status_code, 401)
        self.assertIn("too long", too_long.json()["error"])
        for headers in (
            {"webhook-timestamp": "1; DROP TABLE workflow_event"},
            {"webhook-signature": "v1,'; DROP TABLE workflow_event; --"},
            {"webhook-signature": "v1," + "A" * 60_000},  # under the 64 kB header line limit
            {"Content-Type": "application/json'; DROP TABLE x; --"},
        ):
            response = self.post(body, headers=headers)
            self.assertIn(response.status_code, (400, 401, 415), headers)
        response = self.post(b"A" * (self.integration.inbound_max_kb * 1024 + 1))
        self.assertEqual(response.status_code, 413)
        self.env.cr.execute("SELECT to_regclass('workflow_event')")
        self.assertTrue(self.env.cr.fetchone()[0])
