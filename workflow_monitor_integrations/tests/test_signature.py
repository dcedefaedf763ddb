# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import base64
import time

from odoo.tests import TransactionCase, tagged

from ..tools import signature
from .common import independent_signature


@tagged("post_install", "-at_install")
class TestSignature(TransactionCase):
    def test_documented_vectors(self):
        """The vectors in tools/signature.py (the first is the Standard Webhooks
        specification's own example) hold for the helper and for an independent HMAC."""
        self.assertEqual(
            signature.TEST_VECTORS[0]["signature"],
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        )
        for vector in signature.TEST_VECTORS:
            args = (vector["secret"], vector["id"], vector["timestamp"], vector["body"])
            self.assertEqual(signature.sign(*args), vector["signature"])
            self.assertEqual(independent_signature(*args), vector["signature"])
            self.assertIn(vector["signature"], signature.__doc__)

    def test_verify(self):
        secret = signature.generate_secret()
        body = b'{"type":"ping","data":{}}'
        now = int(time.time())
        headers = signature.sign_headers(secret, "msg_1", body, timestamp=now)
        self.assertEqual(
            headers["webhook-signature"], independent_signature(secret, "msg_1", now, body)
        )
        self.assertEqual(signature.verify(secret, headers, body), ("msg_1", now))
        # several signatures (secret rotation): any valid v1 entry is enough
        rotated = dict(
            headers, **{"webhook-signature": "v1,bm9wZQ== " + headers["webhook-signature"]}
        )
        self.assertEqual(signature.verify(secret, rotated, body)[0], "msg_1")
        with self.assertRaisesRegex(signature.SignatureError, "no webhook-signature matches"):
            signature.verify(secret, headers, body + b" ")
        with self.assertRaisesRegex(signature.SignatureError, "no webhook-signature matches"):
            signature.verify(signature.generate_secret(), headers, body)
        with self.assertRaises(signature.TimestampError):
            signature.verify(secret, headers, body, now=now + 301)
        self.assertEqual(signature.verify(secret, headers, body, now=now - 300)[1], now)
        with self.assertRaisesRegex(signature.SignatureError, "missing"):
            signature.verify(secret, {"webhook-id": "x"}, body)
        with self.assertRaises(signature.TimestampError):
            signature.verify(secret, dict(headers, **{"webhook-timestamp": "soon"}), body)

    def test_secret_format(self):
        secret = signature.generate_secret()
        self.assertTrue(secret.startswith("whsec_"))
        self.assertEqual(len(base64.b64decode(secret[6:])), 32)
        self.assertEqual(len(signature.secret_key(signature.generate_secret(64))), 64)
        for bad in ("", "secret", "whsec_%%%", "whsec_" + base64.b64encode(b"short").decode()):
            with self.assertRaises(ValueError):
                signature.secret_key(bad)
        with self.assertRaises(ValueError):
            signature.generate_secret(8)
