"""Schemathesis hooks for scripts/schemathesis.sh: what a generator cannot know from Relais's
document, said precisely so that nothing else is excused.

- An `Idempotency-Key` names one intent: a generator that draws the same key for two different
  bodies gets the documented 422 `idempotency_key_reused`. A valid drawn key is made unique.
- A random `If-Match` is a version Relais never issued: 412 `version_mismatch` is the answer,
  the one tolerated, and only when the request sent an `If-Match`.
- A few rules compare a field with another one or with today's date, which JSON Schema cannot
  state; each operation's description says them. A refusal of a schema-valid request is
  excused only when every field error it lists is one of these rules, for that operation.
- A stateful link whose value a response does not have is sent by the tool as the text `None`
  in the path: its 400 `invalid_path_parameter` is the right answer, not a failure.
- An import file (`POST /v1/imports/cases`, `text/csv` or `application/x-ndjson`) is a text
  whose rows' rules (a header naming known columns, each row a valid case) no schema states: the
  tool sends its drawn text as it is (the serializers below), and the 422 `validation_failed`
  carrying the import's `report` is the documented answer to a file that is not one.

And one guard for the tool itself: Python 3.11 keeps `ast.parse`'s recursion counter in state
shared by the interpreter's threads, so two workers describing strategies at once (Hypothesis
parses lambda sources) can fail a run with "AST constructor recursion depth mismatch". Parses
are serialised by a lock; they are rare and cached.
"""

import ast
import json
import re
import threading
import uuid

import schemathesis

_AST_PARSE = ast.parse
_AST_LOCK = threading.RLock()


def _parse_one_at_a_time(*args, **kwargs):
    with _AST_LOCK:
        return _AST_PARSE(*args, **kwargs)


ast.parse = _parse_one_at_a_time

VALID_KEY = re.compile(r"^[!-~]{1,255}$")


