//! Results as plain-text tables: the KPI table `chokepoint run` prints, and the table
//! layout every command's printed summary uses.

use chokepoint_engine::EntityKind;

use crate::files::Context;

/// A plain-text table of the watched entities' KPIs (all sinks when none are watched).
pub fn kpi_table(context: &Context<'_>) -> String {
    let scenario = context.scenario;
    let result = context.result;
    let mut out = format!(
        "{}\n{} to {} ({} days), seed {}\n",
        scenario.name,
        scenario.start,
        scenario.date_of(result.horizon_days.saturating_sub(1)),
        result.horizon_days,
        context.seed
    );
    match result.first_disruption_day {
        Some(day) => out.push_str(&format!("First disruption: {} (day {day})\n\n", scenario.date_of(day))),
        None => out.push_str("No disruptive event within the horizon.\n\n"),
    }
    let watched: Vec<usize> = if scenario.report.watch.is_empty() {
        (0..result.entities.len()).filter(|&i| result.entities[i].kind == EntityKind::Sink).collect()
    } else {
        scenario
            .report
            .watch
            .iter()
            .filter_map(|id| result.entities.iter().position(|e| &e.id == id))
            .collect()
    };
    let header = [
        "entity",
        "name",
        "region",
        "runs short",
        "recovers",
        "peak short",
        "unmet",
        "fill rate",
        "min cover",
    ];
    let mut rows: Vec<[String; 9]> = Vec::new();
    for index in watched {
        let entity = &result.entities[index];
        let kpis = &result.kpis[index];
        let unit = &scenario.model.products[entity.product.0 as usize].unit;
        let short = kpis.peak_shortage >= chokepoint_engine::result::RECOVERY_THRESHOLD;
        let survive = match kpis.time_to_survive_days {
            Some(days) => format!(
                "after {days} d ({})",
                scenario.date_of(result.first_disruption_day.unwrap_or(0) + days)
            ),
            None => "never".to_owned(),
        };
        let recover = match (kpis.time_to_recover_days, short) {
            (Some(days), _) => format!("after {days} d"),
            (None, true) => "not by the end".to_owned(),
            (None, false) => "-".to_owned(),
        };
        rows.push([
            entity.id.clone(),
            scenario.names.get(&entity.id).cloned().unwrap_or_default(),
            entity.region.to_string(),
            survive,
            recover,
            format!("{:.0} %", kpis.peak_shortage * 100.0),
            format!("{} {unit}", format_units(kpis.unmet_units)),
            format!("{:.1} %", kpis.fill_rate * 100.0),
            result.headroom[index].map_or_else(|| "-".to_owned(), |h| cover_days(h.min_cover_days)),
        ]);
    }
    // The name column only when some watched entity has a display name.
    if rows.iter().all(|row| row[1].is_empty()) {
        let header: [&str; 8] = std::array::from_fn(|i| header[if i == 0 { 0 } else { i + 1 }]);
        let rows: Vec<[String; 8]> = rows
            .iter()
            .map(|row| std::array::from_fn(|i| row[if i == 0 { 0 } else { i + 1 }].clone()))
            .collect();
        out.push_str(&render(&header, &rows));
    } else {
        out.push_str(&render(&header, &rows));
    }
    out.push_str("\n\"runs short\": days from the first disruption to the first day with unmet demand.\n");
    out.push_str(
        "\"min cover\": fewest days of use held over the run (stock on hand plus in transit) of the input that ran lowest.\n",
    );
    out
}

/// Days of cover as the table prints them: whole days from 10 up, one decimal below.
pub fn cover_days(days: f64) -> String {
    if days >= 10.0 { format!("{days:.0} d") } else { format!("{days:.1} d") }
}

/// A plain-text table: left-aligned columns two spaces apart, a rule under the header.
pub fn render<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str]| -> String {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(header);
    let rules: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&line(&rules.iter().map(String::as_str).collect::<Vec<_>>()));
    for row in rows {
        out.push_str(&line(&row.iter().map(String::as_str).collect::<Vec<_>>()));
    }
    out
}

pub use chokepoint_report::format::format_units;
