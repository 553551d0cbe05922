//! Arbitrary bytes as a scenario file: loading must return a scenario or a report, never
//! panic or hang, and the report must render.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match chokepoint_scenario::load_str("fuzz.toml", &text) {
        Ok(loaded) => {
            let _ = loaded.warnings.render(false);
        }
        Err(report) => {
            let _ = report.render(false);
            let _ = report.to_json();
        }
    }
});
