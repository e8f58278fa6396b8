//! Need to know on a person's record (PROTECTION.md): what an agent sees of a person, and which
//! parts of the record a request may use, from the caller's roles and their ties to the person.
//!
//! - Supervisors see the full record of every person.
//! - A worker sees the full record of a person while on the team of one of the person's cases
//!   (not archived), or when they created the person and no case exists yet; any other person
//!   only through the minimal search view (names, birth date, whether a case is open and who its
//!   referent is), so that nobody creates a duplicate.
//! - Reception sees identity and contact details (and the consents it collects at intake), never
//!   the NIR unmasked, the household or the budget.
//! - Administrators, the DPO and partners do not open persons' records here (the DPO's access
//!   export has its own permission).
//!
//! A part the caller's role never reaches is a 403 ([`Denial::Forbidden`]); a part the role
//! reaches but not for this person is a 404 ([`Denial::Hidden`]), as for cases. Either is recorded
//! as an `access_denied` when the person exists.

use crate::role::{Permission, Roles};

/// What an agent sees of a person, the widest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PersonView {
    /// The whole record: identity, contact details, consents, household, budget, NIR reveal.
    Full,
    /// Identity, contact details and consents, the NIR masked.
    Reception,
    /// The minimal search view only.
    Search,
}

/// The caller's ties to a person, read from the data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PersonTies {
    /// On the team of one of the person's cases that is not archived.
    pub on_team: bool,
    /// The caller created the person, and the person has no case yet.
    pub created_without_case: bool,
}

/// The part of a person's record a request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonPart {
    /// Reads the person (`GET /v1/persons/{id}`): the view decides what is answered.
    Read,
    /// Corrects identity or contact details.
    Correct,
    /// Reads the rectification history of identity and contact details.
    ReadHistory,
    /// Lists the consents.
    ReadConsents,
    /// Records or withdraws a consent.
    WriteConsents,
    /// Reads the household or the budget.
    ReadSituation,
    /// Replaces the household or the budget.
    WriteSituation,
    /// Unmasks the NIR.
    RevealNir,
    /// Records, lists or lifts the person's restrictions and objections: about the processing,
    /// not the record, so the DPO (who sees no record) and supervisors reach it whoever the
    /// person.
    Restrictions,
    /// Erases (anonymises) the person on their request: the DPO's, whoever the person.
    Erase,
    /// Merges another record of the same person into this one, or this one into another: the
    /// whole record of both is read and changed, so only a caller who sees it reaches it.
    Merge,
}

/// Why a request is refused a part of a person's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// The caller's role never reaches this part (403).
    Forbidden,
    /// The role reaches it, but not for this person (404: the record is not revealed).
    Hidden,
}

impl PersonPart {
    /// The permission a caller needs for this part, whoever the person.
    fn permission(self) -> Permission {
        match self {
            PersonPart::Read | PersonPart::ReadHistory | PersonPart::ReadConsents => {
                Permission::PersonRead
            }
            PersonPart::Correct | PersonPart::WriteConsents => Permission::PersonWrite,
            PersonPart::ReadSituation => Permission::CaseReadTeam,
            PersonPart::WriteSituation => Permission::CaseWrite,
            PersonPart::RevealNir => Permission::PersonRevealNir,
            PersonPart::Restrictions => Permission::PersonRestrict,
            PersonPart::Erase => Permission::PersonErase,
            PersonPart::Merge => Permission::PersonMerge,
        }
    }

    /// Whether a caller with `view` of the person reaches this part.
    fn reached_with(self, view: PersonView) -> bool {
        match self {
            PersonPart::Read | PersonPart::Restrictions | PersonPart::Erase => true,
            PersonPart::Correct
            | PersonPart::ReadHistory
            | PersonPart::ReadConsents
            | PersonPart::WriteConsents => view != PersonView::Search,
            PersonPart::ReadSituation
            | PersonPart::WriteSituation
            | PersonPart::RevealNir
            | PersonPart::Merge => view == PersonView::Full,
        }
    }
}

/// Whether a caller with `view` of a person sees their health data (what is known of a
/// disability): like the household and the budget, only with the whole record, never at
/// reception.
pub fn sees_health(view: PersonView) -> bool {
    PersonPart::ReadSituation.reached_with(view)
}

/// What a caller with `roles` sees of a person they have `ties` to, the widest any of their roles
/// gives; `None` when their roles do not open persons' records at all.
pub fn person_view(roles: &Roles, ties: PersonTies) -> Option<PersonView> {
    let tied = ties.on_team || ties.created_without_case;
    roles
        .iter()
        .filter_map(|role| {
            if !role.allows(Permission::PersonRead) {
                None
            } else if role.allows(Permission::CaseReadAll)
                || (role.allows(Permission::CaseReadTeam) && tied)
            {
                Some(PersonView::Full)
            } else if role.allows(Permission::CaseReadTeam) {
                Some(PersonView::Search)
            } else {
                Some(PersonView::Reception)
            }
        })
        .min()
}

