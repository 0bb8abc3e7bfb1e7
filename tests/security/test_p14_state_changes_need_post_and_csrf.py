"""SECURITY.md 14: every state change is a POST (or another unsafe method) with CSRF protection,
logout included.

Every URL pattern of the project is requested with GET by someone it works for, and the whole
database is compared before and after: a GET changes nothing (reading a case leaves only its
read audit record), and a view that only changes state answers GET with 405. Then the forms that
change state are posted without a CSRF token: each is refused with 403 and changes nothing, while
the same post with the token goes through (so the 403 is the CSRF check's)."""

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_q.models import OrmQ, Task
from knox.models import AuthToken

from core.models import User, UserSession
from support.models import Case
from support.services import case_transition
from tests.background.factories import add_match, add_notification
from tests.factories import PASSWORD, totp_code
from tests.incidents.helpers import REVIEW_STEP, answers
from tests.security.support import report_payload
from tests.support.factories import Cast, add_evidence, make_cast, superuser_user

pytestmark = pytest.mark.django_db

# Reading a case or a file is audited: that record is what a read leaves, nothing else.
READ_AUDITS = re.compile(r"^(case\.(\w+\.)?view|evidence\.download)$")
# Sessions record activity on every request; signing in is done before the snapshot.
NOT_COMPARED = {"django_session", "core_usersession"}


def rows_of_every_table() -> dict[str, tuple[list[str], set[tuple]]]:
    """Every row of every table, whole, by table: (column names, rows)."""
    snapshot = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in NOT_COMPARED:
                continue
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from introspection)
            columns = [column[0] for column in cursor.description]
            snapshot[table] = (columns, set(cursor.fetchall()))
    return snapshot


def changes(before: dict, after: dict) -> list[str]:
    """What differs between two snapshots, ignoring the audit records that reads leave."""
    found = []
    for table, (columns, rows_after) in after.items():
        rows_before = before.get(table, (columns, set()))[1]
        added, removed = rows_after - rows_before, rows_before - rows_after
        if table == "core_auditevent":
            action = columns.index("action")
            added = {row for row in added if not READ_AUDITS.match(row[action])}
        if table == "core_audithead":
            continue  # the chain's head moves with each record; the records are compared
        found += [f"{table}: added {dict(zip(columns, row, strict=True))}" for row in added]
        found += [f"{table}: removed {dict(zip(columns, row, strict=True))}" for row in removed]
    return found


# Every route of the project, walked from the resolver.


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    view: Callable

    @property
    def is_api(self) -> bool:
        return hasattr(self.view, "cls")


