"""Private messages between a client and a reader, paid replies, and blocking.

Who may write to whom:
- a client may write to any active reader;
- a reader may write to a client only if that client wrote to them or had a reading with them;
- nobody writes to someone who blocked them (nor to someone they blocked: unblock first);
- suspended or banned members write to nobody; everyone is rate-limited (COMMUNITY_MESSAGES_PER_MINUTE).

A reader may mark a reply paid (COMMUNITY_PAID_REPLY_MIN..MAX, never above $100). Its body is shown
to no one but the reader until the client opens it with one charge (``payments.services.charge``,
key ``message:<id>``, 70/30); once paid it stays open. Staff refund it from the admin.

New messages go through the notification centre (the email at most once per conversation per
``COMMUNITY_MESSAGE_EMAIL_EVERY_MINUTES`` when the recipient is away) and, after commit, the
recipient's pages hear the new unread count on ``user.<id>``:
``{"kind": "messages", "unread": n, "conversation": id}``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import broadcast_on_commit
from community import conf
from community.models import Block, Conversation, Message
from community.services.notifications import notify, user_group
from community.services.rules import (
    CommunityError,
    NotAllowed,
    check_rate,
    clean_text,
    lock_member,
    require_good_standing,
    require_member,
    since,
)
from payments import services as payments


class Blocked(NotAllowed):
    """One of the two blocked the other."""


# --- Who may write to whom --------------------------------------------------------------------


def _pair(a: User, b: User) -> tuple[User, User]:
    """(client, reader) for two people, or NotAllowed when they are not one of each."""
    if a.is_client and b.is_reader:
        return a, b
    if a.is_reader and b.is_client:
        return b, a
    raise NotAllowed("Private messages are between a client and a reader.")


def client_wrote_to(client: User, reader: User) -> bool:
    return Message.objects.filter(conversation__client=client, conversation__reader=reader, sender=client).exists()


def had_reading(client: User, reader: User) -> bool:
    """A reading that started between them. (The model is looked up by name: readings imports the
    notification centre from community, so community does not import readings.)"""
    Reading = apps.get_model("readings", "Reading")
    return Reading.objects.filter(client=client, reader=reader, started_at__isnull=False).exists()


def is_blocked(blocker: User, blocked: User) -> bool:
    return Block.objects.filter(blocker=blocker, blocked=blocked).exists()


def check_can_write(sender: User, recipient: User, *, now: datetime | None = None) -> tuple[User, User]:
    """Raise the reason ``sender`` may not write to ``recipient`` (clear words), else (client, reader)."""
    require_good_standing(sender, now)
    if not recipient.is_active:
        raise NotAllowed("This account is no longer active.")
    client, reader = _pair(sender, recipient)
    if not hasattr(reader, "reader_profile"):
        raise NotAllowed("This reader cannot receive messages yet.")
    if is_blocked(recipient, sender):
        raise Blocked(f"{recipient.public_name} does not accept messages from you.")
    if is_blocked(sender, recipient):
        raise Blocked(f"You blocked {recipient.public_name}. Unblock them to write again.")
    if sender.pk == reader.pk and not (client_wrote_to(client, reader) or had_reading(client, reader)):
        raise NotAllowed("Readers can write to clients who wrote to them or had a reading with them.")
    return client, reader


def may_write(sender: User, recipient: User) -> tuple[bool, str]:
    """(allowed, reason) for the pages: the same rules as :func:`check_can_write`."""
    try:
        check_can_write(sender, recipient)
    except CommunityError as exc:
        return False, str(exc)
    return True, ""


def conversation_between(a: User, b: User) -> Conversation | None:
    return Conversation.objects.filter(Q(client=a, reader=b) | Q(client=b, reader=a)).first()


def clients_reader_may_start(reader: User) -> QuerySet[User]:
    """Clients a reader had a reading with and has no conversation with yet (to start one)."""
    return (
        User.objects.filter(
            is_active=True,
            role=User.Role.CLIENT,
            readings_as_client__reader=reader,
            readings_as_client__started_at__isnull=False,
        )
        .exclude(conversations_as_client__reader=reader)
        .select_related("client_profile")
        .distinct()
        .order_by("pk")
    )


# --- Sending ----------------------------------------------------------------------------------


def parse_price(value) -> Decimal:
    """A paid reply's price as Decimal, within COMMUNITY_PAID_REPLY_MIN..MAX (never above $100)."""
    low, high = conf.paid_reply_bounds()
    if isinstance(value, float | bool):
        raise TypeError("Money amounts are Decimal, never float.")
    try:
        price = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise CommunityError("Enter the price in dollars, like 5 or 4.50.") from None
    if not price.is_finite() or price != price.quantize(Decimal("0.01")):
        raise CommunityError("Enter the price in dollars with at most two decimals, like 5 or 4.50.")
    if price < low or price > high:
        raise CommunityError(f"A paid reply costs from ${low} to ${high}.")
    return price.quantize(Decimal("0.01"))


