//! `chokepoint check`: validate scenario files without running them.

use std::path::PathBuf;

use crate::Format;
use crate::failure::Failure;

/// Checks every file; returns whether all are valid.
pub fn check(files: &[PathBuf], format: Format) -> Result<bool, Failure> {
    let mut all_valid = true;
    let mut documents = Vec::new();
    for file in files {
        let (report, valid, observed) =
            match chokepoint_scenario::load_path(file, &mut chokepoint::report::files::read_scenario) {
                Ok(loaded) => {
                    // The observation files a scenario names are checked with it.
                    let observed = if loaded.scenario.backtest.observed.is_empty() {
                        None
                    } else {
                        Some(
                            chokepoint::backtest::observations(file, &loaded.scenario)
                                .map(|o| o.len())
                                .map_err(|e| crate::run::rejected(file, e)),
                        )
                    };
                    let valid = !matches!(observed, Some(Err(_)));
                    (loaded.warnings, valid, observed)
                }
                Err(report) => (report, false, None),
            };
        all_valid &= valid;
        let observed_text = match &observed {
            Some(Err(failure)) => Some(failure.render()),
            _ => None,
        };
        match format {
            Format::Text => {
                eprint!("{}", report.render(crate::failure::colour()));
                if let Some(text) = &observed_text {
                    eprintln!("{text}");
                }
                let (errors, warnings) = (report.n_errors(), report.n_warnings());
                let plural = |n: usize| if n == 1 { "" } else { "s" };
                if valid {
                    let observations = match observed {
                        Some(Ok(n)) => format!(", {n} observation{}", plural(n)),
                        _ => String::new(),
                    };
                    outln!("{}: ok ({warnings} warning{}{observations})", file.display(), plural(warnings));
                } else if observed_text.is_some() {
                    eprintln!("{}: its observation files are invalid", file.display());
                } else {
                    eprintln!(
                        "{}: {errors} error{}, {warnings} warning{}",
                        file.display(),
                        plural(errors),
                        plural(warnings)
                    );
                }
            }
            Format::Json => documents.push(serde_json::json!({
                "file": file.display().to_string(),
                "valid": valid,
                "errors": report.n_errors(),
                "warnings": report.n_warnings(),
                "diagnostics": report.to_json(),
                "observations": observed_text,
            })),
        }
    }
    if format == Format::Json {
        let out = serde_json::json!({ "valid": all_valid, "files": documents });
        let text = serde_json::to_string_pretty(&out)
            .map_err(|e| Failure::new(format!("cannot write JSON: {e}"), "report this as a bug"))?;
        outln!("{text}");
    }
    Ok(all_valid)
}
