//! The French words of a problem, for clients whose `Accept-Language` prefers French.
//!
//! A problem is written in English ([`super::ApiError::problem`]); its French version
//! ([`FrenchProblem`]) is computed with it and travels in the response's extensions, for the
//! observability layer to swap in once it knows the request's language
//! ([`crate::language`]). Only `title`, `detail` and each `errors[].message` are translated:
//! codes, pointers, statuses and types never change.
//!
//! Where the French comes from, most precise first:
//! - a refusal of the domain says its own sentence ([`relais_domain::Refusal::sentence_fr`]);
//! - the extractors and conventions that write a message for every request (unknown parameter,
//!   unknown field, `validator` bounds…) write it in French too, with the same value-free
//!   precision (lengths, bounds, the names the request gave);
//! - otherwise a field error says what its `code` means ([`field_message`]), and the problem's
//!   `detail` is its one field error's French message, the count of its invalid fields, or what
//!   its code means ([`super::Code::detail_fr`]).
//!
//! The fallbacks name no value: a French message never carries data that the English one does
//! not.

/// The French words of one problem: its title, its detail, and the message of each of its field
/// errors, in the order of `errors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrenchProblem {
    pub title: &'static str,
    pub detail: String,
    pub messages: Vec<String>,
}

/// The `detail` of a problem with `count` invalid fields (never one: its message is the detail).
pub(crate) fn fields_invalid(count: usize) -> String {
    format!("{count} champs sont invalides")
}