def _routes(patterns=None, namespace: str = "", prefix: str = ""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _routes(pattern.url_patterns, inner, prefix + str(pattern.pattern))
        else:
            assert isinstance(pattern, URLPattern)
            yield Route(
                f"{namespace}{pattern.name}", prefix + str(pattern.pattern), pattern.callback
            )


ALL_ROUTES = list(_routes())

# Who requests each page (someone it works for), and whether it only changes state (GET: 405).
# Admin pages are requested by a superuser; API views say themselves which methods they take.
PAGES: dict[str, tuple[str, bool]] = {
    "core:home": ("anonymous visitor", False),
    "core:signup": ("anonymous visitor", False),
    "core:after_login": ("reporter", False),
    "core:login": ("anonymous visitor", False),
    "core:second_factor_verify": ("coordinator", False),
    "core:account_security": ("reporter", False),
    "core:second_factor_enrol": ("reporter", False),
    "core:backup_codes_renew": ("coordinator", True),
    "core:sign_in_end": ("reporter", True),
    "core:sign_out_everywhere": ("reporter", True),
    "core:logout": ("reporter", True),
    "core:session": ("reporter", False),
    "set_language": ("anonymous visitor", False),
    "incidents:report_list": ("reporter", False),
    "incidents:report_new": ("reporter", False),
    "incidents:report_detail": ("reporter", False),
    "incidents:incident_new": ("reporter", False),
    "incidents:evidence_new": ("reporter", False),
    "incidents:evidence_download": ("reporter", False),
    "incidents:report_message": ("reporter", True),
    "incidents:report_withdraw_statistics": ("reporter", True),
    "incidents:report_export": ("reporter", False),
    "incidents:report_erase": ("reporter", False),
    "incidents:anonymous_new": ("anonymous visitor", False),
    "incidents:anonymous_open": ("anonymous visitor", False),
    "incidents:quick_exit": ("reporter", True),
    "support:home": ("coordinator", False),
    "support:my_cases": ("worker", False),
    "support:intake": ("coordinator", False),
    "support:all_cases": ("coordinator", False),
    "support:case_detail": ("coordinator", False),
    "support:case_assign": ("coordinator", True),
    "support:case_unassign": ("coordinator", True),
    "support:case_severity": ("coordinator", True),
    "support:case_transition": ("coordinator", True),
    "support:case_note": ("coordinator", True),
    "support:case_message": ("coordinator", True),
    "support:match_decide": ("coordinator", True),
    "support:notifications": ("coordinator", False),
    "support:notification": ("coordinator", False),
    "support:alerts": ("coordinator", False),
    "support:case_evidence": ("coordinator", False),
    "support:roles": ("coordinator", False),
    "support:role_confirm": ("coordinator", True),
    "support:role_decline": ("coordinator", True),
    "find_support": ("anonymous visitor", False),
    "insights:dashboard": ("analyst", False),
    "insights:explorer": ("analyst", False),
    "insights:export_csv": ("analyst", False),
    "insights:about": ("analyst", False),
    "schema": ("anonymous visitor", False),
    "api_docs": ("anonymous visitor", False),
    "api:not_found": ("anonymous visitor", False),
    "healthz": ("anonymous visitor", False),
    "admin_login": ("superuser", False),  # signed out, it sends people to core:login
}


def _api_user(route: Route) -> str:
    if route.route.startswith(("api/v1/reports/", "api/v1/auth/sessions", "api/v1/auth/logout")):
        return "reporter"
    if route.route.startswith(("api/v1/cases", "api/v1/resources", "api/v1/role-requests")):
        return "coordinator"
    if route.route.startswith("api/v1/insights"):
        return "analyst"
    return "anonymous visitor"


def who_and_whether_post_only(route: Route) -> tuple[str, bool]:
    if route.name.startswith("admin:"):
        return "superuser", route.name == "admin:logout"
    if route.is_api:
        return _api_user(route), not hasattr(route.view.cls, "get")
    return PAGES[route.name]


AXES_REQUEST = {"user_agent": "", "path_info": "/login/", "http_accept": ""}
WHO = ["anonymous visitor", "reporter", "coordinator", "worker", "analyst", "superuser"]


class World:
    """One of everything a URL can name: a case with evidence, a match and a notification."""

    def __init__(self) -> None:
        self.cast: Cast = make_cast()
        case = case_transition(
            actor=self.cast.coordinator, case=self.cast.case, status="in_progress", reason="go"
        )
        self.case = Case.objects.get(pk=case.pk)
        self.evidence_id = add_evidence(self.cast.report)
        self.match_id = add_match(self.case)
        self.notification_id = add_notification(self.case, self.cast.coordinator)
        self.superuser = superuser_user(username="root")
        self._admin_objects()
        self.clients = {who: self._signed_in(who) for who in WHO}

    def _admin_objects(self) -> None:
        """A row for each model the admin shows, so its change, delete and history pages open."""
        now = timezone.now()
        Group.objects.create(name="helpers")
        AuthToken.objects.create(user=self.cast.coordinator)
        call_command("setup_schedules", stdout=StringIO())
        for number, success in enumerate([True, False]):
            Task.objects.create(
                id=f"task{number}",
                name=f"task {number}",
                func="support.tasks.escalation_sweep",
                started=now,
                stopped=now,
                success=success,
            )
        OrmQ.objects.create(key="recourse", payload="", lock=None)
        AccessAttempt.objects.create(
            username="someone", failures_since_start=1, attempt_time=now, **AXES_REQUEST
        )
        AccessLog.objects.create(username="someone", attempt_time=now, **AXES_REQUEST)
        AccessFailureLog.objects.create(
            username="someone", attempt_time=now, locked_out=False, **AXES_REQUEST
        )

    def _signed_in(self, who: str) -> Client:
        client = Client()
        user = {
            "reporter": self.cast.reporter,
            "coordinator": self.cast.coordinator,
            "worker": self.cast.worker,
            "analyst": self.cast.analyst,
            "superuser": self.superuser,
        }.get(who)
        if user is not None:
            client.force_login(user)
        client.get("/")  # the session's first request, before any snapshot
        return client

    def values(self, route: Route) -> dict[str, str]:
        object_id = "999999"
        admin_model = re.match(r"^admin/(\w+)/(\w+)/", route.route)
        if admin_model:
            try:
                model = apps.get_model(admin_model.group(1), admin_model.group(2))
            except LookupError:  # not a model's page
                model = None
            first = model._default_manager.order_by("pk").first() if model else None
            object_id = str(first.pk) if first else object_id
        return {
            "report_id": str(self.cast.report.public_id),
            "evidence_id": self.evidence_id,
            "case_id": str(self.case.public_id),
            "match_id": self.match_id,
            "notification_id": self.notification_id,
            "username": self.cast.worker.username,
            "action": "accept",
            "object_id": object_id,
            "id": str(self.superuser.pk),
            "content_type_id": "1",
            "app_label": "support",
            "url": "nothing-here/",
            "sign_in_id": str(uuid.uuid4()),
            "request_id": str(uuid.uuid4()),
        }

    def url(self, route: Route) -> str:
        values = self.values(route)
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m.group(1)], route.route)
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], path)
        path = path.replace("^", "").replace("$", "")
        if route.name == "api:not_found":
            path += "nothing-here/"
        return "/" + path


