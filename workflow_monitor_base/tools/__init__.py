import threading

from odoo.modules import module

from .sql import bulk_insert, bulk_update, drop_indexes


def commit_chunk(env):
    """Commit between chunks of a long scheduled action so work is kept and locks are
    released; never inside tests, where the test transaction must stay open."""
    testing = (
        env.registry.in_test_mode()
        or module.current_test
        or getattr(threading.current_thread(), "testing", False)
    )
    if not testing:
        env.cr.commit()
