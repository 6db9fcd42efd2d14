"""Security headers on every page: a strict Content-Security-Policy with a nonce, and a
Permissions-Policy that allows the camera and microphone only where a page needs them.

Each page is fetched as the persona who can see it; its HTML is scanned for what the policy would
block in a browser (inline script without the nonce, event-handler attributes, style attributes),
so a template that breaks the policy fails here, not only in a browser test.
"""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from readings.tests.helpers import active_reading, fund
from soulseer.views import POLICY_PAGES


def directives(header: str) -> dict[str, list[str]]:
    parts = (p.strip().split() for p in header.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


class InlineCode(HTMLParser):
    """Collects what a strict CSP blocks: inline scripts (with their nonce), on* and style attributes."""

    def __init__(self):
        super().__init__()
        self.inline_scripts: list[str | None] = []
        self.handlers: list[str] = []
        self.styles: list[str] = []
        self.hx_on: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}>")
            if name == "style":
                self.styles.append(f"<{tag} style>")
            if name.startswith("hx-on") or (name == "hx-vals" and (attrs[name] or "").strip().startswith("js:")):
                self.hx_on.append(f"<{tag} {name}>")
        if tag == "script" and "src" not in attrs and attrs.get("type") != "application/json":
            self.inline_scripts.append(attrs.get("nonce"))
        if tag == "style":
            self.styles.append("<style>")


def assert_strict_csp(response):
    assert "Content-Security-Policy" in response, "no Content-Security-Policy header"
    policy = directives(response["Content-Security-Policy"])
    for directive, values in policy.items():
        assert "'unsafe-inline'" not in values, directive
        assert "'unsafe-eval'" not in values, directive
    nonces = [v for v in policy["script-src"] if v.startswith("'nonce-")]
    assert len(nonces) == 1, policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert set(policy["img-src"]) == {"'self'", "data:", "blob:"}
    assert set(policy["media-src"]) == {"'self'", "blob:"}
    assert policy["connect-src"][0] == "'self'"
    assert set(policy["connect-src"][1:]) <= {"ws://testserver", "wss://testserver"}
    html = InlineCode()
    html.feed(response.content.decode())
    nonce = nonces[0][len("'nonce-") : -1]
    assert all(n == nonce for n in html.inline_scripts), "an inline <script> without this response's nonce"
    assert html.handlers == [], html.handlers
    assert html.styles == [], html.styles
    assert html.hx_on == [], html.hx_on
    return policy


def permissions(response) -> dict[str, str]:
    return dict(item.strip().split("=", 1) for item in response["Permissions-Policy"].split(","))


@pytest.fixture
def pages(db, alice, bob, carol):
    """(persona, url) for every page of the site a person can open."""
    fund(alice, "50.00")
    reading = active_reading(alice, bob)
    anonymous = [
        reverse("home"),
        reverse("reader_directory"),
        reverse("reader_detail", args=[bob.reader_profile.slug]),
        reverse("account_login"),
        reverse("account_signup"),
        reverse("account_reset_password"),
        *(reverse("policy", args=[p]) for p in POLICY_PAGES),
    ]
    client_pages = [
        reverse("client_dashboard"),
        reverse("payments:wallet"),
        reverse("payments:topup_return"),
        reverse("readings:history"),
        reverse("readings:room", args=[reading.pk]),
        reverse("readings:detail", args=[reading.pk]),
        reverse("account_email"),
        reverse("account_change_password"),
    ]
    reader_pages = [reverse("reader_dashboard"), reverse("payments:earnings")]
    staff_pages = [reverse("staff_dashboard"), reverse("payments:money_overview"), reverse("readings:staff_list")]
    return (
        [(None, u) for u in anonymous]
        + [(alice, u) for u in client_pages]
        + [(bob, u) for u in reader_pages]
        + [(carol, u) for u in staff_pages]
    )


def test_every_page_has_a_strict_csp_with_a_nonce_and_no_inline_code(client, pages):
    seen_nonces = set()
    for persona, url in pages:
        client.logout()
        if persona:
            client.force_login(persona)
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        policy = assert_strict_csp(response)
        seen_nonces.add(next(v for v in policy["script-src"] if v.startswith("'nonce-")))
    assert len(seen_nonces) == len(pages), "a nonce was reused between responses"


@pytest.mark.django_db
def test_the_404_page_has_the_policy_too(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_strict_csp(response)


@pytest.mark.django_db
def test_connect_src_names_the_sites_own_websocket_origin(client):
    plain = directives(client.get(reverse("home"))["Content-Security-Policy"])
    assert plain["connect-src"] == ["'self'", "ws://testserver"]
    secure = directives(client.get(reverse("home"), secure=True)["Content-Security-Policy"])
    assert secure["connect-src"] == ["'self'", "wss://testserver"]


@pytest.mark.django_db
def test_htmx_is_configured_without_eval_script_tags_or_injected_styles(client):
    import json
    import re

    body = client.get(reverse("home")).content.decode()
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", body).group(1))
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["includeIndicatorStyles"] is False
    assert {"code": "422", "swap": True} in config["responseHandling"]


def test_camera_and_microphone_are_denied_everywhere_but_the_reading_room(client, pages):
    for persona, url in pages:
        client.logout()
        if persona:
            client.force_login(persona)
        response = client.get(url)
        policy = permissions(response)
        if "/room/" in url:
            assert policy["camera"] == "(self)" and policy["microphone"] == "(self)", url
        else:
            assert policy["camera"] == "()" and policy["microphone"] == "()", url
        assert policy["geolocation"] == "()"


@pytest.mark.django_db
def test_the_decorator_allows_camera_and_microphone_on_sync_and_async_views(rf):
    from django.http import HttpResponse

    from soulseer.permissions import PermissionsPolicyMiddleware, camera_and_microphone

    @camera_and_microphone
    def view(request):
        return HttpResponse("ok")

    @camera_and_microphone
    async def async_view(request):
        return HttpResponse("ok")

    import asyncio

    middleware = PermissionsPolicyMiddleware(view)
    assert permissions(middleware(rf.get("/")))["camera"] == "(self)"
    response = asyncio.run(async_view(rf.get("/")))
    assert response.permissions_policy["microphone"] == "(self)"
