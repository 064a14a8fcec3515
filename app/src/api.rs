//! Server functions that load page data, and the types they return.
//!
//! Each is a short adapter: take the backend and the viewer, call the backend, map the error.
//! Public ones (usable before sign-in) live under `/api/public/`; the access layer of the server
//! lets nothing else through without a session.

use baa_core::account::{InvitationView, MemberView, Role, Viewer};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use crate::outcome::{Flash, UiError};

/// What every page needs: who is signed in and any message from the last action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageContext {
    /// The signed-in person, if any.
    pub viewer: Option<Viewer>,
    /// The message carried over from the last form.
    pub flash: Option<Flash>,
    /// True when no account exists yet (first run).
    pub setup_needed: bool,
    /// Idle minutes before automatic sign-out.
    pub idle_minutes: i64,
    /// The viewer's unread notices.
    #[serde(default)]
    pub unread: i64,
}

/// Who is signed in, plus the pending flash message.
#[server(endpoint = "public/page_ctx")]
pub async fn page_ctx() -> Result<PageContext, UiError> {
    let b = crate::ssr::backend();
    let viewer = crate::ssr::viewer_opt().await;
    let flash = crate::ssr::take_flash().await;
    // Someone signed in is a user: only a signed-out visitor can be looking at a fresh install.
    let setup_needed = viewer.is_none() && !baa_backend::accounts::has_users(&b).await?;
    let unread = match &viewer {
        Some(v) => baa_backend::notify::unread(&b, v).await?,
        None => 0,
    };
    Ok(PageContext { viewer, flash, setup_needed, idle_minutes: b.config.session_idle_minutes, unread })
}

/// An invitation as its link shows it.
#[server(endpoint = "public/invitation")]
pub async fn invitation(token: String) -> Result<baa_core::account::InvitationInfo, UiError> {
    let b = crate::ssr::backend();
    Ok(baa_backend::accounts::invitation_info(&b, &token).await?)
}

/// Whether a reset link is still usable.
#[server(endpoint = "public/reset_valid")]
pub async fn reset_valid(token: String) -> Result<bool, UiError> {
    let b = crate::ssr::backend();
    Ok(baa_backend::accounts::reset_token_valid(&b, &token).await?)
}

/// The members page: members, invitations and whether the viewer may manage them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersData {
    /// Members.
    pub members: Vec<MemberView>,
    /// Invitations, newest first.
    pub invitations: Vec<InvitationView>,
    /// Whether the viewer may invite, change roles and remove.
    pub can_manage: bool,
}

/// Loads the members page.
#[server(endpoint = "members_page")]
pub async fn members_page() -> Result<MembersData, UiError> {
    let (b, v) = crate::ssr::context().await?;
    Ok(MembersData {
        members: baa_backend::accounts::list_members(&b, &v).await?,
        invitations: baa_backend::accounts::list_invitations(&b, &v).await?,
        can_manage: v.can(baa_core::account::Permission::ManageMembers),
    })
}

/// The overview page: the workspace's people and security posture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverviewData {
    /// Members per role.
    pub by_role: Vec<(Role, usize)>,
    /// Members without two-factor sign-in.
    pub without_2fa: Vec<String>,
    /// Pending invitations.
    pub pending_invitations: usize,
    /// Whether the workspace requires 2FA.
    pub require_2fa: bool,
    /// Idle sign-out minutes.
    pub idle_minutes: i64,
    /// Absolute session lifetime in hours.
    pub max_hours: i64,
}

/// Loads the overview page.
#[server(endpoint = "overview_page")]
pub async fn overview_page() -> Result<OverviewData, UiError> {
    let (b, v) = crate::ssr::context().await?;
    let members = baa_backend::accounts::list_members(&b, &v).await?;
    let invitations = baa_backend::accounts::list_invitations(&b, &v).await?;
    let by_role =
        Role::ALL.into_iter().map(|r| (r, members.iter().filter(|m| m.role == r).count())).collect();
    Ok(OverviewData {
        by_role,
        without_2fa: members.iter().filter(|m| !m.totp_enabled).map(|m| m.name.clone()).collect(),
        pending_invitations: invitations.iter().filter(|i| i.state == "pending").count(),
        require_2fa: v.workspace_requires_2fa,
        idle_minutes: b.config.session_idle_minutes,
        max_hours: b.config.session_max_hours,
    })
}

