//! Refusals: why a rule of the domain says no, as a stable code and a sentence.
//!
//! Every error of a rule here (a lifecycle without such an arrow, a locked case, a NIR whose key
//! does not match…) implements [`Refusal`]. The domain says *what* is refused and why; how it is
//! answered is the API's business: its one table of codes gives each problem code its HTTP
//! status, so nothing here knows about HTTP.

/// A refusal by a rule of the domain: a stable machine code, and a human detail in English
/// (`Display`) and in French ([`Refusal::sentence_fr`]).
///
/// A refusal is either of a request as a whole, given the state of things (`case_archived`,
/// `invalid_transition`): its code is then the problem's code; or of one value of a request
/// (`nir_wrong_key`, `too_long`): its code is then the code of the field error, in a problem
/// `validation_failed` that points at the value.
pub trait Refusal: std::error::Error {
    /// The stable `snake_case` machine code; clients match on it, so it never changes.
    fn code(&self) -> &'static str;

    /// The sentence of `Display`, in French, as the worker reads it when the client prefers
    /// French (`Accept-Language`). It says the same thing with the practice's words (*dossier*,
    /// *accompagnement*, *démarche*, *fiche de liaison*…), names statuses and kinds by their
    /// French labels, and carries no value the English sentence does not.
    fn sentence_fr(&self) -> String;
}
