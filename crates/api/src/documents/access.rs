//! The right-of-access record (*relevé de vos données personnelles*, RGPD art. 15): everything
//! held on a person as a French document that person can read — labels instead of codes, names
//! instead of ids, dates in words — laid out as every printed [`Sheet`].
//!
//! It is built from the same data as the JSON export ([`PersonExport`]), after the route has
//! removed what the DPO left out (private notes), so the two can never say different things.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::{
    ApplicationDecision, ApplicationStatus, ChargeKind, Coded, DebtKind, DocumentStatus,
    EmploymentStatus, FunderStatus, HousingStatus, Relationship, ResourceKind,
};
use relais_store::export::{ExportNames, PersonExport};
use serde::Deserialize;
use uuid::Uuid;

use super::french::{date, euros, moment};
use super::letterhead::Letterhead;
use super::sheet::{Block, Section, Sheet};

/// The document's title.
pub const TITLE: &str = "Relevé de vos données personnelles";

const NOT_GIVEN: &str = "Non renseigné";

/// What the record is made from.
pub struct AccessRecord<'a> {
    /// The organisation that holds the data.
    pub letterhead: &'a Letterhead,
    /// When the record is made.
    pub made_at: DateTime<Utc>,
    /// Everything held on the person, private notes already left out unless the DPO asked.
    pub data: &'a PersonExport,
    /// The NIR in clear, when the person has one.
    pub nir: Option<&'a str>,
    /// Whether the workers' private notes are part of the record.
    pub private_notes: bool,
    /// The names of the agents, partners and schemes the data refers to.
    pub names: &'a ExportNames,
}

