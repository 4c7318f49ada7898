//! How quantities read to a person (pure: compiles to WASM too, so the
//! server's messages and the webview's screens say them the same way).

/// "12 m", "999 m", "1.3 km", "15 km".
pub fn format_distance(m: f64) -> String {
    if m < 1000.0 {
        format!("{m:.0} m")
    } else if m < 10_000.0 {
        format!("{:.1} km", m / 1000.0)
    } else {
        format!("{:.0} km", m / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_read_like_a_person_would_say_them() {
        assert_eq!(format_distance(12.4), "12 m");
        assert_eq!(format_distance(999.0), "999 m");
        assert_eq!(format_distance(1_273.0), "1.3 km");
        assert_eq!(format_distance(3_420.0), "3.4 km");
        assert_eq!(format_distance(15_185.0), "15 km");
    }
}
