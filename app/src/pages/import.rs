//! Import from the fly CLI: upload a snapshot, review the plan, apply it.

use crate::components::{app_page, field_error};
use crate::import_api::{import_page, PreviewView};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Upload a snapshot folder (or a ZIP), see what would be created, changed and not mapped, and
/// apply it. Engineers and owners import; others are told who can.
#[component]
pub fn Import() -> impl IntoView {
    let q = use_query_map();
    let data = Resource::new(move || q.with(|q| q.get("draft").unwrap_or_default()), import_page);
    app_page("Import", data, |_v, f, d| {
        if !d.can_import {
            return view! {
                <p class="hint">"Only engineers and owners can import from the fly CLI. You can read the inventory and the coverage it produces."</p>
            }
            .into_any();
        }
        let upload_error = field_error(&f, "files");
        view! {
            <p class="lead">"Run "<code>"scripts/fly-snapshot.sh ORG OUTDIR"</code>" (read-only fly commands), then upload the folder or a ZIP of it. Nothing changes until you apply the plan; importing the same snapshot again changes nothing."</p>
            {d.draft_error.clone().map(|e| {
                let skips = d.refused.clone().map(|(draft, files)| view! {
                    <p>"The upload is kept for an hour. Skip a file and preview the rest:"</p>
                    <ul class="plain">{files.into_iter().map(|file| view! {
                        <li><form method="post" action="/actions/import/skip" class="row-form">
                            <input type="hidden" name="draft" value=draft.clone() />
                            <input type="hidden" name="file" value=file.clone() />
                            <button type="submit" class="small secondary">{format!("Skip {file} and preview the rest")}</button>
                        </form></li>
                    }).collect_view()}</ul>
                });
                view! { <div class="flash error" role="alert"><pre class="import-errors">{e}</pre>{skips}</div> }
            })}
            {d.preview.clone().map(preview)}
            <section class="card" aria-labelledby="upload-h">
                <h2 id="upload-h">"Upload a snapshot"</h2>
                <form method="post" action="/actions/import/preview" enctype="multipart/form-data" class="stack narrow" aria-label="Upload a snapshot">
                    <div class="field" class:has-error=upload_error.is_some()>
                        <label for="import-folder">"Snapshot folder"</label>
                        {folder_input()}
                    </div>
                    <div class="field">
                        <label for="import-files">"Or the snapshot's files"</label>
                        <input id="import-files" type="file" name="files" multiple=true />
                    </div>
                    <div class="field">
                        <label for="import-zip">"Or a ZIP of the folder"</label>
                        <input id="import-zip" type="file" name="zip" accept=".zip,application/zip" />
                    </div>
                    {upload_error.map(|e| view! { <pre class="field-error import-errors" role="alert">{e}</pre> })}
                    <button type="submit">"Preview import"</button>
                </form>
            </section>
        }
        .into_any()
    })
}

/// `webkitdirectory` (choose a folder) is not among Leptos' typed attributes.
fn folder_input() -> impl IntoView {
    leptos::html::input()
        .attr("id", "import-folder")
        .attr("type", "file")
        .attr("name", "files")
        .attr("multiple", "")
        .attr("webkitdirectory", "")
}

fn preview(p: PreviewView) -> impl IntoView {
    let nothing = p.creates.is_empty() && p.updates.is_empty();
    let summary = format!(
        "{} to create, {} field changes, {} unchanged, {} not mapped.",
        p.creates.len(),
        p.updates.len(),
        p.unchanged,
        p.unmapped.len()
    );
    view! {
        <section class="card" aria-labelledby="plan-h">
            <h2 id="plan-h">"Import plan"</h2>
            <p>{summary}</p>
            {(!p.creates.is_empty()).then(|| view! {
                <h3 id="creates-h">"To create"</h3>
                <div class="table-wrap" tabindex="0"><table aria-labelledby="creates-h">
                    <thead><tr><th scope="col">"Kind"</th><th scope="col">"Id"</th><th scope="col">"What"</th><th scope="col">"From"</th><th scope="col">"Notes"</th></tr></thead>
                    <tbody>{p.creates.iter().map(|c| view! {
                        <tr><td>{c.kind.clone()}</td><td><code>{c.id.clone()}</code></td><td>{c.detail.clone()}</td><td>{c.sources.clone()}</td><td>{c.notes.join(" ")}</td></tr>
                    }).collect_view()}</tbody>
                </table></div>
            })}
            {(!p.updates.is_empty()).then(|| view! {
                <h3 id="updates-h">"To change"</h3>
                <div class="table-wrap" tabindex="0"><table aria-labelledby="updates-h">
                    <thead><tr><th scope="col">"Kind"</th><th scope="col">"Id"</th><th scope="col">"Field"</th><th scope="col">"Now"</th><th scope="col">"After the import"</th></tr></thead>
                    <tbody>{p.updates.iter().map(|u| view! {
                        <tr><td>{u.kind.clone()}</td><td><code>{u.id.clone()}</code></td><td>{u.field.clone()}</td><td>{u.before.clone()}</td><td>{u.after.clone()}</td></tr>
                    }).collect_view()}</tbody>
                </table></div>
            })}
            {(!p.unmapped.is_empty()).then(|| view! {
                <h3 id="unmapped-h">"Not mapped"</h3>
                <p class="hint">"The import cannot turn these into records. Record them by hand where the reason says so."</p>
                <div class="table-wrap" tabindex="0"><table aria-labelledby="unmapped-h">
                    <thead><tr><th scope="col">"File"</th><th scope="col">"Line"</th><th scope="col">"Why"</th></tr></thead>
                    <tbody>{p.unmapped.iter().map(|u| view! {
                        <tr><td><code>{u.file.clone()}</code></td><td>{u.line.map(|l| l.to_string()).unwrap_or_default()}</td><td>{u.reason.clone()}</td></tr>
                    }).collect_view()}</tbody>
                </table></div>
            })}
            {(!p.absent.is_empty()).then(|| view! {
                <h3 id="absent-h">"No longer in the snapshot (not removed)"</h3>
                <ul>{p.absent.iter().map(|(k, id, why)| view! { <li>{format!("{k} {id}: {why}")}</li> }).collect_view()}</ul>
            })}
            {if nothing {
                view! { <p class="hint">"The inventory already matches this snapshot: nothing to apply."</p> }.into_any()
            } else {
                view! {
                    <form method="post" action="/actions/import/apply" aria-label="Apply the import">
                        <input type="hidden" name="draft" value=p.draft.clone() />
                        <input type="hidden" name="plan_hash" value=p.plan_hash.clone() />
                        <button type="submit">"Apply import"</button>
                    </form>
                }
                .into_any()
            }}
        </section>
    }
}
