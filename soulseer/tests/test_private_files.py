"""Private files: X-Accel-Redirect behind nginx, streamed by Django without a proxy, never outside the root."""

import pytest
from django.http import Http404

from soulseer.private_files import private_file_response


@pytest.fixture
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    (tmp_path / "private" / "orders").mkdir(parents=True)
    (tmp_path / "private" / "orders" / "guide.pdf").write_bytes(b"%PDF-1.4 the guide")
    (tmp_path / "secret.txt").write_text("outside the root")
    return settings.PRIVATE_MEDIA_ROOT


def test_behind_nginx_the_answer_is_an_x_accel_redirect(settings, private_root):
    settings.PRIVATE_MEDIA_X_ACCEL_PREFIX = "/protected/"
    response = private_file_response("orders/guide.pdf", download_name="Your guide.pdf")
    assert response["X-Accel-Redirect"] == "/protected/orders/guide.pdf"
    assert response.content == b""
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert 'filename="Your guide.pdf"' in response["Content-Disposition"]


def test_without_a_proxy_django_streams_the_file(settings, private_root):
    settings.PRIVATE_MEDIA_X_ACCEL_PREFIX = ""
    response = private_file_response("orders/guide.pdf")
    assert "X-Accel-Redirect" not in response
    assert b"".join(response.streaming_content) == b"%PDF-1.4 the guide"
    response.close()


@pytest.mark.parametrize("name", ["../secret.txt", "/etc/passwd", "orders/../../secret.txt", "orders/\x00", "nope.pdf"])
def test_names_outside_the_root_or_missing_are_404(settings, private_root, name):
    settings.PRIVATE_MEDIA_X_ACCEL_PREFIX = "/protected/"
    with pytest.raises(Http404):
        private_file_response(name)