@schemathesis.serializer("text/csv", "application/x-ndjson")
def import_file(ctx, value):
    """An import file is text: the drawn string as UTF-8 (anything else as its text)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value).encode("utf-8")


# The operations whose body is a file of rows, refused with its per-row report.
IMPORTS = {"POST /v1/imports/cases"}


@schemathesis.hook
def map_headers(context, headers):
    for name in list(headers or {}):
        if name.lower() == "idempotency-key" and VALID_KEY.match(str(headers[name])):
            headers[name] = f"{str(headers[name])[:200]}-{uuid.uuid4().hex}"
    return headers


# Operation → (pointer, code) of the refusals that come from rules across fields, across the
# items of a list, or against today's date: each operation's description states them. `*` in
# a pointer stands for any list index, `**` for any rest of the pointer.
# A person's NIR key matches its number; birth and information dates are not in the future.
PERSON_RULES = {
    ("/nir", "nir_wrong_key"),
    ("/birth_date", "out_of_range"),
    ("/informed/at", "out_of_range"),
    # A disability's rate goes with a recognised one; a representative has a name or an
    # organisation (both optional one by one).
    ("/disability/rate", "rate_without_recognition"),
    ("/legal_protection/representative/name", "representative_unnamed"),
}

CROSS_FIELD_RULES = {
    "GET /v1/agenda": {("/to", "range_reversed"), ("/to", "range_too_long")},
    "GET /v1/stats/activity": {
        ("/to", "range_reversed"),
        ("/to", "range_too_long"),
        ("/team", "referent_and_team"),
        ("/team", "team_size"),
        ("/from", "out_of_range"),
        ("/to", "out_of_range"),
    },
    "GET /v1/persons/{id}": {("/reason", "reason_required")},
    "GET /v1/persons": {("/nir", "nir_wrong_key")},
    "POST /v1/persons": PERSON_RULES,
    # A measure patched into existence needs its kind.
    "PATCH /v1/persons/{id}": PERSON_RULES | {("/legal_protection/kind", "required")},
    "POST /v1/referrals": {("/person" + pointer, code) for pointer, code in PERSON_RULES}
    | {
        ("/consent/informed_on", "out_of_range"),
        # An attachment's type is read from its bytes, and its name's extension must agree.
        ("/attachments/*/content_base64", "unsupported_type"),
        ("/attachments/*/filename", "type_mismatch"),
    },
    "POST /v1/cases": {("/person" + pointer, code) for pointer, code in PERSON_RULES}
    | {
        ("/target_end_on", "out_of_range"),
        # A case is entered as opened up to 24 months back, not after today.
        ("/opened_on", "in_future"),
        ("/opened_on", "out_of_range"),
    },
    # An absence ends on or after its first day, not before today, and is covered by another
    # agent who is at work and holds cases.
    "POST /v1/agents/{id}/absences": {
        ("/to", "out_of_range"),
        ("/to", "in_past"),
        ("/to", "too_long"),
        ("/delegate_id", "same_agent"),
        ("/delegate_id", "agent_inactive"),
        ("/delegate_id", "not_a_worker"),
    },
    # A handover goes to another agent at work who holds cases; each case named is open,
    # followed by the agent it comes from, and named once.
    "POST /v1/cases/reassignments": {
        ("/to_agent_id", "same_agent"),
        ("/to_agent_id", "agent_inactive"),
        ("/to_agent_id", "not_a_worker"),
        ("/case_ids/*", "case_not_open"),
        ("/case_ids/*", "not_referent"),
        ("/case_ids/*", "duplicate"),
    },
    "PATCH /v1/cases/{id}": {("/target_end_on", "out_of_range")},
    # The duplicate merged is another record than the one the path names.
    "POST /v1/persons/{id}/merge": {("/duplicate_id", "same_person")},
    # A closure's review date comes after the closure date (today).
    # Reopening a closed case needs a reason.
    "POST /v1/cases/{id}/transitions": {
        ("/review_due_on", "out_of_range"),
        ("/reason", "reason_required"),
    },
    # Each target of an application's lifecycle takes its own fields and needs them (a decision
    # its date, not before the submission nor in the future); the automatic ones are not asked.
    "POST /v1/cases/{id}/applications/{app_id}/transitions": {
        ("/" + field, code)
        for field in ("submitted_on", "submitted_to", "decision", "decided_on",
                      "amount_granted_cents", "reason")
        for code in ("not_allowed", "required")
    }
    | {("/submitted_on", "out_of_range"), ("/decided_on", "out_of_range"),
       ("/to", "automatic_status")},
    # An application's submission is corrected once it was submitted, its decision once decided.
    "PATCH /v1/cases/{id}/applications/{app_id}": {
        ("/submitted_on", "not_allowed"),
        ("/submitted_to", "not_allowed"),
        ("/decision", "not_allowed"),
        ("/decided_on", "not_allowed"),
        ("/amount_granted_cents", "not_allowed"),
        ("/decision_reason", "not_allowed"),
    },
    "POST /v1/cases/{id}/contacts": {("/occurred_at", "in_future")},
    "PATCH /v1/cases/{id}/contacts/{contact_id}": {("/occurred_at", "in_future")},
    "POST /v1/cases/{id}/contacts/{contact_id}/outcome": {("/occurred_at", "in_future")},
    "POST /v1/group-sessions": {("/occurred_at", "in_future")},
    "POST /v1/persons/{id}/consents": {("/given_at", "out_of_range")},
    "POST /v1/persons/{id}/restrictions": {("/requested_on", "out_of_range")},
    "POST /v1/cases/{id}/plan/items": {("/due_on", "out_of_range")},
    # A changed category is checked against the party stored with the item; a done date goes
    # with the status `done` only (and is kept by a done item), never in the future.
    "PATCH /v1/cases/{id}/plan/items/{item_id}": {
        ("/due_on", "out_of_range"),
        ("/category", "category_not_allowed_for_party"),
        ("/done_on", "not_done"),
        ("/done_on", "required"),
        ("/done_on", "out_of_range"),
    },
    "POST /v1/cases/{id}/applications": {("/scheme_id", "scheme_inactive")},
    # A liaison's consent and partner are refused on their state.
    "POST /v1/cases/{id}/liaisons": {
        ("*", "unknown_consent"),
        ("*", "consent_withdrawn"),
        ("*", "unknown_partner"),
        ("*", "partner_disabled"),
    },
    # The type of a file is read from its first bytes, not from what the client says.
    "POST /v1/cases/{id}/documents": {("/file", "unsupported_type")},
    "PUT /v1/persons/{id}/household": {
        ("/members/*/birth_date", "out_of_range"),
        ("/members/*/relationship", "second_partner"),
    },
    "PUT /v1/cases/{id}/assessment": {("/domains/*/domain", "duplicate_domain")},
    "PUT /v1/cases/{id}/applications/{app_id}/funding-plan": {
        ("/funders/*/granted_cents", "granted_amount_mismatch"),
        ("/funders/*/granted_cents", "out_of_range"),
        ("/funders/*/name", "duplicate"),
    },
}

# A scheme's criteria compare their bounds (`min` ≤ `max`), ask for at least one bound or
# exactly one ceiling, and list prefixes once; its documents have distinct codes.
SCHEME_RULES = {
    ("/criteria/*/**", "min_above_max"),
    ("/criteria/*", "no_bound"),
    ("/criteria/*", "conflict"),
    ("/criteria/*/**", "conflict"),
    ("/criteria/*/max_cents", "required"),
    ("/criteria/*/**", "duplicate"),
    ("/required_documents/*/code", "duplicate"),
    ("/figures_read_on", "in_future"),
}
CROSS_FIELD_RULES["POST /v1/schemes"] = SCHEME_RULES
CROSS_FIELD_RULES["PATCH /v1/schemes/{id}"] = SCHEME_RULES
CROSS_FIELD_RULES["POST /v1/schemes/import"] = {
    ("/schemes/*" + pointer, code) for pointer, code in SCHEME_RULES
} | {("/schemes/*/name", "duplicate")}

# A webhook URL must not reach the service's own network: loopback and private addresses are
# refused (a pattern says `https`, not where a host is).
# A SIRET's check digit (Luhn) is the one rule of its shape a pattern cannot state.
PARTNER_RULES = {
    ("/webhook_url", "loopback_not_allowed"),
    ("/webhook_url", "address_not_allowed"),
    ("/siret", "siret_wrong_key"),
}
CROSS_FIELD_RULES["POST /v1/partners"] = PARTNER_RULES
CROSS_FIELD_RULES["PATCH /v1/partners/{id}"] = PARTNER_RULES
# The same for the organisation's own webhook subscriptions.
SUBSCRIPTION_RULES = {
    ("/url", "loopback_not_allowed"),
    ("/url", "address_not_allowed"),
    ("/events/*", "duplicate"),
}
CROSS_FIELD_RULES["POST /v1/webhook-subscriptions"] = SUBSCRIPTION_RULES
# The letterhead's website and e-mail are checked by parsing them, beyond what a pattern says.
# A logo is checked by decoding it: bytes a schema calls binary are rarely an image.
CROSS_FIELD_RULES["PUT /v1/organisation/logo"] = {
    ("", "unsupported_type"),
    ("", "media_type_mismatch"),
    ("", "unreadable_image"),
    ("", "image_too_large"),
    ("", "unsupported_color_space"),
}
CROSS_FIELD_RULES["PUT /v1/organisation/profile"] = {
    ("/website", "invalid_url"),
    ("/email", "email"),
    ("/phone", "invalid_phone"),
    # An address line is trimmed before it is counted; a generator's idea of white space may
    # differ at the edges.
    ("/address_lines/*", "blank"),
}
CROSS_FIELD_RULES["PATCH /v1/webhook-subscriptions/{id}"] = SUBSCRIPTION_RULES

# A letter template's texts are parsed, read only merge fields and declared fields, and render
# with sample data within their length; its fields are named once.
LETTER_TEMPLATE_RULES = {
    (part, code)
    for part in ("/subject", "/body")
    for code in ("template_syntax", "unknown_merge_field", "template_error", "too_long")
} | {("/fields/*/name", "duplicate")}
CROSS_FIELD_RULES["POST /v1/letter-templates"] = LETTER_TEMPLATE_RULES
CROSS_FIELD_RULES["PATCH /v1/letter-templates/{id}"] = LETTER_TEMPLATE_RULES
# A letter's values are checked against the fields its template declares (their names, kinds
# and whether they are required), its recipient against the template's addressee; the template
# may be archived, or fail with these values.
CROSS_FIELD_RULES["POST /v1/cases/{id}/letters"] = {
    ("/values/**", code)
    for code in ("unknown_field", "required", "invalid_format", "invalid_character", "too_long")
} | {
    ("/recipient", "required"),
    ("/recipient", "not_allowed"),
    ("/template_id", "template_archived"),
    ("/template_id", "template_error"),
}

# A generator may draw one `Idempotency-Key` for two different requests (the coverage phase
# reuses its values): the documented answer is 422 `idempotency_key_reused`.
# A reference in a body to a record that does not exist (or that the caller may not see) is
# refused as a path id would be (404 there, 422 `unknown_reference` in a body), on any operation.
ANYWHERE = {("*", "unknown_reference"), ("/idempotency-key", "reused")}


def problem(response):
    try:
        return json.loads(response.content)
    except (ValueError, TypeError):
        return None


def sent_if_match(response):
    request = getattr(response, "request", None)
    return request is not None and request.headers.get("If-Match") is not None


def matches(rule, error):
    pointer, code = rule
    if error.get("code") != code:
        return False
    if pointer == "*":
        return True
    pattern = "^" + re.escape(pointer).replace(r"\*\*", ".+").replace(r"\*", "[0-9]+") + "$"
    return re.match(pattern, str(error.get("pointer", ""))) is not None


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """False drops the failure: only the answers the module docstring names."""
    body = problem(response)
    if not isinstance(body, dict):
        return True
    if response.status_code == 412 and body.get("code") == "version_mismatch" and sent_if_match(response):
        return False
    # A link whose value the response does not have is sent by the tool as the text `None`:
    # not a request the document allows, refused as such.
    if (
        failure.code == "ST202"
        and body.get("code") == "invalid_path_parameter"
        and "/None" in str(getattr(getattr(response, "request", None), "url", ""))
    ):
        return False
    if (
        case.operation.label in IMPORTS
        and response.status_code == 422
        and body.get("code") == "validation_failed"
        and isinstance(body.get("report"), dict)
    ):
        return False
    if failure.code == "ST202":
        rules = CROSS_FIELD_RULES.get(case.operation.label, set()) | ANYWHERE
        errors = body.get("errors") or []
        if errors and all(any(matches(rule, error) for rule in rules) for error in errors):
            return False
    return True
