"""idempotency keys per community and member

A key is unique only within the community and member that sent it: another member reusing
it is a different command. Existing rows already name their community and member, so they
keep their meaning.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("processed_commands", schema=None) as batch_op:
        batch_op.drop_constraint("pk_processed_commands", type_="primary")
        batch_op.create_primary_key("pk_processed_commands", ["community_id", "user_id", "key"])


def downgrade() -> None:
    # Only possible while no key is shared: the old key was global.
    with op.batch_alter_table("processed_commands", schema=None) as batch_op:
        batch_op.drop_constraint("pk_processed_commands", type_="primary")
        batch_op.create_primary_key("pk_processed_commands", ["key"])
