//! Images of the store (SPEC §13): a voucher's picture and a merchant's logo,
//! uploaded once by the operator, checked (a real PNG, JPEG or WebP; its size
//! and aspect those of its kind, as seed 001 specifies them), kept by a hash of
//! their bytes, and served only as resized variants of a few fixed widths —
//! never the original at whatever size it was uploaded into a phone.
//!
//! A variant is made on its first request and kept in the database; every
//! answer is immutable (a new picture is a new id).

use serde::{Deserialize, Serialize};

#[cfg(feature = "server")]
pub use server::*;

/// What a picture is for: its aspect, smallest size and display width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A voucher's picture on its card and screen: 16:9, shown 353 px wide (seed 001's banner).
    Voucher,
    /// A merchant's logo: square, shown at 56 px.
    Logo,
    /// A partner's logo in the webview's header: 12:5, shown 96×40 (seed 001).
    HeaderLogo,
    /// A partner's coin beside a balance: square, shown 20×20 (seed 001).
    Coin,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "voucher" => Some(Kind::Voucher),
            "logo" => Some(Kind::Logo),
            "header_logo" => Some(Kind::HeaderLogo),
            "coin" => Some(Kind::Coin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Voucher => "voucher",
            Kind::Logo => "logo",
            Kind::HeaderLogo => "header_logo",
            Kind::Coin => "coin",
        }
    }

    /// Width : height.
    fn aspect(self) -> (u32, u32) {
        match self {
            Kind::Voucher => (16, 9),
            Kind::Logo | Kind::Coin => (1, 1),
            Kind::HeaderLogo => (12, 5),
        }
    }

    /// The size it is shown at, in CSS pixels.
    pub fn display(self) -> (u32, u32) {
        match self {
            Kind::Voucher => (353, 199),
            Kind::Logo => (56, 56),
            Kind::HeaderLogo => (96, 40),
            Kind::Coin => (20, 20),
        }
    }

    /// The widths variants are made at: 1×, 2× and 3× the display width.
    pub fn widths(self) -> [u32; 3] {
        let w = self.display().0;
        [w, 2 * w, 3 * w]
    }

    /// Whether `width × height` is this kind's shape (within 2 %) and not smaller than it is shown.
    pub fn fits(self, width: u32, height: u32) -> Result<(), String> {
        let (aw, ah) = self.aspect();
        let (dw, dh) = self.display();
        let ratio = (width as f64 / height as f64) / (aw as f64 / ah as f64);
        if !(0.98..=1.02).contains(&ratio) {
            return Err(format!("is {width}×{height}: a {} image must be {aw}:{ah}", self.as_str()));
        }
        if width < dw || height < dh {
            return Err(format!("is {width}×{height}: at least {dw}×{dh} is needed"));
        }
        Ok(())
    }
}

/// An image as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ImageRef {
    /// Name it as `imageId` (a voucher) or `logoImageId` (a merchant).
    pub image_id: String,
    pub kind: Kind,
    pub width: u32,
    pub height: u32,
    /// The variant at its display width; `{url}` with `/706` or `/1059` for 2× and 3×.
    pub url: String,
}

/// Whether `id` has the form of an image's id (32 lowercase hex digits, a hash of its bytes).
pub fn is_image_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The path of a variant.
pub fn variant_path(id: &str, width: u32) -> String {
    format!("/images/{id}/{width}")
}

/// `src` (the 1× variant) and a `srcset` of every variant by width, for an `<img>` of `kind`.
pub fn srcset(id: &str, kind: Kind) -> (String, String) {
    let widths = kind.widths();
    let set = widths.iter().map(|w| format!("{} {w}w", variant_path(id, *w))).collect::<Vec<_>>().join(", ");
    (variant_path(id, widths[0]), set)
}

#[cfg(feature = "server")]
mod server {
    use super::*;
    use crate::{clock::now_ms, db::Db, error::ApiError};
    use image::{DynamicImage, ImageFormat, ImageReader, Limits, imageops::FilterType};
    use sha2::{Digest, Sha256};
    use std::io::Cursor;

    /// An upload may be at most this big.
    pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;
    /// …and at most this many pixels a side.
    const MAX_SIDE: u32 = 4096;

    fn invalid(why: String) -> ApiError {
        ApiError::validation(vec![("image", why)])
    }

