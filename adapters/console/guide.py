"""The console's own help: how to write a line (the bot's commands are `/infochat help`)."""

from __future__ import annotations

from bot.domain.community import CommunitySettings


def guide(settings: CommunitySettings, place: str = "local") -> str:
    """`place`: the session's default console place."""
    channels = ", ".join(
        f"#{name}"
        for name in (
            settings.moderators_channel,
            settings.introductions_channel,
            settings.digest_channel,
        )
    )
    return f"""\
Each line names the member who acts, then what they type or press:

  sam /infochat request topic="data engineering" why="…" q="…?" q="…?"
      the same slash command a chat member types; key=value, quotes for spaces,
      a repeated key collects a list (q="…" q="…"). Leave the fields out to get a form.
  priya press Accept            press a button on priya's latest message that has it
  priya press 2                 …by its number on that message ([1] [2] …)
  priya press "Not right now" until=YYYY-MM-DD
                                fill the button's form inline; without values you are prompted
  mo press Approve on 12        press a button on console message (12)
  mo press Approve on #moderators
                                …or on the latest message in a channel that has it
  show priya                    priya's DMs, private replies and introductions
  show #moderators              a channel: {channels}
  members                       the members seen so far (`members @campus`: one place's)
  wait 3d                       demo mode: time passes (m, h, d, w); reminders, expiries,
                                follow-ups and digests that fall due happen
  help                          this help; `sam /infochat help` is the bot's help
  quit                          leave (Ctrl-D too)

Any word is a member (letters, digits, _ - .; not show, help, members, wait, quit or exit).
Moderators are the members given with --moderators (and mo in the demo).

Places: members act on the console place “{place}” unless a line names another one:
  dana@campus /infochat request …   dana acts on the console place campus
  show dana@campus                  what dana saw on campus
  show #moderators@campus           a channel of campus
  members @campus                   the members seen on campus
Each place is like a Slack workspace or a Discord server of its own (at first its own
community); `{place}` is the default. With more than one place in play, every message says
which place it went to, e.g. [dm → priya@campus]. Moderators of another place are given as
--moderators kim@campus. In a line, {{code}} stands for the link code the bot showed last:
  kim@campus /infochat mod link-place code={{code}}

Forms are filled by prompts, one field per line: an empty line keeps the default,
a list field takes one item per line until an empty line, /cancel drops the form.
Lines starting with "# " or "#!" are comments, also inside a form. A line ending in
"#! refused" expects the bot to refuse it (in a script, --strict then plays on)."""
