//! Benchmarks of chokepoint live in `benches/benches/*.rs`; run them with `cargo bench -p chokepoint-benches`.
