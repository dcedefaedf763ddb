# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The n8n example workflows of examples/n8n/, checked without n8n (the end-to-end test
with a real n8n is opt-in: tests/e2e_n8n, ``make test-n8n``).

Static checks of every example: valid JSON in n8n's export shape, known node types,
connections between existing nodes, distinct webhook paths; every HTTP Request to Odoo
posts to the inbound endpoint with the three Standard Webhooks headers; every Code node
that signs uses the HMAC-SHA256 of ``id.timestamp.body`` with the key decoded from the
``whsec_`` secret, and every one that verifies Odoo's signature does so on the raw bytes
with a constant-time comparison.

The carrier example's Code node is run for real with Node.js (when ``node`` is on the
PATH; the test is not defined otherwise, as no test here may be skipped) on carrier
payloads of three shapes; what it signs is posted to Odoo's inbound endpoint, which must
accept the signature and store a valid ``carrier.status`` message."""

import glob
import json
import os
import re
import shutil
import subprocess

from odoo.tests import HttpCase, tagged

from odoo.addons.workflow_monitor_integrations.tests.common import SECRET

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(REPO, "examples", "n8n")
CARRIER = os.path.join(EXAMPLES, "carrier_tracking_to_odoo.json")
NODE_TYPES = {
    "n8n-nodes-base.webhook",
    "n8n-nodes-base.code",
    "n8n-nodes-base.if",
    "n8n-nodes-base.respondToWebhook",
    "n8n-nodes-base.httpRequest",
    "n8n-nodes-base.errorTrigger",
}
SIGNING = re.compile(
    r"crypto\.createHmac\('sha256', key\)\.update\(`\$\{id\}\.\$\{timestamp\}\.\$\{body\}`\)"
    r"\.digest\('base64'\)"
)
VERIFYING = re.compile(
    r"crypto\.createHmac\('sha256', key\)\s*\.update\(Buffer\.concat\(\[Buffer\.from\("
    r"`\$\{id\}\.\$\{timestamp\}\.`\), raw\]\)\)\s*\.digest\('base64'\)"
)
SECRET_KEY = "Buffer.from(SECRET.replace(/^whsec_/, ''), 'base64')"
HOOK_URL = "'/workflow_monitor/hook/' + $env.WM_N8N_INBOUND_UUID"
HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
NODE = shutil.which("node")
# runs a Code node's script as n8n does (an async function body, $input / $env given)
RUNNER = """
const code = require('fs').readFileSync(0, 'utf8');
const [item, env] = JSON.parse(process.argv[1]);
const $input = { first: () => ({ json: item }) };
const run = new Function('$input', '$env', 'require',
  'return (async () => {' + code + '})();');
