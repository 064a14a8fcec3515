//! Accounts, workspaces and roles: the validated values every other layer relies on.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A validation failure on user input, with the field it concerns and a message fit for the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    /// The form field (or configuration variable) that is wrong.
    pub field: String,
    /// What is wrong and what to do, in plain words.
    pub message: String,
}

impl Invalid {
    /// A validation error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// A user's role in one workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Founders: everything, including members and settings.
    Owner,
    /// Records agreements and documents.
    Legal,
    /// Adds apps, services and imports.
    Engineer,
    /// Reads everything, changes nothing.
    Auditor,
}

impl Role {
    /// All roles, most powerful first.
    pub const ALL: [Role; 4] = [Role::Owner, Role::Legal, Role::Engineer, Role::Auditor];

    /// The stable lowercase name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Legal => "legal",
            Role::Engineer => "engineer",
            Role::Auditor => "auditor",
        }
    }

    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Legal => "Legal",
            Role::Engineer => "Engineer",
            Role::Auditor => "Auditor (read-only)",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Result<Role, Invalid> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| Invalid::new("role", "choose owner, legal, engineer or auditor"))
    }

    /// Whether this role may do `p`. This table is the single source of truth for access control:
    /// anything not listed is denied.
    pub fn allows(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Owner => true,
            Role::Legal => matches!(p, Read | EditAgreements | EditCatalog),
            Role::Engineer => matches!(p, Read | EditInventory),
            Role::Auditor => matches!(p, Read | ReadAudit),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a request wants to do inside a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    /// Read anything in the workspace (every role).
    Read,
    /// Orgs, apps, services, imports.
    EditInventory,
    /// Agreements, documents, clause checklists.
    EditAgreements,
    /// Vendor catalog edits.
    EditCatalog,
    /// Invite, change roles, remove members.
    ManageMembers,
    /// Workspace settings (name, 2FA requirement, policy).
    ManageSettings,
    /// Read, verify and export the audit trail (owners and auditors).
    ReadAudit,
}

/// A normalised e-mail address (trimmed, lowercased, one `@`, a dot in the domain).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    /// Validates and normalises an address.
    pub fn parse(s: &str) -> Result<Email, Invalid> {
        let s = s.trim().to_lowercase();
        let bad = || Invalid::new("email", "enter an e-mail address like name@example.com");
        if s.is_empty() || s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
            || s.contains(['<', '>', ',', ';', '"', '\\'])
        {
            return Err(bad());
        }
        Ok(Email(s))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Minimum password length (NIST 800-63B allows 8; we ask 12 for an app holding legal records).
pub const PASSWORD_MIN: usize = 12;
/// Maximum password length accepted (long enough for passphrases and managers, bounded for argon2).
pub const PASSWORD_MAX: usize = 256;

/// Checks a new password against the policy; counts characters, not bytes.
pub fn check_new_password(password: &str, confirm: &str) -> Result<(), Invalid> {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        return Err(Invalid::new(
            "password",
            format!("use at least {PASSWORD_MIN} characters (a passphrase works well)"),
        ));
    }
    if n > PASSWORD_MAX {
        return Err(Invalid::new("password", format!("use at most {PASSWORD_MAX} characters")));
    }
    if password != confirm {
        return Err(Invalid::new("password_confirm", "the two passwords differ"));
    }
    Ok(())
}

/// Free text typed into a form (a reason, a phrase): trimmed, `min` to `max` characters, no
/// control characters but line breaks and tabs when `multiline`. The message says which limit
/// was crossed.
pub fn check_text(field: &str, s: &str, min: usize, max: usize, multiline: bool) -> Result<String, Invalid> {
    let s = s.trim();
    let n = s.chars().count();
    if n < min {
        return Err(Invalid::new(
            field,
            if min <= 1 { "enter a value".to_string() } else { format!("use at least {min} characters") },
        ));
    }
    if n > max {
        return Err(Invalid::new(field, format!("use at most {max} characters (this has {n})")));
    }
    if s.chars().any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'))) {
        return Err(Invalid::new(
            field,
            if multiline {
                "remove control characters (line breaks are fine)"
            } else {
                "remove control characters and line breaks"
            },
        ));
    }
    Ok(s.to_string())
}

