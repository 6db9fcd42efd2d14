"""The repository explains itself: the README and docs/ link only to files that exist in it."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_readme_and_docs_link_only_inside_the_repository():
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert {"architecture.md", "websockets.md", "operations.md", "production.md"} <= {d.name for d in documents}
    for document in documents:
        text = document.read_text()
        assert "../shared" not in text and "DESIGN.md" not in text, document
        for target in LINK.findall(text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            assert (document.parent / target).resolve().exists(), f"{document.name} links to missing {target}"


def test_every_management_command_is_documented():
    from django.core.management import get_commands

    ours = {name for name, app in get_commands().items() if app in {"accounts", "payments", "readings", "ops"}}
    operations = (ROOT / "docs" / "operations.md").read_text()
    assert ours and all(f"manage.py {name}" in operations for name in ours), ours


def test_every_environment_variable_in_settings_is_documented():
    names = set(re.findall(r'env(?:\.\w+)?\("([A-Z0-9_]+)"', (ROOT / "soulseer" / "settings.py").read_text()))
    operations = (ROOT / "docs" / "operations.md").read_text()
    missing = sorted(n for n in names if f"`{n}`" not in operations)
    assert not missing, missing
