"""complaintflow for asyncio hosts: :class:`AsyncEngine`, the store
contract as coroutines (:class:`AsyncStore`), a native async PostgreSQL
store (:class:`AsyncPostgresStore`, on psycopg's async connection pool) and
the bridges between blocking and async stores. See ``docs/howto-async.md``."""

from complaintflow.aio._engine import AsyncEngine
from complaintflow.aio._postgres import AsyncPostgresStore
from complaintflow.aio._stores import AsyncStore, BlockingStore, ThreadedStore

__all__ = ["AsyncEngine", "AsyncPostgresStore", "AsyncStore", "BlockingStore", "ThreadedStore"]
