"""Many ``group_send`` calls to channels-redis in two pipelined round trips instead of two to four each.

channels-redis sends one group message with up to four Redis round trips (expire the group's old
members, list them, expire each channel's old messages, then a Lua script that queues the message
on every member's channel). The billing sweeper broadcasts one message per charged minute, ten
thousand in a pass; one by one, those round trips cost more CPU than charging the minutes.

``group_send_many`` does the same for a list of ``(group, message)``: one pipeline per Redis host
lists (and expires) the members of every group, one pipeline per host queues every message, with
the layer's own key names, serialisation, capacities and expiry, in the order given (so one
group's messages arrive in order). It leans on channels-redis internals, pinned in
``requirements.txt`` and checked against a real Redis by ``soulseer/tests/test_group_send_many.py``;
any other layer gets plain ``group_send`` calls.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict

from channels_redis.core import RedisChannelLayer

log = logging.getLogger(__name__)

# channels-redis's own group-send script (``RedisChannelLayer.group_send``): queue the message on
# each channel below its capacity, and count the channels over it.
QUEUE_SCRIPT = """
    local over_capacity = 0
    local current_time = ARGV[#ARGV - 1]
    local expiry = ARGV[#ARGV]
    for i=1,#KEYS do
        if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[i + #KEYS]) then
            redis.call('ZADD', KEYS[i], current_time, ARGV[i])
            redis.call('EXPIRE', KEYS[i], expiry)
        else
            over_capacity = over_capacity + 1
        end
    end
    return over_capacity
"""


async def group_send_many(layer, sends: list[tuple[str, dict]]) -> None:
    """``await layer.group_send(group, message)`` for each of ``sends``, pipelined on channels-redis."""
    if not isinstance(layer, RedisChannelLayer):
        for group, message in sends:
            await layer.group_send(group, message)
        return
    members = await _members(layer, {group for group, _ in sends})
    now = stamp = time.time()
    pipes: dict[int, object] = {}
    scripts: dict[int, list[int]] = defaultdict(list)  # per host: where in its pipeline each script's result is
    for group, message in sends:
        if not members[group]:
            continue
        by_host, payloads, capacities = layer._map_channel_keys_to_connection(members[group], message)
        for index, keys in by_host.items():
            if index not in pipes:
                pipes[index] = layer.connection(index).pipeline(transaction=False)
            pipe = pipes[index]
            for key in keys:  # the channel's expired messages go first, as group_send does
                pipe.zremrangebyscore(key, min=0, max=int(now) - int(layer.expiry))
            # A channel's queue is a sorted set by this time: each message its own, later one, or
            # messages queued together would come out in the order of their bytes.
            stamp = max(time.time(), stamp + 1e-6)
            args = [payloads[key] for key in keys] + [capacities[key] for key in keys] + [stamp, layer.expiry]
            scripts[index].append(len(pipe))
            pipe.eval(QUEUE_SCRIPT, len(keys), *keys, *args)
    for index, pipe in pipes.items():
        results = await pipe.execute()
        over = sum(results[i] for i in scripts[index])
        if over:
            log.info("%s channel(s) over capacity in a batch of group sends", over)


async def _members(layer: RedisChannelLayer, groups: set[str]) -> dict[str, list[str]]:
    """Every group's channels, after dropping members older than the group expiry (one pipeline per host)."""
    by_host: dict[int, list[str]] = defaultdict(list)
    for group in groups:
        assert layer.require_valid_group_name(group), "Group name not valid"
        by_host[layer.consistent_hash(group)].append(group)
    cutoff = int(time.time()) - layer.group_expiry
    found: dict[str, list[str]] = {}
    for index, names in by_host.items():
        pipe = layer.connection(index).pipeline(transaction=False)
        for group in names:
            key = layer._group_key(group)
            pipe.zremrangebyscore(key, min=0, max=cutoff)
            pipe.zrange(key, 0, -1)
        results = await pipe.execute()
        for group, channels in zip(names, results[1::2], strict=True):
            found[group] = [channel.decode("utf8") for channel in channels]
    return found
