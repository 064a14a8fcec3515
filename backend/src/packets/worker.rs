//! The packet workers: claim a queued packet (one per workspace at a time, safe with several
//! instances on one database), make the PDF and the bundle, store them, record the outcome.

use super::*;

/// A queued packet a worker took.
struct Claimed {
    id: String,
    workspace_id: String,
    created_by: String,
    as_of: NaiveDate,
    period_from: Option<NaiveDate>,
}

/// Takes the oldest queued packet of a workspace that has none running, and marks it running.
/// The workspace row is locked first, so two workers never run two packets of one workspace.
async fn claim_next(b: &Backend) -> AppResult<Option<Claimed>> {
    let candidates = sqlx::query(
        "SELECT p.id, p.workspace_id FROM packets p WHERE p.status = 'queued' AND NOT EXISTS \
         (SELECT 1 FROM packets r WHERE r.workspace_id = p.workspace_id AND r.status = 'running') \
         ORDER BY p.created_at, p.id LIMIT 20",
    )
    .fetch_all(&b.db.pool)
    .await?;
    for c in &candidates {
        let id: String = c.try_get("id")?;
        let ws: String = c.try_get("workspace_id")?;
        let mut tx = b.db.begin_write().await?;
        sqlx::query("UPDATE workspaces SET require_2fa = require_2fa WHERE id = $1")
            .bind(&ws)
            .execute(&mut *tx)
            .await?;
        let taken = sqlx::query(
            "UPDATE packets SET status = 'running', progress = 5, stage = 'Starting' WHERE id = $1 AND status = 'queued' \
             AND NOT EXISTS (SELECT 1 FROM packets r WHERE r.workspace_id = $2 AND r.status = 'running')",
        )
        .bind(&id)
        .bind(&ws)
        .execute(&mut *tx)
        .await?;
        if taken.rows_affected() != 1 {
            continue;
        }
        let row = sqlx::query("SELECT as_of, created_by, period_from FROM packets WHERE id = $1")
            .bind(&id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        let as_of: String = row.try_get("as_of")?;
        let as_of = as_of
            .parse::<NaiveDate>()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("packet {id} as_of {as_of:?}: {e}")))?;
        let period_from =
            row.try_get::<Option<String>, _>("period_from")?.and_then(|d| d.parse::<NaiveDate>().ok());
        return Ok(Some(Claimed {
            id,
            workspace_id: ws,
            created_by: row.try_get("created_by")?,
            as_of,
            period_from,
        }));
    }
    Ok(None)
}

/// One packet worker: generates queued packets until shutdown.
pub async fn run_worker(b: Backend, n: usize, shutdown: crate::mail::tokio_util_shutdown::Shutdown) {
    loop {
        match claim_next(&b).await {
            Ok(Some(c)) => {
                run_claimed(&b, &c).await;
                // Another packet may be waiting: look again at once.
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::error!(worker = n, error = ?e, "taking a queued evidence packet failed"),
        }
        tokio::select! {
            _ = b.wake.packets.notified() => {}
            _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
            _ = shutdown.wait() => return,
        }
    }
}

async fn run_claimed(b: &Backend, c: &Claimed) {
    let result = async {
        // The packet is made as its requester, with their role now: someone who lost access
        // since asking gets nothing.
        let v =
            crate::accounts::member_viewer(b, &c.created_by, &c.workspace_id).await?.ok_or_else(|| {
                AppError::Forbidden(
                    "The person who asked for this packet is no longer a member of the workspace.".into(),
                )
            })?;
        generate(b, &v, &c.id, c.as_of, c.period_from).await
    }
    .await;
    if let Err(e) = result {
        let message = match &e {
            AppError::Internal(inner) => {
                tracing::error!(packet = %c.id, error = %inner, "generating an evidence packet failed");
                "Generating the packet failed (see the server log); try again.".to_string()
            }
            other => other.public_message(),
        };
        if let Err(e2) = finish_failed(b, &c.id, &message).await {
            tracing::error!(packet = %c.id, error = ?e2, "recording a failed packet failed");
        }
    }
    // A packet of the same workspace may have waited for this one.
    b.wake.packets.notify_one();
}

async fn progress(b: &Backend, id: &str, status: &str, pct: i64, stage: &str) -> AppResult<()> {
    sqlx::query("UPDATE packets SET status = $1, progress = $2, stage = $3 WHERE id = $4")
        .bind(status)
        .bind(pct)
        .bind(stage)
        .bind(id)
        .execute(&b.db.pool)
        .await?;
    Ok(())
}

async fn finish_failed(b: &Backend, id: &str, message: &str) -> AppResult<()> {
    sqlx::query(
        "UPDATE packets SET status = 'failed', stage = 'Failed', error = $1, finished_at = $2 WHERE id = $3",
    )
    .bind(message)
    .bind(b.clock.now())
    .bind(id)
    .execute(&b.db.pool)
    .await?;
    Ok(())
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{e}"))
}

/// Runs `f` on the blocking pool with the bundle writer, handing the writer back.
async fn with_writer<T: Send + 'static>(
    w: BundleWriter<std::fs::File>,
    f: impl FnOnce(&mut BundleWriter<std::fs::File>) -> Result<T, anyhow::Error> + Send + 'static,
) -> AppResult<(BundleWriter<std::fs::File>, T)> {
    tokio::task::spawn_blocking(move || {
        let mut w = w;
        let out = f(&mut w)?;
        Ok::<_, anyhow::Error>((w, out))
    })
    .await
    .map_err(internal)?
    .map_err(internal)
}

