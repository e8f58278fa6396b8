"""Follows one fictitious person through a live Relais (demo organisation) and saves every
document it prints as a PDF in the directory given as argument: the written plan, the liaison
sheet, the social report, a letter and the right-of-access record. Called by
scripts/document-samples.sh, which turns the PDFs into the README's images. Standard library
only."""

import datetime
import json
import os
import struct
import sys
import urllib.error
import urllib.request
import zlib

BASE = os.environ["RELAIS_BASE_URL"]
ADMIN = os.environ["RELAIS_ADMIN"]
WORKER = os.environ["RELAIS_WORKER"]
DPO = os.environ["RELAIS_DPO"]


def call(method, path, token, body=None, accept="application/json", headers=None, raw=None):
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("Authorization", "Bearer " + token)
    request.add_header("Accept", accept)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            content = response.read()
    except urllib.error.HTTPError as error:
        sys.exit(f"{method} {path}: {error.code} {error.read()[:600]!r}")
    if accept == "application/json" and content:
        return json.loads(content)
    return content


def logo():
    """A 360×120 PNG: a blue band with a lighter square, drawn without any imaging library."""
    width, height = 360, 120
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            inside = 20 <= x < 100 and 20 <= y < 100
            row += bytes((240, 190, 60) if inside else (30, 70 + y // 3, 140 + x // 6))
        rows.append(bytes(row))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def main():
    out = sys.argv[1]
    today = datetime.date.today()
    now = datetime.datetime.now(datetime.timezone.utc)

    def due(days):
        return (today + datetime.timedelta(days=days)).isoformat()

    def save(name, pdf):
        if not pdf.startswith(b"%PDF-"):
            sys.exit(f"{name}: not a PDF")
        with open(os.path.join(out, name + ".pdf"), "wb") as f:
            f.write(pdf)

    call("PUT", "/v1/organisation/logo", ADMIN, raw=logo(), headers={"Content-Type": "image/png"})

    person = call("POST", "/v1/persons", WORKER, {
        "civility": "mme",
        "first_name": "Éloïse",
        "last_name": "Lefèvre",
        "birth_date": "1981-02-03",
        "phone": "06 12 34 56 78",
        "address": {"line1": "8 rue des Tanneurs", "postcode": "69007", "city": "Lyon"},
        "informed": {"at": now.isoformat(), "channel": "in_person", "notice_version": "2026-01"},
    })
    case = call("POST", "/v1/cases", WORKER, {
        "person_id": person["id"],
        "reason": "Impayés de loyer depuis trois mois après une baisse de revenus",
        "origin": "self",
    })
    case_path = f"/v1/cases/{case['id']}"
    call("POST", f"{case_path}/contacts", WORKER,
         {"kind": "first_interview", "occurred_at": now.isoformat()})
    call("PUT", f"{case_path}/assessment", WORKER, {"domains": [
        {"domain": "housing", "situation": "Trois loyers impayés ; le bailleur a adressé une mise en demeure.",
         "needs_action": "yes", "priority": "high"},
        {"domain": "finances", "situation": "Baisse des heures de travail depuis septembre.",
         "needs_action": "yes", "priority": "medium"},
    ]}, headers={"If-Match": "*"})
    call("PUT", f"/v1/persons/{person['id']}/household", WORKER, {
        "employment": "employed", "housing": "tenant",
        "members": [{"birth_date": "2012-05-10", "dependent": True, "relationship": "child"},
                    {"birth_date": "2016-09-21", "dependent": True, "relationship": "child"}],
    }, headers={"If-Match": "*"})
    call("PUT", f"/v1/persons/{person['id']}/budget", WORKER, {
        "resources": [{"amount_cents": 131000, "kind": "salary"},
                      {"amount_cents": 14852, "kind": "family_allowances"},
                      {"amount_cents": 29000, "kind": "housing_allowance"}],
        "charges": [{"amount_cents": 68000, "kind": "rent"},
                    {"amount_cents": 12500, "kind": "energy"},
                    {"amount_cents": 4200, "kind": "insurance"}],
        "debts": [{"amount_owed_cents": 204000, "creditor": "Office HLM", "kind": "rent_arrears"}],
    }, headers={"If-Match": "*"})
    for party, category, domain, title, days in [
        ("worker", "correspondence", "housing", "Écrire au bailleur pour proposer un plan d'apurement", 7),
        ("person", "paperwork", "housing", "Réunir les trois dernières fiches de paie et les quittances", 10),
        ("worker", "social_report", "housing", "Rédiger le rapport social de la demande au FSL", 21),
    ]:
        call("POST", f"{case_path}/plan/items", WORKER, {
            "party": party, "category": category, "domain": domain, "title": title, "due_on": due(days),
        })

    schemes = [s for s in call("GET", "/v1/schemes?limit=100", WORKER)["items"] if s["active"]]
    fsl = next((s for s in schemes if "FSL" in s["name"] or "solidarité logement" in s["name"]),
               schemes[0])
    application = call("POST", f"{case_path}/applications", WORKER, {
        "scheme_id": fsl["id"], "notes": "Dossier à présenter à la commission du mois prochain.",
    })
    app_path = f"{case_path}/applications/{application['id']}"
    call("PUT", f"{app_path}/funding-plan", WORKER, {
        "need_cents": 204000,
        "funders": [
            {"name": "Fonds de solidarité logement", "requested_cents": 150000, "status": "requested"},
            {"name": "CCAS — secours d'urgence", "requested_cents": 30000, "granted_cents": 30000,
             "status": "granted"},
        ],
    }, headers={"If-Match": "*"})
    report = call("POST", f"{app_path}/social-reports", WORKER, {"text": (
        "Madame Lefèvre, 45 ans, vit seule avec ses deux enfants de 10 et 14 ans dans un logement "
        "social qu'elle occupe depuis 2015. Employée à temps partiel, elle a vu ses heures réduites "
        "en septembre et n'a pu régler ses loyers de septembre à novembre.\n\n"
        "Elle a repris un temps plein en décembre et règle de nouveau son loyer courant. Elle s'est "
        "mobilisée dans chacune des démarches proposées et a pris contact avec son bailleur.\n\n"
        "Une aide du Fonds de solidarité logement permettrait de solder la dette locative et "
        "d'éviter l'engagement d'une procédure d'expulsion. Avis favorable."
    )})

    proposal = call("POST", f"{case_path}/plan/proposals", WORKER, {})
    call("POST", f"{case_path}/plan/proposals/{proposal['number']}/decision", WORKER,
         {"outcome": "accepted", "channel": "in_person"})
    save("written-plan", call("GET", f"{case_path}/plan/proposals/{proposal['number']}/document",
                              WORKER, accept="application/pdf"))

    save("social-report", call(
        "GET", f"{app_path}/social-reports/{report['version_no']}/document", WORKER,
        accept="application/pdf"))

    templates = call("GET", "/v1/letter-templates?limit=100", WORKER)["items"]
    landlord = next(t for t in templates if t["name"] == "Courrier au bailleur")
    values = {
        "demande": "Madame Lefèvre a repris un emploi à temps plein et règle de nouveau son loyer "
        "courant. Je vous saurais gré de bien vouloir suspendre la procédure de recouvrement le "
        "temps que le Fonds de solidarité logement examine sa demande, et de lui accorder un "
        "plan d'apurement pour le solde.",
        "demarches": "- demande d'aide au Fonds de solidarité logement, déposée ce mois-ci ;\n"
        "- réexamen des droits à l'aide au logement auprès de la CAF.",
        "reference": "LOC-2015-0412",
    }
    letter = call("POST", f"{case_path}/letters", WORKER, {
        "template_id": landlord["id"],
        "values": values,
        "recipient": {"name": "Office HLM du Grand Lyon — Service contentieux",
                      "address": ["12 avenue Jean-Jaurès", "69007 Lyon"]},
    })
    save("letter", call("GET", f"{case_path}/letters/{letter['id']}/document", WORKER,
                        accept="application/pdf"))

    liaison = call("POST", f"{case_path}/liaisons", WORKER, {
        "destination": {"name": "CAF du Rhône", "contact": "Mme Durand, service action sociale, 04 72 00 00 00"},
        "purpose": "Réexamen des droits à l'aide au logement après la reprise d'un temps plein.",
        "legal_basis": "shared_secrecy",
        "content": ["identity", "reason", "steps_pending", "referent_contact"],
    })
    call("POST", f"{case_path}/liaisons/{liaison['id']}/send", WORKER, {}, headers={"If-Match": "*"})
    save("liaison-sheet", call("GET", f"{case_path}/liaisons/{liaison['id']}/document", WORKER,
                               accept="application/pdf"))

    save("access-record", call("GET", f"/v1/persons/{person['id']}/export", DPO,
                               accept="application/pdf"))


if __name__ == "__main__":
    main()
