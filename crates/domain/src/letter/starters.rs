//! The starter set of letter templates: five formal French letters every organisation has from
//! its creation (convocation, supporting documents, landlord, attestation, orientation), which
//! its administrators may then change or archive.
//!
//! Each starter has a stable `key`: the organisation's copy records it, so that the set is
//! added once per organisation and never again (an archived starter stays archived). The texts
//! use the merge fields the API documents (`person.*`, `recipient.*`, `referent.*`,
//! `organisation.*`, `case.*`, `today`) and the fields each declares (`values.*`); the API's
//! tests render every one of them in its sandbox.

use super::{Addressee, LetterField, LetterFieldKind};

/// A field of a starter template.
#[derive(Debug, Clone, Copy)]
pub struct StarterField {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: LetterFieldKind,
    pub required: bool,
}

impl StarterField {
    /// The field as a template declares it.
    pub fn field(&self) -> LetterField {
        LetterField {
            name: self.name.to_owned(),
            label: self.label.to_owned(),
            kind: self.kind,
            required: self.required,
        }
    }
}

/// A template of the starter set.
#[derive(Debug, Clone, Copy)]
pub struct Starter {
    /// Stable identifier of the starter, recorded on the organisation's copy.
    pub key: &'static str,
    pub name: &'static str,
    pub addressee: Addressee,
    pub subject: &'static str,
    pub body: &'static str,
    pub fields: &'static [StarterField],
}

impl Starter {
    /// The fields as a template declares them.
    pub fn fields(&self) -> Vec<LetterField> {
        self.fields.iter().map(StarterField::field).collect()
    }
}

const fn field(
    name: &'static str,
    label: &'static str,
    kind: LetterFieldKind,
    required: bool,
) -> StarterField {
    StarterField {
        name,
        label,
        kind,
        required,
    }
}

/// How to reach the sender, at the end of a sentence: ` au 04 72 00 00 00 ou par courriel à
/// jeanne.martin@…`, or what of it is known.
macro_rules! reach {
    () => {
        "{% if referent.phone %} au {{ referent.phone }}{% endif %}\
         {% if referent.email %}{% if referent.phone %} ou{% endif %} par courriel à \
         {{ referent.email }}{% endif %}"
    };
}

