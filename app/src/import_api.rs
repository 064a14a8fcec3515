//! Server functions of the import page, and the types they return.

use crate::api::UiError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One record the import would create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRow {
    /// org, app or service.
    pub kind: String,
    /// Its id.
    pub id: String,
    /// What it will be, in a phrase.
    pub detail: String,
    /// Where the snapshot shows it (file:line, ...).
    pub sources: String,
    /// Assumptions made.
    pub notes: Vec<String>,
}

/// One field the import would change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateRow {
    /// org, app or service.
    pub kind: String,
    /// Its id.
    pub id: String,
    /// Field name.
    pub field: String,
    /// Value now.
    pub before: String,
    /// Value after the import.
    pub after: String,
}

/// Something the import could not map, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnmappedRow {
    /// File of the snapshot.
    pub file: String,
    /// Line, when there is one.
    pub line: Option<usize>,
    /// Why, and what to do.
    pub reason: String,
}

/// The preview of a draft, planned against the inventory of now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewView {
    /// Draft id.
    pub draft: String,
    /// Hash of the plan shown (the apply form sends it back).
    pub plan_hash: String,
    /// Records to create.
    pub creates: Vec<CreateRow>,
    /// Fields to change.
    pub updates: Vec<UpdateRow>,
    /// Records the snapshot agrees with.
    pub unchanged: usize,
    /// What could not be mapped.
    pub unmapped: Vec<UnmappedRow>,
    /// (kind, id, reason) of records the snapshot no longer shows (never removed by the import).
    pub absent: Vec<(String, String, String)>,
}

/// The import page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPageData {
    /// Whether the viewer may import.
    pub can_import: bool,
    /// The preview of the draft named in the address, if any.
    pub preview: Option<PreviewView>,
    /// Why the draft cannot be shown (expired, or no longer parses).
    pub draft_error: Option<String>,
    /// A refused draft: its id and the files at fault, each of which can be skipped.
    #[serde(default)]
    pub refused: Option<(String, Vec<String>)>,
}

/// Loads the import page; `draft` is the id of an uploaded snapshot (empty: none).
#[server(endpoint = "import_page")]
pub async fn import_page(draft: String) -> Result<ImportPageData, UiError> {
    use baa_backend::error::AppError;
    use baa_backend::imports;
    use baa_core::fly_import::{Change, Location};
    let (b, v) = crate::ssr::context().await?;
    let can_import = v.can(baa_core::account::Permission::EditInventory);
    let draft = draft.trim().to_string();
    if !can_import || draft.is_empty() {
        return Ok(ImportPageData { can_import, preview: None, draft_error: None, refused: None });
    }
    let p = match imports::preview_draft(&b, &v, &draft).await {
        Ok(p) => p,
        Err(AppError::NotFound) => {
            return Ok(ImportPageData {
                can_import,
                preview: None,
                draft_error: Some(
                    "This preview expired or was already applied. Upload the snapshot again.".into(),
                ),
                refused: None,
            })
        }
        Err(AppError::Malformed(e)) => {
            let mut files: Vec<String> = e.0.iter().map(|x| x.file.clone()).collect();
            files.sort();
            files.dedup();
            return Ok(ImportPageData {
                can_import,
                preview: None,
                draft_error: Some(format!("{e}\nNothing was imported.")),
                refused: Some((draft, files)),
            });
        }
        Err(e) => return Err(e.into()),
    };
    let sources = |s: &[Location]| s.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", ");
    let mut creates = Vec::new();
    let mut updates = Vec::new();
    let mut unchanged = 0;
    let mut push_update = |kind: &str, id: &str, fields: &[baa_core::fly_import::FieldChange]| {
        for f in fields {
            updates.push(UpdateRow {
                kind: kind.into(),
                id: id.into(),
                field: f.field.clone(),
                before: f.before.clone(),
                after: f.after.clone(),
            });
        }
    };
    for c in &p.plan.orgs {
        match c {
            Change::Create { id, record, sources: s, notes } => creates.push(CreateRow {
                kind: "org".into(),
                id: id.clone(),
                detail: format!(
                    "{} · plan {} · {}",
                    record.name,
                    record.plan,
                    format!("{:?}", record.environment).to_lowercase()
                ),
                sources: sources(s),
                notes: notes.clone(),
            }),
            Change::Update { id, fields, .. } => push_update("org", id, fields),
            Change::Unchanged { .. } => unchanged += 1,
        }
    }
    for c in &p.plan.apps {
        match c {
            Change::Create { id, record, sources: s, notes } => creates.push(CreateRow {
                kind: "app".into(),
                id: id.clone(),
                detail: format!("in org {}", record.org),
                sources: sources(s),
                notes: notes.clone(),
            }),
            Change::Update { id, fields, .. } => push_update("app", id, fields),
            Change::Unchanged { .. } => unchanged += 1,
        }
    }
    for c in &p.plan.services {
        match c {
            Change::Create { id, record, sources: s, notes } => creates.push(CreateRow {
                kind: "service".into(),
                id: id.clone(),
                detail: format!(
                    "{} · {} {} plan {} · apps {}",
                    record.name,
                    record.vendor,
                    record.product,
                    record.plan,
                    if record.apps.is_empty() { "none".to_string() } else { record.apps.join(", ") }
                ),
                sources: sources(s),
                notes: notes.clone(),
            }),
            Change::Update { id, fields, .. } => push_update("service", id, fields),
            Change::Unchanged { .. } => unchanged += 1,
        }
    }
    Ok(ImportPageData {
        can_import,
        draft_error: None,
        refused: None,
        preview: Some(PreviewView {
            draft,
            plan_hash: p.plan_hash.clone(),
            creates,
            updates,
            unchanged,
            unmapped: p
                .plan
                .unmapped
                .iter()
                .map(|u| UnmappedRow { file: u.file.clone(), line: u.line, reason: u.reason.clone() })
                .collect(),
            absent: p
                .plan
                .absent
                .iter()
                .map(|a| (format!("{:?}", a.kind).to_lowercase(), a.id.clone(), a.reason.clone()))
                .collect(),
        }),
    })
}
