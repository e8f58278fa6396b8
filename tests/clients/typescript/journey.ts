import createClient from "openapi-fetch";
import type { paths, components } from "./schema.js";

type Schemas = components["schemas"];

const base = process.env.RELAIS_BASE_URL!;
const token = process.env.RELAIS_TOKEN!;
const client = createClient<paths>({
  baseUrl: base,
  headers: { Authorization: `Bearer ${token}` },
});

function day(offset: number): string {
  return new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
}

function must<T>(what: string, result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined) {
    throw new Error(`${what}: ${result.response.status} ${JSON.stringify(result.error)}`);
  }
  return result.data;
}

async function main(): Promise<void> {
  const person = must(
    "create a person",
    await client.POST("/v1/persons", {
      body: {
        first_name: "Éloïse",
        last_name: "Lefèvre",
        birth_date: "1984-03-02",
        informed: { at: new Date().toISOString(), channel: "in_person", notice_version: "2026-01" },
      },
    }),
  );
  const created = must(
    "open a case",
    await client.POST("/v1/cases", {
      body: { person_id: person.id, reason: "Impayés de loyer depuis trois mois", origin: "self" },
    }),
  );
  const caseId = created.id;
  const path = { id: caseId };
  // The referent sees the whole record: `restricted` tells it from the search view.
  const seen = must(
    "read the person",
    await client.GET("/v1/persons/{id}", { params: { path: { id: person.id } } }),
  );
  if (seen.restricted || !("version" in seen)) {
    throw new Error(`read the person: expected the record, got ${JSON.stringify(seen)}`);
  }

  const contact = must(
    "hold the first interview",
    await client.POST("/v1/cases/{id}/contacts", {
      params: { path },
      body: { kind: "first_interview", occurred_at: new Date().toISOString() },
    }),
  );
  const status: Schemas["CaseStatus"] = must(
    "read the case",
    await client.GET("/v1/cases/{id}", { params: { path } }),
  ).status;
  if (status !== "assessment") throw new Error(`after ${contact.id}: ${status}`);

  must(
    "assess the situation",
    await client.PUT("/v1/cases/{id}/assessment", {
      params: { path, header: { "If-Match": "*" } },
      body: {
        domains: [
          { domain: "housing", situation: "Impayés de loyer.", needs_action: "yes", priority: "high" },
        ],
      },
    }),
  );
  for (const [party, category, title, due] of [
    ["worker", "correspondence", "Écrire au bailleur", 7],
    ["person", "paperwork", "Réunir les quittances", 10],
  ] as const) {
    must(
      `add the step ${title}`,
      await client.POST("/v1/cases/{id}/plan/items", {
        params: { path },
        body: { party, category, domain: "housing", title, due_on: day(due) },
      }),
    );
  }
  const proposal = must(
    "propose the plan",
    await client.POST("/v1/cases/{id}/plan/proposals", { params: { path }, body: {} }),
  );
  const decided = must(
    "record the person's decision",
    await client.POST("/v1/cases/{id}/plan/proposals/{number}/decision", {
      params: { path: { id: caseId, number: proposal.number } },
      body: { outcome: "accepted", channel: "in_person" },
    }),
  );
  if (decided.decision?.outcome !== "accepted") throw new Error(JSON.stringify(decided));

  const pdf = await client.GET("/v1/cases/{id}/plan/proposals/{number}/document", {
    params: { path: { id: caseId, number: proposal.number } },
    headers: { Accept: "application/pdf" },
    parseAs: "arrayBuffer",
  });
  const bytes = new Uint8Array(must("print the written plan", pdf) as ArrayBuffer);
  const magic = new TextDecoder().decode(bytes.slice(0, 5));
  if (pdf.response.headers.get("content-type") !== "application/pdf" || magic !== "%PDF-") {
    throw new Error(`not a PDF: ${pdf.response.headers.get("content-type")} ${magic}`);
  }

  const timeline = must(
    "read the timeline",
    await client.GET("/v1/cases/{id}/timeline", { params: { path } }),
  );
  const kinds = timeline.items.map((event) => event.kind);
  for (const kind of ["created", "contact_created", "transition", "plan_decision"] as const) {
    if (!kinds.includes(kind)) throw new Error(`no ${kind} in ${kinds.join(", ")}`);
  }
  console.log(`TypeScript client: the accompaniment ran (${bytes.length}-byte written plan)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
