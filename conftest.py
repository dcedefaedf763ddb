"""pytest hooks for the Odoo tests that scripts/test.sh runs with pytest-odoo.

Odoo's own runner (odoo/tests/suite.py) sets ``odoo.modules.module.current_test`` to the
running test; pytest-odoo 2.3.0 does so only for Odoo 19.0+. On 18.0 Odoo relies on it
while testing: the bus refuses websockets (bus/websocket.py ``websocket_allowed``),
ir.mail_server never connects to an SMTP server, and cursors opened by HTTP requests
are checked against the running test (odoo/tests/common.py ``check_test_cursor``).
These hooks set it as Odoo's runner does, so HttpCase and tour tests behave the same.
"""

import logging

import pytest

# pytest-odoo imports odoo.tests before the test mode is on, and Odoo then logs an ERROR
# "Importing test framework" (meant for business code importing it in production).
logging.getLogger("odoo.tests.common").addFilter(
    lambda record: not record.getMessage().startswith("Importing test framework")
)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    from odoo.modules import module
    from odoo.tests.common import BaseCase

    instance = getattr(item, "instance", None)
    module.current_test = instance if isinstance(instance, BaseCase) else False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield  # tearDown and, after the last test of a class, tearDownClass run here
    from odoo.modules import module

    module.current_test = False
