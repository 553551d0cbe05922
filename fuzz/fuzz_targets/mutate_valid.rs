//! A valid file that uses every key, with arbitrary bytes spliced in: reaches the
//! validation of every key, not only the TOML parser. A scenario that loads must also
//! pass the engine's own checks (or be refused by them with errors, not a panic).
#![no_main]

use libfuzzer_sys::fuzz_target;

const VALID: &str = include_str!("../../crates/scenario/tests/data/valid/every-key.toml");

fuzz_target!(|data: &[u8]| {
    let (head, insert) = match data.split_first() {
        Some((&position, rest)) => (position as usize * VALID.len() / 256, rest),
        None => (0, data),
    };
    let mut text = VALID.as_bytes()[..head].to_vec();
    text.extend_from_slice(insert);
    // Drop as many bytes as were inserted, so values are replaced as well as added.
    let skip = (head + insert.len()).min(VALID.len());
    text.extend_from_slice(&VALID.as_bytes()[skip..]);
    let text = String::from_utf8_lossy(&text);
    match chokepoint_scenario::load_str("mutant.toml", &text) {
        Ok(loaded) => {
            // A valid mutant also runs (small ones only, to keep the fuzzer fast): the engine
            // must not panic on any model the loader accepts, and must conserve every product.
            let model = &loaded.scenario.model;
            if model.horizon_days <= 400
                && model.facilities.len() + model.sinks.len() <= 100
                && let Ok(plan) = chokepoint_engine::Plan::new(model)
            {
                let result = plan.run(chokepoint_engine::RunConfig { seed: 1, replicate: 0 });
                assert!(result.ledgers.iter().all(|l| l.imbalance() == 0), "{:?}", result.ledgers);
            }
        }
        Err(report) => {
            let _ = report.render(false);
        }
    }
});
