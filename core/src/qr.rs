//! A redemption code as a QR code and a Code 128 barcode a counter's scanner
//! reads off the phone, drawn as SVG on the server (the browser bundle
//! carries no encoder).

use qrcode::{EcLevel, QrCode, render::svg};

/// The code as an inline `<svg>` (no XML declaration), black modules on
/// white with the quiet zone, scaled by its container; `None` for a code too
/// long for a QR code.
pub fn svg(code: &str) -> Option<String> {
    let qr = QrCode::with_error_correction_level(code.as_bytes(), EcLevel::M).ok()?;
    let image =
        qr.render::<svg::Color>().min_dimensions(200, 200).dark_color(svg::Color("#000000")).light_color(svg::Color("#ffffff")).build();
    let start = image.find("<svg")?;
    Some(image[start..].to_string())
}

/// Modules of white on each side of the bars (Code 128 asks for at least 10).
const QUIET_ZONE: usize = 10;

/// The code as a Code 128 barcode (character set B: printable ASCII), an
/// inline `<svg>` whose bars stretch to the container's width; `None` for a
/// code set B cannot carry (non-ASCII) or too long to scan from a phone.
pub fn barcode_svg(code: &str) -> Option<String> {
    if code.is_empty() || code.len() > 40 || !code.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    let modules = barcoders::sym::code128::Code128::new(format!("\u{0181}{code}")).ok()?.encode();
    let width = modules.len() + 2 * QUIET_ZONE;
    let mut bars = String::new();
    let mut x = 0;
    while x < modules.len() {
        let run = modules[x..].iter().take_while(|m| **m == modules[x]).count();
        if modules[x] == 1 {
            bars.push_str(&format!("<rect x=\"{}\" y=\"0\" width=\"{run}\" height=\"60\"/>", x + QUIET_ZONE));
        }
        x += run;
    }
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} 60\" preserveAspectRatio=\"none\" shape-rendering=\"crispEdges\">\
         <rect width=\"{width}\" height=\"60\" fill=\"#ffffff\"/><g fill=\"#000000\">{bars}</g></svg>"
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_code_becomes_a_code_128_barcode_with_its_quiet_zones() {
        let svg = super::barcode_svg("KOPI-7F3A-9Q").unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>") && !svg.contains("<script"), "{svg}");
        // Start B + 12 characters + checksum, 11 modules each, and the 13-module stop; 10 white each side.
        let modules = (1 + 12 + 1) * 11 + 13;
        assert!(svg.contains(&format!("viewBox=\"0 0 {} 60\"", modules + 20)), "{svg}");
        // Every Code 128 symbol is three bars and three spaces; the stop has four bars.
        assert_eq!(svg.matches("<rect x=").count(), (1 + 12 + 1) * 3 + 4);
        assert!(svg.contains("<rect x=\"10\" y=\"0\" width=\"2\""), "starts after the quiet zone with Start B's 2-module bar: {svg}");
        assert_ne!(svg, super::barcode_svg("KOPI-7F3A-9R").unwrap());
        assert!(super::barcode_svg("KÖPI").is_none() && super::barcode_svg("").is_none());
        assert!(super::barcode_svg(&"X".repeat(41)).is_none());
    }

    #[test]
    fn a_code_becomes_an_inline_svg_and_nothing_else() {
        let svg = super::svg("KOPI-7F3A-9Q").unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        assert!(!svg.contains("<?xml") && !svg.contains("<script"));
        assert!(super::svg(&"x".repeat(5000)).is_none(), "too long for a QR code");
    }
}
