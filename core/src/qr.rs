//! A redemption code as a QR code a counter's scanner reads off the phone,
//! drawn as SVG on the server (the browser bundle carries no encoder).

use qrcode::{EcLevel, QrCode, render::svg};

/// The code as an inline `<svg>` (no XML declaration), black modules on
/// white with the quiet zone, scaled by its container; `None` for a code too
/// long for a QR code.
pub fn svg(code: &str) -> Option<String> {
    let qr = QrCode::with_error_correction_level(code.as_bytes(), EcLevel::M).ok()?;
    let image = qr.render::<svg::Color>().min_dimensions(200, 200).dark_color(svg::Color("#000000")).light_color(svg::Color("#ffffff")).build();
    let start = image.find("<svg")?;
    Some(image[start..].to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_code_becomes_an_inline_svg_and_nothing_else() {
        let svg = super::svg("KOPI-7F3A-9Q").unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        assert!(!svg.contains("<?xml") && !svg.contains("<script"));
        assert!(super::svg(&"x".repeat(5000)).is_none(), "too long for a QR code");
    }
}
