//! The activity report as files: CSV (one row per figure) and an XLSX workbook.

use relais_domain::Coded;
use relais_domain::activity::{Figure, Indicator, Value};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::report::{ActivityReport, ScopeKind};
use crate::error::ApiError;

/// The CSV header, as DAILY.md states it.
const CSV_HEADER: [&str; 4] = ["indicator", "dimension", "value", "suppressed"];

/// A value as written in a file: a whole number, or a decimal with a point.
fn text(value: Option<Value>) -> String {
    match value {
        Some(Value::Whole(n)) => n.to_string(),
        Some(Value::Decimal(d)) => d.to_string(),
        None => String::new(),
    }
}

/// One row per figure, `;`-separated (fields quoted when they hold a `;`, a quote or a line
/// break: a scheme's or partner's name may): `indicator;dimension;value;suppressed`, the value
/// empty when suppressed or unmeasured.
pub fn csv(figures: &[Figure]) -> Result<Vec<u8>, ApiError> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    writer
        .write_record(CSV_HEADER)
        .map_err(ApiError::internal)?;
    for f in figures {
        writer
            .write_record([
                f.indicator.code(),
                f.dimension.as_deref().unwrap_or(""),
                &text(f.value),
                if f.suppressed { "true" } else { "false" },
            ])
            .map_err(ApiError::internal)?;
    }
    writer
        .into_inner()
        .map_err(|e| ApiError::internal(e.into_error()))
}

/// The workbook: a sheet of the figures with their French labels under the period and scope,
/// and a sheet of the indicators' definitions.
pub fn xlsx(report: &ActivityReport, figures: &[Figure]) -> Result<Vec<u8>, ApiError> {
    workbook(report, figures).map_err(ApiError::internal)
}

fn workbook(report: &ActivityReport, figures: &[Figure]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("Rapport d'activité")?;
    sheet.write_string_with_format(0, 0, "Rapport d'activité", &bold)?;
    sheet.write_string(1, 0, "Période")?;
    sheet.write_string(
        1,
        1,
        format!(
            "du {} au {}",
            report.from_on.format("%d/%m/%Y"),
            report.to_on.format("%d/%m/%Y")
        ),
    )?;
    sheet.write_string(2, 0, "Périmètre")?;
    sheet.write_string(
        2,
        1,
        match report.scope.kind {
            ScopeKind::Organisation => "Organisation".to_owned(),
            ScopeKind::Referent => format!("Référent {}", report.scope.agent_ids[0]),
            ScopeKind::Team => format!("Équipe de {} agents", report.scope.agent_ids.len()),
        },
    )?;
    sheet.write_string(3, 0, "Effectifs masqués")?;
    sheet.write_string(
        3,
        1,
        format!("de 1 à {} personnes", report.min_count.saturating_sub(1)),
    )?;
    let headers = [
        "Indicateur",
        "Libellé",
        "Dimension",
        "Valeur",
        "Unité",
        "Masqué",
    ];
    const TABLE: u32 = 5;
    for (col, h) in (0u16..).zip(headers) {
        sheet.write_string_with_format(TABLE, col, h, &bold)?;
    }
    for (row, (f, view)) in (TABLE + 1..).zip(figures.iter().zip(&report.figures)) {
        sheet.write_string(row, 0, f.indicator.code())?;
        sheet.write_string(row, 1, f.indicator.label_fr())?;
        if let Some(d) = &f.dimension {
            sheet.write_string(row, 2, d)?;
        }
        match f.value {
            Some(Value::Whole(n)) => {
                // Counts and amounts in cents stay exact well below 2^53.
                sheet.write_number(row, 3, n as f64)?;
            }
            Some(Value::Decimal(d)) => {
                sheet.write_number(row, 3, d)?;
            }
            None => {}
        }
        sheet.write_string(row, 4, view.unit.code())?;
        sheet.write_boolean(row, 5, f.suppressed)?;
    }
    sheet.set_column_width(0, 34)?;
    sheet.set_column_width(1, 60)?;
    sheet.set_column_width(2, 30)?;
    let definitions = book.add_worksheet();
    definitions.set_name("Définitions")?;
    for (col, h) in (0u16..).zip(["Indicateur", "Libellé", "Définition"]) {
        definitions.write_string_with_format(0, col, h, &bold)?;
    }
    for (row, i) in (1u32..).zip(<Indicator as Coded>::ALL) {
        definitions.write_string(row, 0, i.code())?;
        definitions.write_string(row, 1, i.label_fr())?;
        definitions.write_string(row, 2, i.definition())?;
    }
    definitions.set_column_width(0, 34)?;
    definitions.set_column_width(1, 60)?;
    book.save_to_buffer()
}
