"""realtime

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 01:35:16.268436
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.types


revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "chat_messages",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("class_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("user_role", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("sent_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["live_classes.id"],
            name=op.f("fk_chat_messages_class_id_live_classes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
        sa.UniqueConstraint(
            "class_id", "user_id", "client_id", name=op.f("uq_chat_messages_class_id")
        ),
    )
    op.create_index(
        "ix_chat_messages_class_sent", "chat_messages", ["class_id", "sent_at"], unique=False
    )
    op.create_table(
        "class_resources",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("class_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("shared_by_id", sa.String(length=64), nullable=False),
        sa.Column("shared_by_name", sa.String(length=200), nullable=False),
        sa.Column("shared_by_role", sa.String(length=16), nullable=False),
        sa.Column("shared_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["live_classes.id"],
            name=op.f("fk_class_resources_class_id_live_classes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_class_resources")),
    )
    op.create_index(
        "ix_class_resources_class", "class_resources", ["class_id", "shared_at"], unique=False
    )
    op.create_table(
        "hands",
        sa.Column("class_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("user_role", sa.String(length=16), nullable=False),
        sa.Column("raised_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["live_classes.id"],
            name=op.f("fk_hands_class_id_live_classes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("class_id", "user_id", name=op.f("pk_hands")),
    )
    op.create_table(
        "polls",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("class_id", sa.String(length=64), nullable=False),
        sa.Column("question", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("results", sa.String(length=16), nullable=False),
        sa.Column("correct", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("opened_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["live_classes.id"],
            name=op.f("fk_polls_class_id_live_classes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_polls")),
    )
    op.create_index("ix_polls_class_opened", "polls", ["class_id", "opened_at"], unique=False)
    op.create_table(
        "questions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("class_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("user_role", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("asked_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["live_classes.id"],
            name=op.f("fk_questions_class_id_live_classes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions")),
    )
    op.create_index("ix_questions_class_asked", "questions", ["class_id", "asked_at"], unique=False)
    op.create_table(
        "poll_votes",
        sa.Column("poll_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("choice", sa.JSON(), nullable=False),
        sa.Column("voted_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["polls.id"], name=op.f("fk_poll_votes_poll_id_polls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("poll_id", "user_id", name=op.f("pk_poll_votes")),
    )
    op.create_table(
        "question_votes",
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("voted_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_votes_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("question_id", "user_id", name=op.f("pk_question_votes")),
    )


def downgrade() -> None:

    op.drop_table("question_votes")
    op.drop_table("poll_votes")
    op.drop_index("ix_questions_class_asked", table_name="questions")
    op.drop_table("questions")
    op.drop_index("ix_polls_class_opened", table_name="polls")
    op.drop_table("polls")
    op.drop_table("hands")
    op.drop_index("ix_class_resources_class", table_name="class_resources")
    op.drop_table("class_resources")
    op.drop_index("ix_chat_messages_class_sent", table_name="chat_messages")
    op.drop_table("chat_messages")
