//! Roles and what they allow.
//!
//! The role → permission matrix of API.md lives in [`Role::permissions`] and nowhere else, so
//! handlers ask [`Roles::allows`] instead of matching on roles themselves. Whether a worker is
//! on a given case team is data, not a role: [`Permission::CaseReadTeam`] only says that the
//! caller may read the cases whose team they belong to.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codes::Coded;

crate::coded_enum! {
    /// What an agent (or a partner's client) does in the organisation, from the token's claims.
    pub enum Role in "role" {
        /// Front desk: intake and identity only.
        Reception => "reception" { fr: "Accueil", en: "Reception" },
        /// Social worker: the cases whose team they are on.
        Worker => "worker" { fr: "Travailleur social", en: "Social worker" },
        /// Head of service: every case of the organisation, assignments, statistics.
        Supervisor => "supervisor" { fr: "Responsable de service", en: "Supervisor" },
        /// Organisation settings, agents, catalogue, partners; never case content.
        Admin => "admin" { fr: "Administrateur", en: "Administrator" },
        /// Data protection officer: audit log, exports, retention reports.
        Dpo => "dpo" {
            fr: "Délégué à la protection des données",
            en: "Data protection officer"
        },
        /// A partner organisation: the referrals and liaisons addressed to it only.
        Partner => "partner" { fr: "Partenaire", en: "Partner" },
    }
}

/// Something a caller may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Search and read persons' identity records (the NIR stays masked).
    PersonRead,
    /// Create and correct persons' identity records.
    PersonWrite,
    /// Unmask a person's NIR, with a reason that is audited.
    PersonRevealNir,
    /// Open a case (at intake).
    CaseCreate,
    /// Read every case of the organisation.
    CaseReadAll,
    /// Read the cases whose team the caller is on.
    CaseReadTeam,
    /// Change a case's content: assessment, plan, contacts, applications, liaisons.
    CaseWrite,
    /// Move a case through its lifecycle.
    CaseTransition,
    /// Read the audit log.
    AuditRead,
    /// Export everything held on a person (right of access), NIR and private notes included.
    PersonExport,
    /// Record and lift a person's restriction of processing or objection (GDPR art. 18, 21).
    PersonRestrict,
    /// Erase (anonymise) a person on their request (GDPR art. 17), and read what a retention
    /// run would do.
    PersonErase,
    /// Read and change the organisation's retention periods.
    RetentionSettings,
    /// Manage the organisation: settings, agents, scheme catalogue, partners.
    OrganisationAdmin,
    /// Read the code lists of `GET /v1/reference`.
    ReferenceRead,
    /// Read the organisation's inbox of referrals posted by partners.
    ReferralRead,
    /// Decide on a received referral (accept and open a case, decline, redirect) and read its
    /// attachments.
    ReferralDecide,
    /// Read the directory of the organisation's agents: names, roles, job titles.
    AgentRead,
    /// Read every agent's contact details (e-mail, phone) in the directory.
    AgentContactRead,
    /// Hand cases over from one agent to another, record anyone's absences, and list the cases
    /// waiting for a referent.
    CaseAssign,
    /// Merge two records of the same person into one (`POST /v1/persons/{id}/merge`).
    PersonMerge,
    /// Import an existing caseload from a file (`POST /v1/imports/cases`): persons and cases
    /// in bulk.
    CaseImport,
    /// Read the organisation's change feed (`GET /v1/events`): identifiers, codes and dates of
    /// what happened, for the organisation's own systems.
    EventFeedRead,
    /// Read the organisation's letter templates (to choose one and fill in its fields); writing
    /// them is [`Permission::OrganisationAdmin`], writing a letter [`Permission::CaseWrite`].
    LetterTemplateRead,
}

impl Permission {
    /// Every permission.
    pub const ALL: &'static [Permission] = &[
        Permission::PersonRead,
        Permission::PersonWrite,
        Permission::PersonRevealNir,
        Permission::CaseCreate,
        Permission::CaseReadAll,
        Permission::CaseReadTeam,
        Permission::CaseWrite,
        Permission::CaseTransition,
        Permission::AuditRead,
        Permission::PersonExport,
        Permission::PersonRestrict,
        Permission::PersonErase,
        Permission::RetentionSettings,
        Permission::OrganisationAdmin,
        Permission::ReferenceRead,
        Permission::ReferralRead,
        Permission::ReferralDecide,
        Permission::AgentRead,
        Permission::AgentContactRead,
        Permission::CaseAssign,
        Permission::PersonMerge,
        Permission::CaseImport,
        Permission::EventFeedRead,
        Permission::LetterTemplateRead,
    ];
}

