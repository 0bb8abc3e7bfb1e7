"""The API keeps the contract its OpenAPI schema states, for every kind of caller.

Schemathesis reads the schema from a live server and sends each operation generated requests,
valid and invalid, as each caller; every answer must be documented (status, media type, body)
and none may be a server error. Data are seeded so that most ids and names in requests are real
ones: a reporter's report with evidence, notes and messages; its case assigned to a support
worker, with suggested resources; an anonymous report's receipt. The run is bounded and seeded,
so it is repeatable."""

import pytest
import schemathesis
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.models import Role
from support import services
from support.resources import resources_load
from tests.factories import PASSWORD
from tests.support.factories import add_evidence, make_case, make_cast, worker_user

CALLERS = ["anonymous", *Role.values]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SEED = 20_261_001
MAX_EXAMPLES = 12
# Each caller is tested in depth (every phase, boundary values included) on the operations meant
# for them; on the others, a few requests show that the refusal is documented.
OWN_TAGS = {
    "anonymous": {"anonymous", "auth", "resources", "taxonomy"},
    Role.REPORTER: {"reports"},
    Role.SUPPORT_WORKER: {"cases"},
    Role.COORDINATOR: {"cases"},
    Role.ANALYST: {"insights"},
    Role.ADMINISTRATOR: set(),
}
TAGS = set().union(*OWN_TAGS.values())
OTHERS_EXAMPLES = 3
# How often a value is a seeded one rather than anything the schema allows.
REAL = 0.8


def seed() -> dict:
    """Everyone and everything the operations can find, and the values that name them."""
    resources_load()  # before the reports, so that their cases get suggestions
    cast = make_cast()
    report, case = cast.report, cast.case
    evidence_id = add_evidence(report)
    services.note_add(actor=cast.worker, case=case, body="Called back; left a message.")
    services.message_send_staff(actor=cast.worker, case=case, body="We are on it.")
    services.message_send_reporter(actor=cast.reporter, report=report, body="Thank you.")
    # For the deletions: a report to erase and a worker to take off the case, not the others.
    spare = make_case(cast.reporter).report
    leaving = worker_user(username="lee")
    services.case_assign(actor=cast.coordinator, case=case, worker=leaving)
    return {
        "callers": {
            Role.REPORTER: cast.reporter,
            Role.SUPPORT_WORKER: cast.worker,
            Role.COORDINATOR: cast.coordinator,
            Role.ANALYST: cast.analyst,
            Role.ADMINISTRATOR: cast.administrator,
        },
        "values": {
            "path.report_id": [str(report.public_id)],
            "path.case_id": [str(case.public_id)],
            "path.evidence_id": [evidence_id],
            "path.match_id": [str(match.public_id) for match in case.matches.all()],
            "path.username": [cast.worker.username],
            "body.worker": [cast.other_worker.username, cast.worker.username],
            "body.username": [cast.reporter.username],
            "body.password": [PASSWORD],
            "body.receipt": [cast.receipt],
        },
        "deleted": {
            ("DELETE", "/api/v1/reports/{report_id}/"): {"path.report_id": str(spare.public_id)},
            ("DELETE", "/api/v1/cases/{case_id}/assignments/{username}/"): {
                "path.username": leaving.username
            },
        },
    }


def config(seeded: dict, caller: str, headers: dict[str, str]) -> schemathesis.Config:
    values = {key: found for key, found in seeded["values"].items() if found}
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "headers": headers,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
                # Signed-in callers keep their own token; random ones are the anonymous run's.
                "with-security-parameters": caller == "anonymous",
            },
            "phases": {"stateful": {"enabled": False}},
            "dictionaries": {key: {"values": found} for key, found in values.items()},
            "parameters": {key: {"dictionary": key, "probability": REAL} for key in values},
            "operations": [
                {
                    "include-tag": sorted(TAGS - OWN_TAGS[caller]),
                    "phases": {"coverage": {"enabled": False}},
                    "generation": {"max-examples": OTHERS_EXAMPLES},
                },
                *(
                    {"include-method": method, "include-path": path, "parameters": fixed}
                    for (method, path), fixed in seeded["deleted"].items()
                ),
            ],
        }
    )


@pytest.fixture(params=CALLERS)
def api_schema(request, live_server, committed_db):
    # schemathesis 4.32 names its subtests through `_nodeid`, which pytest 9.2 no longer has.
    request.node._nodeid = request.node.nodeid
    seeded = seed()
    headers = {}
    if request.param in seeded["callers"]:
        _, token = AuthToken.objects.create(user=seeded["callers"][request.param])
        headers["Authorization"] = f"Token {token}"
    return schemathesis.openapi.from_url(
        f"{live_server.url}/api/schema/?format=json", config=config(seeded, request.param, headers)
    )


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_every_operation_answers_as_documented_and_never_with_a_server_error(case):
    case.call_and_validate(checks=CHECKS)
