//! The sandbox letter templates are checked and rendered in: a MiniJinja environment that can
//! reach nothing but the data it is given.
//!
//! - No loader and no template but the one rendered: `include`, `import`, `extends` and `from`
//!   are not even statements of this build (MiniJinja without its `multi_template` feature),
//!   so no file can be reached.
//! - No global and no function (`range`, `debug`, `namespace`…): a template sees its merge
//!   fields and nothing of the server; only the filters [`FILTERS`] names.
//! - Strict undefined values: a name the data does not have is an error, never an empty string.
//! - A budget of work ([`FUEL`], MiniJinja's fuel) and of recursion: an endless loop or a
//!   recursive macro stops with an error. The rendered text has a length limit.
//! - Plain text: nothing is escaped here. The letter's document escapes everything when it lays
//!   the text out as HTML, so a value can never add markup.
//!
//! [`check`] runs when a template is saved: it parses each part, lists the variables it reads
//! (each must be a merge field or a declared field), and renders it once with sample data.
//! [`render`] renders a letter once, when it is written; a value is data, never template
//! source, so a value holding `{{ … }}` prints as it is.

use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Serde, Value};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};
use relais_domain::letter::{LetterField, MAX_RENDERED_BODY_CHARS, MAX_RENDERED_SUBJECT_CHARS};

use super::merge::{MergeData, is_known};

/// The work one render may do (MiniJinja's fuel: about one unit per instruction, and one per 64
/// bytes of data made). A starter template takes a few hundred.
pub const FUEL: u64 = 200_000;
/// How deep macros and blocks may nest.
const RECURSION_LIMIT: usize = 64;

/// The filters a template may use, and nothing else: changes of case and of spaces.
pub const FILTERS: &[&str] = &["capitalize", "lower", "replace", "title", "trim", "upper"];

/// The two parts of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Subject,
    Body,
}

impl Part {
    /// The JSON pointer of the part in a template's body.
    pub fn pointer(self) -> &'static str {
        match self {
            Part::Subject => "/subject",
            Part::Body => "/body",
        }
    }

    fn limit(self) -> usize {
        match self {
            Part::Subject => MAX_RENDERED_SUBJECT_CHARS,
            Part::Body => MAX_RENDERED_BODY_CHARS,
        }
    }
}

/// Why a part of a template is refused, or could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateProblem {
    pub part: Part,
    /// `template_syntax`, `unknown_merge_field`, `template_error` or `too_long`.
    pub code: &'static str,
    pub message: String,
}

impl TemplateProblem {
    fn new(part: Part, code: &'static str, message: String) -> Self {
        Self {
            part,
            code,
            message,
        }
    }

    /// A failure of the engine (a syntax error, an error while rendering), with its line.
    fn engine(part: Part, code: &'static str, error: &Error) -> Self {
        let what = match error.kind() {
            ErrorKind::OutOfFuel => "the template does too much work (an endless loop?)".to_owned(),
            kind => match error.detail() {
                Some(detail) => format!("{kind}: {detail}"),
                None => kind.to_string(),
            },
        };
        let message = match error.line() {
            Some(line) => format!("line {line}: {what}"),
            None => what,
        };
        Self::new(part, code, message)
    }
}

/// The environment every template is parsed and rendered in (see the module's note).
fn environment<'source>() -> Environment<'source> {
    let mut env = Environment::empty();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(RECURSION_LIMIT);
    if let Ok(syntax) = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env.add_filter("capitalize", minijinja::filters::capitalize);
    env.add_filter("lower", minijinja::filters::lower);
    env.add_filter("replace", minijinja::filters::replace);
    env.add_filter("title", minijinja::filters::title);
    env.add_filter("trim", minijinja::filters::trim);
    env.add_filter("upper", minijinja::filters::upper);
    env
}

/// Checks a template's subject and body against its declared `fields`: each parses, reads only
/// merge fields and declared fields (each unknown one named), and renders with sample data
/// within its length. Every problem found, subject first.
pub fn check(subject: &str, body: &str, fields: &[LetterField]) -> Vec<TemplateProblem> {
    let sample = MergeData::sample(fields);
    let mut problems = Vec::new();
    for (part, source) in [(Part::Subject, subject), (Part::Body, body)] {
        problems.extend(check_part(part, source, fields, &sample));
    }
    problems
}

fn check_part(
    part: Part,
    source: &str,
    fields: &[LetterField],
    sample: &MergeData,
) -> Vec<TemplateProblem> {
    let env = environment();
    let template = match env.template_from_str(source) {
        Ok(template) => template,
        Err(error) => return vec![TemplateProblem::engine(part, "template_syntax", &error)],
    };
    let mut unknown: Vec<String> = template
        .undeclared_variables(true)
        .into_iter()
        .filter(|path| !is_known(path, fields))
        .collect();
    if !unknown.is_empty() {
        unknown.sort();
        return unknown
            .into_iter()
            .map(|path| {
                TemplateProblem::new(
                    part,
                    "unknown_merge_field",
                    format!(
                        "{path} is neither a merge field nor a declared field \
                         (values.<name>)"
                    ),
                )
            })
            .collect();
    }
    match rendered(part, &template, sample) {
        Ok(_) => Vec::new(),
        Err(problem) => vec![problem],
    }
}

/// Renders one part of a letter with its merge data: the text, tidied ([`tidy`]), or why it
/// could not be rendered (`template_error`, `too_long`).
pub fn render(part: Part, source: &str, data: &MergeData) -> Result<String, TemplateProblem> {
    let env = environment();
    let template = env
        .template_from_str(source)
        .map_err(|e| TemplateProblem::engine(part, "template_error", &e))?;
    rendered(part, &template, data)
}

fn rendered(
    part: Part,
    template: &minijinja::Template<'_, '_>,
    data: &MergeData,
) -> Result<String, TemplateProblem> {
    let text = template
        .render(Value::from(Serde(data)))
        .map_err(|e| TemplateProblem::engine(part, "template_error", &e))?;
    let text = tidy(part, &text);
    let chars = text.chars().count();
    if chars > part.limit() {
        return Err(TemplateProblem::new(
            part,
            "too_long",
            format!(
                "the rendered text has {chars} characters, more than {}",
                part.limit()
            ),
        ));
    }
    Ok(text)
}

/// A rendered part as a letter prints it: a subject on one line with single spaces; a body
/// without spaces at the ends of its lines, with at most one blank line between paragraphs and
/// none around it.
pub fn tidy(part: Part, text: &str) -> String {
    match part {
        Part::Subject => text.split_whitespace().collect::<Vec<_>>().join(" "),
        Part::Body => {
            let mut out = String::with_capacity(text.len());
            let mut blank = 0;
            for line in text.replace("\r\n", "\n").lines() {
                let line = line.trim_end();
                if line.trim().is_empty() {
                    blank += 1;
                    continue;
                }
                if !out.is_empty() {
                    out.push_str(if blank > 0 { "\n\n" } else { "\n" });
                }
                blank = 0;
                out.push_str(line);
            }
            out
        }
    }
}
