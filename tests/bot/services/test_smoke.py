from tests.support import GOOD_REQUEST, VOLUNTEERS, World, button


async def test_happy_path(world: World) -> None:
    for name, profile in VOLUNTEERS.items():
        reply = await world.say(name, f"/infochat volunteer join {profile}")
        assert reply.ok, reply
    reply = await world.say("sam", GOOD_REQUEST)
    assert reply.ok, reply
    print(reply.messages[0])
    suggestions = reply.messages[0]
    reply = await world.press("sam", button(suggestions, "Let the bot choose"))
    assert reply.ok, reply
    ask = world.last_with_buttons("priya")
    reply = await world.press("priya", button(ask, "Accept"))
    assert reply.ok, reply
    groups = world.groups()
    assert len(groups) == 1
    print(groups[0])
