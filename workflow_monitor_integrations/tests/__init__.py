# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import (
    test_signature,
    test_outbox,
    test_delivery,
    test_concurrency,
    test_delivery_concurrency,
    test_inbound,
    test_health_metrics,
    test_governance_integrations,
    test_silence,
)