/// A worker's permissions, shared with the supervisor who has them all and more.
const WORKER: &[Permission] = &[
    Permission::AgentRead,
    Permission::PersonRead,
    Permission::PersonWrite,
    Permission::PersonRevealNir,
    Permission::CaseCreate,
    Permission::CaseReadTeam,
    Permission::CaseWrite,
    Permission::CaseTransition,
    Permission::ReferenceRead,
    Permission::ReferralRead,
    Permission::ReferralDecide,
    Permission::LetterTemplateRead,
];

const SUPERVISOR: &[Permission] = &[
    Permission::AgentRead,
    Permission::AgentContactRead,
    Permission::CaseAssign,
    Permission::CaseImport,
    Permission::PersonMerge,
    Permission::PersonRestrict,
    Permission::PersonRead,
    Permission::PersonWrite,
    Permission::PersonRevealNir,
    Permission::CaseCreate,
    Permission::CaseReadTeam,
    Permission::CaseWrite,
    Permission::CaseTransition,
    Permission::ReferenceRead,
    Permission::CaseReadAll,
    Permission::ReferralRead,
    Permission::ReferralDecide,
    Permission::EventFeedRead,
    Permission::LetterTemplateRead,
];

impl Role {
    /// What this role allows: the matrix of API.md.
    pub fn permissions(self) -> &'static [Permission] {
        match self {
            // Reception opens the case at intake but reads no case content afterwards. It sees
            // the referrals inbox (like the front desk, it knows who is expected) but does not
            // decide: accepting makes the decider the referent of a case reception could not
            // read, and declining or redirecting is a social worker's assessment of the
            // situation; attachments (medical letters…) may carry health details, hidden from
            // reception.
            Role::Reception => &[
                Permission::AgentRead,
                Permission::PersonRead,
                Permission::PersonWrite,
                Permission::CaseCreate,
                Permission::ReferenceRead,
                Permission::ReferralRead,
            ],
            Role::Worker => WORKER,
            Role::Supervisor => SUPERVISOR,
            // Administration of the organisation never opens a person's file.
            Role::Admin => &[
                Permission::AgentRead,
                Permission::AgentContactRead,
                Permission::OrganisationAdmin,
                Permission::RetentionSettings,
                Permission::ReferenceRead,
                Permission::EventFeedRead,
                Permission::LetterTemplateRead,
            ],
            // The right-of-access export is the dpo's alone; it does not open cases otherwise.
            Role::Dpo => &[
                Permission::AgentRead,
                Permission::AuditRead,
                Permission::PersonExport,
                Permission::PersonRestrict,
                Permission::PersonErase,
                Permission::RetentionSettings,
                Permission::ReferenceRead,
            ],
            // Partner endpoints check ownership of referrals and liaisons themselves (a partner's
            // referrals are not the organisation's inbox).
            Role::Partner => &[Permission::ReferenceRead],
        }
    }

    /// Whether this role allows `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }

    /// This role's bit in [`Roles`]; the declaration order gives distinct bits.
    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// The set of roles a caller holds (a token may carry several).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Roles(u32);

impl Roles {
    /// The set of the given roles; repeats are ignored.
    pub fn new(roles: impl IntoIterator<Item = Role>) -> Self {
        roles.into_iter().collect()
    }

    /// Whether the set holds `role`.
    pub fn contains(&self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    /// Whether any of the roles allows `permission`.
    pub fn allows(&self, permission: Permission) -> bool {
        self.iter().any(|role| role.allows(permission))
    }

    /// Whether the set holds no role at all (such a caller may do nothing).
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The roles, in reference order.
    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        Role::ALL
            .iter()
            .copied()
            .filter(|&role| self.contains(role))
    }
}

impl FromIterator<Role> for Roles {
    fn from_iter<I: IntoIterator<Item = Role>>(roles: I) -> Self {
        Roles(roles.into_iter().fold(0, |bits, role| bits | role.bit()))
    }
}