impl AccessRecord<'_> {
    /// The record as a printed sheet.
    pub fn sheet(&self) -> Sheet {
        let person = &self.data.person;
        let mut intro = format!(
            "Ce document rassemble toutes les données personnelles que {} détient sur vous, en \
             réponse à votre demande d'accès (article 15 du règlement général sur la protection \
             des données). Les informations y figurent telles qu'elles sont enregistrées ; vous \
             pouvez demander la rectification de celles qui seraient inexactes, et exercer vos \
             droits d'opposition, de limitation et d'effacement auprès du délégué à la \
             protection des données.",
            self.letterhead.name
        );
        if !self.private_notes {
            intro.push_str(
                " Les notes de travail personnelles des professionnels ne sont pas reproduites.",
            );
        }
        let blocks = vec![
            Block::Note { text: intro },
            self.identity().into(),
            self.situation().into(),
            self.cases().into(),
            self.plan().into(),
            self.contacts().into(),
            self.applications().into(),
            self.sharing().into(),
            self.consents().into(),
            self.history().into(),
            self.accesses().into(),
        ];
        Sheet {
            letterhead: self.letterhead.clone(),
            title: TITLE.to_owned(),
            subject: format!("{} {}", person.first_name.trim(), person.last_name.trim()),
            reference: format!("Document établi le {}", moment(self.made_at)),
            blocks,
            footer: [
                format!(
                    "Relevé établi au titre du droit d'accès (article 15 du RGPD) par {}.",
                    self.letterhead.name
                ),
                "Document confidentiel : données personnelles, à remettre à la seule personne \
                 concernée."
                    .to_owned(),
            ],
        }
    }

    /// An agent as the record names them: `Camille Martin (Travailleur social)`.
    fn agent(&self, id: Option<Uuid>) -> String {
        match id.and_then(|id| self.names.agents.get(&id)) {
            Some((name, roles)) if roles.is_empty() => name.clone(),
            Some((name, roles)) => format!("{name} ({})", labels(roles.iter().copied())),
            None => "Un professionnel du service".to_owned(),
        }
    }

    fn partner(&self, id: Uuid) -> String {
        self.names
            .partners
            .get(&id)
            .cloned()
            .unwrap_or_else(|| "Organisme partenaire".to_owned())
    }

    fn identity(&self) -> Section {
        let p = &self.data.person;
        let mut s = Section::new("Identité");
        s.row("Nom", p.last_name.trim());
        s.row("Prénom", p.first_name.trim());
        s.row_if("Nom de naissance", p.birth_name.as_deref());
        s.row(
            "Date de naissance",
            p.birth_date.map_or_else(|| NOT_GIVEN.to_owned(), date),
        );
        s.row("N° de sécurité sociale", self.nir.unwrap_or(NOT_GIVEN));
        s.row_if(
            "Situation familiale",
            p.marital_status.map(|m| m.label_fr()),
        );
        s.row_if("Civilité", p.civility.map(|c| c.label_fr()));
        s.row_if("N° d'allocataire CAF", p.caf_number.as_deref());
        if let Some(protection) = p.legal_protection() {
            let mut text = protection.kind.label_fr().to_owned();
            if let Some(r) = protection.representative {
                let who: Vec<&str> = [&r.name, &r.organisation, &r.phone, &r.email]
                    .into_iter()
                    .filter_map(|f| f.as_deref())
                    .collect();
                text.push_str(&format!("\nReprésentant : {}", who.join(", ")));
            }
            s.row("Mesure de protection", text);
        }
        if let Some(disability) = p.disability() {
            let mut text = disability.recognised.label_fr().to_owned();
            if let Some(rate) = disability.rate {
                text.push_str(&format!(" (taux : {})", lower(rate.label_fr())));
            }
            s.row("Handicap", text);
        }
        let lines = super::postal_address(p);
        s.row(
            "Adresse",
            if lines.is_empty() {
                NOT_GIVEN.to_owned()
            } else {
                lines.join("\n")
            },
        );
        s.row("Téléphone", p.phone.as_deref().unwrap_or(NOT_GIVEN));
        s.row("Courriel", p.email.as_deref().unwrap_or(NOT_GIVEN));
        s.row(
            "Information sur le traitement",
            match (p.informed_at, p.informed_channel) {
                (Some(at), channel) => format!(
                    "Vous avez été informé(e) le {}{}{}.",
                    moment(at),
                    channel.map_or(String::new(), |c| format!(" ({})", lower(c.label_fr()))),
                    p.informed_notice_version
                        .as_deref()
                        .map_or(String::new(), |v| format!(", notice version {v}"))
                ),
                (None, _) => "Non enregistrée".to_owned(),
            },
        );
        if p.processing_restricted {
            s.row(
                "Limitation du traitement",
                "Une limitation ou une opposition est en cours : vos données ne sont pas \
                 partagées.",
            );
        }
        if let Some(at) = p.anonymised_at {
            s.row(
                "Anonymisation",
                format!("Vos données ont été anonymisées le {}.", moment(at)),
            );
        }
        s.row("Fiche créée le", moment(p.created_at));
        s
    }

    fn situation(&self) -> Section {
        let mut s = Section::new("Situation");
        if let Some(household) = self
            .data
            .household
            .as_ref()
            .and_then(|h| serde_json::from_value::<HouseholdData>(h.clone()).ok())
        {
            s.row_if("Logement", household.housing.map(|h| h.label_fr()));
            s.row_if("Emploi", household.employment.map(|e| e.label_fr()));
            if !household.members.is_empty() {
                let members = household
                    .members
                    .iter()
                    .map(|m| {
                        let mut line = m.relationship.label_fr().to_owned();
                        if let Some(born) = m.birth_date {
                            line.push_str(&format!(", né(e) le {}", date(born)));
                        }
                        if m.dependent {
                            line.push_str(", à charge");
                        }
                        line
                    })
                    .collect::<Vec<_>>();
                s.entry("Composition du foyer", members);
            }
        }
        if let Some(budget) = self
            .data
            .budget
            .as_ref()
            .and_then(|b| serde_json::from_value::<BudgetData>(b.clone()).ok())
        {
            for (side, heading) in [
                ("resource", "Ressources mensuelles"),
                ("charge", "Charges mensuelles"),
            ] {
                let lines: Vec<&BudgetLine> =
                    budget.lines.iter().filter(|l| l.side == side).collect();
                if lines.is_empty() {
                    continue;
                }
                let total: i64 = lines.iter().map(|l| l.amount_cents).sum();
                let mut out: Vec<String> = lines
                    .iter()
                    .map(|l| format!("{} : {}", l.label(), euros(l.amount_cents)))
                    .collect();
                out.push(format!("Total : {}", euros(total)));
                s.entry(heading, out);
            }
            if !budget.debts.is_empty() {
                let total: i64 = budget.debts.iter().map(|d| d.amount_owed_cents).sum();
                let mut out: Vec<String> = budget.debts.iter().map(DebtData::line).collect();
                out.push(format!("Total dû : {}", euros(total)));
                s.entry("Dettes", out);
            }
        }
        for case in &self.data.cases {
            for d in &case.assessment {
                let mut lines = vec![d.situation.trim().to_owned()];
                lines.push(format!("Action nécessaire : {}", d.needs_action.label_fr()));
                if let Some(priority) = d.priority {
                    lines.push(format!("Priorité : {}", priority.label_fr()));
                }
                lines.push(format!("Évalué le {}", moment(d.assessed_at)));
                s.entry(
                    format!(
                        "{} — accompagnement ouvert le {}",
                        d.domain.label_fr(),
                        date(case.case.opened_on)
                    ),
                    lines,
                );
            }
        }
        s.or_empty("Aucune information sur votre situation n'est enregistrée.")
    }

    fn cases(&self) -> Section {
        let mut s = Section::new("Accompagnements");
        for case in &self.data.cases {
            let c = &case.case;
            let mut lines = vec![
                format!("Motif : {}", c.reason.trim()),
                format!("Étape : {}", c.status.label_fr()),
                format!("Origine : {}", c.origin.label_fr()),
                format!("Fin prévue le {}", date(c.target_end_on)),
            ];
            if let Some(closed) = c.closed_on {
                let reason = c
                    .closure_reason
                    .map_or(String::new(), |r| format!(" ({})", lower(r.label_fr())));
                lines.push(format!("Clôturé le {}{reason}", date(closed)));
            }
            if let Some(orientation) = &c.orientation {
                lines.push(format!("Orientation : {}", orientation.trim()));
            }
            if let Some(review) = c.review_due_on {
                lines.push(format!("Point de suivi prévu le {}", date(review)));
            }
            lines.push(format!(
                "Référent : {}",
                c.referent_id
                    .map_or_else(|| "Non désigné".to_owned(), |id| self.agent(Some(id)))
            ));
            for d in &case.documents {
                let file = Stored::from_value(d);
                lines.push(format!(
                    "Document : {}{}",
                    file.filename,
                    file.uploaded_at
                        .map_or(String::new(), |at| format!(", déposé le {}", moment(at)))
                ));
            }
            for l in &case.letters {
                let letter = Sent::from_value(l);
                lines.push(format!(
                    "Courrier{} : {}{}",
                    letter
                        .written_on
                        .map_or(String::new(), |d| format!(" du {}", date(d))),
                    letter.subject,
                    letter
                        .recipient
                        .map_or(String::new(), |to| format!(", adressé à {to}"))
                ));
            }
            s.entry(
                format!("Accompagnement ouvert le {}", date(c.opened_on)),
                lines,
            );
        }
        s.or_empty("Aucun accompagnement n'est enregistré.")
    }

    fn plan(&self) -> Section {
        let mut s = Section::new("Plan d'aide");
        for case in &self.data.cases {
            let opened = date(case.case.opened_on);
            for item in &case.plan_items {
                let mut lines = vec![
                    format!(
                        "{} · {} · Domaine : {}",
                        item.party.label_fr(),
                        item.category.label_fr(),
                        item.domain.label_fr()
                    ),
                    format!("Échéance : {}", date(item.due_on)),
                    match item.done_on {
                        Some(done) => format!("{} le {}", item.status.label_fr(), date(done)),
                        None => format!("État : {}", item.status.label_fr()),
                    },
                ];
                lines.extend(item.details.iter().map(|d| d.trim().to_owned()));
                lines.extend(
                    item.outcome
                        .iter()
                        .map(|o| format!("Résultat : {}", o.trim())),
                );
                s.entry(
                    format!("{} (accompagnement ouvert le {opened})", item.title.trim()),
                    lines,
                );
            }
            for proposal in &case.proposals {
                let p = &proposal.proposal;
                let mut lines = vec![format!("Proposé le {}", moment(p.created_at))];
                if let (Some(outcome), Some(decided)) = (p.outcome, p.decided_at) {
                    lines.push(format!(
                        "Votre décision : {}, le {}{}",
                        outcome.label_fr(),
                        moment(decided),
                        p.channel
                            .map_or(String::new(), |c| format!(" ({})", lower(c.label_fr())))
                    ));
                }
                lines.extend(p.notes.iter().map(|n| n.trim().to_owned()));
                for o in &proposal.observations {
                    lines.push(format!(
                        "Votre observation du {} : {}",
                        moment(o.at),
                        o.text.trim()
                    ));
                }
                s.entry(
                    format!(
                        "Plan d'aide n° {} (accompagnement ouvert le {opened})",
                        p.number
                    ),
                    lines,
                );
            }
        }
        s.or_empty("Aucun plan d'aide n'est enregistré.")
    }

    fn contacts(&self) -> Section {
        let mut s = Section::new("Entretiens");
        for case in &self.data.cases {
            for c in &case.contacts {
                let when = match (c.occurred_at, c.scheduled_at) {
                    (Some(at), _) => format!("le {}", moment(at)),
                    (None, Some(at)) if c.status.is_planned() => {
                        format!("prévu le {}", moment(at))
                    }
                    // Cancelled or missed: its status says so, by its label.
                    (None, Some(at)) => format!(
                        "prévu le {} ({})",
                        moment(at),
                        c.status.label_fr().to_lowercase()
                    ),
                    (None, None) => String::new(),
                };
                let mut lines = Vec::new();
                lines.extend(
                    c.outcome_reason
                        .iter()
                        .map(|r| format!("Motif : {}", r.trim())),
                );
                if !c.participants.is_empty() {
                    lines.push(format!("Participants : {}", c.participants.join(", ")));
                }
                lines.extend(c.summary.iter().map(|t| t.trim().to_owned()));
                lines.extend(
                    c.outcome
                        .iter()
                        .map(|o| format!("Suite donnée : {}", o.trim())),
                );
                lines.extend(
                    c.private_note
                        .iter()
                        .map(|n| format!("Note de travail du professionnel : {}", n.trim())),
                );
                lines.push(format!("Par : {}", self.agent(Some(c.author_id))));
                s.entry(format!("{} {when}", c.kind.label_fr()), lines);
            }
        }
        s.or_empty("Aucun entretien n'est enregistré.")
    }

    fn applications(&self) -> Section {
        let mut s = Section::new("Demandes");
        for case in &self.data.cases {
            for value in &case.applications {
                let Ok(a) = serde_json::from_value::<ApplicationData>(value.clone()) else {
                    continue;
                };
                let scheme = self
                    .names
                    .schemes
                    .get(&a.scheme_id)
                    .cloned()
                    .unwrap_or_else(|| "Aide".to_owned());
                let mut lines = vec![format!("État : {}", a.status.label_fr())];
                if let Some(on) = a.submitted_on {
                    lines.push(format!(
                        "Déposée le {}{}",
                        date(on),
                        a.submitted_to
                            .as_deref()
                            .map_or(String::new(), |to| format!(" auprès de {}", to.trim()))
                    ));
                }
                if let Some(decision) = a.decision {
                    let mut line = format!("Décision : {}", decision.label_fr());
                    if let Some(on) = a.decided_on {
                        line.push_str(&format!(" le {}", date(on)));
                    }
                    if let Some(amount) = a.amount_granted_cents {
                        line.push_str(&format!(", montant accordé {}", euros(amount)));
                    }
                    lines.push(line);
                }
                lines.extend(
                    a.decision_reason
                        .iter()
                        .map(|r| format!("Motif : {}", r.trim())),
                );
                if let Some(on) = a.withdrawn_on {
                    lines.push(format!(
                        "Retirée le {}{}",
                        date(on),
                        a.withdrawal_reason
                            .as_deref()
                            .map_or(String::new(), |r| format!(" : {}", r.trim()))
                    ));
                }
                lines.extend(a.notes.iter().map(|n| n.trim().to_owned()));
                for d in &a.documents {
                    lines.push(format!(
                        "Pièce : {} — {}",
                        d.label.trim(),
                        lower(d.status.label_fr())
                    ));
                }
                for r in &a.social_reports {
                    lines.push(format!(
                        "Rapport social (version {}, {}) : {}",
                        r.version_no,
                        moment(r.created_at),
                        r.text.as_deref().map_or("", str::trim)
                    ));
                }
                if let Some(plan) = &a.funding_plan {
                    lines.push(format!(
                        "Plan de financement : besoin de {}",
                        euros(plan.need_cents)
                    ));
                    for f in &plan.funders {
                        let granted = f
                            .granted_cents
                            .map_or(String::new(), |g| format!(", accordé {}", euros(g)));
                        lines.push(format!(
                            "{} : demandé {}, {}{granted}",
                            f.name.trim(),
                            euros(f.requested_cents),
                            lower(f.status.label_fr())
                        ));
                    }
                }
                s.entry(
                    format!("{scheme} — demande du {}", moment(a.created_at)),
                    lines,
                );
            }
        }
        s.or_empty("Aucune demande d'aide n'est enregistrée.")
    }

    fn sharing(&self) -> Section {
        let mut s = Section::new("Partages et orientations");
        for case in &self.data.cases {
            for l in &case.liaisons {
                let destination = match (l.destination_partner_id, &l.destination_name) {
                    (Some(id), _) => self.partner(id),
                    (None, Some(name)) => name.trim().to_owned(),
                    (None, None) => "Destinataire non précisé".to_owned(),
                };
                let mut lines = vec![
                    format!("Objet : {}", l.purpose.trim()),
                    format!(
                        "Informations transmises : {}",
                        labels(l.content.iter().map(|c| c.into_inner()))
                    ),
                    format!("Base légale : {}", l.legal_basis.label_fr()),
                    match l.sent_at {
                        Some(at) => format!("Envoyée le {}", moment(at)),
                        None => format!("État : {} (non envoyée)", l.status.label_fr()),
                    },
                ];
                if let Some(at) = l.answered_at {
                    lines.push(format!(
                        "Réponse du destinataire le {}{}",
                        moment(at),
                        l.answer_message
                            .as_deref()
                            .map_or(String::new(), |m| format!(" : {}", m.trim()))
                    ));
                }
                s.entry(format!("Fiche de liaison à {destination}"), lines);
            }
        }
        for r in &self.data.referrals {
            let mut lines = vec![
                format!("Motif : {}", r.reason.trim()),
                format!(
                    "Orienté(e) par : {}{}",
                    r.referrer_name.trim(),
                    r.referrer_role
                        .as_deref()
                        .map_or(String::new(), |role| format!(" ({})", role.trim()))
                ),
                format!("Urgence : {}", r.urgency.label_fr()),
                format!(
                    "Vous en avez été informé(e) le {} ({})",
                    date(r.informed_on),
                    lower(r.informed_channel.label_fr())
                ),
                match r.decided_at {
                    Some(at) => format!("{} le {}", r.status.label_fr(), moment(at)),
                    None => format!("État : {}", r.status.label_fr()),
                },
            ];
            lines.extend(r.decision_message.iter().map(|m| m.trim().to_owned()));
            s.entry(
                format!(
                    "Orientation reçue de {} le {}",
                    self.partner(r.partner_id),
                    moment(r.received_at)
                ),
                lines,
            );
        }
        s.or_empty("Aucune information n'a été partagée et aucune orientation n'a été reçue.")
    }

    fn consents(&self) -> Section {
        let mut s = Section::new("Consentements");
        for c in &self.data.consents {
            let mut lines = vec![format!(
                "Donné le {} ({})",
                moment(c.given_at),
                lower(c.channel.label_fr())
            )];
            lines.push(match c.withdrawn_at {
                Some(at) => format!(
                    "Retiré le {}{}",
                    moment(at),
                    c.withdrawal_channel
                        .map_or(String::new(), |ch| format!(" ({})", lower(ch.label_fr())))
                ),
                None => "En vigueur".to_owned(),
            });
            s.entry(c.scope.label_fr(), lines);
        }
        s.or_empty("Aucun consentement n'est enregistré.")
    }

    fn history(&self) -> Section {
        let mut s = Section::new("Historique des rectifications");
        for h in &self.data.history {
            s.entry(
                format!("{} — le {}", field_label(&h.field), moment(h.changed_at)),
                vec![
                    format!("Avant : {}", shown_value(&h.field, h.before.as_deref())),
                    format!("Après : {}", shown_value(&h.field, h.after.as_deref())),
                    format!("Par : {}", self.agent(h.changed_by)),
                ],
            );
        }
        s.or_empty("Aucune rectification n'est enregistrée.")
    }

    fn accesses(&self) -> Section {
        let mut s = Section::new("Accès à votre dossier");
        for e in &self.data.audit_events {
            let who = match e.actor_id {
                Some(_) => self.agent(e.actor_id),
                None => actor_subject(&e.actor_subject),
            };
            let mut lines = vec![format!("Par : {who}")];
            lines.extend(e.reason.iter().map(|r| format!("Motif : {}", r.trim())));
            s.entry(
                format!(
                    "Le {} — {} : {}",
                    moment(e.at),
                    e.action.label_fr(),
                    lower(e.resource_type.label_fr())
                ),
                lines,
            );
        }
        s.or_empty("Aucun accès n'est enregistré.")
    }
}

