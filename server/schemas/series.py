"""Series of classes made from an RFC 5545 recurrence rule."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from .classes import ClassCreate, ClassOut
from .common import ResponseModel

__all__ = ["SeriesCreate", "SeriesOut"]


class SeriesCreate(ClassCreate):
    """A class (its times are the first occurrence's) and the rule that repeats it."""

    rrule: str = Field(
        min_length=1,
        max_length=500,
        description="FREQ=DAILY|WEEKLY with COUNT or UNTIL (UTC); INTERVAL, BYDAY, WKST allowed",
    )


class SeriesOut(ResponseModel):
    id: str
    course_id: str
    rrule: str
    timezone: str
    created_at: datetime
    classes: list[ClassOut]
