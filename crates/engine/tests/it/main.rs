//! Integration tests of the engine: small chains whose answers are computed by hand, an
//! analytical inventory check, and properties (conservation, determinism) over random chains.

mod analytical;
mod hand;
mod mechanics;
mod properties;
mod support;
mod validation;
