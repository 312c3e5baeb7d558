"""Every table, on one :class:`MetaData` shared with Alembic.

Ids that come from the learning platform (organizations, users, courses) are
kept as its strings and scoped by ``org_id``; ids we mint (classes,
notifications) are random, so nothing about one organization can be guessed
from another's.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from .types import UTCDateTime

__all__ = [
    "attendance_intervals",
    "calendar_feeds",
    "chat_messages",
    "class_events",
    "class_participants",
    "class_reminders",
    "class_resources",
    "class_series",
    "course_mentors",
    "courses",
    "enrollments",
    "google_channels",
    "hands",
    "live_classes",
    "mail_deliveries",
    "metadata",
    "notifications",
    "organizations",
    "poll_votes",
    "polls",
    "provider_credentials",
    "question_votes",
    "questions",
    "recording_grants",
    "recordings",
    "users",
    "webhook_deliveries",
    "webhook_endpoints",
    "webhook_events",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = String(64)

organizations = Table(
    "organizations",
    metadata,
    Column("org_id", ID, primary_key=True),
    Column("first_seen_at", UTCDateTime(), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("org_id", ID, primary_key=True),
    Column("user_id", ID, primary_key=True),
    Column("name", String(200), nullable=False, server_default=""),
    Column("email", String(320), nullable=True),
    Column("role", String(16), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
Index("ix_users_org_email", users.c.org_id, users.c.email)

courses = Table(
    "courses",
    metadata,
    Column("org_id", ID, primary_key=True),
    Column("course_id", ID, primary_key=True),
    Column("title", String(300), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

course_mentors = Table(
    "course_mentors",
    metadata,
    Column("org_id", ID, primary_key=True),
    Column("course_id", ID, primary_key=True),
    Column("user_id", ID, primary_key=True),
    ForeignKeyConstraint(
        ["org_id", "course_id"], ["courses.org_id", "courses.course_id"], ondelete="CASCADE"
    ),
)
Index("ix_course_mentors_user", course_mentors.c.org_id, course_mentors.c.user_id)

enrollments = Table(
    "enrollments",
    metadata,
    Column("org_id", ID, primary_key=True),
    Column("course_id", ID, primary_key=True),
    Column("user_id", ID, primary_key=True),
    Column("enrolled_at", UTCDateTime(), nullable=False),
    ForeignKeyConstraint(
        ["org_id", "course_id"], ["courses.org_id", "courses.course_id"], ondelete="CASCADE"
    ),
)
Index("ix_enrollments_user", enrollments.c.org_id, enrollments.c.user_id)

live_classes = Table(
    "live_classes",
    metadata,
    Column("id", ID, primary_key=True),
    Column("org_id", ID, nullable=False),
    Column("course_id", ID, nullable=False),
    Column("title", String(300), nullable=False),
    Column("description", Text, nullable=True),
    Column("status", String(16), nullable=False),
    Column("scheduled_start", UTCDateTime(), nullable=False),
    Column("scheduled_end", UTCDateTime(), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("actual_start", UTCDateTime(), nullable=True),
    Column("actual_end", UTCDateTime(), nullable=True),
    Column("host_user_id", ID, nullable=False),
    Column("max_participants", Integer, nullable=True),
    Column("auto_recording", String(8), nullable=False),
    Column("settings", JSON, nullable=False),
    Column("provider", String(16), nullable=False),
    Column("provider_meeting_id", String(255), nullable=False, server_default=""),
    Column("provider_data", JSON, nullable=False),
    Column("join_url", Text, nullable=False),
    Column("host_url", Text, nullable=True),
    Column("passcode", String(64), nullable=True),
    # The class's event log position: bumped in the same transaction that
    # appends to class_events, so seq is gapless and shared by every process.
    Column("last_seq", BigInteger, nullable=False, server_default="0"),
    # Bumped by every change a calendar shows (time, title, cancellation): the iCalendar
    # SEQUENCE of the class's event.
    Column("revision", Integer, nullable=False, server_default="0"),
    # The series this class is an occurrence of (class_series.id), if any.
    Column("series_id", ID, nullable=True),
    Column("created_by", ID, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    ForeignKeyConstraint(["org_id", "course_id"], ["courses.org_id", "courses.course_id"]),
)
Index("ix_live_classes_org_start", live_classes.c.org_id, live_classes.c.scheduled_start)
Index(
    "ix_live_classes_course_start",
    live_classes.c.org_id,
    live_classes.c.course_id,
    live_classes.c.scheduled_start,
)
Index("ix_live_classes_org_status", live_classes.c.org_id, live_classes.c.status)
Index("ix_live_classes_series", live_classes.c.series_id, live_classes.c.scheduled_start)
Index(
    "ix_live_classes_provider_meeting", live_classes.c.provider, live_classes.c.provider_meeting_id
)

class_participants = Table(
    "class_participants",
    metadata,
    Column("class_id", ID, primary_key=True),
    Column("user_id", ID, primary_key=True),
    Column("org_id", ID, nullable=False),
    Column("role", String(16), nullable=False),
    Column("first_joined_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("removed_at", UTCDateTime(), nullable=True),
    Column("removed_reason", String(500), nullable=True),
    ForeignKeyConstraint(["class_id"], ["live_classes.id"], ondelete="CASCADE"),
)

attendance_intervals = Table(
    "attendance_intervals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("class_id", ID, nullable=False),
    # A known user, or null for a provider guest we could not match.
    Column("user_id", ID, nullable=True),
    Column("guest_key", String(255), nullable=True),
    Column("guest_name", String(200), nullable=True),
    Column("source", String(16), nullable=False),
    # What the source uses to pair an end with its start (a socket session, a
    # Zoom participant_uuid); empty for the join/leave routes.
    Column("source_key", String(255), nullable=False, server_default=""),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=True),
    ForeignKeyConstraint(["class_id"], ["live_classes.id"], ondelete="CASCADE"),
)
Index("ix_attendance_class_user", attendance_intervals.c.class_id, attendance_intervals.c.user_id)
Index(
    "ix_attendance_open",
    attendance_intervals.c.class_id,
    attendance_intervals.c.source,
    attendance_intervals.c.source_key,
    attendance_intervals.c.ended_at,
)

class_events = Table(
    "class_events",
    metadata,
    Column("class_id", ID, primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("event", String(64), nullable=False),
    # The payload as hosts see it; per-viewer redaction happens on replay.
    Column("data", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    ForeignKeyConstraint(["class_id"], ["live_classes.id"], ondelete="CASCADE"),
)

# -- the real-time classroom ------------------------------------------------------
# Who did something is stored with the name and class role they had then, so
# history renders without joins and survives the user leaving the course.

chat_messages = Table(
    "chat_messages",
    metadata,
    Column("id", ID, primary_key=True),
    Column("class_id", ID, nullable=False),
    Column("user_id", ID, nullable=False),
    Column("user_name", String(200), nullable=False),
    Column("user_role", String(16), nullable=False),
    Column("text", Text, nullable=False),
    # The sender's idempotency key: a resend with the same key is the same message.
    Column("client_id", String(64), nullable=True),
    Column("sent_at", UTCDateTime(), nullable=False),
    Column("deleted_at", UTCDateTime(), nullable=True),
    ForeignKeyConstraint(["class_id"], ["live_classes.id"], ondelete="CASCADE"),
    UniqueConstraint("class_id", "user_id", "client_id"),
)
Index("ix_chat_messages_class_sent", chat_messages.c.class_id, chat_messages.c.sent_at)

questions = Table(
    "questions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("class_id", ID, nullable=False),
    # Kept for admins even when anonymous; never rendered to students or hosts then.
    Column("user_id", ID, nullable=False),
    Column("user_name", String(200), nullable=False),
    Column("user_role", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("anonymous", Boolean, nullable=False),
    Column("hidden", Boolean, nullable=False),
    Column("pinned", Boolean, nullable=False),
    Column("answer", Text, nullable=True),
    Column("answered_at", UTCDateTime(), nullable=True),
    # Kept equal to the count of question_votes rows in the same transaction.
    Column("votes", Integer, nullable=False),
    Column("asked_at", UTCDateTime(), nullable=False),
    ForeignKeyConstraint(["class_id"], ["live_classes.id"], ondelete="CASCADE"),
)
Index("ix_questions_class_asked", questions.c.class_id, questions.c.asked_at)

question_votes = Table(
    "question_votes",
    metadata,
    Column("question_id", ID, primary_key=True),
    Column("user_id", ID, primary_key=True),
    Column("voted_at", UTCDateTime(), nullable=False),
    ForeignKeyConstraint(["question_id"], ["questions.id"], ondelete="CASCADE"),
)

polls = Table(
    "polls",
    metadata,
    Column("id", ID, primary_key=True),
    Column("class_id", ID, nullable=False),
    Column("question", String(500), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("options", JSON, nullable=False),
    Column("anonymous", Boolean, nullable=False),
    Column("results", String(16), nullable=False),
    Column("correct", JSON, nullable=True),
    Column("status", String(16), nullable=False),
    Column("created_by", ID, nullable=False),
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("closed_at", UTCDateTime(), nullable=True),
    ForeignKeyConstraint(["class_id"], ["live_classes.id"], ondelete="CASCADE"),
)
Index("ix_polls_class_opened", polls.c.class_id, polls.c.opened_at)

poll_votes = Table(
    "poll_votes",
    metadata,
    Column("poll_id", ID, primary_key=True),
    Column("user_id", ID, primary_key=True),
    Column("user_name", String(200), nullable=False),
    Column("choice", JSON, nullable=False),
    Column("voted_at", UTCDateTime(), nullable=False),
    ForeignKeyConstraint(["poll_id"], ["polls.id"], ondelete="CASCADE"),
)

hands = Table(
    "hands",
    metadata,
    Column("class_id", ID, primary_key=True),
    Column("user_id", ID, primary_key=True),
    Column("user_name", String(200), nullable=False),
    Column("user_role", String(16), nullable=False),
    Column("raised_at", UTCDateTime(), nullable=False),
    ForeignKeyConstraint(["class_id"], ["live_classes.id"], ondelete="CASCADE"),
)

class_resources = Table(
    "class_resources",
    metadata,
    Column("id", ID, primary_key=True),
    Column("class_id", ID, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("title", String(300), nullable=False),
    Column("url", Text, nullable=False),
    Column("shared_by_id", ID, nullable=False),
    Column("shared_by_name", String(200), nullable=False),
    Column("shared_by_role", String(16), nullable=False),
    Column("shared_at", UTCDateTime(), nullable=False),
    ForeignKeyConstraint(["class_id"], ["live_classes.id"], ondelete="CASCADE"),
)
Index("ix_class_resources_class", class_resources.c.class_id, class_resources.c.shared_at)

notifications = Table(
    "notifications",
    metadata,
    Column("id", ID, primary_key=True),
    Column("org_id", ID, nullable=False),
    Column("user_id", ID, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("class_id", ID, nullable=True),
    Column("title", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("read_at", UTCDateTime(), nullable=True),
)
Index(
    "ix_notifications_user_created",
    notifications.c.org_id,
    notifications.c.user_id,
    notifications.c.created_at,
)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("provider", String(16), nullable=False),
    Column("event_type", String(100), nullable=False),
    # Same event delivered twice (a provider retry) has the same key.
    Column("dedup_key", String(255), nullable=False),
    # pending -> processing -> done | ignored | failed; rejected at intake (malformed).
    Column("status", String(16), nullable=False),
    Column("payload", JSON, nullable=True),
    Column("raw_body", Text, nullable=True),
    Column("headers", JSON, nullable=False),
    Column("org_id", ID, nullable=True),
    Column("class_id", ID, nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    # A worker owns a "processing" row until then; after it, a crashed
    # worker's row is taken again.
    Column("lease_until", UTCDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("note", String(300), nullable=True),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("processed_at", UTCDateTime(), nullable=True),
    UniqueConstraint("provider", "dedup_key"),
)
Index("ix_webhook_events_due", webhook_events.c.status, webhook_events.c.next_attempt_at)
Index("ix_webhook_events_org_status", webhook_events.c.org_id, webhook_events.c.status)

provider_credentials = Table(
    "provider_credentials",
    metadata,
    Column("org_id", ID, primary_key=True),
    Column("provider", String(16), primary_key=True),
    # The whole record, JSON then sealed with LIVECLASS_SECRET_KEY (AES-GCM).
    Column("sealed", Text, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
recordings = Table(
    "recordings",
    metadata,
    Column("id", ID, primary_key=True),
    Column("org_id", ID, nullable=False),
    Column("class_id", ID, nullable=False),
    Column("provider", String(16), nullable=False),
    # Zoom's CC and TIMELINE files carry no id; dedup_key stands in for it.
    Column("provider_file_id", String(255), nullable=True),
    Column("meeting_uuid", String(255), nullable=False),
    # The file id, or "meeting_uuid|provider_file_type|recording_start" without one.
    Column("dedup_key", String(255), nullable=False),
    Column("file_type", String(16), nullable=False),
    Column("provider_file_type", String(32), nullable=False),
    Column("recording_type", String(64), nullable=True),
    Column("file_name", String(500), nullable=False),
    Column("file_size_mb", Float, nullable=True),
    Column("recording_start", UTCDateTime(), nullable=False),
    Column("recording_end", UTCDateTime(), nullable=True),
    Column("download_url", Text, nullable=False),
    Column("play_url", Text, nullable=True),
    # The provider's download token, sealed with server.crypto.SecretBox.
    Column("download_token_sealed", Text, nullable=True),
    Column("download_token_expires_at", UTCDateTime(), nullable=True),
    # Deleted recordings are tombstoned, never removed, so a redelivered
    # webhook cannot bring them back.
    Column("deleted_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    ForeignKeyConstraint(["class_id"], ["live_classes.id"], ondelete="CASCADE"),
    UniqueConstraint("provider", "dedup_key", name="uq_recordings_provider_dedup_key"),
)
Index(
    "ix_recordings_class_start",
    recordings.c.class_id,
    recordings.c.deleted_at,
    recordings.c.recording_start,
)
Index("ix_recordings_class_meeting", recordings.c.class_id, recordings.c.meeting_uuid)

recording_grants = Table(
    "recording_grants",
    metadata,
    Column("id", ID, primary_key=True),
    Column("recording_id", ID, nullable=False),
    Column("org_id", ID, nullable=False),
    Column("scope", String(16), nullable=False),
    # Set exactly when scope is "user" (checked by the recording service).
    Column("user_id", ID, nullable=True),
    Column("level", String(16), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("created_by", ID, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    ForeignKeyConstraint(["recording_id"], ["recordings.id"], ondelete="CASCADE"),
)
Index("ix_recording_grants_recording", recording_grants.c.recording_id)

google_channels = Table(
    "google_channels",
    metadata,
    # Our id for the Calendar push channel (Google echoes it in X-Goog-Channel-ID).
    Column("channel_id", String(64), primary_key=True),
    Column("org_id", ID, nullable=False),
    Column("resource_id", String(255), nullable=False),
    # sha256 hex of the channel token; the token itself is never stored.
    Column("token_hash", String(64), nullable=False),
    Column("expiration", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # Set when a newer channel replaced it; notifications on it are then refused.
    Column("stopped_at", UTCDateTime(), nullable=True),
)
Index("ix_google_channels_org", google_channels.c.org_id, google_channels.c.stopped_at)

# -- outbound webhooks (to the learning platform) ----------------------------------

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", ID, primary_key=True),
    Column("org_id", ID, nullable=False),
    Column("url", Text, nullable=False),
    Column("description", String(300), nullable=True),
    # Event types sent to it; an empty list means every type.
    Column("event_types", JSON, nullable=False),
    Column("enabled", Boolean, nullable=False),
    # The Standard Webhooks signing secret (whsec_...), sealed with server.crypto.SecretBox.
    Column("secret_sealed", Text, nullable=False),
    # Consecutive failed attempts; at the circuit threshold the endpoint pauses.
    Column("failure_streak", Integer, nullable=False, server_default="0"),
    Column("paused_until", UTCDateTime(), nullable=True),
    Column("created_by", ID, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
Index("ix_webhook_endpoints_org", webhook_endpoints.c.org_id)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    # Also the delivery order: within one endpoint and class, a row waits for lower ids.
    Column("id", Integer, primary_key=True, autoincrement=True),
    # The ``webhook-id`` header: the same on every attempt, so receivers can deduplicate.
    Column("message_id", String(64), nullable=False),
    Column("org_id", ID, nullable=False),
    Column("endpoint_id", ID, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("class_id", ID, nullable=True),
    # The exact JSON body, signed and sent byte for byte the same on every attempt.
    Column("body", Text, nullable=False),
    # pending -> delivering -> delivered | pending (retry) | failed (retry window over)
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    # A worker owns a "delivering" row until then; after it (kill -9) another takes it.
    Column("lease_until", UTCDateTime(), nullable=True),
    Column("last_attempt_at", UTCDateTime(), nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_response", String(500), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("delivered_at", UTCDateTime(), nullable=True),
    ForeignKeyConstraint(["endpoint_id"], ["webhook_endpoints.id"], ondelete="CASCADE"),
    UniqueConstraint("message_id"),
)
Index(
    "ix_webhook_deliveries_due", webhook_deliveries.c.status, webhook_deliveries.c.next_attempt_at
)
Index(
    "ix_webhook_deliveries_chain",
    webhook_deliveries.c.endpoint_id,
    webhook_deliveries.c.class_id,
    webhook_deliveries.c.id,
)
Index(
    "ix_webhook_deliveries_org_created",
    webhook_deliveries.c.org_id,
    webhook_deliveries.c.created_at,
)

# -- calendar feeds ---------------------------------------------------------------

calendar_feeds = Table(
    "calendar_feeds",
    metadata,
    Column("id", ID, primary_key=True),
    Column("org_id", ID, nullable=False),
    Column("user_id", ID, nullable=False),
    # "person": the owner's classes; "course": one course's classes.
    Column("kind", String(16), nullable=False),
    Column("course_id", ID, nullable=True),
    # sha256 hex of the token in the feed's URL; the token itself is never stored.
    Column("token_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("rotated_at", UTCDateTime(), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
    UniqueConstraint("token_hash"),
)
Index("ix_calendar_feeds_owner", calendar_feeds.c.org_id, calendar_feeds.c.user_id)

# -- reminders and e-mail ------------------------------------------------------------

class_reminders = Table(
    "class_reminders",
    metadata,
    # One row per person, offset and planned start: inserting it is the claim that makes
    # a reminder go out once however many processes plan it; a moved class (new start)
    # gets reminders again.
    Column("class_id", ID, primary_key=True),
    Column("user_id", ID, primary_key=True),
    Column("offset_minutes", Integer, primary_key=True, autoincrement=False),
    Column("starts_at", UTCDateTime(), primary_key=True),
    Column("org_id", ID, nullable=False),
    Column("sent_at", UTCDateTime(), nullable=False),
    ForeignKeyConstraint(["class_id"], ["live_classes.id"], ondelete="CASCADE"),
)

mail_deliveries = Table(
    "mail_deliveries",
    metadata,
    # The notification it mails (reminders, cancellations, reschedules): at most one mail each.
    Column("notification_id", ID, primary_key=True),
    Column("org_id", ID, nullable=False),
    Column("user_id", ID, nullable=False),
    Column("to_address", String(320), nullable=True),
    # pending -> sending -> sent | pending (retry) | failed; skipped (no address known).
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("lease_until", UTCDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime(), nullable=True),
)
Index("ix_mail_deliveries_due", mail_deliveries.c.status, mail_deliveries.c.next_attempt_at)
Index("ix_notifications_kind_created", notifications.c.kind, notifications.c.created_at)

# -- class series ------------------------------------------------------------------

class_series = Table(
    "class_series",
    metadata,
    Column("id", ID, primary_key=True),
    Column("org_id", ID, nullable=False),
    Column("course_id", ID, nullable=False),
    # The RFC 5545 rule as given (FREQ=DAILY|WEEKLY with COUNT or UNTIL), expanded from
    # the first class's start in ``timezone``.
    Column("rrule", String(500), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("created_by", ID, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
Index("ix_class_series_course", class_series.c.org_id, class_series.c.course_id)