/// Who acted when no agent did: the retention run, a partner, or the subject as recorded.
fn actor_subject(subject: &str) -> String {
    if subject == relais_store::retention::SUBJECT {
        "Traitement automatique de fin de conservation".to_owned()
    } else if subject.starts_with(crate::oauth::PARTNER_SUBJECT_PREFIX) {
        "Organisme partenaire".to_owned()
    } else {
        subject.to_owned()
    }
}

/// French labels joined: `Identité, Coordonnées`.
fn labels<T: Coded>(codes: impl Iterator<Item = T>) -> String {
    codes.map(|c| c.label_fr()).collect::<Vec<_>>().join(", ")
}

/// A label as it reads inside a sentence: `En entretien` → `en entretien`.
fn lower(label: &str) -> String {
    let mut chars = label.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The French name of a field of the rectification history.
fn field_label(field: &str) -> &str {
    match field {
        "first_name" => "Prénom",
        "last_name" => "Nom",
        "birth_name" => "Nom de naissance",
        "birth_date" => "Date de naissance",
        "nir" => "N° de sécurité sociale",
        "caf_number" => "N° d'allocataire CAF",
        "marital_status" => "Situation familiale",
        "address.line1" | "address.line2" => "Adresse",
        "address.postcode" => "Code postal",
        "address.city" => "Commune",
        "address.country" => "Pays",
        "phone" => "Téléphone",
        "email" => "Courriel",
        "informed.at" => "Date d'information",
        "informed.channel" => "Canal d'information",
        "informed.notice_version" => "Version de la notice d'information",
        "civility" => "Civilité",
        "legal_protection.kind" => "Mesure de protection",
        "legal_protection.representative.name" => "Représentant (nom)",
        "legal_protection.representative.organisation" => "Représentant (organisme)",
        "legal_protection.representative.phone" => "Représentant (téléphone)",
        "legal_protection.representative.email" => "Représentant (courriel)",
        "disability.recognised" => "Reconnaissance du handicap",
        "disability.rate" => "Taux d'incapacité",
        other => other,
    }
}

/// A value of the rectification history as the person reads it: dates in words, codes as
/// labels, an empty value said so.
fn shown_value(field: &str, value: Option<&str>) -> String {
    let Some(value) = value else {
        return "(vide)".to_owned();
    };
    match field {
        "birth_date" => value
            .parse::<NaiveDate>()
            .map_or_else(|_| value.to_owned(), date),
        "informed.at" => value
            .parse::<DateTime<Utc>>()
            .map_or_else(|_| value.to_owned(), moment),
        "marital_status" => relais_domain::MaritalStatus::parse(value)
            .map_or_else(|| value.to_owned(), |m| m.label_fr().to_owned()),
        "informed.channel" => relais_domain::InformedChannel::parse(value)
            .map_or_else(|| value.to_owned(), |c| c.label_fr().to_owned()),
        "civility" => label::<relais_domain::Civility>(value),
        "legal_protection.kind" => label::<relais_domain::LegalProtectionKind>(value),
        "disability.recognised" => label::<relais_domain::DisabilityRecognition>(value),
        "disability.rate" => label::<relais_domain::DisabilityRate>(value),
        _ => value.to_owned(),
    }
}

/// The French label of a code of `T`, or the value as it is when it is not one.
fn label<T: relais_domain::Coded>(value: &str) -> String {
    T::parse(value).map_or_else(|| value.to_owned(), |c| c.label_fr().to_owned())
}

/// The household as the export stores it (whole rows).
#[derive(Deserialize)]
struct HouseholdData {
    housing: Option<HousingStatus>,
    employment: Option<EmploymentStatus>,
    #[serde(default)]
    members: Vec<MemberData>,
}

#[derive(Deserialize)]
struct MemberData {
    relationship: Relationship,
    birth_date: Option<NaiveDate>,
    dependent: bool,
}

#[derive(Deserialize)]
struct BudgetData {
    #[serde(default)]
    lines: Vec<BudgetLine>,
    #[serde(default)]
    debts: Vec<DebtData>,
}

#[derive(Deserialize)]
struct DebtData {
    kind: String,
    creditor: Option<String>,
    amount_owed_cents: i64,
    monthly_repayment_cents: i64,
}

impl DebtData {
    /// `Dette de loyer (Office HLM) : 1 800,00 € dus, remboursés 150,00 € par mois`.
    fn line(&self) -> String {
        let kind = DebtKind::parse(&self.kind)
            .map(DebtKind::label_fr)
            .unwrap_or(&self.kind);
        let mut line = match self
            .creditor
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            Some(creditor) => format!("{kind} ({creditor})"),
            None => kind.to_owned(),
        };
        line.push_str(&format!(" : {} dus", euros(self.amount_owed_cents)));
        if self.monthly_repayment_cents > 0 {
            line.push_str(&format!(
                ", remboursés {} par mois",
                euros(self.monthly_repayment_cents)
            ));
        }
        line
    }
}

