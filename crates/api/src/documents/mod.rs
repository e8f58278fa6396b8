//! Printed documents in French, as HTML and PDF: the written plan, the liaison sheet, the
//! social report of an application, the right-of-access record and the letters, each under the
//! organisation's letterhead.
//!
//! Renderers take plain data (no database access) and return bytes, so a route only gathers
//! the data and picks the format. The PDF engine in [`pdf`] embeds its own fonts and needs no
//! external program or browser at run time.

pub mod access;
pub mod application;
pub mod french;
pub mod letter;
pub mod letterhead;
pub mod liaison;
pub mod logo;
pub mod pdf;
pub mod sheet;
pub mod social_report;
mod templates;
pub mod written_plan;

pub use application::{PrintedApplication, PrintedDecision, PrintedFunder, PrintedFunding};
pub use pdf::PdfError;
pub use social_report::{
    ReportBudget, ReportPerson, SocialReport, html as social_report_html, pdf as social_report_pdf,
};
pub use written_plan::{
    PlanDecision, PlanObservation, PlanPerson, PlanStep, WrittenPlan, html as written_plan_html,
    pdf as written_plan_pdf,
};

/// The referent as documents print them, from their own profile (`PATCH /v1/me`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentReferent {
    pub name: String,
    pub job_title: Option<String>,
    pub civility: Option<relais_domain::Civility>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl DocumentReferent {
    /// The heading of the referent's block, agreed with their civility: `Référente`…
    pub fn heading(&self) -> &'static str {
        relais_domain::agent::referent_heading(self.civility)
    }

    /// Their role: the job title they gave, never a masculine default.
    pub fn role(&self) -> String {
        relais_domain::agent::referent_role(self.job_title.as_deref(), self.civility)
    }

    /// `Jeanne Martin, Assistante de service social`.
    pub fn name_and_role(&self) -> String {
        format!("{}, {}", self.name.trim(), self.role())
    }

    /// How to reach them, `jeanne.martin@… · 04 72 00 00 00`, when they gave any.
    pub fn reach(&self) -> Option<String> {
        let ways: Vec<&str> = [self.email.as_deref(), self.phone.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .collect();
        (!ways.is_empty()).then(|| ways.join(" · "))
    }
}

impl From<relais_store::agents::Profile> for DocumentReferent {
    fn from(p: relais_store::agents::Profile) -> Self {
        Self {
            name: p.name,
            job_title: p.job_title,
            civility: p.civility,
            email: p.email,
            phone: p.phone,
        }
    }
}

/// A person's postal address as printed, one item per line: the street lines, the postcode and
/// city, and the country when it is not France.
pub fn postal_address(person: &relais_store::persons::PersonRecord) -> Vec<String> {
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let town = [given(&person.address_postcode), given(&person.address_city)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let country = given(&person.address_country).filter(|c| !c.eq_ignore_ascii_case("FR"));
    [
        given(&person.address_line1),
        given(&person.address_line2),
        Some(town).filter(|t| !t.is_empty()),
        country,
    ]
    .into_iter()
    .flatten()
    .collect()
}
