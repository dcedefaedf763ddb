# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The slow tests drive odoo-bin processes; they need the template database that
scripts/test_slow.sh (`make test-slow`) installs."""

import pytest

from . import harness


@pytest.fixture(scope="session", autouse=True)
def _template_exists():
    assert harness.scalar(
        "postgres", "SELECT 1 FROM pg_database WHERE datname = %s", [harness.TEMPLATE]
    ), f"template database {harness.TEMPLATE} missing: run make test-slow"
