//! Numbers as JSON writes them. JSON has one number type, and a JSON Schema `integer` is any
//! number without a fraction: `64.0` is the whole number 64, wherever it is read.

/// Below 2^53 a whole `f64` converts to an integer exactly.
const EXACT_BELOW: f64 = 9_007_199_254_740_992.0;

/// The whole number `number` holds, however JSON wrote it (`64`, `64.0`, `6.4e1`); `None` for
/// a fraction, or a float too large to be exact.
///
/// ```
/// use serde_json::json;
/// use relais_domain::number::whole;
/// assert_eq!(json!(64.0).as_number().and_then(whole), Some(64));
/// assert_eq!(json!(-3).as_number().and_then(whole), Some(-3));
/// assert_eq!(json!(6.5).as_number().and_then(whole), None);
/// ```
pub fn whole(number: &serde_json::Number) -> Option<i64> {
    number.as_i64().or_else(|| {
        let float = number.as_f64()?;
        #[allow(clippy::cast_possible_truncation)]
        let whole = float as i64;
        (float.fract() == 0.0 && float.abs() < EXACT_BELOW).then_some(whole)
    })
}
