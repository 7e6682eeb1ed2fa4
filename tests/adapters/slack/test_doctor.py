"""`infochat doctor`'s Slack checks against the fake Web API: the all-good case, one failing
case per check line (✘ with its fix, exit 1), an unreachable or silent Slack, and the probe
on the running adapter's client."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from adapters.slack.app import web_client
from adapters.slack.setup_probe import REQUIRED_SCOPES, SlackProbe
from bot.domain.community import CommunitySettings
from tests.adapters.doctor_support import Report, diagnose, met, migrated, one_problem
from tests.adapters.slack.harness import COMMUNITY, TEAM, FakeSlack
from tests.adapters.slack.test_manifest import MANIFEST, scopes

BOT_TOKEN, APP_TOKEN, SECRET = "xoxb-very-secret", "xapp-1-very-secret", "signing-very-secret"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack(latency=0.0)
    server = TestServer(fake.application(), host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("/"))
    yield fake
    await server.close()


@pytest.fixture
async def data_dir(tmp_path: Path) -> Path:
    return await migrated(tmp_path / "data")


async def check(fake: FakeSlack, data_dir: Path, **values: Any) -> Report:
    settings: dict[str, Any] = {
        "data_dir": data_dir,
        "slack_bot_token": BOT_TOKEN,
        "slack_app_token": APP_TOKEN,
        "slack_api_url": f"{fake.url}api/",
    }
    report = await diagnose(**(settings | values))
    for secret in (BOT_TOKEN, APP_TOKEN, SECRET):
        assert secret not in report.text
    return report


def test_the_required_scopes_are_the_manifests() -> None:
    assert scopes(MANIFEST.read_text()) == REQUIRED_SCOPES


async def test_all_good_in_socket_mode(fake: FakeSlack, data_dir: Path) -> None:
    report = await check(fake, data_dir)
    assert report.status == 0, report.text
    assert report.failed() == []
    assert report.line("✔ bot token valid: @infochat in workspace Acme", TEAM)
    assert report.line("✔ granted scopes cover the manifest's 13")
    assert report.line("✔ Socket Mode: the app-level token opens a connection")
    assert report.line("✔ #moderators exists and the app is in it")
    assert report.line("✔ #digest exists and the app is in it")
    assert report.lines[-1] == "All good."
    assert fake.of("apps.connections.open")[0].headers["Authorization"] == f"Bearer {APP_TOKEN}"


async def test_all_good_in_http_mode(fake: FakeSlack, data_dir: Path) -> None:
    report = await check(fake, data_dir, slack_app_token=None, slack_signing_secret=SECRET)
    assert report.status == 0, report.text
    assert report.line("✔ HTTP mode: signing secret set", "http://0.0.0.0:3000/slack/events")
    assert fake.of("apps.connections.open") == []


async def test_no_bot_token(fake: FakeSlack, data_dir: Path) -> None:
    report = await check(fake, data_dir, slack_bot_token=None)
    one_problem(report, "INFOCHAT_SLACK_BOT_TOKEN is set", "Bot User OAuth Token (xoxb-…)")
    assert fake.calls == []


@pytest.mark.parametrize(
    ("token", "kind"),
    [("xapp-1-very-secret", "an app-level token"), ("xoxp-very-secret", "a user token")],
)
async def test_a_token_of_another_kind_in_the_bot_tokens_place(
    fake: FakeSlack, data_dir: Path, token: str, kind: str
) -> None:
    report = await check(fake, data_dir, slack_bot_token=token)
    line = one_problem(report, "INFOCHAT_SLACK_BOT_TOKEN is a bot token (xoxb-…)", kind)
    assert "from OAuth & Permissions" in line
    assert ("INFOCHAT_SLACK_APP_TOKEN" in line) == (kind == "an app-level token")
    assert token not in report.text
    assert fake.calls == []


async def test_a_refused_token(fake: FakeSlack, data_dir: Path) -> None:
    fake.fail("auth.test", ok=False, error="invalid_auth")
    report = await check(fake, data_dir)
    one_problem(report, "Slack accepts the bot token (auth.test: invalid_auth)", "reinstall")


async def test_a_token_that_is_no_bots(fake: FakeSlack, data_dir: Path) -> None:
    fake.fail("auth.test", ok=True, user_id="UPERSON", team_id=TEAM, user="sam")
    report = await check(fake, data_dir)
    one_problem(report, "auth.test: the token is not a bot's", "Bot User OAuth Token")


async def test_missing_scopes_are_named(fake: FakeSlack, data_dir: Path) -> None:
    fake.scopes -= {"files:write", "usergroups:read"}
    report = await check(fake, data_dir)
    one_problem(
        report,
        "granted scopes: missing files:write, usergroups:read",
        "OAuth & Permissions",
        "reinstall the app",
    )


async def test_http_mode_without_a_signing_secret(fake: FakeSlack, data_dir: Path) -> None:
    report = await check(fake, data_dir, slack_app_token=None)
    one_problem(report, "HTTP mode has a signing secret", "INFOCHAT_SLACK_SIGNING_SECRET")


async def test_an_app_token_that_is_not_one(fake: FakeSlack, data_dir: Path) -> None:
    report = await check(fake, data_dir, slack_app_token="xoxb-other-very-secret")
    one_problem(report, "INFOCHAT_SLACK_APP_TOKEN is an app-level token (xapp-…)", "a bot token")
    assert fake.of("apps.connections.open") == []


async def test_an_app_token_slack_refuses(fake: FakeSlack, data_dir: Path) -> None:
    fake.fail("apps.connections.open", ok=False, error="invalid_auth")
    report = await check(fake, data_dir)
    one_problem(report, "Socket Mode: the app-level token opens a connection (invalid_auth)",
                "connections:write")  # fmt: skip


async def test_a_missing_channel(fake: FakeSlack, data_dir: Path) -> None:
    del fake.channels["digest"]
    report = await check(fake, data_dir)
    one_problem(report, "✘ #digest exists", "create #digest", "/invite @infochat",
                "/infochat mod settings digest_channel=NAME")  # fmt: skip


async def test_an_archived_channel(fake: FakeSlack, data_dir: Path) -> None:
    fake.archived.add("moderators")
    report = await check(fake, data_dir)
    one_problem(report, "#moderators is not archived", "unarchive #moderators")


async def test_a_channel_the_app_is_not_in(fake: FakeSlack, data_dir: Path) -> None:
    fake.outside.add("moderators")
    report = await check(fake, data_dir)
    one_problem(report, "✘ the app is in #moderators", "/invite @infochat in #moderators")


async def test_channels_on_later_pages_are_found(fake: FakeSlack, data_dir: Path) -> None:
    fake.channels = {"general": "C0GEN", "random": "C0RAND", "moderators": "C0MODS",
                     "digest": "C0DIGEST"}  # fmt: skip
    fake.page_size = 1
    report = await check(fake, data_dir)
    assert report.status == 0, report.text
    assert len(fake.of("conversations.list")) == 4
    listed = fake.of("conversations.list")[0].params
    assert listed["types"] == "public_channel,private_channel"


async def test_a_mapped_channel_id_slack_does_not_know(fake: FakeSlack, data_dir: Path) -> None:
    report = await check(
        fake, data_dir, slack_channels={"moderators": "C0GONE", "digest": "C0DIGEST"}
    )
    one_problem(report, "#moderators exists (INFOCHAT_SLACK_CHANNELS maps it to C0GONE)",
                "fix the id in INFOCHAT_SLACK_CHANNELS")  # fmt: skip
    assert [c.params["channel"] for c in fake.of("conversations.info")] == ["C0GONE", "C0DIGEST"]
    assert fake.of("conversations.list") == []


async def test_channels_that_cannot_be_listed_without_the_scope(
    fake: FakeSlack, data_dir: Path
) -> None:
    fake.scopes.discard("channels:read")
    report = await check(fake, data_dir)
    assert report.status == 1
    assert report.line("✘ granted scopes: missing channels:read")
    assert report.line("✘ #moderators can be looked up (missing scope channels:read)")
    assert report.line("✘ #digest can be looked up (missing scope channels:read)")


async def test_the_moderators_user_group(fake: FakeSlack, data_dir: Path) -> None:
    group = {"slack_moderators": "usergroup", "slack_moderator_group": "S0MODS"}
    report = await check(fake, data_dir, **group)
    one_problem(
        report, "the moderators' user group S0MODS exists", "INFOCHAT_SLACK_MODERATOR_GROUP"
    )
    fake.usergroups["S0MODS"] = "mods"
    report = await check(fake, data_dir, **group)
    assert report.status == 0, report.text
    assert report.line("✔ moderators: workspace admins and owners, and @mods")


async def test_the_channels_of_a_community_the_bot_has_met(fake: FakeSlack, data_dir: Path) -> None:
    stored = CommunitySettings(digest_channel="weekly", moderators_channel="mods")
    await met(data_dir, COMMUNITY, stored)
    fake.channels = {"mods": "C0MODS", "weekly": "C0WEEKLY", "digest": "C0DIGEST"}
    report = await check(fake, data_dir)
    assert report.status == 0, report.text
    assert report.line("✔ #weekly exists and the app is in it")
    assert report.line("✔ moderators: workspace admins and owners, and members of #mods")


async def test_an_unreachable_slack(data_dir: Path) -> None:
    report = await diagnose(
        data_dir=data_dir, slack_bot_token=BOT_TOKEN, slack_api_url="http://127.0.0.1:9/api/"
    )
    one_problem(report, "Slack answers at http://127.0.0.1:9/api/ (Slack is unreachable",
                "check the network and INFOCHAT_SLACK_API_URL")  # fmt: skip


async def test_a_slack_that_does_not_answer_in_time(fake: FakeSlack, data_dir: Path) -> None:
    fake.latency = 30.0
    settings = {"data_dir": data_dir, "slack_bot_token": BOT_TOKEN,
                "slack_api_url": f"{fake.url}api/"}  # fmt: skip
    report = await diagnose(within=0.3, **settings)
    one_problem(report, "(no answer within 0.3 s)")


async def test_the_acceptance_case_a_missing_scope_and_a_channel_without_the_app(
    fake: FakeSlack, data_dir: Path
) -> None:
    fake.scopes.discard("files:write")
    fake.outside.add("digest")
    report = await check(fake, data_dir)
    assert report.status == 1
    assert len(report.failed()) == 2, report.text
    assert "OAuth & Permissions" in report.line("✘ granted scopes: missing files:write")
    assert "/invite @infochat in #digest" in report.line("✘ the app is in #digest")
    assert report.lines[-1].startswith("2 problems: fix the ✘ lines above")


async def test_the_probe_works_with_the_adapters_client(fake: FakeSlack) -> None:
    fake.outside.add("digest")
    client = web_client("xoxb-test", f"{fake.url}api/")
    probe = SlackProbe(client, moderators="admins")
    found = await probe.check(COMMUNITY, CommunitySettings())
    assert [c.line() for c in found] == [
        "✔ #moderators exists and the app is in it",
        "✘ the app is in #digest — type /invite @infochat in #digest",
        "✔ moderators: workspace admins and owners only",
    ]
    assert fake.of("auth.test")  # who the bot is, for the fix


async def test_the_readmes_example_is_what_doctor_prints(fake: FakeSlack) -> None:
    readme = (MANIFEST.parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Checking the setup: `infochat doctor`\n", 1)[1]
    example = section.split("```\n", 2)[1].splitlines()
    fake.scopes.discard("files:write")
    fake.outside.add("digest")
    await migrated(Path("data"))  # relative to the test's working directory, as in the README
    report = await check(fake, Path("data"))
    head = re.compile(r"newest migration \(\w+\)")
    assert [head.sub("newest migration (HEAD)", line) for line in report.lines] == [
        head.sub("newest migration (HEAD)", line) for line in example
    ]


async def test_an_answer_nothing_can_be_made_of_is_a_line_not_an_exception(
    fake: FakeSlack, data_dir: Path
) -> None:
    fake.fail("conversations.list", ok=True, channels=[42])
    report = await check(fake, data_dir)
    one_problem(report, "Slack's setup can be checked (AttributeError)", "see the log")


async def test_scopes_slack_does_not_name(fake: FakeSlack, data_dir: Path) -> None:
    fake.scopes_header = False
    report = await check(fake, data_dir)
    one_problem(report, "the granted scopes are known (Slack sent no x-oauth-scopes header)",
                "INFOCHAT_SLACK_API_URL")  # fmt: skip


async def test_an_answer_that_is_not_slacks(fake: FakeSlack, data_dir: Path) -> None:
    fake.fail("auth.test", status=404)
    report = await check(fake, data_dir)
    one_problem(report, f"Slack answers at {fake.url}api/ (an answer that isn't Slack's: HTTP 404)",
                "INFOCHAT_SLACK_API_URL")  # fmt: skip