def test_every_route_is_known_to_this_test():
    unknown = [
        route.name
        for route in ALL_ROUTES
        if not route.name.startswith("admin:") and not route.is_api and route.name not in PAGES
    ]
    assert unknown == []
    assert len(ALL_ROUTES) > 100


def _get(world: World, route: Route):
    who, _ = who_and_whether_post_only(route)
    client = world.clients[who]
    response = client.get(world.url(route))
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def _refused(route: Route, response) -> bool:
    """Refused before the view ran (then the test would prove nothing about the view)."""
    if route.name.startswith("admin:"):
        return "/admin/login/" in response.get("Location", "")
    location = response.get("Location", "")
    return response.status_code in (401, 403) or location.startswith(reverse("core:login"))


def test_no_get_anywhere_changes_anything_and_post_only_views_answer_get_with_405():
    world = World()
    problems = []
    for route in ALL_ROUTES:
        if route.name in ("core:logout", "incidents:quick_exit"):
            continue  # they would end the shared session; below, on their own
        _, post_only = who_and_whether_post_only(route)
        before = rows_of_every_table()
        response = _get(world, route)
        changed = changes(before, rows_of_every_table())
        said = f"GET {world.url(route)} ({route.name}): {response.status_code}"
        if changed:
            problems.append(f"{said} changed {changed}")
        if post_only and response.status_code != 405:
            problems.append(f"{said}, not 405")
        if response.status_code >= 500 or _refused(route, response):
            problems.append(f"{said}: the view was not reached")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("name", ["core:logout", "incidents:quick_exit"])
def test_logging_out_by_get_is_refused_with_405_and_leaves_the_person_signed_in(
    reporter_client, reporter, name
):
    response = reporter_client.get(reverse(name))

    assert response.status_code == 405
    assert reporter_client.session.get(SESSION_KEY) == str(reporter.pk)
    assert reporter_client.get(reverse("incidents:report_list")).status_code == 200


def test_the_admin_logout_by_get_is_refused_with_405_too():
    root = superuser_user(username="root")
    client = Client()
    client.force_login(root)

    assert client.get(reverse("admin:logout")).status_code == 405
    assert client.get(reverse("admin:index")).status_code == 200


# CSRF: each state-changing form posted without its token.


@dataclass
class Post:
    """A form post: who makes it, where, with what; and how to tell that it took effect."""

    who: str
    path: Callable[[Cast], str]
    data: Callable[[Cast], dict]
    took_effect: Callable[[Cast, Client], bool]
    json: bool = False


def _signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def _code_given(client: Client) -> bool:
    return client.get(reverse("support:my_cases")).status_code == 200


def _code(cast: Cast) -> dict:
    return {"code": totp_code(TOTPDevice.objects.get(user=cast.worker))}