run($input, env, require).then((out) => process.stdout.write(JSON.stringify(out)));
"""


def load(path):
    with open(path) as handle:
        return json.load(handle)


def examples():
    return {os.path.basename(path): load(path) for path in sorted(glob.glob(EXAMPLES + "/*.json"))}


@tagged("post_install", "-at_install")
class TestN8nExamples(HttpCase):
    def test_examples_are_valid_workflows(self):
        paths = {}
        for name, workflow in examples().items():
            for key in ("id", "name", "nodes", "connections", "settings"):
                self.assertIn(key, workflow, name)
            nodes = {node["name"]: node for node in workflow["nodes"]}
            self.assertEqual(len(nodes), len(workflow["nodes"]), f"{name}: unique node names")
            for node in workflow["nodes"]:
                self.assertIn(node["type"], NODE_TYPES, f"{name}: {node['name']}")
                if node["type"] == "n8n-nodes-base.webhook":
                    path = node["parameters"]["path"]
                    self.assertNotIn(path, paths, f"{name}: path {path} of {paths.get(path)}")
                    paths[path] = name
            for source, outputs in workflow["connections"].items():
                self.assertIn(source, nodes, name)
                for branch in outputs["main"]:
                    for link in branch:
                        self.assertIn(link["node"], nodes, f"{name}: {source} -> {link}")

    def test_posts_to_odoo_are_signed(self):
        for name, workflow in examples().items():
            for node in workflow["nodes"]:
                params = node["parameters"]
                code = params.get("jsCode", "")
                if "createHmac" in code:
                    # signs what it sends to Odoo, or verifies what Odoo sent (raw bytes)
                    pattern = SIGNING if "'webhook-signature': signature" in code else VERIFYING
                    self.assertRegex(code, pattern, f"{name}: {node['name']}")
                    self.assertIn(SECRET_KEY, code, f"{name}: {node['name']}")
                    if pattern is VERIFYING:
                        self.assertIn("crypto.timingSafeEqual", code, name)
                if node["type"] == "n8n-nodes-base.httpRequest" and HOOK_URL in params["url"]:
                    sent = {h["name"] for h in params["headerParameters"]["parameters"]}
                    self.assertEqual(sent, set(HEADERS), f"{name}: {node['name']}")
                    self.assertEqual(params["rawContentType"], "application/json")
                    self.assertEqual(params["body"], "={{ $json.body }}")

    def test_carrier_example_shape(self):
        workflow = load(CARRIER)
        types = [node["type"] for node in workflow["nodes"]]
        self.assertEqual(types[0], "n8n-nodes-base.webhook")
        webhook = workflow["nodes"][0]["parameters"]
        self.assertEqual((webhook["httpMethod"], webhook["path"]), ("POST", "carrier-tracking"))
        self.assertEqual(webhook["responseMode"], "responseNode")
        (to_odoo,) = [n for n in workflow["nodes"] if n["type"] == "n8n-nodes-base.httpRequest"]
        self.assertIn(HOOK_URL, to_odoo["parameters"]["url"])
        code = self.carrier_code()
        self.assertIn("type: 'carrier.status'", code)
        for key in ("tracking_ref", "status", "occurred_at", "location", "description"):
            self.assertIn(key, code)

    def carrier_code(self):
        (node,) = [n for n in load(CARRIER)["nodes"] if n["type"] == "n8n-nodes-base.code"]
        return node["parameters"]["jsCode"]

    if NODE:

        def run_carrier_code(self, body, headers=None, env=None):
            item = {"headers": headers or {}, "body": body}
            env = dict({"WM_N8N_SIGNING_SECRET": SECRET}, **(env or {}))
            done = subprocess.run(
                [NODE, "-e", RUNNER, json.dumps([item, env])],
                input=self.carrier_code(),
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            )
            (out,) = json.loads(done.stdout)
            return out["json"]

        def test_carrier_code_maps_signs_and_odoo_accepts(self):
            integration = self.env["workflow.integration"].create(
                {"name": "WM n8n carrier example", "kind": "carrier", "signing_secret": SECRET}
            )
            path = f"/workflow_monitor/hook/{integration.inbound_uuid}"
            cases = (
                # EasyPost-like
                (
                    {
                        "result": {
                            "tracking_code": "EZ100",
                            "status": "out_for_delivery",
                            "tracking_details": [
                                {
                                    "message": "On the van",
                                    "datetime": "2026-03-02T08:00:00Z",
                                    "tracking_location": {"city": "Lyon", "country": "FR"},
                                }
                            ],
                        }
                    },
                    ("EZ100", "out_for_delivery", "On the van"),
                ),
                # AfterShip-like
                (
                    {"msg": {"tracking_number": "AS200", "tag": "AttemptFail", "message": "x"}},
                    ("AS200", "failed_delivery", "x"),
                ),
                # the carrier.status shape itself
                (
                    {
                        "tracking_ref": "OWN300",
                        "status": "Delivered",
                        "location": "Lyon",
                        "occurred_at": "2026-03-02T10:00:00Z",
                    },
                    ("OWN300", "delivered", None),
                ),
            )
            for body, (ref, status, description) in cases:
                out = self.run_carrier_code(body)
                self.assertFalse(out["refused"], out)
                message = json.loads(out["body"])
                self.assertEqual(message["type"], "carrier.status")
                self.assertEqual(message["data"]["tracking_ref"], ref)
                self.assertEqual(message["data"]["status"], status)
                self.assertEqual(message["data"].get("description"), description)
                if ref == "EZ100":
                    self.assertEqual(message["data"]["location"], "Lyon, FR")
                    self.assertEqual(message["occurred_at"], "2026-03-02T08:00:00.000Z")
                response = self.url_open(
                    path,
                    data=out["body"].encode(),
                    headers=dict(out["headers"], **{"Content-Type": "application/json"}),
                )
                # signature and schema accepted: processed, or kept as an unknown
                # reference when carrier tracking is installed (no such delivery here)
                self.assertIn(response.status_code, (200, 422), response.text)
                stored = self.env["workflow.integration.message"].browse(
                    response.json()["message_id"]
                )
                self.assertIn(stored.state, ("processed", "failed"), stored.last_error)
                self.assertEqual(stored.payload["data"]["tracking_ref"], ref)
            self.assertEqual(out["body"], json.dumps(message, separators=(",", ":")))

        def test_carrier_code_refuses(self):
            out = self.run_carrier_code({"status": "delivered"})
            self.assertEqual((out["refused"], out["code"]), (True, 400))
            env = {"WM_CARRIER_TOKEN": "tok-123"}
            out = self.run_carrier_code({"tracking_ref": "T1", "status": "delivered"}, env=env)
            self.assertEqual((out["refused"], out["code"]), (True, 401))
            out = self.run_carrier_code(
                {"tracking_ref": "T1", "status": "delivered"},
                headers={"x-carrier-token": "tok-123"},
                env=env,
            )
            self.assertFalse(out["refused"])