#[derive(Deserialize)]
struct BudgetLine {
    side: String,
    kind: String,
    amount_cents: i64,
    label: Option<String>,
}

impl BudgetLine {
    /// `RSA`, or `Autre (pension alimentaire)` with the worker's label.
    fn label(&self) -> String {
        let kind = match self.side.as_str() {
            "resource" => ResourceKind::parse(&self.kind).map(ResourceKind::label_fr),
            _ => ChargeKind::parse(&self.kind).map(ChargeKind::label_fr),
        }
        .unwrap_or(&self.kind);
        match self
            .label
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            Some(label) => format!("{kind} ({label})"),
            None => kind.to_owned(),
        }
    }
}

/// An application as the export stores it (whole rows).
#[derive(Deserialize)]
struct ApplicationData {
    scheme_id: Uuid,
    status: ApplicationStatus,
    notes: Option<String>,
    submitted_on: Option<NaiveDate>,
    submitted_to: Option<String>,
    decision: Option<ApplicationDecision>,
    decided_on: Option<NaiveDate>,
    amount_granted_cents: Option<i64>,
    decision_reason: Option<String>,
    withdrawn_on: Option<NaiveDate>,
    withdrawal_reason: Option<String>,
    created_at: DateTime<Utc>,
    #[serde(default)]
    documents: Vec<ApplicationDocumentData>,
    #[serde(default)]
    social_reports: Vec<SocialReportData>,
    funding_plan: Option<FundingPlanData>,
}

