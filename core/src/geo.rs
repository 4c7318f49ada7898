//! Coordinates and distances: geodesic, on the WGS84 ellipsoid (the `geo` crate).

use geo::{Distance, Geodesic, Point};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GeoPoint {
    pub lat: f64,
    pub lng: f64,
}

impl GeoPoint {
    pub fn new(lat: f64, lng: f64) -> Result<Self, String> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err("lat must be between -90 and 90".into());
        }
        if !lng.is_finite() || !(-180.0..=180.0).contains(&lng) {
            return Err("lng must be between -180 and 180".into());
        }
        Ok(Self { lat, lng })
    }

    /// `"3.1478,101.7123"` as in `?near=`.
    pub fn parse_pair(s: &str) -> Result<Self, String> {
        let (lat, lng) = s.split_once(',').ok_or("use lat,lng such as 3.1478,101.7123")?;
        let lat = lat.trim().parse::<f64>().map_err(|_| "lat is not a number")?;
        let lng = lng.trim().parse::<f64>().map_err(|_| "lng is not a number")?;
        Self::new(lat, lng)
    }

    /// Metres between two points along the ellipsoid.
    pub fn distance_m(self, other: GeoPoint) -> f64 {
        Geodesic.distance(Point::new(self.lng, self.lat), Point::new(other.lng, other.lat))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_are_geodesic_metres() {
        let klcc = GeoPoint::new(3.1579, 101.7123).unwrap();
        let bukit_bintang = GeoPoint::new(3.1466, 101.7101).unwrap();
        let d = klcc.distance_m(bukit_bintang);
        assert!((1200.0..1350.0).contains(&d), "{d}");
        assert_eq!(klcc.distance_m(klcc), 0.0);
    }

    #[test]
    fn parses_and_checks_ranges() {
        assert!(GeoPoint::parse_pair("3.1,101.7").is_ok());
        assert!(GeoPoint::parse_pair("91,0").is_err());
        assert!(GeoPoint::parse_pair("0,181").is_err());
        assert!(GeoPoint::parse_pair("NaN,0").is_err());
        assert!(GeoPoint::parse_pair("3.1").is_err());
    }
}
