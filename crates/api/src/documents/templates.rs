//! The HTML templates of the printed documents, parsed once and rendered with automatic HTML
//! escaping: no value of a document can add markup.
//!
//! Only the templates compiled in exist: nothing is loaded from files, and the `.html` name of
//! each turns HTML escaping on for every value it prints.

use std::sync::LazyLock;

use minijinja::Environment;
use minijinja::value::{Serde, Value};
use serde::Serialize;

/// The sheet of titled sections ([`super::sheet`]).
pub(crate) const SHEET: &str = "sheet.html";
/// The written plan ([`super::written_plan`]).
pub(crate) const WRITTEN_PLAN: &str = "written_plan.html";
/// The letterhead, included by the others ([`super::letterhead`]), and its style.
pub(crate) const LETTERHEAD: &str = "letterhead.html";
const LETTERHEAD_STYLE: &str = "letterhead.css";

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in [
        (LETTERHEAD, include_str!("letterhead.html")),
        (LETTERHEAD_STYLE, include_str!("letterhead.css")),
        (SHEET, include_str!("sheet/sheet.html")),
        (WRITTEN_PLAN, include_str!("written_plan/written_plan.html")),
    ] {
        env.add_template(name, source)
            .expect("the document templates are valid (checked by a test)");
    }
    env
});

/// The page the template `name` makes of `data`.
pub(crate) fn render(name: &str, data: &impl Serialize) -> String {
    TEMPLATES
        .get_template(name)
        .and_then(|t| t.render(Value::from(Serde(data))))
        .unwrap_or_else(|e| {
            // The templates are compiled in and their data is plain strings and numbers: a
            // failure is a defect found by the tests, never a consequence of the data.
            tracing::error!(error = %e, template = name, "document template failed");
            String::new()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses_and_escapes_html() {
        for name in [LETTERHEAD, SHEET, WRITTEN_PLAN] {
            let template = TEMPLATES.get_template(name);
            assert!(template.is_ok(), "{name}: {template:?}");
        }
        let env = &*TEMPLATES;
        let escaped = env
            .render_named_str(
                "probe.html",
                "{{ v }}",
                minijinja::context! { v => "<b>&'\"" },
            )
            .unwrap_or_default();
        assert_eq!(escaped, "&lt;b&gt;&amp;&#x27;&quot;");
    }
}
