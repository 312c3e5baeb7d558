"""Storage: one SQLAlchemy Core metadata, one async engine, PostgreSQL or SQLite."""

from .database import Database
from .tables import metadata

__all__ = ["Database", "metadata"]
