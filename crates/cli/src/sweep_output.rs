//! The printed table of `chokepoint sweep` and `chokepoint merge`; their files come from
//! `chokepoint::sweep_files`.

pub use chokepoint::sweep_files::*;

use chokepoint_montecarlo::Aggregate;

/// The printed table: per point, the watched entities' probability and timing of a shortage.
pub fn table(info: &SweepInfo, aggregate: &Aggregate) -> String {
    let mut out = format!(
        "{}\n{} runs per point, seed {}, {} point{}\n",
        info.scenario,
        crate::table::format_units(aggregate.runs as f64),
        aggregate.seed,
        aggregate.points.len(),
        if aggregate.points.len() == 1 { "" } else { "s" }
    );
    for (index, point) in aggregate.points.iter().enumerate() {
        let Some(layout) = &point.layout else { continue };
        out.push_str(&format!("\nPoint {index}: {}\n", info.label(index)));
        let watched: Vec<usize> = if info.watch.is_empty() {
            (0..layout.entities.len()).filter(|&i| layout.entities[i].kind == "sink").collect()
        } else {
            info.watch.iter().filter_map(|id| layout.entities.iter().position(|e| &e.id == id)).collect()
        };
        let header = [
            "entity",
            "P(short)",
            "first short: median (p10-p90)",
            "after disruption",
            "P(recovered)",
            "unmet (mean)",
            "min cover: median (p05)",
        ];
        let mut rows: Vec<[String; 7]> = Vec::new();
        for i in watched {
            let (entity, k) = (&layout.entities[i], &point.kpis[i]);
            let unit = info.units.get(entity.product as usize).map_or("", String::as_str);
            let first = match (
                k.first_short_day.quantile(0.5),
                k.first_short_day.quantile(0.1),
                k.first_short_day.quantile(0.9),
            ) {
                (Some(m), Some(lo), Some(hi)) => {
                    format!("{} ({} to {})", info.date(m), info.date(lo), info.date(hi))
                }
                _ => "never".to_owned(),
            };
            let after =
                k.time_to_survive_days.quantile(0.5).map_or_else(|| "-".to_owned(), |d| format!("{d} d"));
            rows.push([
                entity.id.clone(),
                format!("{:.1} %", ratio(k.short_runs, point.runs) * 100.0),
                first,
                after,
                if k.short_runs == 0 {
                    "-".to_owned()
                } else {
                    format!("{:.1} %", ratio(k.time_to_recover_days.count(), point.runs) * 100.0)
                },
                format!("{} {unit}", crate::table::format_units(k.unmet_units.mean())),
                if k.min_cover_days.count() == 0 {
                    "-".to_owned()
                } else {
                    format!(
                        "{} ({})",
                        crate::table::cover_days(k.min_cover_days.quantile(0.5)),
                        crate::table::cover_days(k.min_cover_days.quantile(0.05))
                    )
                },
            ]);
        }
        out.push_str(&crate::table::render(&header, &rows));
    }
    out.push_str(
        "\n\"P(short)\": share of runs with unmet demand on some day; \"after disruption\": median days from the \
         first disruption to the first shortage, over runs that ran short; \"min cover\": fewest days of use held \
         (stock on hand plus in transit) of the input that ran lowest, median and 5th percentile over runs.\n",
    );
    out
}