/// What a field error of code `code` means, in French, when its own French message is unknown.
/// Every code the API's handlers, extractors and rules give a field error has its sentence here
/// (a refusal of the domain also says its own); an unknown code is "invalid".
pub(crate) fn field_message(code: &str) -> &'static str {
    match code {
        // Presence and form.
        "required" => "ce champ est obligatoire",
        "missing" => "cette valeur est manquante",
        "blank" => "ce champ ne doit pas être vide",
        "empty" => "le fichier est vide",
        "not_nullable" => "ce champ ne peut pas être effacé",
        "one_of" => "indiquez l'un ou l'autre de ces champs, pas les deux",
        "not_allowed" => "ce champ n'est pas accepté ici",
        "not_applicable" => "ce champ ne s'applique pas à ce choix",
        "immutable" => "cette valeur ne peut pas changer",
        "duplicate" => "cette valeur est en double",
        "conflict" => "ces champs s'excluent : n'en donnez qu'un",
        // Sizes and bounds.
        "too_long" => "cette valeur est trop longue",
        "too_many" => "il y a trop d'éléments",
        "too_large" => "le fichier est trop volumineux",
        "length" => "la longueur de cette valeur n'est pas dans les limites permises",
        "range" | "out_of_range" => "cette valeur est hors des limites permises",
        "min_above_max" => "le minimum est supérieur au maximum",
        "no_bound" => "indiquez au moins une borne (un minimum, un maximum ou les deux)",
        "in_future" => "cette date ne peut pas être dans le futur",
        // Types and formats.
        "invalid" | "invalid_value" => "cette valeur n'est pas valide ici",
        "invalid_type" => "cette valeur n'est pas du type attendu",
        "invalid_format" | "malformed" => "cette valeur est mal formée",
        "invalid_character" => "cette valeur contient un caractère interdit",
        "malformed_json" => "ce n'est pas du JSON valide",
        "email" => "ce n'est pas une adresse électronique valide",
        "invalid_url" => "ce n'est pas une adresse web (URL) absolue valide",
        "invalid_base64" => "ce n'est pas du base64 standard (RFC 4648 §4, avec remplissage)",
        "unknown_code" => "ce code n'existe pas dans sa liste",
        // Names and identifiers.
        "unknown_field" => "ce champ n'existe pas ici",
        "unknown_parameter" => "cette opération ne connaît pas ce paramètre",
        "invalid_parameter" => "ce paramètre n'est pas valide",
        "invalid_identifier" => "ce n'est pas un identifiant valide",
        "repeated" => "ce paramètre est donné plusieurs fois : donnez-le une seule fois",
        "unknown_reference" => "aucun élément accessible de l'organisme ne porte cet identifiant",
        "unknown_partner" => {
            "aucun partenaire enregistré dans l'organisme ne porte cet identifiant"
        }
        "unknown_consent" => {
            "aucun consentement donné par la personne de ce dossier ne porte cet identifiant"
        }
        "unknown_organisation" => "aucun organisme de ce déploiement ne porte cet identifiant",
        "same_organisation" => "une orientation est réorientée vers un autre organisme",
        // Files.
        "unsupported_type" => "seuls les fichiers PDF, PNG et JPEG sont acceptés",
        "type_mismatch" => "le type annoncé ne correspond pas au contenu du fichier",
        "invalid_filename" => {
            "un nom de fichier ne contient ni chemin, ni caractère de contrôle ou invisible"
        }
        "filename_required" => "le fichier n'a pas de nom",
        // Webhook addresses.
        "https_required" => "l'adresse doit commencer par https://",
        "userinfo_not_allowed" => "l'adresse ne doit contenir ni identifiant ni mot de passe",
        "fragment_not_allowed" => "l'adresse ne doit pas contenir de fragment (#…)",
        "loopback_not_allowed" => "l'adresse ne doit pas désigner la machine elle-même",
        "address_not_allowed" => "l'adresse désigne un réseau privé ou réservé",
        // Rules of the practice.
        "reason_required" => "indiquez le motif, qui est tracé",
        "nir_mismatch" => "le NIR de cette personne n'est pas celui de l'orientation",
        "category_not_allowed_for_party" => {
            "cette catégorie ne convient pas à ce type de démarche (préconisation ou intervention)"
        }
        "invalid_destination" => {
            "indiquez soit partner_id (un partenaire enregistré), soit name et contact (un \
             organisme désigné et la personne à y joindre)"
        }
        "consent_not_applicable" => {
            "un consentement n'est joint que lorsque la base légale est le consentement"
        }
        "template_archived" => {
            "ce modèle de courrier est archivé : aucun nouveau courrier ne peut en être rédigé"
        }
        "template_syntax" => "le modèle contient une erreur de syntaxe (voir la ligne indiquée)",
        "unknown_merge_field" => {
            "le modèle lit une variable qui n'est ni un champ de fusion ni un champ déclaré"
        }
        "template_error" => {
            "le modèle n'a pas pu être rendu (boucle sans fin, appel récursif, filtre inconnu…)"
        }
        "scheme_inactive" => {
            "ce dispositif a été retiré du catalogue : aucune nouvelle demande ne peut y être faite"
        }
        "granted_amount_mismatch" => {
            "un financeur qui accorde la demande accorde le montant demandé (sinon, \
             partially_granted)"
        }
        // Keys and credentials.
        "reused" => "cette clé a déjà servi pour une autre requête",
        "invalid_client" => "l'authentification du client a échoué",
        "two_authentication_methods" => {
            "envoyez les identifiants soit dans l'en-tête Authorization, soit dans le formulaire"
        }
        "unsupported_grant_type" => "seul le type d'autorisation client_credentials est accepté",
        "unsupported_media_type" => "ce type de contenu n'est pas accepté",
        _ => "cette valeur n'est pas valide",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_code_of_the_api_has_its_own_french_message() {
        // The codes given to field errors by handlers, extractors and rules (grep
        // `FieldError::body|query|path|header`, `FieldProblem::new`, `issue(` and the
        // `validator` attributes); a refusal of the domain says its own sentence besides.
        let fallback = field_message("no_such_code");
        for code in [
            "required",
            "missing",
            "blank",
            "empty",
            "not_nullable",
            "one_of",
            "not_allowed",
            "not_applicable",
            "immutable",
            "duplicate",
            "conflict",
            "too_long",
            "too_many",
            "too_large",
            "length",
            "range",
            "out_of_range",
            "min_above_max",
            "no_bound",
            "in_future",
            "invalid_value",
            "invalid_type",
            "invalid_format",
            "invalid_character",
            "malformed_json",
            "email",
            "invalid_url",
            "invalid_base64",
            "unknown_code",
            "unknown_field",
            "unknown_parameter",
            "invalid_parameter",
            "invalid_identifier",
            "repeated",
            "unknown_reference",
            "unknown_partner",
            "unknown_consent",
            "unknown_organisation",
            "same_organisation",
            "unsupported_type",
            "type_mismatch",
            "invalid_filename",
            "filename_required",
            "https_required",
            "userinfo_not_allowed",
            "fragment_not_allowed",
            "loopback_not_allowed",
            "address_not_allowed",
            "reason_required",
            "nir_mismatch",
            "category_not_allowed_for_party",
            "invalid_destination",
            "consent_not_applicable",
            "scheme_inactive",
            "template_archived",
            "template_syntax",
            "unknown_merge_field",
            "template_error",
            "granted_amount_mismatch",
            "reused",
            "invalid_client",
            "two_authentication_methods",
            "unsupported_grant_type",
            "unsupported_media_type",
        ] {
            let message = field_message(code);
            assert_ne!(message, fallback, "{code} has no French message of its own");
            assert!(
                !message.is_empty() && !message.ends_with('.') && !message.contains("  "),
                "{code}: {message:?}"
            );
        }
    }

    #[test]
    fn a_field_error_says_its_own_french_message_or_what_its_code_means() {
        use crate::error::{ApiError, Code, FieldError};
        let own = FieldError::body("/topic", "blank", "the topic cannot be blank")
            .with_message_fr("le sujet ne doit pas être vide");
        assert_eq!(own.french_message(), "le sujet ne doit pas être vide");
        let body = FieldError::body("/topic", "blank", "the topic cannot be blank");
        assert_eq!(body.french_message(), "ce champ ne doit pas être vide");
        // A parameter is named: its pointer is not shown as a body field's is.
        let query = FieldError::query("to", "invalid_parameter", "to must not be before from");
        assert_eq!(query.french_message(), "to : ce paramètre n'est pas valide");
        // A 400 about a parameter: its detail is the parameter's message, in French too.
        let french = ApiError::bad_query("to", "to must not be before from").french();
        assert_eq!(
            (french.title, french.detail.as_str()),
            ("Requête incorrecte", "to : ce paramètre n'est pas valide")
        );
        // A problem whose detail is not its field's message says what its code means.
        let french = ApiError::new(Code::ReasonRequired, "give a reason")
            .at(FieldError::query("reason", "reason_required", "why"))
            .french();
        assert_eq!(french.detail, Code::ReasonRequired.detail_fr());
        assert_eq!(
            french.messages,
            ["reason : indiquez le motif, qui est tracé"]
        );
    }

    #[test]
    fn several_invalid_fields_are_counted() {
        assert_eq!(fields_invalid(3), "3 champs sont invalides");
    }
}
