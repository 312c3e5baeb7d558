"""Storage: one SQLAlchemy Core metadata, one async engine, PostgreSQL or SQLite; the
webhook inbox and job queue (``inbox``)."""

from .database import Database
from .tables import metadata

__all__ = ["Database", "metadata"]
