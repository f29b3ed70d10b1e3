"""The holding area's database handle: one transaction per unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from acgate.storage.database import READ_ONLY, migrate
from acgate.storage.repository import Repository


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def shared_between_processes(self) -> bool:
        """Whether another process opening the same URL sees the same database."""
        database = self.engine.url.database
        return self.engine.dialect.name != "sqlite" or database not in (None, "", ":memory:")

    def migrate(self) -> None:
        migrate(self.engine)

    @contextmanager
    def transaction(self, *, rollback: bool = False) -> Iterator[Repository]:
        """Commit when the block ends normally; roll back on error, or always for a dry run."""
        with self.engine.connect() as connection:
            transaction = connection.begin()
            try:
                yield Repository(connection)
            except BaseException:
                transaction.rollback()
                raise
            if rollback:
                transaction.rollback()
            else:
                transaction.commit()

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A read-only transaction that takes no write lock; always rolled back."""
        with self.engine.connect().execution_options(**{READ_ONLY: True}) as connection:
            transaction = connection.begin()
            try:
                yield connection
            finally:
                transaction.rollback()
