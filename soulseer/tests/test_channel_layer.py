"""The Redis channel layer (``soulseer.channel_layer``) against a real Redis of the test's own (a free
port, started, killed and restarted here). Two ``RedisLayer`` objects stand for two daphne processes:
each has its own connections and subscriptions."""

import asyncio

import pytest

from readings.tests.e2e_support import free_port
from readings.tests.fault_support import redis_server
from soulseer.channel_layer import RedisLayer, RedisLost

WAIT = 10  # seconds: a generous bound for a local Redis, never a sleep


@pytest.fixture
def redis():
    port = free_port()
    proc = redis_server(port).start()
    yield proc, f"redis://127.0.0.1:{port}/0"
    proc.stop()


def layer_for(url: str) -> RedisLayer:
    return RedisLayer(hosts=[{"address": url, "socket_connect_timeout": 2}], prefix="layer-test.")


async def member(layer: RedisLayer, *groups: str) -> str:
    channel = await layer.new_channel()
    for group in groups:
        await layer.group_add(group, channel)
    return channel


async def drain(layer: RedisLayer, channel: str, count: int) -> list[int]:
    return [(await asyncio.wait_for(layer.receive(channel), WAIT))["n"] for _ in range(count)]


def test_messages_cross_processes_directly_and_through_groups(redis):
    _, url = redis

    async def scenario():
        here, there = layer_for(url), layer_for(url)
        a = await member(here, "room.1")
        b = await member(there, "room.1", "room.2")
        await here.send(b, {"type": "x", "n": 1})  # a direct send to a socket of the other process
        await there.group_send("room.1", {"type": "x", "n": 2})
        await here.group_send("room.2", {"type": "x", "n": 3})
        got = {"a": await drain(here, a, 1), "b": await drain(there, b, 3)}
        await here.flush()
        await there.flush()
        return got

    assert asyncio.run(scenario()) == {"a": [2], "b": [1, 2, 3]}


def test_group_send_many_delivers_what_group_send_does_in_the_same_order(redis):
    _, url = redis
    sends = [(f"room.{n % 3}", {"type": "x", "n": n}) for n in range(12)]

    async def deliveries(pipelined: bool) -> list[list[int]]:
        sender, receiver = layer_for(url), layer_for(url)
        channels = [await member(receiver, "room.0", "room.1"), await member(receiver, "room.1")]
        if pipelined:
            await sender.group_send_many(sends)
        else:
            for group, message in sends:
                await sender.group_send(group, message)
        # room.2 has nobody: its messages go nowhere, and a member receives only its groups'
        out = [await drain(receiver, channels[0], 8), await drain(receiver, channels[1], 4)]
        await sender.flush()
        await receiver.flush()
        return out

    expected = asyncio.run(deliveries(pipelined=False))
    assert expected == [[0, 1, 3, 4, 6, 7, 9, 10], [1, 4, 7, 10]]
    assert asyncio.run(deliveries(pipelined=True)) == expected


def test_a_lost_redis_ends_every_waiting_receive_and_a_new_channel_works_once_it_is_back(redis):
    proc, url = redis

    async def scenario():
        here, there = layer_for(url), layer_for(url)
        waiting = [await member(here, "room.1") for _ in range(3)]
        receives = [asyncio.ensure_future(here.receive(channel)) for channel in waiting]
        await asyncio.sleep(0)  # let them start waiting (no timing depends on this)
        proc.kill9()
        outcomes = await asyncio.wait_for(asyncio.gather(*receives, return_exceptions=True), WAIT)
        proc.start()
        fresh = await member(here, "room.1")  # what a reconnecting browser's new socket does
        await there.group_send("room.1", {"type": "x", "n": 7})
        after = await drain(here, fresh, 1)
        await here.flush()
        await there.flush()
        return outcomes, after, waiting, here

    outcomes, after, waiting, here = asyncio.run(scenario())
    assert [type(outcome) for outcome in outcomes] == [RedisLost] * 3
    assert after == [7]