#[derive(Deserialize)]
struct ApplicationDocumentData {
    label: String,
    status: DocumentStatus,
}

#[derive(Deserialize)]
struct SocialReportData {
    version_no: i32,
    /// Erased when the application's retention period ends.
    text: Option<String>,
    created_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct FundingPlanData {
    need_cents: i64,
    #[serde(default)]
    funders: Vec<FunderData>,
}

#[derive(Deserialize)]
struct FunderData {
    name: String,
    requested_cents: i64,
    status: FunderStatus,
    granted_cents: Option<i64>,
}

/// A letter as the export stores it: what the readable record says of it.
struct Sent {
    subject: String,
    recipient: Option<String>,
    written_on: Option<NaiveDate>,
}

impl Sent {
    fn from_value(value: &serde_json::Value) -> Self {
        Self {
            subject: value["subject"]
                .as_str()
                .unwrap_or("courrier")
                .trim()
                .to_owned(),
            recipient: value["recipient_name"]
                .as_str()
                .map(|r| r.trim().to_owned()),
            written_on: value["written_on"].as_str().and_then(|d| d.parse().ok()),
        }
    }
}

/// A document's metadata as the export stores it.
struct Stored {
    filename: String,
    uploaded_at: Option<DateTime<Utc>>,
}

impl Stored {
    fn from_value(value: &serde_json::Value) -> Self {
        Self {
            filename: value["filename"].as_str().unwrap_or("document").to_owned(),
            uploaded_at: value["uploaded_at"].as_str().and_then(|at| at.parse().ok()),
        }
    }
}