    /// Decodes `bytes` within the size limits (a decompression bomb is refused before it is unpacked).
    pub(super) fn decode(bytes: &[u8]) -> Result<(DynamicImage, ImageFormat), String> {
        let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| e.to_string())?;
        let format = reader.format().ok_or("is not a PNG, JPEG or WebP image")?;
        if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP) {
            return Err(format!("is {format:?}: send a PNG, JPEG or WebP image"));
        }
        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_SIDE);
        limits.max_image_height = Some(MAX_SIDE);
        limits.max_alloc = Some(256 * 1024 * 1024);
        reader.limits(limits);
        let image = reader.decode().map_err(|e| format!("could not be read: {e}"))?;
        Ok((image, format))
    }

    /// Checks and keeps an uploaded image; the same bytes twice are one image.
    pub async fn upload(db: &Db, kind: Kind, bytes: &[u8]) -> Result<ImageRef, ApiError> {
        if bytes.len() > MAX_UPLOAD_BYTES {
            return Err(invalid(format!("is {} bytes: at most {MAX_UPLOAD_BYTES}", bytes.len())));
        }
        let owned = bytes.to_vec();
        // Decoding is CPU work: off the async threads.
        let (width, height, format) = tokio::task::spawn_blocking(move || decode(&owned).map(|(i, f)| (i.width(), i.height(), f)))
            .await
            .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?
            .map_err(invalid)?;
        kind.fits(width, height).map_err(invalid)?;
        let id = hex::encode(&Sha256::digest(bytes)[..16]);
        sqlx::query(
            "INSERT INTO images (id, kind, content_type, width, height, bytes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&id)
        .bind(kind.as_str())
        .bind(format.to_mime_type())
        .bind(i64::from(width))
        .bind(i64::from(height))
        .bind(bytes.to_vec())
        .bind(now_ms())
        .execute(db.write_pool())
        .await?;
        Ok(ImageRef { url: variant_path(&id, kind.display().0), image_id: id, kind, width, height })
    }

    /// The kind of a stored image, or `None` when there is none with that id.
    pub async fn kind_of(db: &Db, id: &str) -> Result<Option<Kind>, ApiError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT kind FROM images WHERE id = $1").bind(id).fetch_optional(db.pool()).await?;
        Ok(row.and_then(|(k,)| Kind::parse(&k)))
    }

    /// For an input naming an image: it exists and is of `kind`.
    pub async fn check_ref(db: &Db, field: &str, id: Option<&str>, kind: Kind) -> Result<(), ApiError> {
        let Some(id) = id else { return Ok(()) };
        match kind_of(db, id).await? {
            Some(k) if k == kind => Ok(()),
            Some(k) => Err(ApiError::validation(vec![(field, format!("is a {} image; a {} image is needed", k.as_str(), kind.as_str()))])),
            None => Err(ApiError::validation(vec![(field, "names no uploaded image (POST /admin/images)".into())])),
        }
    }

    /// A variant: (content type, bytes). Made once, then read back.
    pub async fn variant(db: &Db, id: &str, width: u32) -> Result<(String, Vec<u8>), ApiError> {
        let gone = || ApiError::not_found("No such image.");
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(gone());
        }
        let kept: Option<(String, Vec<u8>)> =
            sqlx::query_as("SELECT content_type, bytes FROM image_variants WHERE image_id = $1 AND width = $2")
                .bind(id)
                .bind(i64::from(width))
                .fetch_optional(db.pool())
                .await?;
        if let Some(found) = kept {
            return Ok(found);
        }
        let original: Option<(String, Vec<u8>)> =
            sqlx::query_as("SELECT kind, bytes FROM images WHERE id = $1").bind(id).fetch_optional(db.pool()).await?;
        let (kind, bytes) = original.ok_or_else(gone)?;
        let kind = Kind::parse(&kind).ok_or_else(gone)?;
        if !kind.widths().contains(&width) {
            return Err(gone());
        }
        let (content_type, made) = tokio::task::spawn_blocking(move || resize(&bytes, width))
            .await
            .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?
            .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
        sqlx::query(
            "INSERT INTO image_variants (image_id, width, content_type, bytes, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (image_id, width) DO NOTHING",
        )
        .bind(id)
        .bind(i64::from(width))
        .bind(&content_type)
        .bind(&made)
        .bind(now_ms())
        .execute(db.write_pool())
        .await?;
        Ok((content_type, made))
    }

    /// `bytes` at `width` (never wider than the original): PNG when it has
    /// transparency (logos), else JPEG at quality 82 (photos).
    pub(super) fn resize(bytes: &[u8], width: u32) -> Result<(String, Vec<u8>), String> {
        let (image, _) = decode(bytes)?;
        let width = width.min(image.width());
        let height = ((image.height() as f64) * (width as f64) / (image.width() as f64)).round().max(1.0) as u32;
        let scaled = image.resize_exact(width, height, FilterType::Lanczos3);
        let mut out = Cursor::new(Vec::new());
        if scaled.color().has_alpha() {
            scaled.write_to(&mut out, ImageFormat::Png).map_err(|e| e.to_string())?;
            Ok(("image/png".into(), out.into_inner()))
        } else {
            let rgb = DynamicImage::ImageRgb8(scaled.to_rgb8());
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82).encode_image(&rgb).map_err(|e| e.to_string())?;
            Ok(("image/jpeg".into(), out.into_inner()))
        }
    }

    /// A PNG of `width × height` in one colour with a lighter diagonal band
    /// (the demo catalog's pictures, and tests').
    pub fn sample_png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| {
            let band = ((x + y) / 24) % 2 == 0;
            let lift = |c: u8| if band { c.saturating_add(28) } else { c };
            image::Rgb([lift(rgb[0]), lift(rgb[1]), lift(rgb[2])])
        });
        let mut out = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(image).write_to(&mut out, ImageFormat::Png).expect("a PNG encodes into memory");
        out.into_inner()
    }
}

