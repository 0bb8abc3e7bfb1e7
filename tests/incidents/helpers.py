"""Small helpers for the reporter page tests: wizard answers, reading pages, the media directory."""

import html
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

REVIEW_STEP = 5
RECEIPT_PATTERN = re.compile(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){6}\b")
_FIELD_ERRORS = re.compile(r'<div class="errors" id="id_(\w+)_error">(.*?)</div>', re.DOTALL)


def days_ago(days: int) -> str:
    return (timezone.localdate() - timedelta(days=days)).isoformat()


def answers(**overrides) -> dict:
    """Every answer of the report wizard, valid, as a browser posts them."""
    values = {
        "occurred_on": days_ago(3),
        "narrative": "A man shouted at me outside the town hall and followed me to my car.",
        "channels": ["in_person", "meeting"],
        "abuse_types": ["offline_intimidation"],
        "perpetrator_type": "member_of_public",
        "perpetrator_identifiers": "@loud_neighbour\nloud@example.com",
        "bias_grounds": ["sex"],
        "role": "councillor",
        "region": "central",
        "municipality": "Orillia",
        "contact_details": "Signal after 6 pm",
        "preferred_language": "en",
        "risk_flags": ["location_known"],
        "needs": ["safety_planning"],
        "consent_statistics": "on",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def submit_wizard(client, url: str, **overrides):
    """Post the review step's "Send report" with every answer as hidden fields."""
    data = answers(**overrides)
    data.update(step=str(REVIEW_STEP), action="submit")
    return client.post(url, data)


def text(response) -> str:
    return response.content.decode()


def field_errors(response) -> dict[str, str]:
    """The error text shown next to each field of a page, by field name."""
    return {
        name: html.unescape(re.sub(r"<[^>]+>", " ", body))
        for name, body in _FIELD_ERRORS.findall(text(response))
    }


def media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def login_url_for(path: str) -> str:
    return f"{reverse('core:login')}?next={path}"


class _QuickExitFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str | None]] = []
        self._inside = False
        self.buttons = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and "quick-exit" in (attributes.get("class") or "").split():
            self.forms.append(attributes)
            self._inside = True
        elif tag == "button" and self._inside:
            self.buttons += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False


def has_quick_exit(response) -> bool:
    """The page carries the quick exit: a form posting to the exit view, naming the neutral URL."""
    finder = _QuickExitFinder()
    finder.feed(text(response))
    return finder.buttons >= 1 and any(
        (form.get("method") or "").lower() == "post"
        and form.get("action") == reverse("incidents:quick_exit")
        and form.get("data-quick-exit") == settings.RECOURSE_QUICK_EXIT_URL
        for form in finder.forms
    )
