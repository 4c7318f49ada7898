use super::AppState;
use axum::{Json, extract::State};
use serde_json::{Value, json};
use tessera_core::error::ApiError;

/// The process is up and answering.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready to serve traffic: the database answers.
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let db = &state.platform.db;
    match tokio::time::timeout(crate::serve::READINESS_TIMEOUT, db.ping()).await {
        Ok(Ok(())) => Ok(Json(json!({ "status": "ready", "database": "ok" }))),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: database unreachable");
            Err(not_ready("The database is not reachable."))
        }
        Err(_) => Err(not_ready("The database did not answer in time.")),
    }
}

fn not_ready(message: &'static str) -> ApiError {
    ApiError::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, "not_ready", message)
}
