//! `chokepoint check`: validate scenario files without running them.

use std::path::PathBuf;

use crate::{Failure, Format};

/// Checks every file; returns whether all are valid.
pub fn check(files: &[PathBuf], format: Format) -> Result<bool, Failure> {
    let mut all_valid = true;
    let mut documents = Vec::new();
    for file in files {
        let (report, valid) = match chokepoint_scenario::load_path(file, &mut crate::read_file) {
            Ok(loaded) => (loaded.warnings, true),
            Err(report) => (report, false),
        };
        all_valid &= valid;
        match format {
            Format::Text => {
                eprint!("{}", report.render(crate::colour()));
                let (errors, warnings) = (report.n_errors(), report.n_warnings());
                let plural = |n: usize| if n == 1 { "" } else { "s" };
                if valid {
                    outln!("{}: ok ({warnings} warning{})", file.display(), plural(warnings));
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
