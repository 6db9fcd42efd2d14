"""The pipelined group sends deliver exactly what channels-redis's own ``group_send`` would, against a
real Redis of the test's own (a free port, started and stopped here)."""

import asyncio

import pytest
from channels_redis.core import RedisChannelLayer

from readings.tests.e2e_support import free_port
from readings.tests.fault_support import redis_server
from soulseer.group_send_many import group_send_many


@pytest.fixture(scope="module")
def redis_url():
    port = free_port()
    proc = redis_server(port).start()
    yield f"redis://127.0.0.1:{port}/0"
    proc.stop()


def layer_for(url: str, **options) -> RedisChannelLayer:
    return RedisChannelLayer(hosts=[url], prefix="gsm", **options)


async def received(layer, channel: str) -> list[int]:
    """The ``n`` of every message queued on ``channel``, oldest first, read from Redis as it stands."""
    rows = await layer.connection(0).zrange(layer.prefix + channel, 0, -1)
    return [layer.deserialize(row)["n"] for row in rows]


def test_each_member_gets_its_groups_messages_in_order(redis_url):
    async def scenario():
        layer = layer_for(redis_url)
        a1, a2, b1 = "member-a1", "member-a2", "member-b1"
        for channel in (a1, a2):
            await layer.group_add("room.a", channel)
        await layer.group_add("room.b", b1)
        await group_send_many(
            layer,
            [
                ("room.a", {"type": "x", "n": 1}),
                ("room.b", {"type": "x", "n": 2}),
                ("room.empty", {"type": "x", "n": 3}),
                ("room.a", {"type": "x", "n": 4}),
                ("room.a", {"type": "x", "n": 5}),
            ],
        )
        got = {name: await received(layer, name) for name in (a1, a2, b1)}
        await layer.flush()
        await layer.close_pools()
        return got, (a1, a2, b1)

    got, (a1, a2, b1) = asyncio.run(scenario())
    assert got == {a1: [1, 4, 5], a2: [1, 4, 5], b1: [2]}


def test_same_result_as_group_send_one_by_one(redis_url):
    """Two layers on one Redis: one sends with channels-redis's ``group_send``, the other pipelined."""

    async def deliveries(send_many: bool) -> list[list[dict]]:
        layer = layer_for(redis_url, capacity=3)  # the capacity rule holds too: the fourth message is dropped
        channels = [f"member-{i}" for i in range(4)]
        for i, channel in enumerate(channels):
            await layer.group_add(f"room.{i % 2}", channel)
        sends = [(f"room.{n % 2}", {"type": "x", "n": n}) for n in range(9)]
        if send_many:
            await group_send_many(layer, sends)
        else:
            for group, message in sends:
                await layer.group_send(group, message)
        out = [await received(layer, channel) for channel in channels]
        await layer.flush()
        await layer.close_pools()
        return out

    expected = asyncio.run(deliveries(send_many=False))
    assert expected == [[0, 2, 4], [1, 3, 5], [0, 2, 4], [1, 3, 5]]
    assert asyncio.run(deliveries(send_many=True)) == expected
