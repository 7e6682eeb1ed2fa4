"""Idempotency keys name the workspace and the member: Slack's own ids (a trigger id, a view
id, an action's timestamp) are not unique across members, so two members reusing them each
get their own outcome."""

from __future__ import annotations

import sqlalchemy as sa

from bot.storage.schema import processed_commands
from tests.adapters.slack.harness import TEAM, Slack, view_of

MEMBERS = ("USAM", "UDANA")
PROFILE = {
    "role": "Data engineer",
    "organisation": "Acme",
    "topics": {"type": "multi_external_select", "selected_options": [{"value": "python"}]},
    "timezone": {"type": "external_select", "selected_option": {"value": "Europe/Berlin"}},
}


async def test_two_members_reusing_slacks_ids_each_get_their_own_outcome(slack: Slack) -> None:
    for n, user in enumerate(MEMBERS, 1):
        body = slack.command_body(user, "volunteer join", trigger_id="trigSAME")
        assert (await slack.post(body))[0] == 200
        opened = await slack.fake.wait_for("views.open", count=n)
        # The same modal (view id) submitted with the same values by each member.
        status, answer = await slack.post(slack.submit_body(user, view_of(opened[-1]), PROFILE))
        assert (status, answer) == (200, "")
        await slack.open_home(user, event_id=f"Ev{user}")
    assert await slack.count("volunteers") == 2

    async with slack.core.db.transaction() as conn:
        rows = (await conn.execute(sa.select(processed_commands))).all()
    assert len(rows) == 6  # per member: the command, the submit, the home tab
    for row in rows:
        assert row.key.startswith(f"slack:{TEAM}:{row.user_id}:"), row.key
