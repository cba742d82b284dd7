//! Integration tests of mace-core.
//!
//! - `toy`: MACE and IS on the 2-D problem with a known answer (its acceptance test).
//! - `edge_cases`: ties, zero scores, invalid scores, non-finite losses, config errors, stops.

mod edge_cases;
mod toy;
