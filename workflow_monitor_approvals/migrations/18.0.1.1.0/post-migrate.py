# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""18.0.1.1.0: approvals became single use (``consumed_at``).

Requests approved before this version whose action already ran are marked as used, so
that a document cancelled and reset to draft since cannot be confirmed again on them.
Approved requests whose action has not run yet stay usable once."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """UPDATE workflow_approval_request
              SET consumed_at = COALESCE(decided_at, requested_at)
            WHERE state = 'approved' AND consumed_at IS NULL AND execution_state = 'done'"""
    )
