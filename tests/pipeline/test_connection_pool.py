"""Database connections are pooled and bounded per process: a burst of concurrent work waits for
a connection instead of opening one each (PostgreSQL's "too many clients already")."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the pool is PostgreSQL's (psycopg_pool)")


def _backend_pid() -> int:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid(), pg_sleep(0.15)")
            return int(cursor.fetchone()[0])
    finally:
        connections.close_all()  # hands the connection back to the pool


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_concurrent_work_shares_a_bounded_pool_and_none_fails(settings):
    size = settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]
    burst = size * 4
    with ThreadPoolExecutor(max_workers=burst) as threads:
        pids = list(threads.map(lambda _i: _backend_pid(), range(burst)))
    assert len(pids) == burst  # every piece of work got a connection, none was refused
    assert len(set(pids)) <= size  # through at most `size` server connections