@transaction.atomic
def send_message(
    sender: User,
    recipient: User,
    body: str,
    *,
    price: Decimal | None = None,
    teaser: str = "",
    now: datetime | None = None,
) -> Message:
    """Write to ``recipient`` (the conversation is made on the first message). Readers may set ``price``."""
    now = now or timezone.now()
    body = clean_text(body, what="Your message", minimum=1, maximum=conf.MESSAGE_MAX)
    teaser = clean_text(teaser or "", what="The preview line", minimum=0, maximum=140).replace("\n", " ")
    client, reader = check_can_write(sender, recipient, now=now)
    if price is not None:
        if sender.pk != reader.pk:
            raise NotAllowed("Only readers can send paid replies.")
        price = parse_price(price)
    elif teaser:
        teaser = ""  # a preview line only means something on a paid reply
    lock_member(sender)
    limit = conf.get("COMMUNITY_MESSAGES_PER_MINUTE")
    recent = Message.objects.filter(sender=sender, created_at__gt=since(now, minutes=1)).count()
    check_rate(recent, limit, f"You are sending messages quickly: at most {limit} a minute. Please wait a moment.")
    conversation = _conversation(client, reader, now)
    message = Message.objects.create(
        conversation=conversation,
        sender=sender,
        recipient=recipient,
        body=body,
        price=price,
        teaser=teaser,
        created_at=now,
    )
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
    url = reverse("messages:conversation", args=[conversation.pk])
    email = {"email_key": f"conversation:{conversation.pk}", "email_every": conf.message_email_every()}
    if price is not None:
        text = f"{sender.public_name} sent you a paid reply (${price}): {preview(message)}"
        notify(recipient, "paid_reply", text, url, **email)
    else:
        notify(recipient, "new_message", f"{sender.public_name} sent you a message", url, **email)
    push_unread(recipient, conversation)
    return message


def _conversation(client: User, reader: User, now: datetime) -> Conversation:
    conversation = Conversation.objects.filter(client=client, reader=reader).first()
    if conversation is not None:
        return conversation
    try:
        with transaction.atomic():
            return Conversation.objects.create(client=client, reader=reader, created_at=now, last_message_at=now)
    except IntegrityError:  # made by a concurrent first message
        return Conversation.objects.get(client=client, reader=reader)


def preview(message: Message) -> str:
    """What a client sees of a paid reply before opening it: the reader's preview line if they wrote
    one, else the first COMMUNITY_PAID_PREVIEW_CHARS characters of the body — never more than half of
    it, so a short reply is not given away."""
    if message.teaser:
        return message.teaser
    flat = " ".join(message.body.split())
    limit = min(conf.get("COMMUNITY_PAID_PREVIEW_CHARS"), len(flat) // 2)
    return flat[:limit].rstrip() + "…"


# --- Paid replies -----------------------------------------------------------------------------


def open_paid_reply(client: User, message: Message) -> Message:
    """The client pays a paid reply and it opens, for good. One movement, key ``message:<id>``:
    a second click (or a concurrent one) finds it paid and charges nothing. Raises
    ``payments.services.InsufficientFunds`` (nothing moves) when the wallet is short."""
    require_member(client)
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",)).select_related("sender", "conversation").get(pk=message.pk)
        )
        if message.recipient_id != client.pk:
            raise NotAllowed("This message is not addressed to you.")
        if message.price is None:
            raise CommunityError("This message is free; there is nothing to pay.")
        if message.paid_at is not None:
            return message
        now = timezone.now()
        movement = payments.charge(
            client,
            message.sender,
            message.price,
            key=f"message:{message.pk}",
            memo=f"Paid reply from {message.sender.public_name}",
            reference=f"conversation:{message.conversation_id}",
        )
        message.paid_at, message.movement = now, movement
        message.read_at = message.read_at or now
        message.save(update_fields=["paid_at", "movement", "read_at"])
        push_unread(client, message.conversation)
    return message


