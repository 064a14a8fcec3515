//! Inventory operations with the exact semantics the REST API promises: create refuses an id
//! that exists (409), update and delete refuse one that does not (404), and orgs and apps can be
//! removed when nothing refers to them any more. Writes go through `inventory::save_*` and the
//! versioned records, so history and the audit trail are the same as from the UI.

use crate::authz::authorize;
use crate::error::{AppError, AppResult};
use crate::inventory::{self, append, current, AppInput, Kind, OrgInput};
use crate::Backend;
use baa_core::account::{Permission, Viewer};
use baa_core::coverage::{Agreement, App, FlyOrg, Service, ServiceProvisioning};
use std::collections::BTreeMap;

fn today(b: &Backend) -> chrono::NaiveDate {
    inventory::today_for(b)
}

/// Orgs in force today.
pub async fn orgs(b: &Backend, v: &Viewer) -> AppResult<Vec<FlyOrg>> {
    authorize(v, Permission::Read)?;
    Ok(current::<FlyOrg>(b, &v.workspace_id, Kind::Org, today(b)).await?.into_values().collect())
}

/// One org, or `NotFound`.
pub async fn org(b: &Backend, v: &Viewer, slug: &str) -> AppResult<FlyOrg> {
    authorize(v, Permission::Read)?;
    current::<FlyOrg>(b, &v.workspace_id, Kind::Org, today(b)).await?.remove(slug).ok_or(AppError::NotFound)
}

/// Creates an org; `Conflict` when the slug is taken.
pub async fn create_org(b: &Backend, v: &Viewer, input: &OrgInput) -> AppResult<FlyOrg> {
    authorize(v, Permission::EditInventory)?;
    let slug = input.slug.trim().to_lowercase();
    if current::<FlyOrg>(b, &v.workspace_id, Kind::Org, inventory::last_day()).await?.contains_key(&slug) {
        return Err(AppError::Conflict {
            field: "slug".into(),
            message: format!("an org {slug} exists; update it instead"),
        });
    }
    let slug = inventory::save_org(b, v, input).await?;
    org(b, v, &slug).await
}

/// Changes an existing org; `NotFound` when there is none with this slug.
pub async fn update_org(b: &Backend, v: &Viewer, slug: &str, input: &OrgInput) -> AppResult<FlyOrg> {
    authorize(v, Permission::EditInventory)?;
    org(b, v, slug).await?;
    let mut input = input.clone();
    input.slug = slug.to_string();
    inventory::save_org(b, v, &input).await?;
    org(b, v, slug).await
}

/// Removes an org from today on; `Conflict` while apps or services are in it.
pub async fn remove_org(b: &Backend, v: &Viewer, slug: &str) -> AppResult<()> {
    authorize(v, Permission::EditInventory)?;
    let on = today(b);
    let o = org(b, v, slug).await?;
    let apps: BTreeMap<String, App> = current(b, &v.workspace_id, Kind::App, on).await?;
    let services: BTreeMap<String, Service> = current(b, &v.workspace_id, Kind::Service, on).await?;
    let in_use = apps.values().any(|a| a.org == o.slug)
        || services
            .values()
            .any(|s| matches!(&s.provisioning, ServiceProvisioning::Platform { org } if *org == o.slug));
    if in_use {
        return Err(AppError::Conflict {
            field: "slug".into(),
            message: format!("org {slug} still has apps or services; move or remove them first"),
        });
    }
    let mut tx = b.db.begin_write().await?;
    append(&mut tx, v, Kind::Org, &o.slug, on, &o, true, Some("removed"), b.clock.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Apps in force today.
pub async fn apps(b: &Backend, v: &Viewer) -> AppResult<Vec<App>> {
    authorize(v, Permission::Read)?;
    Ok(current::<App>(b, &v.workspace_id, Kind::App, today(b)).await?.into_values().collect())
}

/// One app, or `NotFound`.
pub async fn app(b: &Backend, v: &Viewer, name: &str) -> AppResult<App> {
    authorize(v, Permission::Read)?;
    current::<App>(b, &v.workspace_id, Kind::App, today(b)).await?.remove(name).ok_or(AppError::NotFound)
}

/// Creates an app; `Conflict` when the name is taken.
pub async fn create_app(b: &Backend, v: &Viewer, input: &AppInput) -> AppResult<App> {
    authorize(v, Permission::EditInventory)?;
    let name = input.name.trim().to_lowercase();
    if current::<App>(b, &v.workspace_id, Kind::App, inventory::last_day()).await?.contains_key(&name) {
        return Err(AppError::Conflict {
            field: "name".into(),
            message: format!("an app {name} exists; update it instead"),
        });
    }
    let name = inventory::save_app(b, v, input).await?;
    app(b, v, &name).await
}

/// Changes an existing app; `NotFound` when there is none with this name.
pub async fn update_app(b: &Backend, v: &Viewer, name: &str, input: &AppInput) -> AppResult<App> {
    authorize(v, Permission::EditInventory)?;
    app(b, v, name).await?;
    let mut input = input.clone();
    input.name = name.to_string();
    inventory::save_app(b, v, &input).await?;
    app(b, v, name).await
}

/// Removes an app from today on; `Conflict` while services still name it.
pub async fn remove_app(b: &Backend, v: &Viewer, name: &str) -> AppResult<()> {
    authorize(v, Permission::EditInventory)?;
    let on = today(b);
    let a = app(b, v, name).await?;
    let services: BTreeMap<String, Service> = current(b, &v.workspace_id, Kind::Service, on).await?;
    // The app's own Fly compute goes with it; any other service that names it keeps it.
    let own = |s: &Service| {
        s.vendor == baa_core::catalog::FLY
            && s.apps == [a.name.clone()]
            && s.id.ends_with(&format!(":{}", a.name))
    };
    if services.values().any(|s| s.apps.contains(&a.name) && !own(s)) {
        return Err(AppError::Conflict {
            field: "name".into(),
            message: format!("services still use app {name}; change or remove them first"),
        });
    }
    let now = b.clock.now();
    let mut tx = b.db.begin_write().await?;
    for s in services.values().filter(|s| own(s)) {
        let mut gone = s.clone();
        gone.removed_on = Some(on);
        append(&mut tx, v, Kind::Service, &s.id, on, &gone, true, Some("app removed"), now).await?;
    }
    append(&mut tx, v, Kind::App, &a.name, on, &a, true, Some("removed"), now).await?;
    tx.commit().await?;
    Ok(())
}

/// One service, or `NotFound`.
pub async fn service(b: &Backend, v: &Viewer, id: &str) -> AppResult<Service> {
    let view = inventory::coverage_view(b, v, today(b)).await?;
    view.world.services.iter().find(|s| s.id == id).cloned().ok_or(AppError::NotFound)
}

/// Agreements as recorded (latest version of each).
pub async fn agreements(b: &Backend, v: &Viewer) -> AppResult<Vec<Agreement>> {
    authorize(v, Permission::Read)?;
    let world = inventory::load_world(b, v, inventory::last_day()).await?;
    Ok(world.agreements)
}

/// One agreement, or `NotFound`.
pub async fn agreement(b: &Backend, v: &Viewer, id: &str) -> AppResult<Agreement> {
    agreements(b, v).await?.into_iter().find(|a| a.id == id).ok_or(AppError::NotFound)
}