async fn generate(
    b: &Backend,
    v: &Viewer,
    id: &str,
    as_of: NaiveDate,
    period_from: Option<NaiveDate>,
) -> AppResult<()> {
    progress(b, id, "running", 10, "Assembling the record").await?;
    let (data, to_bundle, entries) = gather(b, v, id, as_of, period_from).await?;
    progress(b, id, "running", 40, "Drawing the PDF").await?;
    let for_pdf = data.clone();
    let pdf = Bytes::from(
        tokio::task::spawn_blocking(move || packet::render_pdf(&for_pdf))
            .await
            .map_err(internal)?
            .map_err(internal)?,
    );
    let pdf_sha = hex::encode(Sha256::digest(&pdf));
    b.documents.put_key(&format!("packets/{id}.pdf"), pdf.clone()).await?;
    progress(b, id, "running", 60, "Packing the bundle").await?;
    // The bundle goes to a temporary file, one document in memory at a time.
    let file = tempfile::tempfile().map_err(internal)?;
    let w = BundleWriter::new(file, PacketMeta::of(&data));
    let (mut w, ()) = with_writer(w, move |w| w.add_pdf(&pdf)).await?;
    for (title, d) in to_bundle {
        let bytes = b.documents.get_blob(&d.version.sha256).await?;
        let name = format!("{title} v{} {}", d.version.version, d.version.file_name);
        (w, _) = with_writer(w, move |w| w.add_document(&name, bytes.as_ref())).await?;
    }
    let mut jsonl = String::new();
    for e in &entries {
        jsonl.push_str(&serde_json::to_string(e).map_err(internal)?);
        jsonl.push('\n');
    }
    let (w, ()) = with_writer(w, move |w| w.add_audit_excerpt(jsonl.as_bytes())).await?;
    let key = b.packet_key.clone();
    let (file, manifest_sha) =
        tokio::task::spawn_blocking(move || w.finish(&key)).await.map_err(internal)?.map_err(internal)?;
    progress(b, id, "running", 85, "Storing the bundle").await?;
    let (zip_sha, zip_size) = b.documents.put_file(&format!("packets/{id}.zip"), file).await?;
    let zip_size = i64::try_from(zip_size).unwrap_or(i64::MAX);
    let key_id = b.packet_key.key_id().to_string();
    let now = b.clock.now();
    let mut tx = b.db.begin_write().await?;
    sqlx::query(
        "UPDATE packets SET status = 'done', progress = 100, stage = 'Done', finished_at = $1, pdf_sha256 = $2, \
         bundle_sha256 = $3, bundle_size = $4, manifest_sha256 = $5, signing_key_id = $6 WHERE id = $7",
    )
    .bind(now)
    .bind(&pdf_sha)
    .bind(&zip_sha)
    .bind(zip_size)
    .bind(&manifest_sha)
    .bind(&key_id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Event::by(v, "packet.generated", ("packet", id, &format!("Evidence packet as of {as_of}")))
        .after(serde_json::json!({
            "as_of": as_of.to_string(),
            "pdf_sha256": pdf_sha,
            "bundle_sha256": zip_sha,
            "bundle_size": zip_size,
            "manifest_sha256": manifest_sha,
            "signing_key": key_id,
            "audit_head": data.audit.head_hash,
        }))
        .record(&mut tx, now)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Marks packets left running by a previous process as failed (queued ones stay queued and
/// are made by the workers). Call once at server start, before serving.
pub async fn fail_interrupted(b: &Backend) -> AppResult<u64> {
    let r = sqlx::query(
        "UPDATE packets SET status = 'failed', stage = 'Failed', error = 'interrupted by a restart; generate it again', \
         finished_at = $1 WHERE status = 'running'",
    )
    .bind(b.clock.now())
    .execute(&b.db.pool)
    .await?;
    Ok(r.rows_affected())
}