/// The starter set, in the order it is listed.
pub const STARTERS: &[Starter] = &[
    Starter {
        key: "convocation",
        name: "Convocation à un entretien",
        addressee: Addressee::Person,
        subject: "Convocation à un entretien le {{ values.date_entretien }}",
        body: concat!(
            "{{ person.salutation }},\n",
            "\n",
            "Je vous propose un entretien le {{ values.date_entretien }} à \
             {{ values.heure_entretien }}, à l'adresse suivante : {{ values.lieu }}.\n",
            "{% if values.objet %}\n",
            "\n",
            "Cet entretien aura pour objet : {{ values.objet }}\n",
            "{% endif %}\n",
            "{% if values.documents %}\n",
            "\n",
            "Je vous remercie de bien vouloir vous munir des documents suivants :\n",
            "{{ values.documents }}\n",
            "{% endif %}\n",
            "\n",
            "Si vous n'étiez pas disponible à cette date, je vous remercie de bien vouloir me \
             prévenir dès que possible",
            reach!(),
            ", afin que nous convenions ensemble d'un autre rendez-vous.\n",
            "\n",
            "Je vous prie d'agréer, {{ person.salutation }}, l'expression de mes salutations \
             distinguées.",
        ),
        fields: &[
            field(
                "date_entretien",
                "Date de l'entretien",
                LetterFieldKind::Date,
                true,
            ),
            field(
                "heure_entretien",
                "Heure de l'entretien",
                LetterFieldKind::Time,
                true,
            ),
            field(
                "lieu",
                "Lieu de l'entretien (adresse, bureau)",
                LetterFieldKind::Text,
                true,
            ),
            field(
                "objet",
                "Objet de l'entretien",
                LetterFieldKind::Text,
                false,
            ),
            field(
                "documents",
                "Documents à apporter (un par ligne)",
                LetterFieldKind::LongText,
                false,
            ),
        ],
    },
    Starter {
        key: "pieces_justificatives",
        name: "Demande de pièces justificatives",
        addressee: Addressee::Person,
        subject: "Demande de pièces justificatives",
        body: concat!(
            "{{ person.salutation }},\n",
            "\n",
            "Afin de compléter {{ values.dossier }}, je vous remercie de bien vouloir me \
             transmettre les pièces justificatives suivantes :\n",
            "\n",
            "{{ values.pieces }}\n",
            "{% if values.date_limite %}\n",
            "\n",
            "Ces documents me sont nécessaires avant le {{ values.date_limite }}.\n",
            "{% endif %}\n",
            "\n",
            "Vous pouvez me les remettre lors de notre prochain rendez-vous ou les déposer à \
             l'accueil du service",
            "{% if referent.email %}, ou encore me les adresser par courriel à \
             {{ referent.email }}{% endif %}.\n",
            "\n",
            "Je reste à votre disposition pour tout renseignement complémentaire et vous prie \
             d'agréer, {{ person.salutation }}, l'expression de mes salutations distinguées.",
        ),
        fields: &[
            field(
                "dossier",
                "Dossier à compléter (par exemple « votre demande d'aide au Fonds de \
                 solidarité logement »)",
                LetterFieldKind::Text,
                true,
            ),
            field(
                "pieces",
                "Pièces à fournir (une par ligne)",
                LetterFieldKind::LongText,
                true,
            ),
            field(
                "date_limite",
                "À fournir avant le",
                LetterFieldKind::Date,
                false,
            ),
        ],
    },
    Starter {
        key: "courrier_bailleur",
        name: "Courrier au bailleur",
        addressee: Addressee::ThirdParty,
        subject: "Situation de {{ person.full_name }}, votre locataire\
                  {% if values.reference %} (référence {{ values.reference }}){% endif %}",
        body: concat!(
            "Madame, Monsieur,\n",
            "\n",
            "J'accompagne actuellement {{ person.full_name }}, locataire de votre logement",
            "{% if values.logement %} situé {{ values.logement }}\
             {% elif person.address_inline %} situé {{ person.address_inline }}{% endif %}, \
             dans le cadre d'un accompagnement social.\n",
            "\n",
            "{{ values.demande }}\n",
            "{% if values.demarches %}\n",
            "\n",
            "Pour votre information, les démarches suivantes ont été engagées :\n",
            "{{ values.demarches }}\n",
            "{% endif %}\n",
            "\n",
            "{{ person.full_name }} a donné son accord pour que je vous adresse ce courrier. Je \
             reste à votre disposition pour en échanger",
            reach!(),
            ".\n",
            "\n",
            "Je vous prie d'agréer, Madame, Monsieur, l'expression de mes salutations \
             distinguées.",
        ),
        fields: &[
            field(
                "demande",
                "Ce qui est demandé au bailleur (délais de paiement, suspension d'une \
                 procédure…)",
                LetterFieldKind::LongText,
                true,
            ),
            field(
                "demarches",
                "Démarches engagées (Fonds de solidarité logement, CAF…)",
                LetterFieldKind::LongText,
                false,
            ),
            field(
                "reference",
                "Référence du locataire chez le bailleur",
                LetterFieldKind::Text,
                false,
            ),
            field(
                "logement",
                "Adresse du logement, si ce n'est pas celle de la personne",
                LetterFieldKind::Text,
                false,
            ),
        ],
    },
    Starter {
        key: "attestation_suivi",
        name: "Attestation de suivi",
        addressee: Addressee::Nobody,
        subject: "Attestation de suivi",
        body: concat!(
            "Je soussigné{{ referent.e }}, {{ referent.display_name }}, \
             {{ referent.job_title }} ({{ organisation.name }}), atteste que \
             {{ person.full_name }}",
            "{% if person.birth_date %}, né{{ person.e }} le {{ person.birth_date }}{% endif %}",
            "{% if person.address_inline %}, demeurant {{ person.address_inline }}{% endif %}, \
             est accompagné{{ person.e }} par notre service depuis le {{ case.opened_on }}.\n",
            "{% if values.precisions %}\n",
            "\n",
            "{{ values.precisions }}\n",
            "{% endif %}\n",
            "\n",
            "Cette attestation est délivrée à la demande de l'intéressé{{ person.e }} pour \
             servir et valoir ce que de droit.",
        ),
        fields: &[field(
            "precisions",
            "Précisions (démarches en cours, fréquence des rendez-vous…)",
            LetterFieldKind::LongText,
            false,
        )],
    },
    Starter {
        key: "orientation",
        name: "Courrier d'orientation",
        addressee: Addressee::ThirdParty,
        subject: "Orientation de {{ person.full_name }}",
        body: concat!(
            "Madame, Monsieur,\n",
            "\n",
            "Je me permets de vous orienter {{ person.full_name }}",
            "{% if person.birth_date %}, né{{ person.e }} le {{ person.birth_date }}{% endif %}, \
             que notre service accompagne depuis le {{ case.opened_on }}.\n",
            "\n",
            "{{ values.motif }}\n",
            "{% if values.attentes %}\n",
            "\n",
            "{{ values.attentes }}\n",
            "{% endif %}\n",
            "\n",
            "{{ person.full_name }} a été informé{{ person.e }} de cette orientation et a donné \
             son accord pour que ces éléments vous soient transmis. Je reste à votre disposition \
             pour tout échange",
            reach!(),
            " et vous remercie de l'attention que vous porterez à sa situation.\n",
            "\n",
            "Je vous prie d'agréer, Madame, Monsieur, l'expression de mes salutations \
             distinguées.",
        ),
        fields: &[
            field(
                "motif",
                "Motif de l'orientation (la situation, ce qui la justifie)",
                LetterFieldKind::LongText,
                true,
            ),
            field(
                "attentes",
                "Ce qui est attendu de la structure",
                LetterFieldKind::LongText,
                false,
            ),
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::letter::{MAX_BODY_CHARS, MAX_NAME_CHARS, MAX_SUBJECT_CHARS, check_fields};

    #[test]
    fn the_starter_set_has_five_distinct_templates_within_the_limits() {
        assert_eq!(STARTERS.len(), 5);
        for (i, starter) in STARTERS.iter().enumerate() {
            assert!(
                STARTERS[..i]
                    .iter()
                    .all(|s| s.key != starter.key && s.name != starter.name),
                "{}",
                starter.key
            );
            assert!(starter.name.chars().count() <= MAX_NAME_CHARS);
            assert!(starter.subject.chars().count() <= MAX_SUBJECT_CHARS);
            assert!(starter.body.chars().count() <= MAX_BODY_CHARS);
            assert!(
                check_fields(&starter.fields()).is_empty(),
                "{}",
                starter.key
            );
            assert!(
                starter
                    .key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_')
            );
        }
    }

    #[test]
    fn letters_to_a_person_greet_them_and_the_others_greet_formally() {
        for starter in STARTERS {
            let opening = starter.body.lines().next().unwrap_or_default();
            match starter.addressee {
                Addressee::Person => assert_eq!(opening, "{{ person.salutation }},"),
                Addressee::ThirdParty => assert_eq!(opening, "Madame, Monsieur,"),
                Addressee::Nobody => assert!(opening.starts_with("Je soussigné")),
            }
        }
    }
}
