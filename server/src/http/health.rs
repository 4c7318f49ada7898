use super::AppState;
use axum::{Json, extract::State};
use serde_json::{Value, json};
use tessera_core::error::ApiError;
use tessera_core::error::ErrorCode;

pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(healthz)).routes(utoipa_axum::routes!(readyz))
}

/// The process is up and answering.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "{\"status\":\"ok\"}")))]
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready to serve traffic: the database answers within 2 s.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "{\"status\":\"ready\",\"database\":\"ok\"}"),
    (status = 503, description = "not_ready", body = tessera_core::error::ErrorBody)))]
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
    ApiError::new(ErrorCode::NotReady, message)
}
