# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import collections
import threading

from odoo.tests import tagged

from .common import SECRET, IntegrationCommon


@tagged("post_install", "-at_install")
class TestConcurrentDelivery(IntegrationCommon):
    def test_two_workers_never_send_a_message_twice(self):
        """Two real connections run the delivery at the same time over committed
        messages: SKIP LOCKED splits the queue, every webhook-id arrives exactly once."""
        count = 60
        registry = self.registry
        with registry.cursor() as cr:
            env = self.real_env(cr)
            integration = env["workflow.integration"].create(
                {
                    "name": "WM concurrent",
                    "url": self.receiver.url,
                    "signing_secret": SECRET,
                }
            )
            messages = env["workflow.integration.message"]._queue_outbound(
                [
                    {
                        "integration_id": integration.id,
                        "event_type": "custom",
                        "payload": {"type": "test", "data": {"n": n}},
                    }
                    for n in range(count)
                ]
            )
            expected = set(messages.mapped("webhook_id"))
        self.purge_committed([integration.id])
        self.receiver.delay = 0.01  # both workers are busy at the same time

        barrier = threading.Barrier(2)
        sent = collections.Counter()
        errors = []

        def worker(name):
            try:
                with registry.cursor() as cr:
                    Message = self.real_env(cr)["workflow.integration.message"]
                    barrier.wait(timeout=10)
                    while True:
                        done = Message._deliver_batch(batch_size=5)
                        if not done:
                            break
                        sent[name] += done
                        # pylint: disable-next=invalid-commit
                        cr.commit()  # release the batch, like the cron between batches
            except Exception as error:  # reported below, in the test thread
                errors.append(error)

        threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self.assertFalse(errors, errors)
        received = collections.Counter(self.receiver.webhook_ids())
        self.assertEqual(set(received), expected, "nothing lost")
        self.assertEqual(max(received.values()), 1, "nothing delivered twice")
        self.assertEqual(sent["a"] + sent["b"], count)
        self.assertGreater(sent["a"], 0)
        self.assertGreater(sent["b"], 0)
        with registry.cursor() as cr:
            cr.execute(
                "SELECT state, count(*) FROM workflow_integration_message "
                "WHERE integration_id = %s GROUP BY state",
                [integration.id],
            )
            self.assertEqual(dict(cr.fetchall()), {"delivered": count})

    def test_claim_skips_rows_locked_by_another_worker(self):
        """While one connection holds a claimed batch (uncommitted), the other takes
        the remaining messages only."""
        registry = self.registry
        with registry.cursor() as cr:
            env = self.real_env(cr)
            integration = env["workflow.integration"].create(
                {"name": "WM locked", "url": self.receiver.url}
            )
            env["workflow.integration.message"]._queue_outbound(
                [{"integration_id": integration.id, "payload": {"n": n}} for n in range(10)]
            )
        self.purge_committed([integration.id])
        with registry.cursor() as cr_a, registry.cursor() as cr_b:
            Message_a = self.real_env(cr_a)["workflow.integration.message"]
            Message_b = self.real_env(cr_b)["workflow.integration.message"]
            from odoo import fields

            now = fields.Datetime.now()
            claimed_a = Message_a._claim([integration.id], 4, now, now)
            claimed_b = Message_b._claim([integration.id], 100, now, now)
            ids_a = {row[0] for row in claimed_a}
            ids_b = {row[0] for row in claimed_b}
            self.assertEqual((len(ids_a), len(ids_b)), (4, 6))
            self.assertFalse(ids_a & ids_b)
            cr_a.rollback()
            cr_b.rollback()

    def test_another_worker_never_takes_a_later_message_of_a_claimed_document(self):
        """Worker A holds the first message of a document (claimed, not committed):
        worker B, reading the committed 'pending' state, skips the locked row and does
        not take the document's second message either; it takes the other document."""
        from odoo import fields

        registry = self.registry
        with registry.cursor() as cr:
            env = self.real_env(cr)
            integration = env["workflow.integration"].create(
                {"name": "WM order", "url": self.receiver.url}
            )
            messages = env["workflow.integration.message"]._queue_outbound(
                [
                    {
                        "integration_id": integration.id,
                        "payload": {"n": n},
                        "res_model": "res.partner",
                        "res_id": doc,
                    }
                    for n, doc in enumerate((1, 1, 2))
                ]
            )
            first, second, other = messages.sorted("id").ids
        self.purge_committed([integration.id])
        with registry.cursor() as cr_a, registry.cursor() as cr_b:
            Message_a = self.real_env(cr_a)["workflow.integration.message"]
            Message_b = self.real_env(cr_b)["workflow.integration.message"]
            now = fields.Datetime.now()
            claimed_a = Message_a._claim([integration.id], 1, now, now)
            claimed_b = Message_b._claim([integration.id], 100, now, now)
            self.assertEqual([row.id for row in claimed_a], [first])
            self.assertEqual([row.id for row in claimed_b], [other], (first, second, other))
            cr_a.rollback()
            cr_b.rollback()
