//! Printed documents: the written plan as HTML and PDF, in French.
//!
//! Renderers take plain data (no database access) and return bytes, so a route only gathers
//! the data and picks the format. The PDF engine in [`pdf`] embeds its own fonts and needs no
//! external program or browser at run time.

pub mod access;
pub mod french;
pub mod liaison;
pub mod pdf;
pub mod sheet;
pub mod written_plan;

pub use pdf::PdfError;
pub use written_plan::{
    PlanDecision, PlanObservation, PlanPerson, PlanStep, WrittenPlan, html as written_plan_html,
    pdf as written_plan_pdf,
};
