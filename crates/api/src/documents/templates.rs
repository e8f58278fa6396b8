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
/// A letter ([`super::letter`]).
pub(crate) const LETTER: &str = "letter.html";
/// Where a document's template takes the letterhead ([`super::letterhead`]) and its style:
/// each placeholder (a comment, so nothing if left) is replaced by the part before the
/// template is parsed — the language has no `include`.
const LETTERHEAD: (&str, &str) = ("{# letterhead.html #}", include_str!("letterhead.html"));
const LETTERHEAD_STYLE: (&str, &str) = ("{# letterhead.css #}", include_str!("letterhead.css"));

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in [
        (SHEET, include_str!("sheet/sheet.html")),
        (WRITTEN_PLAN, include_str!("written_plan/written_plan.html")),
        (LETTER, include_str!("letter/letter.html")),
    ] {
        let source = [LETTERHEAD, LETTERHEAD_STYLE]
            .iter()
            .fold(source.to_owned(), |s, (placeholder, part)| {
                s.replace(placeholder, part)
            });
        env.add_template_owned(name, source)
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
        for name in [SHEET, WRITTEN_PLAN, LETTER] {
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
        // Each document's template took the letterhead and its style in.
        for name in [SHEET, WRITTEN_PLAN, LETTER] {
            let source = env.get_template(name).map(|t| t.source().to_owned());
            let source = source.unwrap_or_default();
            assert!(source.contains("class=\"org-head\""), "{name}");
            assert!(source.contains(".org-head img"), "{name}");
            assert!(!source.contains("{# letterhead"), "{name}");
        }
    }
}
