//! Self-checking examples of the chokepoint API live in `examples/*.rs`; each asserts its key outcome and also runs as a test.
