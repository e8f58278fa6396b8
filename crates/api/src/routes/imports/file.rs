//! Reading an import file into rows of named cells: CSV (UTF-8, a BOM tolerated, `;` or `,`
//! found from the header row, RFC 4180 quoting) or NDJSON (one JSON object per line). Nothing
//! here knows what a cell means: the rows are checked by the rules of a case's creation.

use super::report::RowError;

/// The columns an import file may have, in the order of the README's table.
pub const COLUMNS: &[&str] = &[
    "first_name",
    "last_name",
    "birth_name",
    "birth_date",
    "nir",
    "caf_number",
    "marital_status",
    "civility",
    "phone",
    "email",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "country",
    "legal_protection",
    "representative_name",
    "representative_organisation",
    "representative_phone",
    "representative_email",
    "disability_recognised",
    "disability_rate",
    "confirm_distinct",
    "reason",
    "origin",
    "opened_on",
    "target_end_on",
    "referent_email",
    "referent_id",
];

/// The index of a column in [`COLUMNS`].
pub fn column(name: &str) -> Option<usize> {
    COLUMNS.iter().position(|c| *c == name)
}

/// The formats an import file comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
}

/// One row of the file: its line (the first line of a CSV record, 1 being the header) and its
/// cells by column index, blank cells absent.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: usize,
    pub cells: Vec<Option<String>>,
}

impl Row {
    fn new(line: usize) -> Self {
        Self {
            line,
            cells: vec![None; COLUMNS.len()],
        }
    }

    /// The cell of `name`, trimmed; absent when blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        column(name).and_then(|i| self.cells[i].as_deref())
    }
}

/// What reading the file gave: its rows, or the errors that stop reading (an unknown column,
/// a line that is not JSON, bytes that are not UTF-8, too many rows…). The errors of single
/// rows (an NDJSON value of the wrong type) are kept with the rows.
#[derive(Debug, Default)]
pub struct Read {
    pub rows: Vec<Row>,
    pub errors: Vec<RowError>,
    /// Lines of data that are not rows (an NDJSON line that is not an object…), counted in
    /// `rows` of the report.
    pub bad_rows: usize,
}

/// Reads `body` as `format`, at most `max_rows` rows.
pub fn read(format: Format, body: &[u8], max_rows: usize) -> Read {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        Err(e) => {
            let line = 1 + body[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            return Read {
                errors: vec![RowError::new(
                    line,
                    None,
                    "invalid_encoding",
                    "the file is not UTF-8 text (save it as \"CSV UTF-8\")".into(),
                    "le fichier n'est pas du texte UTF-8 (enregistrez-le en « CSV UTF-8 »)".into(),
                )],
                ..Read::default()
            };
        }
    };
    if text.trim().is_empty() {
        return Read {
            errors: vec![RowError::new(
                1,
                None,
                "empty",
                "the file is empty".into(),
                "le fichier est vide".into(),
            )],
            ..Read::default()
        };
    }
    let read = match format {
        Format::Csv => read_csv(text, max_rows),
        Format::Ndjson => read_ndjson(text, max_rows),
    };
    if read.errors.is_empty() && read.rows.is_empty() && read.bad_rows == 0 {
        let line = text.lines().count() + 1;
        return Read {
            errors: vec![RowError::new(
                line,
                None,
                "no_rows",
                "the file has no row to import, only its header".into(),
                "le fichier n'a aucune ligne à importer, seulement son en-tête".into(),
            )],
            ..read
        };
    }
    read
}

fn too_many_rows(line: usize, max_rows: usize) -> RowError {
    RowError::new(
        line,
        None,
        "too_many_rows",
        format!("the file has more than {max_rows} rows: split it into several files"),
        format!("le fichier a plus de {max_rows} lignes : découpez-le en plusieurs fichiers"),
    )
}

