//! For development and trying Tessera out, never a production rule: the demo
//! partner, catalog and user ([`demo`]) and the sandbox partners' fake backend
//! ([`sandbox`]). Re-exported at the crate root.

pub mod demo;
pub mod sandbox;