impl fmt::Debug for Roles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// Serialised as the array of role codes, e.g. `["worker", "dpo"]`.
impl Serialize for Roles {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Roles {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<Role>::deserialize(deserializer).map(Roles::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    /// The expected matrix, written out flat so it reads like the table in API.md.
    fn expected(role: Role) -> Vec<Permission> {
        match role {
            Role::Reception => vec![
                AgentRead,
                PersonRead,
                PersonWrite,
                CaseCreate,
                ReferenceRead,
                ReferralRead,
            ],
            Role::Worker => vec![
                AgentRead,
                PersonRead,
                PersonWrite,
                PersonRevealNir,
                CaseCreate,
                CaseReadTeam,
                CaseWrite,
                CaseTransition,
                ReferenceRead,
                ReferralRead,
                ReferralDecide,
                LetterTemplateRead,
            ],
            Role::Supervisor => vec![
                AgentRead,
                AgentContactRead,
                CaseAssign,
                PersonRead,
                PersonWrite,
                PersonRevealNir,
                CaseCreate,
                CaseReadAll,
                CaseReadTeam,
                CaseWrite,
                CaseTransition,
                ReferenceRead,
                ReferralRead,
                ReferralDecide,
                PersonRestrict,
                PersonMerge,
                CaseImport,
                EventFeedRead,
                LetterTemplateRead,
            ],
            Role::Admin => vec![
                AgentRead,
                AgentContactRead,
                OrganisationAdmin,
                RetentionSettings,
                ReferenceRead,
                EventFeedRead,
                LetterTemplateRead,
            ],
            Role::Dpo => vec![
                AgentRead,
                AuditRead,
                PersonExport,
                PersonRestrict,
                PersonErase,
                RetentionSettings,
                ReferenceRead,
            ],
            Role::Partner => vec![ReferenceRead],
        }
    }

    #[test]
    fn each_role_allows_exactly_the_permissions_of_the_matrix() {
        for &role in Role::ALL {
            let wanted = expected(role);
            for &permission in Permission::ALL {
                assert_eq!(
                    role.allows(permission),
                    wanted.contains(&permission),
                    "{role} / {permission:?}"
                );
            }
        }
    }

    #[test]
    fn every_role_may_read_the_reference() {
        assert!(Role::ALL.iter().all(|r| r.allows(ReferenceRead)));
    }

    #[test]
    fn reception_can_open_a_case_but_not_read_or_change_cases() {
        let reception = Roles::new([Role::Reception]);
        assert!(reception.allows(CaseCreate));
        for p in [
            CaseReadAll,
            CaseReadTeam,
            CaseWrite,
            CaseTransition,
            PersonRevealNir,
        ] {
            assert!(!reception.allows(p), "{p:?}");
        }
    }

    #[test]
    fn a_supervisor_can_do_everything_a_worker_can_and_read_every_case() {
        for &p in Permission::ALL {
            if Role::Worker.allows(p) {
                assert!(Role::Supervisor.allows(p), "{p:?}");
            }
        }
        assert!(Role::Supervisor.allows(CaseReadAll));
        assert!(!Role::Worker.allows(CaseReadAll));
    }

    #[test]
    fn an_admin_sees_no_person_or_case_content() {
        for p in [
            PersonRead,
            PersonWrite,
            PersonRevealNir,
            CaseReadAll,
            CaseReadTeam,
        ] {
            assert!(!Role::Admin.allows(p), "{p:?}");
        }
        assert!(Role::Admin.allows(OrganisationAdmin));
    }

    #[test]
    fn the_dpo_reads_the_audit_log_but_does_not_search_persons() {
        assert!(Role::Dpo.allows(AuditRead));
        assert!(!Role::Dpo.allows(PersonRead));
    }

    #[test]
    fn only_the_dpo_may_export_a_persons_record() {
        for &role in Role::ALL {
            assert_eq!(role.allows(PersonExport), role == Role::Dpo, "{role}");
        }
        let dpo = Roles::new([Role::Dpo]);
        assert!(dpo.allows(PersonExport));
        assert!(!dpo.allows(CaseReadAll) && !dpo.allows(CaseReadTeam));
    }

    #[test]
    fn reception_sees_the_referrals_inbox_but_only_workers_and_supervisors_decide() {
        for &role in Role::ALL {
            assert_eq!(
                role.allows(ReferralRead),
                matches!(role, Role::Reception | Role::Worker | Role::Supervisor),
                "{role}"
            );
            assert_eq!(
                role.allows(ReferralDecide),
                matches!(role, Role::Worker | Role::Supervisor),
                "{role}"
            );
        }
        // A partner reads its own referrals through its partner identity, not this permission.
        assert!(!Role::Partner.allows(ReferralRead));
    }

    #[test]
    fn those_who_write_letters_and_those_who_write_templates_read_the_templates() {
        for &role in Role::ALL {
            assert_eq!(
                role.allows(LetterTemplateRead),
                role.allows(CaseWrite) || role.allows(OrganisationAdmin),
                "{role}"
            );
        }
    }

    #[test]
    fn several_roles_add_up_their_permissions() {
        let roles = Roles::new([Role::Admin, Role::Dpo]);
        assert!(roles.allows(OrganisationAdmin) && roles.allows(AuditRead));
        assert!(!roles.allows(CaseReadTeam));
        assert!(roles.contains(Role::Dpo) && !roles.contains(Role::Worker));
    }

    #[test]
    fn an_empty_set_of_roles_allows_nothing() {
        let none = Roles::default();
        assert!(none.is_empty());
        assert!(Permission::ALL.iter().all(|&p| !none.allows(p)));
    }

    #[test]
    fn repeated_roles_count_once_and_list_in_reference_order() {
        let roles: Roles = [Role::Dpo, Role::Worker, Role::Dpo].into_iter().collect();
        assert_eq!(roles.iter().collect::<Vec<_>>(), [Role::Worker, Role::Dpo]);
        assert_eq!(format!("{roles:?}"), "{Worker, Dpo}");
    }
}