/// The settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsData {
    /// Workspace name.
    pub name: String,
    /// 2FA requirement.
    pub require_2fa: bool,
    /// Whether the viewer may change settings.
    pub can_manage: bool,
    /// Regions PHI may live in (empty: any).
    pub allowed_regions: Vec<String>,
    /// Days before expiry at which to remind.
    pub reminder_windows: Vec<u32>,
    /// Whether the viewer may start another workspace (`WORKSPACE_CREATORS`).
    pub can_create_workspace: bool,
    /// The trust page: (slug, published, company name, contact, show services, confirmed
    /// subscribers), for owners once saved.
    #[serde(default)]
    pub trust: Option<(String, bool, String, String, bool, i64)>,
    /// Fewest days of volume snapshots PHI apps must keep (platform safeguards).
    pub snapshot_retention_days: u32,
    /// Approved platform safeguard exceptions.
    pub exceptions: Vec<baa_core::safeguards::SafeguardException>,
    /// App names of the inventory (for the exception form).
    pub apps: Vec<String>,
}

/// Loads the settings page.
#[server(endpoint = "settings_page")]
pub async fn settings_page() -> Result<SettingsData, UiError> {
    let (b, v) = crate::ssr::context().await?;
    let policy =
        baa_backend::inventory::policy(&b, &v.workspace_id, baa_backend::inventory::today_for(&b)).await?;
    let today = baa_backend::inventory::today_for(&b);
    let apps = baa_backend::inventory::coverage_view(&b, &v, today)
        .await?
        .world
        .apps
        .iter()
        .map(|a| a.name.clone())
        .collect();
    Ok(SettingsData {
        snapshot_retention_days: policy.safeguards.snapshot_retention_days,
        exceptions: policy.safeguards.exceptions,
        apps,
        allowed_regions: policy.allowed_regions,
        reminder_windows: policy.reminder_windows,
        name: v.workspace_name.clone(),
        require_2fa: v.workspace_requires_2fa,
        can_manage: v.can(baa_core::account::Permission::ManageSettings),
        can_create_workspace: baa_backend::accounts::may_create_workspace(&b, &v).is_ok(),
        trust: if v.can(baa_core::account::Permission::ManageSettings) {
            baa_backend::trust::settings(&b, &v)
                .await?
                .map(|t| (t.slug, t.published, t.company_name, t.contact, t.show_services, t.subscribers))
        } else {
            None
        },
    })
}

/// A two-factor enrolment in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    /// The base32 secret, for typing in by hand.
    pub secret: String,
    /// The QR code as an SVG data URL.
    pub qr_data_url: String,
}

/// The account page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountData {
    /// 2FA on.
    pub totp_enabled: bool,
    /// Unused recovery codes left.
    pub recovery_left: i64,
    /// Enrolment started but not confirmed.
    pub enrolment: Option<TotpEnrolment>,
    /// Recovery codes just made: shown once.
    pub new_recovery_codes: Vec<String>,
    /// Whether the workspace forces 2FA and this user still lacks it.
    pub must_enrol: bool,
}

/// Loads the account page.
#[cfg(feature = "ssr")]
/// The account page's session-held state: an enrolment in progress and codes to show once.
async fn account_session_state(v: &Viewer) -> Result<(Option<TotpEnrolment>, Vec<String>), UiError> {
    let Some(s) = crate::ssr::session().await else {
        return Ok((None, Vec::new()));
    };
    let pending: Option<String> = s.get(crate::ssr::keys::TOTP_PENDING).await.ok().flatten();
    let enrolment = match pending {
        Some(secret) if !v.totp_enabled => {
            let secret = baa_backend::secret::Secret::new(secret);
            let url = baa_backend::totp::otpauth_url(&secret, &v.email)
                .map_err(baa_backend::error::AppError::from)?;
            let svg = baa_backend::totp::qr_svg(&url).map_err(baa_backend::error::AppError::from)?;
            use base64::Engine;
            Some(TotpEnrolment {
                secret: secret.expose().to_string(),
                qr_data_url: format!(
                    "data:image/svg+xml;base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(svg)
                ),
            })
        }
        _ => None,
    };
    let codes: Vec<String> = s.get(crate::ssr::keys::RECOVERY_CODES).await.ok().flatten().unwrap_or_default();
    if !codes.is_empty() {
        let _ = s.remove_value(crate::ssr::keys::RECOVERY_CODES).await;
    }
    Ok((enrolment, codes))
}