POSTS = {
    "sign in": Post(
        "anonymous visitor",
        lambda cast: reverse("core:login"),
        lambda cast: {"username": cast.reporter.username, "password": PASSWORD},
        lambda cast, client: _signed_in(client),
    ),
    "sign out": Post(
        "reporter",
        lambda cast: reverse("core:logout"),
        lambda cast: {},
        lambda cast, client: not _signed_in(client),
    ),
    "quick exit": Post(
        "reporter",
        lambda cast: reverse("incidents:quick_exit"),
        lambda cast: {},
        lambda cast, client: not _signed_in(client),
    ),
    "choose a language": Post(
        "anonymous visitor",
        lambda cast: reverse("set_language"),
        lambda cast: {"language": "fr", "next": "/"},
        lambda cast, client: (
            client.cookies.get(settings.LANGUAGE_COOKIE_NAME) is not None
            and client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
        ),
    ),
    "sign up": Post(
        "anonymous visitor",
        lambda cast: reverse("core:signup"),
        lambda cast: {"username": "newcomer", "password": "a long unrelated passphrase"},
        lambda cast, client: User.objects.filter(username__startswith="newcomer-").exists(),
    ),
    "file a report": Post(
        "reporter",
        lambda cast: reverse("incidents:report_new"),
        lambda cast: {**answers(), "step": str(REVIEW_STEP), "action": "submit"},
        lambda cast, client: cast.reporter.reports.count() == 2,
    ),
    "file an anonymous report": Post(
        "anonymous visitor",
        lambda cast: reverse("incidents:anonymous_new"),
        lambda cast: {**answers(), "step": str(REVIEW_STEP), "action": "submit"},
        lambda cast, client: User.objects.filter(is_receipt_account=True).exists(),
    ),
    "send a message": Post(
        "reporter",
        lambda cast: reverse("incidents:report_message", args=[cast.report.public_id]),
        lambda cast: {"body": "Any news?"},
        lambda cast, client: cast.case.messages.exists(),
    ),
    "write a case note": Post(
        "coordinator",
        lambda cast: reverse("support:case_note", args=[cast.case.public_id]),
        lambda cast: {"body": "Called the police liaison."},
        lambda cast, client: cast.case.notes.exists(),
    ),
    "give a second-factor code": Post(
        "worker who has not given a code",
        lambda cast: reverse("core:second_factor_verify"),
        _code,
        lambda cast, client: _code_given(client),
    ),
    "sign out everywhere": Post(
        "reporter",
        lambda cast: reverse("core:sign_out_everywhere"),
        lambda cast: {},
        lambda cast, client: not UserSession.objects.filter(user=cast.reporter).exists(),
    ),
    "end a sign-in": Post(
        "reporter",
        lambda cast: reverse(
            "core:sign_in_end", args=[UserSession.objects.get(user=cast.reporter).public_id]
        ),
        lambda cast: {},
        lambda cast, client: not UserSession.objects.filter(user=cast.reporter).exists(),
    ),
    "sign out everywhere over the api with a session": Post(
        "reporter",
        lambda cast: "/api/v1/auth/logout-all/",
        lambda cast: {},
        lambda cast, client: not UserSession.objects.filter(user=cast.reporter).exists(),
        json=True,
    ),
    "file a report over the api with a session": Post(
        "reporter",
        lambda cast: "/api/v1/reports/",
        lambda cast: report_payload(),
        lambda cast, client: cast.reporter.reports.count() == 2,
        json=True,
    ),
}


def _csrf_client(cast: Cast, who: str) -> Client:
    """A browser that enforces CSRF checks, signed in as `who`, holding its CSRF cookie."""
    client = Client(enforce_csrf_checks=True)
    if who == "reporter":
        client.force_login(cast.reporter)
    elif who == "coordinator":
        client.force_login(cast.coordinator)
        device = TOTPDevice.objects.create(user=cast.coordinator, name="app", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id  # the code was given
        session.save()
    elif who == "worker who has not given a code":
        TOTPDevice.objects.create(user=cast.worker, name="app", confirmed=True)
        client.force_login(cast.worker)
    # A page sets the CSRF cookie, as a browser gets it (until a code is given, only that page).
    code_page = who == "worker who has not given a code"
    client.get(reverse("core:second_factor_verify" if code_page else "core:home"))
    return client


def _post(client: Client, post: Post, cast: Cast, token: str | None):
    data = post.data(cast)
    if post.json:
        headers = {"X-CSRFToken": token} if token else {}
        return client.post(post.path(cast), data, content_type="application/json", headers=headers)
    if token:
        data["csrfmiddlewaretoken"] = token
    return client.post(post.path(cast), data)


@pytest.mark.without_second_factor
@pytest.mark.parametrize("action", list(POSTS))
def test_a_state_change_posted_without_the_csrf_token_is_refused_and_changes_nothing(action):
    cast, post = make_cast(), POSTS[action]
    client = _csrf_client(cast, post.who)
    before = rows_of_every_table()

    response = _post(client, post, cast, token=None)

    assert response.status_code == 403
    assert changes(before, rows_of_every_table()) == []
    assert not post.took_effect(cast, client)


@pytest.mark.without_second_factor
@pytest.mark.parametrize("action", list(POSTS))
def test_the_same_post_with_the_csrf_token_goes_through(action):
    cast, post = make_cast(), POSTS[action]
    client = _csrf_client(cast, post.who)
    token = client.cookies[settings.CSRF_COOKIE_NAME].value

    response = _post(client, post, cast, token=token)

    assert response.status_code in (200, 201, 204, 302), response.content[:300]
    assert post.took_effect(cast, client)


def test_the_api_with_a_token_needs_no_csrf_token_since_no_browser_sends_one_by_itself(reporter):
    _, token = AuthToken.objects.create(user=reporter)
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {token}")

    response = client.post("/api/v1/reports/", report_payload(), content_type="application/json")

    assert response.status_code == 201
    assert reporter.reports.count() == 1
