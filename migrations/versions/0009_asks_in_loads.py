"""asks that didn't become a chat (declined, not now, left to expire) count in the
volunteer's matching load: every stored load is counted again with the new definition
(bot/storage/counters.py), and each posting carries it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from bot.storage.counters import combine, copy_loads, load_queries
from bot.storage.schema import volunteer_loads

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    counted = combine(*[conn.execute(query).all() for query in load_queries(datetime.now(UTC))])
    conn.execute(sa.delete(volunteer_loads))
    if counted:
        conn.execute(
            sa.insert(volunteer_loads),
            [
                {"member_id": m, "load": load, "load_until": until}
                for m, (load, until) in counted.items()
            ],
        )
    conn.execute(copy_loads())


def downgrade() -> None:
    """Loads counted with lapsed asks are still loads: the earlier code recounts each one
    the next time an event touches it."""