/// Whether a caller with `roles` and `ties` to a person may use `part` of their record: the
/// view they have of the person, or why not.
pub fn may_use(roles: &Roles, ties: PersonTies, part: PersonPart) -> Result<PersonView, Denial> {
    if !roles.allows(part.permission()) {
        return Err(Denial::Forbidden);
    }
    if matches!(part, PersonPart::Restrictions | PersonPart::Erase) {
        // The record itself is not shown: whoever has the permission sees at least the minimal
        // view of the person.
        return Ok(person_view(roles, ties).unwrap_or(PersonView::Search));
    }
    match person_view(roles, ties) {
        Some(view) if part.reached_with(view) => Ok(view),
        Some(PersonView::Search) => Err(Denial::Hidden),
        _ => Err(Denial::Forbidden),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::role::Role;

    const NONE: PersonTies = PersonTies {
        on_team: false,
        created_without_case: false,
    };
    const TEAM: PersonTies = PersonTies {
        on_team: true,
        created_without_case: false,
    };
    const CREATOR: PersonTies = PersonTies {
        on_team: false,
        created_without_case: true,
    };
    const PARTS: [PersonPart; 9] = [
        PersonPart::Restrictions,
        PersonPart::Read,
        PersonPart::Correct,
        PersonPart::ReadHistory,
        PersonPart::ReadConsents,
        PersonPart::WriteConsents,
        PersonPart::ReadSituation,
        PersonPart::WriteSituation,
        PersonPart::RevealNir,
    ];

    fn roles(role: Role) -> Roles {
        Roles::new([role])
    }

    #[test]
    fn a_supervisor_sees_every_person_whole() {
        for part in PARTS {
            assert_eq!(
                may_use(&roles(Role::Supervisor), NONE, part),
                Ok(PersonView::Full)
            );
        }
    }

    #[test]
    fn a_worker_sees_whole_only_the_persons_of_their_cases_or_those_they_just_created() {
        let worker = roles(Role::Worker);
        assert_eq!(
            may_use(&worker, TEAM, PersonPart::Restrictions),
            Err(Denial::Forbidden)
        );
        for ties in [TEAM, CREATOR] {
            for part in &PARTS[1..] {
                let part = *part;
                assert_eq!(
                    may_use(&worker, ties, part),
                    Ok(PersonView::Full),
                    "{part:?}"
                );
            }
        }
        assert_eq!(
            may_use(&worker, NONE, PersonPart::Read),
            Ok(PersonView::Search)
        );
        for part in &PARTS[2..] {
            assert_eq!(
                may_use(&worker, NONE, *part),
                Err(Denial::Hidden),
                "{part:?}"
            );
        }
    }

    #[test]
    fn reception_reads_and_corrects_identity_and_consents_but_never_the_situation_or_the_nir() {
        let reception = roles(Role::Reception);
        for ties in [NONE, TEAM, CREATOR] {
            for part in [
                PersonPart::Read,
                PersonPart::Correct,
                PersonPart::ReadHistory,
                PersonPart::ReadConsents,
                PersonPart::WriteConsents,
            ] {
                assert_eq!(may_use(&reception, ties, part), Ok(PersonView::Reception));
            }
            for part in [
                PersonPart::ReadSituation,
                PersonPart::WriteSituation,
                PersonPart::RevealNir,
            ] {
                assert_eq!(may_use(&reception, ties, part), Err(Denial::Forbidden));
            }
        }
    }

    #[test]
    fn administrators_the_dpo_and_partners_open_no_record() {
        for role in [Role::Admin, Role::Dpo, Role::Partner] {
            assert_eq!(person_view(&roles(role), TEAM), None);
            for part in &PARTS[1..] {
                assert_eq!(may_use(&roles(role), TEAM, *part), Err(Denial::Forbidden));
            }
        }
    }

    #[test]
    fn restrictions_are_the_dpos_and_the_supervisors_whoever_the_person() {
        assert_eq!(
            may_use(&roles(Role::Dpo), NONE, PersonPart::Restrictions),
            Ok(PersonView::Search)
        );
        assert_eq!(
            may_use(&roles(Role::Supervisor), NONE, PersonPart::Restrictions),
            Ok(PersonView::Full)
        );
        for role in [Role::Admin, Role::Reception, Role::Worker, Role::Partner] {
            assert_eq!(
                may_use(&roles(role), TEAM, PersonPart::Restrictions),
                Err(Denial::Forbidden)
            );
        }
    }

    #[test]
    fn several_roles_see_what_the_widest_allows() {
        let both = Roles::new([Role::Reception, Role::Worker]);
        assert_eq!(person_view(&both, NONE), Some(PersonView::Reception));
        assert_eq!(person_view(&both, TEAM), Some(PersonView::Full));
        let dpo_supervisor = Roles::new([Role::Dpo, Role::Supervisor]);
        assert_eq!(person_view(&dpo_supervisor, NONE), Some(PersonView::Full));
    }
}
