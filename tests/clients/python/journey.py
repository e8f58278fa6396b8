"""The main accompaniment through the Python client generated from the served document
(openapi-python-client): person, case, first interview, assessment, plan items, proposal, the
person's decision and the written plan in PDF, with no hand-written request."""

import datetime
import os
import sys

from relais_client import AuthenticatedClient
from relais_client.api.cases import case_timeline, create_case, read_case, replace_assessment
from relais_client.api.contacts import create_contact
from relais_client.api.persons import create_person, read_person
from relais_client.api.plan import (
    create_plan_item,
    create_plan_proposal,
    decide_plan_proposal,
    plan_proposal_document,
)
from relais_client.models import (
    AssessmentReplacement,
    CaseStatus,
    NewCase,
    NewContact,
    NewPerson,
    NewPlanDecision,
    NewPlanItem,
    NewProposal,
    Person,
    Problem,
)


def must(what, response, expected):
    if response.status_code != expected or isinstance(response.parsed, Problem):
        sys.exit(f"{what}: {response.status_code} {response.content[:500]!r}")
    return response.parsed


def main():
    client = AuthenticatedClient(
        base_url=os.environ["RELAIS_BASE_URL"], token=os.environ["RELAIS_TOKEN"]
    )
    now = datetime.datetime.now(datetime.timezone.utc)
    person = must(
        "create a person",
        create_person.sync_detailed(
            client=client,
            # Another person than the TypeScript journey's, on the same server: the same names
            # and birth date would be a 409 possible_duplicate.
            body=NewPerson.from_dict({
                "first_name": "Karim",
                "last_name": "Benali",
                "birth_date": "1979-05-01",
                "informed": {"at": now.isoformat(), "channel": "in_person", "notice_version": "2026-01"},
            }),
        ),
        201,
    )
    created = must(
        "open a case",
        create_case.sync_detailed(
            client=client,
            body=NewCase.from_dict({
                "person_id": str(person.id),
                "reason": "Impayés de loyer depuis trois mois",
                "origin": "self",
            }),
        ),
        201,
    )
    case_id = created.id
    # The referent sees the whole record: the answer decodes as a Person, not the search view.
    record = must("read the person", read_person.sync_detailed(person.id, client=client), 200)
    if not isinstance(record, Person) or record.restricted:
        sys.exit(f"read the person: expected the record, got {record!r}")
    must(
        "hold the first interview",
        create_contact.sync_detailed(
            case_id,
            client=client,
            body=NewContact.from_dict({"kind": "first_interview", "occurred_at": now.isoformat()}),
        ),
        201,
    )
    case = must("read the case", read_case.sync_detailed(case_id, client=client), 200)
    if case.status != CaseStatus.ASSESSMENT:
        sys.exit(f"after the first interview: {case.status}")
    must(
        "assess the situation",
        replace_assessment.sync_detailed(
            case_id,
            client=client,
            if_match="*",
            body=AssessmentReplacement.from_dict({"domains": [{
                "domain": "housing",
                "situation": "Impayés de loyer.",
                "needs_action": "yes",
                "priority": "high",
            }]}),
        ),
        200,
    )
    for party, category, title, days in [
        ("worker", "correspondence", "Écrire au bailleur", 7),
        ("person", "paperwork", "Réunir les quittances", 10),
    ]:
        due = (now + datetime.timedelta(days=days)).date().isoformat()
        must(
            f"add the step {title}",
            create_plan_item.sync_detailed(
                case_id,
                client=client,
                body=NewPlanItem.from_dict({
                    "party": party,
                    "category": category,
                    "domain": "housing",
                    "title": title,
                    "due_on": due,
                }),
            ),
            201,
        )
    proposal = must(
        "propose the plan",
        create_plan_proposal.sync_detailed(case_id, client=client, body=NewProposal()),
        201,
    )
    decided = must(
        "record the person's decision",
        decide_plan_proposal.sync_detailed(
            case_id,
            proposal.number,
            client=client,
            body=NewPlanDecision.from_dict({"outcome": "accepted", "channel": "in_person"}),
        ),
        200,
    )
    if decided.decision.outcome.value != "accepted":
        sys.exit(f"decision: {decided.decision}")
    document = plan_proposal_document.sync_detailed(
        case_id,
        proposal.number,
        client=client.with_headers({"Accept": "application/pdf"}),
    )
    if (
        document.status_code != 200
        or document.headers.get("content-type") != "application/pdf"
        or not document.content.startswith(b"%PDF-")
    ):
        sys.exit(f"the written plan: {document.status_code} {document.headers.get('content-type')}")
    timeline = must("read the timeline", case_timeline.sync_detailed(case_id, client=client), 200)
    kinds = [event.kind for event in timeline.items]
    for kind in ["created", "contact_created", "transition", "plan_decision"]:
        if kind not in kinds:
            sys.exit(f"no {kind} in {kinds}")
    print(f"Python client: the accompaniment ran ({len(document.content)}-byte written plan)")


if __name__ == "__main__":
    main()
