//! `[adaptation]` into the engine's [`Adaptation`], and its `prebuy`, the default target of
//! announced controls.

use chokepoint_engine::{Adaptation, Emergency, Thrift, model::MAX_HORIZON_DAYS};

use crate::build::Builder;
use crate::events::prebuy_in_range;
use crate::raw::{Loc, RawAdaptation};
use crate::values;

/// `[adaptation] prebuy`, the stock target of an announcement that gives none.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Prebuy {
    /// Not given.
    None,
    /// Given, but wrong (reported at `prebuy`).
    Wrong,
    /// Days of use.
    Days(f64),
}

/// Builds `[adaptation]`; `None` when a key is wrong (reported).
pub(crate) fn build(builder: &mut Builder, raw: Option<&Loc<RawAdaptation>>) -> (Option<Adaptation>, Prebuy) {
    let Some(raw) = raw else { return (Some(Adaptation::default()), Prebuy::None) };
    let raw = raw.get_ref();
    let release_pace = match &raw.release_pace {
        None => Some(None),
        Some(pace) => {
            let value = *pace.get_ref();
            if value.is_finite() && value >= 1.0 {
                Some(Some(value))
            } else {
                builder
                    .error(format!("adaptation.release_pace must be 1 or more, found {value}"), pace.span())
                    .hint = Some(
                    "released orders ship at most this multiple of the link's baseline daily flow a day: \
                         1.5 ships a backlog at half again the usual pace"
                        .to_owned(),
                );
                None
            }
        }
    };
    let emergency = match &raw.emergency {
        None => Some(None),
        Some(emergency) => {
            let emergency = emergency.get_ref();
            let target = target_days(builder, &emergency.target, "adaptation.emergency.target");
            let lasts = builder.ok(values::whole_days(
                &emergency.lasts,
                "adaptation.emergency.lasts",
                1,
                MAX_HORIZON_DAYS,
            ));
            match (target, lasts) {
                (Some(target_days), Some(lasts_days)) => Some(Some(Emergency { target_days, lasts_days })),
                _ => None,
            }
        }
    };
    let thrift = match &raw.thrift {
        None => Some(None),
        Some(thrift) => {
            let thrift = thrift.get_ref();
            let days =
                |builder: &mut Builder, value: Option<&Loc<crate::raw::Duration>>, what: &str| match value {
                    None => Some(0),
                    Some(value) => builder.ok(values::whole_days(value, what, 0, MAX_HORIZON_DAYS)),
                };
            let after = days(builder, thrift.after.as_ref(), "adaptation.thrift.after");
            let ramp = days(builder, thrift.ramp.as_ref(), "adaptation.thrift.ramp");
            let max_cut = *thrift.max.get_ref();
            let max_ok = max_cut.is_finite() && (0.0..1.0).contains(&max_cut);
            if !max_ok {
                builder
                    .error(
                        format!("adaptation.thrift.max is a share from 0 to below 1, found {max_cut}"),
                        thrift.max.span(),
                    )
                    .hint =
                    Some("0.2: a facility uses at most 20 % less of an input it is short of".to_owned());
            }
            match (after, ramp, max_ok) {
                (Some(after_days), Some(ramp_days), true) => {
                    Some(Some(Thrift { after_days, max_cut, ramp_days }))
                }
                _ => None,
            }
        }
    };
    let qualify_factor = match &raw.qualify_factor {
        None => Some(1.0),
        Some(factor) => {
            let value = *factor.get_ref();
            if value.is_finite() && value > 0.0 && value <= 1.0 {
                Some(value)
            } else {
                builder
                    .error(
                        format!("adaptation.qualify_factor must be above 0 and at most 1, found {value}"),
                        factor.span(),
                    )
                    .hint = Some("0.5 qualifies alternates in half the time written".to_owned());
                None
            }
        }
    };
    let prebuy = match &raw.prebuy {
        None => Prebuy::None,
        Some(prebuy) => target_days(builder, prebuy, "adaptation.prebuy").map_or(Prebuy::Wrong, Prebuy::Days),
    };
    let adaptation = match (release_pace, emergency, thrift, qualify_factor) {
        (Some(release_pace), Some(emergency), Some(thrift), Some(qualify_factor)) => {
            Some(Adaptation { release_pace, emergency, thrift, qualify_factor })
        }
        _ => None,
    };
    (adaptation, prebuy)
}

/// A stock target in days of use: above 0, at most 1000.
fn target_days(builder: &mut Builder, value: &Loc<crate::raw::Duration>, what: &str) -> Option<f64> {
    let days = builder.ok(values::days(value, what))?;
    if !prebuy_in_range(days) {
        builder
            .error(format!("{what} must be above 0 and at most 1000 days, found {days}"), value.span())
            .hint = Some("a target is days of use buyers stock up to, e.g. \"60d\"".to_owned());
        return None;
    }
    Some(days)
}
