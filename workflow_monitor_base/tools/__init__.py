from .sql import bulk_insert, bulk_update


def commit_chunk(env):
    """Commit between chunks of a long scheduled action so work is kept and locks are
    released; never inside tests, where the test transaction must stay open."""
    if not env.registry.in_test_mode():
        env.cr.commit()
