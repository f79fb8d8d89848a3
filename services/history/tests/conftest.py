"""Fixtures of the history unit tests: the real repository over in-memory collections."""

from __future__ import annotations

import pytest

from history.repository import MongoHistoryRepository
from history.service import HistoryProjector, HistoryQueries
from services.history.tests.fakes import Database


@pytest.fixture
async def database() -> Database:
    db = Database()
    await MongoHistoryRepository.in_database(db).ensure_indexes()
    return db


@pytest.fixture
def repository(database: Database) -> MongoHistoryRepository:
    return MongoHistoryRepository.in_database(database)


@pytest.fixture
def projector(repository: MongoHistoryRepository) -> HistoryProjector:
    return HistoryProjector(repository)


@pytest.fixture
def queries(repository: MongoHistoryRepository) -> HistoryQueries:
    return HistoryQueries(repository)
