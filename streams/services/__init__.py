"""Live-stream use cases: the only place each operation is written. Views, consumers, the admin and
commands call these; each is one transaction and broadcasts (``stream.<id>``, ``streams.lobby``) only
after commit.

Split by topic: ``lifecycle`` (go live, publishing, end, stale streams), ``viewers`` (join/leave
accounting), ``chat`` (chat and moderation), ``gifts`` (paid gifts through ``payments.services.charge``).
"""

from streams.services.chat import (  # noqa: F401
    delete_message,
    lift,
    message_payload,
    post_chat,
    recent_messages,
    restrict,
    restrictions_of,
)
from streams.services.gifts import (  # noqa: F401
    GiftResult,
    catalog,
    gift_type_payload,
    parse_key,
    send_gift,
    top_gifters,
)
from streams.services.lifecycle import (  # noqa: F401
    END_MESSAGES,
    StreamError,
    can_moderate,
    clean_text,
    end_stale_streams,
    end_stream,
    go_live,
    heartbeat,
    pick_janus_url,
    set_publishing,
)
from streams.services.viewers import (  # noqa: F401
    Banned,
    is_banned,
    join,
    leave,
    reap_stale_connections,
    viewer_key,
)
