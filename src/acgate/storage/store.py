"""The holding area's database handle: one transaction per unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from acgate.storage.database import migrate
from acgate.storage.repository import Repository


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

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