/// The records of a CSV text, each with the line it starts on: RFC 4180 (fields in double
/// quotes may hold the separator, line breaks and doubled quotes), LF or CRLF.
fn records(text: &str, separator: char) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut start = 1;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.trim().is_empty() => {
                field.clear();
                quoted = true;
                any = true;
            }
            c if c == separator => {
                fields.push(std::mem::take(&mut field));
                any = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                out.push((start, std::mem::take(&mut fields)));
                line += 1;
                start = line;
                any = false;
            }
            _ => {
                field.push(c);
                any = true;
            }
        }
    }
    if any || !field.is_empty() {
        fields.push(field);
        out.push((start, fields));
    }
    out
}

/// The separator of the header row: `;` (French spreadsheets) or `,`, whichever it has more
/// of outside quotes.
fn separator(header: &str) -> char {
    let mut quoted = false;
    let (mut semicolons, mut commas) = (0, 0);
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => semicolons += 1,
            ',' if !quoted => commas += 1,
            _ => {}
        }
    }
    if semicolons >= commas && semicolons > 0 {
        ';'
    } else {
        ','
    }
}

fn read_csv(text: &str, max_rows: usize) -> Read {
    let header_line = text.lines().next().unwrap_or_default();
    let records = records(text, separator(header_line));
    let mut read = Read::default();
    let Some((_, header)) = records.first() else {
        return read;
    };
    let mut indexes = Vec::with_capacity(header.len());
    let mut seen = vec![false; COLUMNS.len()];
    for name in header {
        let name = name.trim();
        // A spreadsheet's header may have been retyped: `First_Name` is `first_name`.
        match column(&name.to_lowercase()) {
            Some(i) if seen[i] => read.errors.push(RowError::new(
                1,
                Some(name),
                "duplicate",
                format!("the column {name} is named twice"),
                format!("la colonne {name} figure deux fois"),
            )),
            Some(i) => {
                seen[i] = true;
                indexes.push(Some(i));
            }
            None if name.is_empty() => indexes.push(None),
            None => read.errors.push(unknown_column(1, name)),
        }
    }
    if !read.errors.is_empty() {
        return read;
    }
    for (line, fields) in records.into_iter().skip(1) {
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if read.rows.len() + read.bad_rows >= max_rows {
            read.errors.push(too_many_rows(line, max_rows));
            return read;
        }
        let mut row = Row::new(line);
        let mut extra = false;
        for (i, value) in fields.into_iter().enumerate() {
            let value = value.trim();
            match indexes.get(i).copied() {
                Some(Some(column)) if !value.is_empty() => {
                    row.cells[column] = Some(value.to_owned());
                }
                Some(_) => {}
                None if !value.is_empty() => extra = true,
                None => {}
            }
        }
        if extra {
            read.errors.push(RowError::new(
                line,
                None,
                "too_many_values",
                format!(
                    "the row has more values than the header has columns ({})",
                    indexes.len()
                ),
                format!(
                    "la ligne a plus de valeurs que l'en-tête n'a de colonnes ({})",
                    indexes.len()
                ),
            ));
            read.bad_rows += 1;
            continue;
        }
        read.rows.push(row);
    }
    read
}

fn unknown_column(line: usize, name: &str) -> RowError {
    RowError::new(
        line,
        Some(name),
        "unknown_column",
        format!(
            "unknown column {name:?} (the columns are: {})",
            COLUMNS.join(", ")
        ),
        format!(
            "colonne inconnue « {name} » (colonnes possibles : {})",
            COLUMNS.join(", ")
        ),
    )
}

