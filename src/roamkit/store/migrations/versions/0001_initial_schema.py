"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "objects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("module", sa.String(length=30), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("party_id", sa.String(length=3), nullable=False),
        sa.Column("object_id", sa.String(length=255), nullable=False),
        sa.Column("last_updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("wire_v221", sa.LargeBinary(), nullable=True),
        sa.Column("wire_v211", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objects")),
        sa.UniqueConstraint(
            "module", "owner_id", "country_code", "party_id", "object_id", name="uq_objects_key"
        ),
    )
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.create_index("ix_objects_id", ["module", "owner_id", "object_id"], unique=False)
        batch_op.create_index("ix_objects_list", ["module", "owner_id", "id"], unique=False)
        batch_op.create_index(
            "ix_objects_public", ["module", "owner_id", "published", "id"], unique=False
        )
        batch_op.create_index(
            "ix_objects_updated", ["module", "owner_id", "last_updated"], unique=False
        )

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("module", sa.String(length=30), nullable=False),
        sa.Column("method", sa.String(length=6), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("party_id", sa.String(length=3), nullable=False),
        sa.Column("object_id", sa.String(length=255), nullable=False),
        sa.Column("evse_uid", sa.String(length=36), nullable=True),
        sa.Column("connector_id", sa.String(length=36), nullable=True),
        sa.Column("body", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["next_attempt_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "partners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("versions_url", sa.String(length=255), nullable=True),
        sa.Column("version", sa.String(length=10), nullable=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("token_in_hash", sa.String(length=64), nullable=True),
        sa.Column("token_in_next_hash", sa.String(length=64), nullable=True),
        sa.Column("token_a_hash", sa.String(length=64), nullable=True),
        sa.Column("token_out", sa.String(length=255), nullable=True),
        sa.Column("token_encoding", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
        sa.UniqueConstraint("name", name=op.f("uq_partners_name")),
        sa.UniqueConstraint("token_a_hash", name=op.f("uq_partners_token_a_hash")),
        sa.UniqueConstraint("token_in_hash", name=op.f("uq_partners_token_in_hash")),
        sa.UniqueConstraint("token_in_next_hash", name=op.f("uq_partners_token_in_next_hash")),
    )
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("module", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
    )
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quarantine_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "sync_state",
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("module", sa.String(length=30), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_full_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("partner_id", "module", name=op.f("pk_sync_state")),
    )
    op.create_table(
        "partner_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("module", sa.String(length=50), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=True),
        sa.Column("url", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_partner_endpoints_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_endpoints")),
    )
    with op.batch_alter_table("partner_endpoints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_endpoints_partner_id"), ["partner_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("partner_endpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_endpoints_partner_id"))

    op.drop_table("partner_endpoints")
    op.drop_table("sync_state")
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantine_partner_id"))

    op.drop_table("quarantine")
    op.drop_table("partners")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_partner_id"))
        batch_op.drop_index("ix_outbox_due")

    op.drop_table("outbox")
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.drop_index("ix_objects_updated")
        batch_op.drop_index("ix_objects_public")
        batch_op.drop_index("ix_objects_list")
        batch_op.drop_index("ix_objects_id")

    op.drop_table("objects")