@transaction.atomic
def refund_paid_reply(message: Message, *, reason: str, by: User) -> Message:
    """Staff give a paid reply's price back to the client (the 70/30 legs reversed; once per message)."""
    message = Message.objects.select_for_update(of=("self",)).select_related("movement", "recipient").get(pk=message.pk)
    if message.movement is None:
        raise CommunityError("This message was not paid; there is nothing to refund.")
    if message.refunded_at is not None:
        return message
    payments.refund(message.movement, reason=reason, by=by, key=f"refund:message:{message.pk}")
    message.refunded_at = timezone.now()
    message.save(update_fields=["refunded_at"])
    notify(
        message.recipient,
        "paid_reply",
        f"The ${message.price} you paid for a reply was refunded to your wallet.",
        reverse("messages:conversation", args=[message.conversation_id]),
    )
    return message


# --- Reading ----------------------------------------------------------------------------------


def unread_count(user: User) -> int:
    if not getattr(user, "pk", None):
        return 0
    return Message.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def push_unread(user: User, conversation: Conversation | None = None) -> None:
    """After commit, ``user``'s open pages hear their unread message count (the nav badge)."""
    payload = {"kind": "messages", "unread": unread_count(user)}
    if conversation is not None:
        payload["conversation"] = conversation.pk
    broadcast_on_commit(user_group(user.pk), {"type": "notify", "payload": payload})


@transaction.atomic
def mark_read(user: User, conversation: Conversation) -> int:
    changed = Message.objects.filter(conversation=conversation, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if changed:
        push_unread(user, conversation)
    return changed


def conversations_for(user: User) -> QuerySet[Conversation]:
    """``user``'s conversations, newest first, with unread counts and the last message (constant queries)."""
    last = Message.objects.filter(conversation=OuterRef("pk")).order_by("-created_at", "-pk")
    return (
        Conversation.objects.filter(Q(client=user) | Q(reader=user))
        .select_related("client__client_profile", "reader__reader_profile")
        .annotate(
            unread=Count("messages", filter=Q(messages__recipient=user, messages__read_at__isnull=True)),
            last_body=Subquery(last.values("body")[:1]),
            last_sender=Subquery(last.values("sender_id")[:1]),
            last_price=Subquery(last.values("price")[:1]),
            last_paid_at=Subquery(last.values("paid_at")[:1]),
        )
        .order_by("-last_message_at", "-pk")
    )


def conversation_messages(conversation: Conversation) -> QuerySet[Message]:
    return Message.objects.filter(conversation=conversation).order_by("created_at", "pk")


# --- Blocking ---------------------------------------------------------------------------------


def block(blocker: User, blocked: User) -> Block:
    """``blocked`` can no longer write to ``blocker``. Idempotent."""
    require_member(blocker)
    if blocker.pk == blocked.pk:
        raise CommunityError("You cannot block yourself.")
    if blocked.is_staff:
        raise NotAllowed("Staff accounts cannot be blocked.")
    row, _ = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
    return row


def unblock(blocker: User, blocked: User) -> None:
    Block.objects.filter(blocker=blocker, blocked=blocked).delete()


def blocked_by(user: User) -> QuerySet[Block]:
    return Block.objects.filter(blocker=user).select_related("blocked__reader_profile", "blocked__client_profile")