#[server(endpoint = "account_page")]
pub async fn account_page() -> Result<AccountData, UiError> {
    let (b, v) = crate::ssr::context().await?;
    let (enrolment, new_recovery_codes) = account_session_state(&v).await?;
    Ok(AccountData {
        totp_enabled: v.totp_enabled,
        recovery_left: baa_backend::accounts::recovery_codes_left(&b, &v.user_id).await?,
        enrolment,
        new_recovery_codes,
        must_enrol: v.must_enrol_2fa(),
    })
}

/// The notifications page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationsData {
    /// The viewer's notices, newest first.
    pub notices: Vec<baa_core::notice::NoticeView>,
    /// The viewer's choices per kind.
    pub preferences: Vec<baa_core::notice::PreferenceView>,
    /// Delivery state and the webhook, for owners.
    pub owner: Option<OwnerNotifications>,
}

/// What owners see of notification delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerNotifications {
    /// Recent mail and webhook deliveries with their state.
    pub deliveries: Vec<baa_core::notice::DeliveryView>,
    /// The webhook's host when one is set (the URL itself is a secret and never shown).
    pub webhook_host: Option<String>,
}

/// Loads the notifications page.
#[server(endpoint = "notifications_page")]
pub async fn notifications_page() -> Result<NotificationsData, UiError> {
    let (b, v) = crate::ssr::context().await?;
    let owner = if v.can(baa_core::account::Permission::ManageSettings) {
        Some(OwnerNotifications {
            deliveries: baa_backend::notify::deliveries(&b, &v).await?,
            webhook_host: baa_backend::notify::webhook_host(&b, &v).await?,
        })
    } else {
        None
    };
    Ok(NotificationsData {
        notices: baa_backend::notify::list(&b, &v).await?,
        preferences: baa_backend::notify::preferences(&b, &v).await?,
        owner,
    })
}

/// One evidence packet, as the packets page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketRow {
    /// Id (for the download links).
    pub id: String,
    /// The day it describes.
    pub as_of: String,
    /// queued, running, done or failed.
    pub status: String,
    /// 0 to 100.
    pub progress: i64,
    /// What it is doing now.
    pub stage: String,
    /// Who asked for it.
    pub created_by: String,
    /// When.
    pub created_at: String,
    /// SHA-256 of the PDF, when done.
    pub pdf_sha256: Option<String>,
    /// SHA-256 of the ZIP bundle, when done.
    pub bundle_sha256: Option<String>,
    /// Bundle size in bytes, when done.
    pub bundle_size: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
    /// SHA-256 of the bundle's manifest, when done (also in the audit trail).
    pub manifest_sha256: Option<String>,
    /// The key that signed the manifest, when done.
    pub signing_key_id: Option<String>,
    /// First day, for a packet of a period ending on `as_of`.
    #[serde(default)]
    pub period_from: Option<String>,
}

/// The key that signs packet manifests, as the packets page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKeyRow {
    /// `ed25519:` and 16 hex digits.
    pub key_id: String,
    /// The public key, base64.
    pub public_key: String,
    /// Whether new packets are signed with it.
    pub current: bool,
}

/// The evidence packets page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketsData {
    /// Today (the default as-of date), `YYYY-MM-DD`.
    pub today: String,
    /// Packets, newest first.
    pub packets: Vec<PacketRow>,
    /// Keys packets were signed with, the current one first.
    pub keys: Vec<SigningKeyRow>,
}

/// Loads the evidence packets page (owners, legal and auditors).
#[server(endpoint = "packets_page")]
pub async fn packets_page() -> Result<PacketsData, UiError> {
    let (b, v) = crate::ssr::context().await?;
    let packets = baa_backend::packets::list(&b, &v)
        .await?
        .into_iter()
        .map(|p| PacketRow {
            id: p.id,
            as_of: p.as_of,
            status: p.status,
            progress: p.progress,
            stage: p.stage,
            created_by: p.created_by,
            created_at: p.created_at,
            pdf_sha256: p.pdf_sha256,
            bundle_sha256: p.bundle_sha256,
            bundle_size: p.bundle_size,
            error: p.error,
            manifest_sha256: p.manifest_sha256,
            signing_key_id: p.signing_key_id,
            period_from: p.period_from,
        })
        .collect();
    let keys = baa_backend::signing::published(&b.db, &b.packet_key)
        .await
        .map_err(baa_backend::error::AppError::from)?
        .into_iter()
        .map(|k| SigningKeyRow { key_id: k.key_id, public_key: k.public_key, current: k.current })
        .collect();
    Ok(PacketsData { today: baa_backend::inventory::today_for(&b).to_string(), packets, keys })
}
