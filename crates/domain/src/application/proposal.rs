//! The plan items an application proposes when it is created: the préconisation to gather the
//! documents, the intervention to obtain the others, the social report.

use crate::plan::{ItemCategory, Party, TEXT_MAX_CHARS, TITLE_MAX_CHARS};

/// Days from the application's creation to the due date of the plan items it proposes for
/// gathering documents.
pub const PROPOSED_DOCUMENTS_DAYS: u64 = 14;
/// Days from the application's creation to the due date of the proposed social report (written
/// once the documents are in).
pub const PROPOSED_REPORT_DAYS: u64 = 21;

/// What a proposed plan item says about one checklist line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProposalLine<'a> {
    pub label: &'a str,
    /// Whether the person brings it (otherwise the worker obtains it from an employer or an
    /// institution).
    pub by_person: bool,
}

/// A plan item an application proposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposedItem {
    pub party: Party,
    pub category: ItemCategory,
    /// At most [`TITLE_MAX_CHARS`] characters.
    pub title: String,
    pub details: Option<String>,
    /// Days after today.
    pub due_in_days: u64,
}

/// `prefix (scheme)`, with the scheme's name shortened so the title fits.
fn titled(prefix: &str, scheme: &str) -> String {
    let room = TITLE_MAX_CHARS.saturating_sub(prefix.chars().count() + 3);
    let scheme = scheme.trim();
    let name: String = if scheme.chars().count() > room {
        let cut: String = scheme.chars().take(room.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    } else {
        scheme.to_owned()
    };
    format!("{prefix} ({name})")
}

/// `heading` then one line per document, cut to [`TEXT_MAX_CHARS`] (50 labels of 200
/// characters would not fit a plan item's details).
fn bullet_list(heading: &str, lines: &[&ProposalLine<'_>]) -> String {
    let text = lines.iter().fold(heading.to_owned(), |mut text, l| {
        text.push_str("\n– ");
        text.push_str(l.label);
        text
    });
    if text.chars().count() <= TEXT_MAX_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(TEXT_MAX_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// The plan items an application to `scheme` proposes, from its checklist (practice: the
/// worker lists the documents the person brings; a missing one may need the worker to
/// intervene with an employer or an institution; once the dossier is in, the worker studies it
/// and writes the social report):
/// - a préconisation of the person, *Rassembler les pièces justificatives* (`paperwork`),
///   listing the documents the person brings — when there are any;
/// - an intervention of the worker, *Obtenir les pièces auprès des employeurs et institutions*
///   (`partner_consultation`), listing the others — when there are any;
/// - an intervention of the worker, *Rédiger le rapport de situation sociale*
///   (`social_report`).
pub fn proposed_items(scheme: &str, lines: &[ProposalLine<'_>]) -> Vec<ProposedItem> {
    let (person, others): (Vec<&ProposalLine<'_>>, Vec<&ProposalLine<'_>>) =
        lines.iter().partition(|l| l.by_person);
    let mut items = Vec::new();
    if !person.is_empty() {
        items.push(ProposedItem {
            party: Party::Person,
            category: ItemCategory::Paperwork,
            title: titled("Rassembler les pièces justificatives", scheme),
            details: Some(bullet_list("Pièces à fournir :", &person)),
            due_in_days: PROPOSED_DOCUMENTS_DAYS,
        });
    }
    if !others.is_empty() {
        items.push(ProposedItem {
            party: Party::Worker,
            category: ItemCategory::PartnerConsultation,
            title: titled(
                "Obtenir les pièces auprès des employeurs et institutions",
                scheme,
            ),
            details: Some(bullet_list("Pièces à obtenir :", &others)),
            due_in_days: PROPOSED_DOCUMENTS_DAYS,
        });
    }
    items.push(ProposedItem {
        party: Party::Worker,
        category: ItemCategory::SocialReport,
        title: titled("Rédiger le rapport de situation sociale", scheme),
        details: None,
        due_in_days: PROPOSED_REPORT_DAYS,
    });
    items
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn an_application_proposes_gathering_documents_obtaining_the_others_and_the_social_report() {
        let lines = [
            ProposalLine {
                label: "Pièce d'identité",
                by_person: true,
            },
            ProposalLine {
                label: "Attestation employeur",
                by_person: false,
            },
            ProposalLine {
                label: "Avis d'imposition",
                by_person: true,
            },
        ];
        let items = proposed_items("Fonds de solidarité logement", &lines);
        let summary: Vec<(Party, ItemCategory, &str)> = items
            .iter()
            .map(|i| (i.party, i.category, i.title.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    Party::Person,
                    ItemCategory::Paperwork,
                    "Rassembler les pièces justificatives (Fonds de solidarité logement)"
                ),
                (
                    Party::Worker,
                    ItemCategory::PartnerConsultation,
                    "Obtenir les pièces auprès des employeurs et institutions (Fonds de solidarité \
                     logement)"
                ),
                (
                    Party::Worker,
                    ItemCategory::SocialReport,
                    "Rédiger le rapport de situation sociale (Fonds de solidarité logement)"
                ),
            ]
        );
        assert_eq!(
            items[0].details.as_deref(),
            Some("Pièces à fournir :\n– Pièce d'identité\n– Avis d'imposition")
        );
        for item in &items {
            assert!(item.category.allowed_for(item.party));
        }
    }

    #[test]
    fn without_documents_only_the_social_report_is_proposed_and_long_names_fit_the_title() {
        let name = "D".repeat(300);
        let items = proposed_items(&name, &[]);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].category, ItemCategory::SocialReport);
        assert_eq!(items[0].title.chars().count(), TITLE_MAX_CHARS);
        assert!(items[0].title.ends_with("…)"));
    }

    #[test]
    fn a_long_list_of_documents_fits_the_details_of_a_plan_item() {
        let label = "L".repeat(200);
        let lines: Vec<ProposalLine<'_>> = (0..50)
            .map(|_| ProposalLine {
                label: &label,
                by_person: true,
            })
            .collect();
        let details = proposed_items("FSL", &lines)[0].details.clone().unwrap();
        assert_eq!(details.chars().count(), TEXT_MAX_CHARS);
        assert!(details.ends_with('…'));
    }
}
