"""The production settings (read from the environment as always) plus one test-only route:
``/_test/private/<name>`` hands out a private file, to prove X-Accel-Redirect through nginx."""

from soulseer.settings import *  # noqa: F403

ROOT_URLCONF = "soulseer.tests.edge_urls"