/// A person's display name: 1 to 100 characters, no control characters.
pub fn check_display_name(field: &str, s: &str) -> Result<String, Invalid> {
    let s = s.trim();
    if s.is_empty() {
        return Err(Invalid::new(field, "enter a name"));
    }
    if s.chars().count() > 100 {
        return Err(Invalid::new(field, "use at most 100 characters"));
    }
    if s.chars().any(char::is_control) {
        return Err(Invalid::new(field, "remove control characters"));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_has_length_and_character_limits() {
        assert_eq!(
            check_text("reason", "  checked the portal ", 5, 20, false).as_deref(),
            Ok("checked the portal")
        );
        assert!(check_text("reason", "abc", 5, 20, false).is_err());
        assert!(check_text("reason", &"x".repeat(21), 5, 20, false)
            .is_err_and(|e| e.message.contains("at most 20")));
        assert!(check_text("reason", "two\nlines", 1, 20, false).is_err());
        assert!(check_text("reason", "two\nlines", 1, 20, true).is_ok());
        assert!(check_text("reason", "bell\u{7}", 1, 20, true).is_err());
    }

    #[test]
    fn emails_are_normalised_and_validated() {
        assert_eq!(Email::parse("  Priya@Acme-Health.COM ").map(|e| e.0), Ok("priya@acme-health.com".into()));
        for bad in [
            "",
            "priya",
            "@acme.com",
            "priya@",
            "priya@acme",
            "a b@acme.com",
            "a@b@c.com",
            "a@.com",
            "a@com.",
            "a@x..com",
            "<a@b.com>",
            "a@b.com\nbcc",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn password_policy_counts_characters() {
        assert!(check_new_password("short", "short").is_err());
        assert!(check_new_password("twelve chars", "twelve chars").is_ok());
        assert!(check_new_password("ééééééééééé", "ééééééééééé").is_err(), "11 chars");
        let long = "x".repeat(PASSWORD_MAX);
        assert!(check_new_password(&long, &long).is_ok());
        let too_long = "x".repeat(PASSWORD_MAX + 1);
        assert!(check_new_password(&too_long, &too_long).is_err());
        let e = check_new_password("correct horse battery", "correct horse battery!").expect_err("mismatch");
        assert_eq!(e.field, "password_confirm");
    }

    #[test]
    fn role_table_denies_by_default() {
        use Permission::*;
        let table = [
            (Role::Owner, [true, true, true, true, true, true, true]),
            (Role::Legal, [true, false, true, true, false, false, false]),
            (Role::Engineer, [true, true, false, false, false, false, false]),
            (Role::Auditor, [true, false, false, false, false, false, true]),
        ];
        let perms =
            [Read, EditInventory, EditAgreements, EditCatalog, ManageMembers, ManageSettings, ReadAudit];
        for (role, row) in table {
            for (p, want) in perms.iter().zip(row) {
                assert_eq!(role.allows(*p), want, "{role} {p:?}");
            }
        }
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert!(Role::parse("admin").is_err());
    }
}

/// The signed-in person as every page and server function sees them (no secrets inside).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    /// User id.
    pub user_id: String,
    /// Display name.
    pub name: String,
    /// Sign-in address.
    pub email: String,
    /// Current workspace.
    pub workspace_id: String,
    /// Its name.
    pub workspace_name: String,
    /// Role in the current workspace.
    pub role: Role,
    /// Whether this user has TOTP two-factor sign-in on.
    pub totp_enabled: bool,
    /// Whether the workspace requires two-factor sign-in.
    pub workspace_requires_2fa: bool,
    /// Every workspace this user belongs to (for the switcher).
    pub workspaces: Vec<WorkspaceChoice>,
    /// The client address of this request (for the audit trail; set by the server).
    #[serde(default)]
    pub source: String,
}

impl Viewer {
    /// Whether the viewer's role allows `p`.
    pub fn can(&self, p: Permission) -> bool {
        self.role.allows(p)
    }
    /// True when the workspace requires 2FA and this user has not set it up yet.
    pub fn must_enrol_2fa(&self) -> bool {
        self.workspace_requires_2fa && !self.totp_enabled
    }
}

/// One entry of the workspace switcher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceChoice {
    /// Workspace id.
    pub id: String,
    /// Workspace name.
    pub name: String,
    /// The user's role there.
    pub role: Role,
}

/// A member as listed on the members page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    /// User id.
    pub user_id: String,
    /// Name.
    pub name: String,
    /// Address.
    pub email: String,
    /// Role here.
    pub role: Role,
    /// Whether 2FA is on.
    pub totp_enabled: bool,
    /// Joined (formatted).
    pub joined: String,
}

/// A pending invitation as listed on the members page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    /// Invitation id.
    pub id: String,
    /// Invited address.
    pub email: String,
    /// Role it grants.
    pub role: Role,
    /// Who sent it.
    pub invited_by: String,
    /// Expiry (formatted).
    pub expires: String,
    /// pending, accepted, expired or revoked.
    pub state: String,
}

/// What an invitation link shows before it is accepted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InvitationInfo {
    /// Invited address.
    pub email: String,
    /// Workspace name.
    pub workspace: String,
    /// Role granted.
    pub role: Role,
    /// Whether an account with this address exists (then the person signs in to accept).
    pub existing_user: bool,
}
