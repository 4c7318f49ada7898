//! The store's pictures over HTTP (SPEC §13): the operator uploads one
//! (`POST /admin/images`), phones get its resized variants (`GET /images/{id}/{width}`),
//! cached for a year — a new picture is a new id.

use super::{
    AppState,
    extract::{ApiQuery, Operator},
};
use axum::{
    Json,
    body::Bytes,
    extract::{DefaultBodyLimit, Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use tessera_core::{
    error::{ApiError, ErrorBody},
    images::{self, ImageRef, Kind},
};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The upload, with a body limit of its own (the platform's is 64 KB); merged
/// outside the router's general limit.
pub fn upload_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_image))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(images::MAX_UPLOAD_BYTES))
        .layer(DefaultBodyLimit::disable())
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(image_variant))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct UploadQuery {
    /// `voucher` (16:9, at least 353×199) or `logo` (square, at least 56×56).
    kind: String,
}

/// Upload a picture: the body is the PNG, JPEG or WebP file itself (at most
/// 5 MB, 4096 px a side). Its shape and size are checked for its kind; the
/// answer's `imageId` goes into a voucher's `imageId` or a merchant's
/// `logoImageId`. The same file twice is the same image.
#[utoipa::path(post, path = "/admin/images", tag = "admin", security(("operator" = [])),
    params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "image/png", description = "the image file (PNG, JPEG or WebP)"),
    responses(
        (status = 201, body = ImageRef),
        (status = 422, description = "validation_failed (not an image, wrong shape, too small)", body = ErrorBody),
        (status = 413, description = "payload_too_large (over 5 MB)", body = ErrorBody),
        (status = 403, description = "admin_disabled", body = ErrorBody)))]
async fn upload_image(
    _: Operator,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<ImageRef>), ApiError> {
    let kind = Kind::parse(&q.kind).ok_or_else(|| ApiError::validation(vec![("kind", "must be voucher or logo".into())]))?;
    if body.is_empty() {
        return Err(ApiError::validation(vec![("image", "send the image file as the request body".into())]));
    }
    Ok((StatusCode::CREATED, Json(images::upload(&s.platform.db, kind, &body).await?)))
}

/// A picture at one of its kind's widths (1×, 2×, 3× its display width:
/// 353/706/1059 for a voucher, 56/112/168 for a logo); any other width is a 404.
#[utoipa::path(get, path = "/images/{id}/{width}", tag = "webview",
    params(("id" = String, Path), ("width" = u32, Path)),
    responses((status = 200, description = "the image (JPEG, or PNG when it has transparency), cached for a year"),
        (status = 404, description = "not_found", body = ErrorBody)))]
async fn image_variant(State(s): State<AppState>, Path((id, width)): Path<(String, String)>) -> Result<Response, ApiError> {
    let width: u32 = width.parse().map_err(|_| ApiError::not_found("No such image."))?;
    let (content_type, bytes) = images::variant(&s.platform.db, &id, width).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(&content_type).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    Ok(response)
}
