//! The one table of problem codes: every `code` the API answers with, its HTTP status, its
//! title, and its title and a generic detail in French.
//!
//! A handler never chooses a status: it names a [`Code`] (or returns a domain refusal, whose
//! code is looked up here) and the status and title follow. Codes are stable: clients match on
//! them, so a code is never renamed or given another status; new ones are added here. The codes
//! of the field errors inside a problem (`errors[].code`: `too_long`, `nir_wrong_key`…) are
//! another list: they qualify one value, under a problem such as `validation_failed`.
//!
//! The French columns serve clients whose `Accept-Language` prefers French: the title, and the
//! detail said when nothing more precise is known in French (a refusal says its own sentence,
//! see [`relais_domain::Refusal::sentence_fr`]). A generic detail names no value: it is what any
//! problem with this code means.

use actix_web::http::StatusCode;

/// Declares [`Code`] from its table:
/// `Variant = "code", STATUS, "Title", "Titre", "détail générique";`.
macro_rules! codes {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $code:literal, $status:ident, $title:literal,
            $title_fr:literal, $detail_fr:literal;
    )*) => {
        /// A problem code of the API, with its status and title (see the module's table).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($(#[$doc])* $variant,)*
        }

        impl Code {
            /// Every code, in the table's order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The `snake_case` code, as in the problem's `code` and at the end of its `type`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// The HTTP status every problem with this code has.
            pub const fn status(self) -> StatusCode {
                match self {
                    $(Code::$variant => StatusCode::$status,)*
                }
            }

            /// The problem's `title`: the same for every occurrence of the code.
            pub const fn title(self) -> &'static str {
                match self {
                    $(Code::$variant => $title,)*
                }
            }

            /// The problem's `title` in French.
            pub const fn title_fr(self) -> &'static str {
                match self {
                    $(Code::$variant => $title_fr,)*
                }
            }

            /// What any problem with this code means, in French: its `detail` when nothing
            /// more precise is known in French, and always for a 5xx (which says nothing more).
            pub const fn detail_fr(self) -> &'static str {
                match self {
                    $(Code::$variant => $detail_fr,)*
                }
            }

            /// The code written `code`, if the table has it.
            pub fn parse(code: &str) -> Option<Code> {
                match code {
                    $($code => Some(Code::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

codes! {
    // The request is malformed.
    /// The body could not be read to its end.
    MalformedBody = "malformed_body", BAD_REQUEST, "Bad request",
        "Requête incorrecte", "le corps de la requête n'a pas pu être lu jusqu'au bout";
    /// The body is not JSON (or has something after the value).
    MalformedJson = "malformed_json", BAD_REQUEST, "Bad request",
        "Requête incorrecte", "le corps de la requête n'est pas du JSON valide";
    /// The body has a field the resource does not have (typos never drop data silently).
    UnknownField = "unknown_field", BAD_REQUEST, "Bad request",
        "Requête incorrecte", "le corps de la requête contient un champ inconnu";
    /// A query parameter is unknown or invalid.
    InvalidParameter = "invalid_parameter", BAD_REQUEST, "Bad request",
        "Requête incorrecte", "un paramètre de la requête est inconnu ou invalide";
    /// A path parameter is not an identifier.
    InvalidPathParameter = "invalid_path_parameter", BAD_REQUEST, "Bad request",
        "Requête incorrecte", "un paramètre du chemin n'est pas un identifiant valide";
    /// The `Idempotency-Key` header is not 1 to 255 visible ASCII characters.
    InvalidIdempotencyKey = "invalid_idempotency_key", BAD_REQUEST, "Bad request",
        "Requête incorrecte",
        "l'en-tête Idempotency-Key doit compter de 1 à 255 caractères ASCII visibles";
    /// A partner's `POST` has no `Idempotency-Key`.
    IdempotencyKeyRequired = "idempotency_key_required", BAD_REQUEST, "Bad request",
        "Requête incorrecte",
        "un partenaire envoie un en-tête Idempotency-Key avec chaque POST, pour que ses nouvelles \
         tentatives soient sans risque";
    /// A read that is audited with its reason (an archived case, an unmasked NIR) has none.
    ReasonRequired = "reason_required", BAD_REQUEST, "Bad request",
        "Requête incorrecte", "cette consultation est tracée avec son motif : indiquez-le";
    /// OAuth token request: a parameter is missing, repeated or malformed (RFC 6749 §5.2).
    InvalidRequest = "invalid_request", BAD_REQUEST, "Bad request",
        "Requête incorrecte", "la demande de jeton est incomplète ou mal formée";
    /// OAuth token request: a grant other than `client_credentials`.
    UnsupportedGrantType = "unsupported_grant_type", BAD_REQUEST, "Bad request",
        "Requête incorrecte", "seul le type d'autorisation client_credentials est accepté";

    // Who is asking.
    /// No valid bearer token.
    Unauthorized = "unauthorized", UNAUTHORIZED, "Unauthorized",
        "Authentification requise", "authentification requise : jeton absent, invalide ou expiré";
    /// OAuth token request: the client's authentication failed.
    InvalidClient = "invalid_client", UNAUTHORIZED, "Unauthorized",
        "Authentification requise", "l'authentification du client a échoué";
    /// The caller's role does not allow this.
    Forbidden = "forbidden", FORBIDDEN, "Forbidden",
        "Action non autorisée", "votre rôle ne permet pas cette action";
    /// No such record in the caller's organisation (or no such route).
    NotFound = "not_found", NOT_FOUND, "Not found",
        "Ressource introuvable", "ressource introuvable";
    /// The person's record was merged into another (a duplicate): `merged_into` names the kept
    /// record, where everything of it now is.
    PersonMerged = "person_merged", NOT_FOUND, "Not found",
        "Ressource introuvable",
        "cette fiche a été fusionnée dans une autre : utilisez la fiche indiquée par merged_into";
    /// The path exists, not with this method.
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED, "Method not allowed",
        "Méthode non autorisée", "cette méthode n'est pas acceptée à cette adresse";
    /// The `Accept` header allows none of the resource's media types.
    NotAcceptable = "not_acceptable", NOT_ACCEPTABLE, "Not acceptable",
        "Format de réponse non disponible",
        "aucun des formats que l'en-tête Accept autorise n'est disponible";

    // Conflicts with the current state of things; the request may succeed once it changes.
    /// Another request with this `Idempotency-Key` is still being processed.
    IdempotencyKeyInFlight = "idempotency_key_in_flight", CONFLICT, "Conflict",
        "Conflit",
        "une requête avec cette clé Idempotency-Key est encore en cours de traitement ; réessayez";
    /// The case is archived: read-only.
    CaseArchived = "case_archived", CONFLICT, "Conflict",
        "Conflit", "le dossier est archivé : il est en lecture seule";
    /// The case (or its assessment, its plan) is closed: reopen it first.
    CaseClosed = "case_closed", CONFLICT, "Conflict",
        "Conflit", "l'accompagnement est clôturé : rouvrez-le d'abord";
    /// The case is not closed, and this needs a closed case (a post-closure review).
    CaseNotClosed = "case_not_closed", CONFLICT, "Conflict",
        "Conflit", "cette action suppose un accompagnement clôturé";
    /// The case's status does not allow this yet (a plan proposed during intake).
    InvalidCaseStatus = "invalid_case_status", CONFLICT, "Conflict",
        "Conflit", "le statut du dossier ne permet pas encore cette action";
    /// The lifecycle of the case (or the referral) has no such arrow.
    InvalidTransition = "invalid_transition", CONFLICT, "Conflict",
        "Conflit", "ce changement de statut n'est pas possible";
    /// Planning needs an assessment with a domain needing action.
    AssessmentNeedsAction = "assessment_needs_action", CONFLICT, "Conflict",
        "Conflit",
        "pour élaborer le plan d'aide, le diagnostic doit relever au moins un domaine nécessitant \
         une action";
    /// An active case needs a plan proposal the person accepted.
    AcceptedProposalRequired = "accepted_proposal_required", CONFLICT, "Conflict",
        "Conflit",
        "la relation d'aide ne devient active qu'avec une proposition de plan acceptée par la \
         personne";
    /// Only the retention job archives a case.
    SystemOnly = "system_only", CONFLICT, "Conflict",
        "Conflit", "seul le traitement automatique de fin de conservation archive un dossier";
    /// Closing over pending plan items needs `force`; the items come with the problem.
    PendingPlanItems = "pending_plan_items", CONFLICT, "Conflict",
        "Conflit",
        "des démarches du plan d'aide sont encore prévues, en cours ou bloquées : confirmez la \
         clôture avec force, ou réglez-les d'abord";
    /// A closed case takes only some kinds of contact.
    ContactKindNotAllowedWhenClosed = "contact_kind_not_allowed_when_closed", CONFLICT, "Conflict",
        "Conflit",
        "un accompagnement clôturé n'accepte pas ce type de contact : rouvrez-le d'abord";
    /// The contact's outcome is already recorded: only a planned contact takes one.
    ContactNotPlanned = "contact_not_planned", CONFLICT, "Conflict",
        "Conflit",
        "l'issue de ce contact est déjà enregistrée : seul un contact prévu en reçoit une";
    /// A plan item's lifecycle has no such arrow.
    InvalidItemTransition = "invalid_item_transition", CONFLICT, "Conflict",
        "Conflit", "cette démarche du plan d'aide ne peut pas prendre ce statut";
    /// The plan has no item to propose.
    EmptyPlan = "empty_plan", CONFLICT, "Conflict",
        "Conflit", "le plan d'aide n'a encore aucune démarche : ajoutez-les avant de le proposer";
    /// The proposal already has its answer.
    AlreadyDecided = "already_decided", CONFLICT, "Conflict",
        "Conflit", "la réponse de la personne à cette proposition de plan est déjà enregistrée";
    /// A later proposal replaced this one.
    Superseded = "superseded", CONFLICT, "Conflict",
        "Conflit",
        "une proposition de plan plus récente remplace celle-ci : enregistrez la réponse sur la \
         dernière";
    /// The agent's absences would share a day.
    AbsenceOverlaps = "absence_overlaps", CONFLICT, "Conflict",
        "Conflit", "une absence de cet agent couvre déjà certains de ces jours";
    /// A person with this NIR already exists in the organisation.
    DuplicateNir = "duplicate_nir", CONFLICT, "Conflict",
        "Conflit", "une personne avec ce NIR existe déjà dans l'organisme";
    /// A person with the same names and birth date exists: confirm with `confirm_distinct`.
    PossibleDuplicate = "possible_duplicate", CONFLICT, "Conflict",
        "Conflit",
        "une personne de mêmes nom, prénom et date de naissance existe déjà : confirmez qu'il \
         s'agit d'une autre personne (confirm_distinct)";
    /// Several persons match the referral's person: the decision must name one.
    AmbiguousPerson = "ambiguous_person", CONFLICT, "Conflict",
        "Conflit",
        "plusieurs personnes correspondent à celle de l'orientation : la décision doit en \
         désigner une";
    /// The consent was already withdrawn.
    ConsentAlreadyWithdrawn = "consent_already_withdrawn", CONFLICT, "Conflict",
        "Conflit", "ce consentement a déjà été retiré";
    /// A liaison's lifecycle has no such arrow.
    InvalidLiaisonTransition = "invalid_liaison_transition", CONFLICT, "Conflict",
        "Conflit", "cette fiche de liaison ne peut pas prendre ce statut";
    /// The partner a liaison is addressed to is disabled.
    PartnerDisabled = "partner_disabled", CONFLICT, "Conflict",
        "Conflit", "le partenaire destinataire de cette fiche de liaison est désactivé";
    /// A restriction or an objection of the person is active: nothing of theirs is shared.
    ProcessingRestricted = "processing_restricted", CONFLICT, "Conflict",
        "Conflit",
        "la personne a demandé la limitation du traitement de ses données ou s'y est opposée : \
         elles ne sont pas partagées";
    /// An erasure while an application is within its retention.
    RetentionObligation = "retention_obligation", CONFLICT, "Conflict",
        "Conflit", "une obligation de conservation retient les données de cette personne";
    /// The restriction was already lifted.
    RestrictionAlreadyLifted = "restriction_already_lifted", CONFLICT, "Conflict",
        "Conflit", "cette limitation a déjà été levée";
    /// Sending: the person was not informed of how their data is processed and shared.
    PersonNotInformed = "person_not_informed", CONFLICT, "Conflict",
        "Conflit", "la personne n'a pas été informée du traitement et du partage de ses données";
    /// Sending: the legal basis is consent, and no consent is attached.
    ConsentMissing = "consent_missing", CONFLICT, "Conflict",
        "Conflit",
        "la base légale est le consentement, mais aucun consentement de la personne n'est joint";
    /// Sending: the person withdrew the consent the liaison relies on.
    ConsentWithdrawn = "consent_withdrawn", CONFLICT, "Conflict",
        "Conflit", "la personne a retiré le consentement sur lequel repose cette fiche de liaison";
    /// Sending: the consent does not cover this destination.
    ConsentScopeMismatch = "consent_scope_mismatch", CONFLICT, "Conflict",
        "Conflit", "le consentement joint ne couvre pas le partage avec ce destinataire";
    /// Sending: the NIR is shared only under a legal obligation.
    NirNotAllowed = "nir_not_allowed", CONFLICT, "Conflict",
        "Conflit", "le NIR ne peut être partagé qu'en vertu d'une obligation légale";
    /// Sending: health details are shared only with consent or under shared secrecy.
    HealthNotAllowed = "health_not_allowed", CONFLICT, "Conflict",
        "Conflit",
        "les informations de santé ne peuvent être partagées qu'avec le consentement de la \
         personne ou dans le cadre du secret professionnel partagé";
    /// A partner reads a liaison sheet that may no longer be shared.
    NoLongerShared = "no_longer_shared", CONFLICT, "Conflict",
        "Conflit", "cette fiche de liaison ne peut plus être partagée";
    /// The case already has an application to this scheme in progress.
    ApplicationInProgress = "application_in_progress", CONFLICT, "Conflict",
        "Conflit",
        "le dossier a déjà une demande en cours pour ce dispositif (statuez sur elle ou \
         abandonnez-la d'abord)";
    /// A decided or withdrawn application's checklist and social report are frozen.
    ApplicationFinal = "application_final", CONFLICT, "Conflict",
        "Conflit",
        "la demande est décidée ou abandonnée : sa liste de pièces et son rapport social ne \
         changent plus";
    /// An application's lifecycle has no such arrow.
    InvalidApplicationTransition = "invalid_application_transition", CONFLICT, "Conflict",
        "Conflit", "cette demande ne peut pas prendre ce statut";
    /// The application still lacks required documents.
    ApplicationIncomplete = "application_incomplete", CONFLICT, "Conflict",
        "Conflit",
        "la demande n'est pas complète : des pièces justificatives obligatoires manquent";
    /// The checklist already has a line with this document code.
    DuplicateDocumentCode = "duplicate_document_code", CONFLICT, "Conflict",
        "Conflit", "la liste des pièces a déjà une ligne avec ce code";
    /// The document is too large to be stored.
    DocumentTooLarge = "document_too_large", CONFLICT, "Conflict",
        "Conflit", "le document est trop volumineux pour être enregistré";
    /// Another scheme of the organisation has this name.
    SchemeNameTaken = "scheme_name_taken", CONFLICT, "Conflict",
        "Conflit", "un autre dispositif de l'organisme porte déjà ce nom";
    /// Another letter template of the organisation has this name.
    LetterTemplateNameTaken = "letter_template_name_taken", CONFLICT, "Conflict",
        "Conflit", "un autre modèle de courrier de l'organisme porte déjà ce nom";
    /// An organisation with this slug already exists.
    OrganisationExists = "organisation_exists", CONFLICT, "Conflict",
        "Conflit", "un organisme avec cet identifiant existe déjà";
    /// A merge: the duplicate was already merged into a record.
    AlreadyMerged = "already_merged", CONFLICT, "Conflict",
        "Conflit", "cette fiche a déjà été fusionnée dans une autre";
    /// A merge: one of the records was anonymised.
    PersonAnonymised = "person_anonymised", CONFLICT, "Conflict",
        "Conflit", "une fiche anonymisée ne peut pas être fusionnée";
    /// A merge: both records have a NIR, and they differ (two different persons).
    NirConflict = "nir_conflict", CONFLICT, "Conflict",
        "Conflit",
        "les deux fiches ont un NIR, et ils diffèrent : ce sont deux personnes différentes";
    /// The webhook delivery is still pending: it cannot be retried yet.
    DeliveryPending = "delivery_pending", CONFLICT, "Conflict",
        "Conflit", "cet envoi est encore en attente : il ne peut pas encore être relancé";

    // Preconditions and the form of the body.
    /// `If-Match` does not match the current `ETag`.
    VersionMismatch = "version_mismatch", PRECONDITION_FAILED, "Precondition failed",
        "Précondition non remplie", "la ressource a été modifiée entre-temps : relisez-la";
    /// The body is larger than the limit.
    PayloadTooLarge = "payload_too_large", PAYLOAD_TOO_LARGE, "Payload too large",
        "Requête trop volumineuse", "le corps de la requête dépasse la taille permise";
    /// The `Content-Type` is not one the operation reads.
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "Unsupported media type",
        "Type de contenu non pris en charge",
        "ce type de contenu n'est pas accepté par cette opération";
    /// Values are invalid: `errors` points at each one, with its own code.
    ValidationFailed = "validation_failed", UNPROCESSABLE_ENTITY, "Validation failed",
        "Données invalides", "des valeurs de la requête sont invalides";
    /// The `Idempotency-Key` was used with another request.
    IdempotencyKeyReused = "idempotency_key_reused", UNPROCESSABLE_ENTITY, "Validation failed",
        "Données invalides", "cette clé Idempotency-Key a déjà servi pour une autre requête";
    /// A retry of a request that succeeded and answered a secret shown once (a partner's
    /// secrets, a calendar feed URL): the answer is not kept, so it is not replayed, and the
    /// work is not done twice. `Location` names what the first request made.
    SecretNotReplayed = "secret_not_replayed", CONFLICT, "Conflict",
        "Conflit",
        "la première requête avec cette clé Idempotency-Key a abouti ; sa réponse montrait un \
         secret une seule fois et n'est pas rejouée : consultez la ressource, ou renouvelez le \
         secret";
    /// `If-Match` is neither `*` nor one entity tag (`"3"`, `W/"3"`).
    InvalidIfMatch = "invalid_if_match", BAD_REQUEST, "Bad request",
        "Requête incorrecte",
        "l'en-tête If-Match est * ou l'ETag lu, entre guillemets (par exemple \"3\")";
    /// A change needs `If-Match` with the `ETag` that was read.
    PreconditionRequired = "precondition_required", PRECONDITION_REQUIRED, "Precondition required",
        "Précondition requise", "cette modification demande un en-tête If-Match avec l'ETag lu";

    // The service.
    /// An unexpected failure; the log has the details, with the request id.
    InternalError = "internal_error", INTERNAL_SERVER_ERROR, "Internal server error",
        "Erreur interne du serveur",
        "une erreur inattendue s'est produite ; communiquez l'identifiant de la requête à \
         l'exploitant";
    /// The client spent its budget of requests (rate limit); retry after `Retry-After`.
    TooManyRequests = "too_many_requests", TOO_MANY_REQUESTS, "Too many requests",
        "Trop de requêtes",
        "trop de requêtes en peu de temps ; réessayez après le délai indiqué par Retry-After";
    /// The database cannot be reached; retry (`Retry-After`).
    ServiceUnavailable = "service_unavailable", SERVICE_UNAVAILABLE, "Service unavailable",
        "Service indisponible",
        "le service est momentanément indisponible ; réessayez dans un instant";
    /// No signing key is configured: the service issues no partner tokens.
    PartnerTokensUnavailable = "partner_tokens_unavailable", SERVICE_UNAVAILABLE, "Service unavailable",
        "Service indisponible",
        "ce service ne délivre pas de jetons aux partenaires : aucune clé de signature n'est \
         configurée";
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_code_is_listed_once() {
        let mut seen = HashSet::new();
        for code in Code::ALL {
            assert!(
                seen.insert(code.as_str()),
                "{} is listed twice",
                code.as_str()
            );
        }
    }

    #[test]
    fn every_code_is_snake_case_and_named_like_its_variant() {
        for code in Code::ALL {
            let text = code.as_str();
            assert!(
                !text.is_empty()
                    && text.starts_with(|c: char| c.is_ascii_lowercase())
                    && !text.ends_with('_')
                    && !text.contains("__")
                    && text.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{text} is not snake_case"
            );
            let mut snake = String::new();
            for c in format!("{code:?}").chars() {
                if c.is_ascii_uppercase() && !snake.is_empty() {
                    snake.push('_');
                }
                snake.push(c.to_ascii_lowercase());
            }
            assert_eq!(
                snake, text,
                "the variant {code:?} is not named like its code"
            );
        }
    }

    #[test]
    fn every_code_has_an_error_status_and_a_title() {
        for code in Code::ALL {
            assert!(
                code.status().is_client_error() || code.status().is_server_error(),
                "{} has the status {}",
                code.as_str(),
                code.status()
            );
            assert!(
                !code.title().trim().is_empty(),
                "{} has no title",
                code.as_str()
            );
        }
    }

    #[test]
    fn every_code_has_a_french_title_and_detail() {
        for code in Code::ALL {
            let (title, detail) = (code.title_fr(), code.detail_fr());
            assert!(
                !title.trim().is_empty(),
                "{} has no French title",
                code.as_str()
            );
            assert!(
                !detail.trim().is_empty(),
                "{} has no French detail",
                code.as_str()
            );
            assert_ne!(
                title,
                code.title(),
                "{}: the French title is English",
                code.as_str()
            );
            assert_eq!(title.trim(), title, "{}", code.as_str());
            assert_eq!(detail.trim(), detail, "{}", code.as_str());
            // Details are sentences without a final full stop, as the English ones, and a line
            // continuation in the table leaves no double space.
            assert!(!detail.ends_with('.'), "{}", code.as_str());
            assert!(!detail.contains("  "), "{}", code.as_str());
        }
    }

    #[test]
    fn the_french_title_is_the_one_of_its_status_class() {
        for code in Code::ALL {
            let expected = match code.status().as_u16() {
                400 => "Requête incorrecte",
                401 => "Authentification requise",
                409 => "Conflit",
                422 => "Données invalides",
                503 => "Service indisponible",
                _ => continue,
            };
            assert_eq!(code.title_fr(), expected, "{}", code.as_str());
        }
    }

    #[test]
    fn every_code_is_parsed_back_and_nothing_else_is() {
        for code in Code::ALL {
            assert_eq!(Code::parse(code.as_str()), Some(*code));
        }
        for unknown in ["", "Not_found", "not found", "conflict", "replayed"] {
            assert_eq!(Code::parse(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn the_title_is_the_one_of_its_status_class_as_clients_have_always_read_it() {
        // Titles were given by status before the table; they stay so until a change of them
        // is decided for its own sake (clients may show them).
        for code in Code::ALL {
            let expected = match code.status().as_u16() {
                400 => "Bad request",
                401 => "Unauthorized",
                409 => "Conflict",
                412 => "Precondition failed",
                422 => "Validation failed",
                503 => "Service unavailable",
                _ => continue,
            };
            assert_eq!(code.title(), expected, "{}", code.as_str());
        }
    }
}
