"""The Redis channel layer: channels-redis's pub/sub layer, plus a clean end and pipelined broadcasts.

Why pub/sub: channels-redis's original layer (``core.RedisChannelLayer``) keeps every channel as a
sorted set, so each message costs four Redis round trips to send (expire, count, add, expire) and
four to receive (a clean-up script, a blocking pop, a backup, its removal), and every socket of a
process takes turns on one receive lock. Measured with 1,000 open readings on two daphnes, that
was about 40 % of each daphne's Python time; with pub/sub a send is one ``PUBLISH`` and a process
receives on one subscribed connection (daphne CPU 56 % → 32 % of a core, signalling median 21 → 3 ms;
``benchmarks/readings_bench.py``). Delivery is at most once, as it was in practice: a message for a
socket whose process is gone was never read either.

Two additions over ``channels_redis.pubsub``:

- **A lost Redis ends the process's sockets, as the original layer did.** The library's receive
  task logs a lost connection and retries, so every consumer would sit on an open socket that
  silently misses its messages. Here the first failure on the subscribed connection makes each
  waiting ``receive()`` raise ``RedisLost`` (the consumer ends, the browser reconnects and gets the
  room's state again) and the next subscription opens a new connection. Redis commands are not
  retried, so the failure shows at once.
- **``group_send_many``**: many ``group_send`` in one pipelined round trip, for the outbox that
  broadcasts a billing pass's hundreds of charges (``readings.events``).

It relies on the library's per-loop layer and shard classes (``RedisPubSubLoopLayer``,
``RedisSingleShardConnection``); the version is pinned in ``requirements.txt`` and the behaviour
is checked against a real Redis in ``soulseer/tests/test_channel_layer.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _close_redis, _wrap_close, create_pool, decode_hosts
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

log = logging.getLogger(__name__)

LOST = object()  # queued to every waiting channel of a shard whose connection failed


class RedisLost(ConnectionError):
    """The connection this process received on is gone: the socket ends (its browser reconnects)."""


class _Shard(RedisSingleShardConnection):
    def _ensure_redis(self):
        if self._redis is None:
            host = {**self.host, "retry": Retry(NoBackoff(), 0)}  # fail at once; we start over instead
            self._redis = aioredis.Redis(connection_pool=create_pool(host))
            self._pubsub = self._redis.pubsub()

    async def _do_receiving(self):
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (asyncio.CancelledError, GeneratorExit):
                raise
            except Exception:
                log.warning("lost the Redis connection of the channel layer: ending this process's sockets")
                await self._lose()
                return

    async def _lose(self) -> None:
        """Wake every channel received on here with ``LOST`` and forget the connection and its
        subscriptions: the next subscription (a reconnecting browser's socket) opens a new one."""
        layer = self.channel_layer
        for name, queue in list(layer.channels.items()):
            if layer._get_shard(name) is self:
                queue.put_nowait(LOST)
        redis, self._redis, self._pubsub = self._redis, None, None
        self._subscribed_to = set()
        self._receive_task = None
        if redis is not None:
            with contextlib.suppress(Exception):
                await _close_redis(redis)

    async def publish_many(self, items: list[tuple[str, bytes]]) -> None:
        async with self._lock:
            self._ensure_redis()
            async with self._redis.pipeline(transaction=False) as pipe:
                for channel, data in items:
                    pipe.publish(channel, data)
                await pipe.execute()


class _LoopLayer(RedisPubSubLoopLayer):
    def __init__(self, hosts=None, prefix="asgi", **kwargs):
        super().__init__(hosts=hosts, prefix=prefix, **kwargs)
        self._shards = [_Shard(host, self) for host in decode_hosts(hosts)]

    async def receive(self, channel):
        try:
            return await super().receive(channel)
        except RedisLost:
            self.channels.pop(channel, None)
            raise

    async def group_send_many(self, sends: list[tuple[str, dict]]) -> None:
        """``group_send`` each ``(group, message)``, in order, one pipeline per Redis host."""
        by_shard: dict[_Shard, list[tuple[str, bytes]]] = defaultdict(list)
        for group, message in sends:
            name = self._get_group_channel_name(group)
            by_shard[self._get_shard(name)].append((name, self.channel_layer.serialize(message)))
        for shard, items in by_shard.items():
            await shard.publish_many(items)


class RedisLayer(RedisPubSubChannelLayer):
    """``CHANNEL_LAYERS`` backend when ``REDIS_URL`` is set (one per-event-loop layer, as the library)."""

    def _get_layer(self):
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
        return layer

    def deserialize(self, message):
        if message is LOST:
            raise RedisLost("the channel layer's Redis connection was lost")
        return super().deserialize(message)

    async def group_send_many(self, sends: list[tuple[str, dict]]) -> None:
        await self._get_layer().group_send_many(sends)
