//! Integration tests of the engine: small chains whose answers are computed by hand, an
//! analytical inventory check, properties (conservation, determinism) over random chains, and
//! the bilateral trade record.

mod adaptation;
mod analytical;
mod announce;
mod authority;
mod hand;
mod holds;
mod mechanics;
mod properties;
mod support;
mod trade;
mod validation;
