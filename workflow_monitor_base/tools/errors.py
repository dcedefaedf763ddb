# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Error types the engine's hooks raise for their callers to tell apart."""

from odoo.exceptions import UserError


class UnknownReferenceError(UserError):
    """An outside reference (a carrier's tracking number...) that matches no document
    the caller may act on. The message is written for the sender: it names the field
    (``field``, e.g. ``data.tracking_ref``) and the value, never an internal detail.
    Callers keep what they received and apply it again once the reference exists (the
    inbox answers 422 and retries the message)."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field
