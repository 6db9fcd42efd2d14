"""Private messages at /messages/: the conversation list, a conversation (live feed by HTMX on the
``messages-update`` event and a slow poll), composing, paid replies and blocking. Thin: the rules
live in ``community.services.messages``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from accounts.models import User
from community import conf
from community.forms import MessageForm, ReaderMessageForm
from community.models import Conversation, Message
from community.services import messages as service
from community.services.rules import CommunityError, active_sanction
from payments import services as payments
from payments.services import InsufficientFunds, PaymentError


def _conversation_for(request, pk) -> Conversation:
    conversation = get_object_or_404(
        Conversation.objects.select_related("client__client_profile", "reader__reader_profile"), pk=pk
    )
    if not conversation.has(request.user):
        raise Http404("No such conversation.")
    return conversation


def _form_class(user):
    return ReaderMessageForm if user.is_reader else MessageForm


def _feed_context(request, conversation: Conversation) -> dict:
    per_page = conf.get("COMMUNITY_MESSAGES_PER_PAGE")
    items = service.conversation_messages(conversation)
    paginator = Paginator(items, per_page)
    page = paginator.get_page(request.GET.get("page") or paginator.num_pages)  # the latest messages by default
    feed = list(page.object_list)
    for message in feed:
        if message.is_locked:
            message.preview_line = service.preview(message)
    service.mark_read(request.user, conversation)
    last_id = Message.objects.filter(conversation=conversation).order_by("-pk").values_list("pk", flat=True).first()
    wallet = payments.balance(request.user) if request.user.is_client and any(m.is_locked for m in feed) else None
    return {
        "conversation": conversation,
        "page": page,
        "feed": feed,
        "me": request.user,
        "last_id": last_id or 0,
        "wallet": wallet,
    }


@login_required
def inbox(request):
    user = request.user
    conversations = list(service.conversations_for(user))
    for conversation in conversations:
        conversation.partner = conversation.other(user)
    context = {
        "conversations": conversations,
        "blocks": service.blocked_by(user),
        "startable": service.clients_reader_may_start(user)[:20] if user.is_reader else [],
        "sanction": active_sanction(user),
    }
    return render(request, "community/messages/inbox.html", context)


@login_required
def conversation(request, pk, form=None, status=200):
    conv = _conversation_for(request, pk)
    partner = conv.other(request.user)
    allowed, why_not = service.may_write(request.user, partner)
    context = {
        **_feed_context(request, conv),
        "partner": partner,
        "form": form or _form_class(request.user)(),
        "allowed": allowed,
        "why_not": why_not,
        "i_blocked": service.is_blocked(request.user, partner),
        "sanction": active_sanction(request.user),
    }
    return render(request, "community/messages/conversation.html", context, status=status)


@login_required
def feed(request, pk):
    """The HTMX fragment of a conversation's messages (refreshed live and by a slow poll)."""
    conv = _conversation_for(request, pk)
    after = request.GET.get("after", "")
    known = after.isascii() and after.isdigit() and len(after) <= 18
    if known and not Message.objects.filter(conversation=conv, pk__gt=int(after)).exists():
        return HttpResponse(status=204)  # nothing new: htmx keeps the feed as it is
    return render(request, "community/messages/fragment_feed.html", _feed_context(request, conv))


def _send(request, recipient: User, form) -> Message | None:
    data = form.cleaned_data
    try:
        return service.send_message(
            request.user, recipient, data["body"], price=data.get("price"), teaser=data.get("teaser", "")
        )
    except CommunityError as exc:
        form.add_error(None, str(exc))
    return None


@login_required
@require_POST
def send(request, pk):
    conv = _conversation_for(request, pk)
    form = _form_class(request.user)(request.POST)
    if form.is_valid() and _send(request, conv.other(request.user), form) is not None:
        return redirect(f"{reverse('messages:conversation', args=[conv.pk])}#latest")
    return conversation(request, pk, form=form, status=400)


@login_required
def new(request, user_id):
    """Start writing to someone: straight to the conversation if there is one already."""
    recipient = get_object_or_404(User.objects.select_related("reader_profile", "client_profile"), pk=user_id)
    existing = service.conversation_between(request.user, recipient)
    if existing is not None:
        return redirect(existing)
    allowed, why_not = service.may_write(request.user, recipient)
    form = _form_class(request.user)(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid() and (message := _send(request, recipient, form)) is not None:
            return redirect(f"{reverse('messages:conversation', args=[message.conversation_id])}#latest")
        status = 400
    context = {
        "recipient": recipient,
        "form": form,
        "allowed": allowed,
        "why_not": why_not,
        "sanction": active_sanction(request.user),
    }
    return render(request, "community/messages/new.html", context, status=status)


@login_required
@require_POST
def open_reply(request, pk, message_id):
    conv = _conversation_for(request, pk)
    message = get_object_or_404(Message, pk=message_id, conversation=conv)
    try:
        service.open_paid_reply(request.user, message)
    except InsufficientFunds as exc:
        messages.error(
            request,
            format_html(
                '{} <a class="link" href="{}">Add funds to your wallet</a> and open it again.',
                str(exc),
                reverse("payments:topup"),
            ),
        )
    except (CommunityError, PaymentError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Paid reply opened: ${message.price} from your wallet.")
    return redirect(f"{reverse('messages:conversation', args=[conv.pk])}#message-{message.pk}")


@login_required
@require_POST
def block(request, user_id):
    other = get_object_or_404(User, pk=user_id)
    try:
        service.block(request.user, other)
    except CommunityError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"You blocked {other.public_name}: they can no longer write to you.")
    return _back(request, other)


@login_required
@require_POST
def unblock(request, user_id):
    other = get_object_or_404(User, pk=user_id)
    service.unblock(request.user, other)
    messages.success(request, f"You unblocked {other.public_name}.")
    return _back(request, other)


def _back(request, other: User):
    existing = service.conversation_between(request.user, other)
    return redirect(existing) if existing is not None else redirect("messages:inbox")