#[cfg(all(test, feature = "server"))]
mod tests {
    use super::server::{decode, resize};
    use super::*;

    #[test]
    fn each_kind_takes_its_shape_and_no_smaller_than_it_is_shown() {
        assert!(Kind::Voucher.fits(1280, 720).is_ok());
        assert!(Kind::Voucher.fits(353, 199).is_ok(), "seed 001's banner size itself");
        assert!(Kind::Voucher.fits(800, 800).unwrap_err().contains("16:9"));
        assert!(Kind::Voucher.fits(320, 180).unwrap_err().contains("at least 353×199"));
        assert!(Kind::Logo.fits(512, 512).is_ok());
        assert!(Kind::Logo.fits(512, 300).is_err());
        assert!(Kind::Logo.fits(40, 40).is_err());
        assert!(Kind::HeaderLogo.fits(96, 40).is_ok() && Kind::HeaderLogo.fits(288, 120).is_ok());
        assert!(Kind::HeaderLogo.fits(96, 96).unwrap_err().contains("12:5"));
        assert!(Kind::HeaderLogo.fits(48, 20).unwrap_err().contains("at least 96×40"));
        assert!(Kind::Coin.fits(20, 20).is_ok() && Kind::Coin.fits(60, 40).is_err() && Kind::Coin.fits(16, 16).is_err());
        assert_eq!((Kind::HeaderLogo.widths(), Kind::Coin.widths()), ([96, 192, 288], [20, 40, 60]));
        for kind in [Kind::Voucher, Kind::Logo, Kind::HeaderLogo, Kind::Coin] {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn a_variant_is_the_width_asked_in_the_shape_of_the_original() {
        let png = sample_png(1280, 720, [200, 60, 40]);
        let (kind, bytes) = resize(&png, 353).unwrap();
        assert_eq!(kind, "image/jpeg", "a photo without transparency goes out as JPEG");
        let out = image::load_from_memory(&bytes).unwrap();
        assert_eq!((out.width(), out.height()), (353, 199));
        assert!(bytes.len() < png.len() / 4, "{} of {} bytes", bytes.len(), png.len());
        // Never wider than what was uploaded.
        let small = sample_png(400, 225, [0, 0, 0]);
        let out = image::load_from_memory(&resize(&small, 1059).unwrap().1).unwrap();
        assert_eq!(out.width(), 400);
    }

    #[test]
    fn what_is_not_an_image_is_refused_before_it_is_unpacked() {
        assert!(decode(b"GIF89a not really").is_err());
        assert!(decode(b"hello").is_err());
        // A PNG header announcing 100 000 × 100 000 pixels is refused, never unpacked.
        let mut bomb = sample_png(1, 1, [0, 0, 0]);
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(decode(&bomb).is_err());
    }
}
