"""sessions and CDRs: charging sessions, object audience, tariff versions, CDR disputes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("audience_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_objects_audience", ["module", "owner_id", "audience_id", "id"], unique=False
        )

    op.create_table(
        "charging_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("audience_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("push_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charging_sessions")),
    )
    with op.batch_alter_table("charging_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_charging_sessions_push_due", ["push_due_at"], unique=False)

    op.create_table(
        "tariff_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("party_id", sa.String(length=3), nullable=False),
        sa.Column("tariff_id", sa.String(length=36), nullable=False),
        sa.Column("last_updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariff_versions")),
        sa.UniqueConstraint(
            "owner_id",
            "country_code",
            "party_id",
            "tariff_id",
            "last_updated",
            name="uq_tariff_versions_key",
        ),
    )

    op.create_table(
        "cdr_disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("party_id", sa.String(length=3), nullable=False),
        sa.Column("cdr_id", sa.String(length=39), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("claimed_total", sa.String(length=40), nullable=True),
        sa.Column("expected_total", sa.String(length=40), nullable=True),
        sa.Column("difference", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cdr_disputes")),
    )
    with op.batch_alter_table("cdr_disputes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cdr_disputes_cdr", ["partner_id", "country_code", "party_id", "cdr_id"]
        )


def downgrade() -> None:
    op.drop_table("cdr_disputes")
    op.drop_table("tariff_versions")
    op.drop_table("charging_sessions")
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.drop_index("ix_objects_audience")
        batch_op.drop_column("audience_id")
