//! The written plan as a self-contained, printable HTML page (A4, no external resources),
//! rendered from its template (`written_plan.html`) with automatic HTML escaping: no value of
//! the plan can add markup.

use serde::Serialize;

use super::{
    APPLICATIONS, ApplicationBlock, CONFIDENTIAL, NO_APPLICATION, NO_DECISION, NO_OBSERVATION,
    NO_STEP, PlanStep, SIGNED_AT, TITLE, WrittenPlan, present,
};
use crate::documents::templates;

/// What the template prints, worded by the plan.
#[derive(Serialize)]
struct Page<'a> {
    window_title: String,
    /// Only the hex digits of the content hash: it is also written inside the CSS.
    hash: String,
    letterhead: &'a crate::documents::letterhead::Letterhead,
    title: &'static str,
    reference: String,
    parties: Vec<(&'static str, String)>,
    intro: String,
    sections: Vec<StepsSection<'a>>,
    applications: Applications,
    decision: Option<Decision>,
    observations: Vec<Observation<'a>>,
    signatures: [String; 2],
    fingerprint: String,
    text: Wording,
}

#[derive(Serialize)]
struct StepsSection<'a> {
    heading: &'static str,
    subheading: Option<&'static str>,
    steps: Vec<Step<'a>>,
}

#[derive(Serialize)]
struct Step<'a> {
    title: &'a str,
    due: String,
    meta: String,
    details: Option<&'a str>,
}

#[derive(Serialize)]
struct Applications {
    heading: &'static str,
    intro: String,
    items: Vec<ApplicationBlock>,
    empty: &'static str,
}

#[derive(Serialize)]
struct Decision {
    sentence: String,
    recorded: Option<String>,
    notes: Option<String>,
}

#[derive(Serialize)]
struct Observation<'a> {
    date: String,
    text: &'a str,
}

/// The fixed sentences.
#[derive(Serialize)]
struct Wording {
    no_step: &'static str,
    no_decision: &'static str,
    no_observation: &'static str,
    signed_at: &'static str,
    confidential: &'static str,
}

/// The written plan as a complete HTML document (UTF-8, French, print-ready A4).
pub fn html(plan: &WrittenPlan) -> String {
    templates::render(templates::WRITTEN_PLAN, &page(plan))
}

fn page(plan: &WrittenPlan) -> Page<'_> {
    Page {
        window_title: format!(
            "{TITLE} — {} — {}",
            plan.person_name(),
            plan.proposal_line()
        ),
        hash: plan
            .content_hash
            .chars()
            .filter(char::is_ascii_hexdigit)
            .collect(),
        letterhead: &plan.letterhead,
        title: TITLE,
        reference: format!("{} · {}", plan.proposal_line(), plan.document_line()),
        parties: plan.identification(),
        intro: plan.intro(),
        sections: plan
            .sections()
            .into_iter()
            .map(|s| StepsSection {
                heading: s.heading,
                subheading: s.subheading,
                steps: s.steps.iter().map(step).collect(),
            })
            .collect(),
        applications: Applications {
            heading: APPLICATIONS,
            intro: plan.applications_intro(),
            items: plan.application_blocks(),
            empty: NO_APPLICATION,
        },
        decision: plan.decision.as_ref().map(|d| Decision {
            sentence: d.sentence(),
            recorded: d.recorded_line(),
            notes: present(&d.notes).map(str::to_owned),
        }),
        observations: plan
            .observations
            .iter()
            .map(|o| Observation {
                date: o.date_line(),
                text: o.text.trim(),
            })
            .collect(),
        signatures: plan.signatures(),
        fingerprint: plan.fingerprint_line(),
        text: Wording {
            no_step: NO_STEP,
            no_decision: NO_DECISION,
            no_observation: NO_OBSERVATION,
            signed_at: SIGNED_AT,
            confidential: CONFIDENTIAL,
        },
    }
}

fn step(step: &PlanStep) -> Step<'_> {
    Step {
        title: step.title.trim(),
        due: step.due_line(),
        meta: step.meta_line(),
        details: present(&step.details),
    }
}