fn read_ndjson(text: &str, max_rows: usize) -> Read {
    use serde_json::Value;
    let mut read = Read::default();
    for (index, content) in text.lines().enumerate() {
        let line = index + 1;
        if content.trim().is_empty() {
            continue;
        }
        if read.rows.len() + read.bad_rows >= max_rows {
            read.errors.push(too_many_rows(line, max_rows));
            return read;
        }
        let object = match serde_json::from_str::<Value>(content) {
            Ok(Value::Object(object)) => object,
            Ok(_) => {
                read.bad_rows += 1;
                read.errors.push(RowError::new(
                    line,
                    None,
                    "invalid_type",
                    "the line is not a JSON object".into(),
                    "la ligne n'est pas un objet JSON".into(),
                ));
                continue;
            }
            Err(e) => {
                read.bad_rows += 1;
                read.errors.push(RowError::new(
                    line,
                    None,
                    "malformed_json",
                    format!("the line is not valid JSON: {e}"),
                    format!("la ligne n'est pas du JSON valide (colonne {})", e.column()),
                ));
                continue;
            }
        };
        let mut row = Row::new(line);
        let mut bad = false;
        for (name, value) in object {
            let Some(i) = column(&name) else {
                read.errors.push(unknown_column(line, &name));
                bad = true;
                continue;
            };
            let text = match value {
                Value::Null => None,
                Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
                Value::Bool(b) => Some(b.to_string()),
                Value::Number(n) => Some(n.to_string()),
                Value::Array(_) | Value::Object(_) => {
                    read.errors.push(RowError::new(
                        line,
                        Some(&name),
                        "invalid_type",
                        "a text, a number or a boolean is expected here".into(),
                        "un texte, un nombre ou un booléen est attendu ici".into(),
                    ));
                    bad = true;
                    continue;
                }
            };
            row.cells[i] = text;
        }
        if bad {
            read.bad_rows += 1;
        } else {
            read.rows.push(row);
        }
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> Read {
        read(Format::Csv, text.as_bytes(), 10)
    }

    #[test]
    fn a_french_spreadsheet_reads_with_its_bom_semicolons_and_quotes() {
        let read = csv(
            "\u{feff}first_name;last_name;reason\r\nÉloïse;\"Martin; dite \"\"Lou\"\"\";\"Loyer\nimpayé\"\r\nJean;Dupont;Dettes\r\n",
        );
        assert!(read.errors.is_empty(), "{:?}", read.errors);
        assert_eq!(read.rows.len(), 2);
        assert_eq!(read.rows[0].get("last_name"), Some("Martin; dite \"Lou\""));
        assert_eq!(read.rows[0].get("reason"), Some("Loyer\nimpayé"));
        assert_eq!((read.rows[0].line, read.rows[1].line), (2, 4));
    }

    #[test]
    fn commas_are_found_from_the_header() {
        let read = csv("First_Name,last_name, reason \nA,B,C\n,,\n");
        assert_eq!(read.rows.len(), 1);
        assert_eq!(read.rows[0].get("reason"), Some("C"));
    }

    #[test]
    fn an_unknown_column_is_named_at_line_1() {
        let read = csv("first_name;surname\nA;B\n");
        assert_eq!(read.errors.len(), 1);
        assert_eq!(read.errors[0].line, 1);
        assert_eq!(read.errors[0].column.as_deref(), Some("surname"));
        assert_eq!(read.errors[0].code, "unknown_column");
    }

    #[test]
    fn empty_header_only_and_too_long_files_are_refused() {
        assert_eq!(csv("").errors[0].code, "empty");
        assert_eq!(csv("first_name;last_name\n").errors[0].code, "no_rows");
        let many = format!("first_name\n{}", "A\n".repeat(11));
        let read = csv(&many);
        assert_eq!(read.errors[0].code, "too_many_rows");
        assert_eq!(read.errors[0].line, 12);
    }

    #[test]
    fn ndjson_lines_are_objects_of_the_same_columns() {
        let read = read(
            Format::Ndjson,
            b"{\"first_name\": \"A\", \"confirm_distinct\": true, \"nir\": null}\n\n[1]\n{\"x\": 1}\n",
            10,
        );
        assert_eq!(read.rows.len(), 1);
        assert_eq!(read.rows[0].get("confirm_distinct"), Some("true"));
        assert_eq!(read.rows[0].get("nir"), None);
        let codes: Vec<_> = read
            .errors
            .iter()
            .map(|e| (e.line, e.code.as_str()))
            .collect();
        assert_eq!(codes, [(3, "invalid_type"), (4, "unknown_column")]);
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused_at_their_line() {
        let read = read(Format::Csv, b"first_name\nJos\xe9\n", 10);
        assert_eq!(
            (read.errors[0].line, read.errors[0].code.as_str()),
            (2, "invalid_encoding")
        );
    }
}
