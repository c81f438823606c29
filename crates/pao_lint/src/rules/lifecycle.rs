//! PAO60x: lifecycle and deprecation; PAO65x: fulfilment strategy and action lists.

use pao_schema::{CatalogDocument, LifecycleStatus, Strategy};
use pao_source::Node;

use crate::checker::Checker;
use crate::declare_rule;
use crate::rules::form::is_date;

declare_rule! {
    /// ## What it does
    /// Flags a `deprecated` or `retired` item without `lifecycle.deprecation`.
    ///
    /// ## Why is this bad?
    /// Requesters need to know since when, until when, and what to use instead.
    ///
    /// ## Example
    /// ```yaml
    /// lifecycle: { status: deprecated }
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// lifecycle:
    ///   status: deprecated
    ///   deprecation: { since: 2026-01-15, sunset: 2026-07-01, replacement: postgresql-v2 }
    /// ```
    pub(crate) static DEPRECATION_MISSING = ("PAO601", "deprecation-missing", Error, "A deprecated or retired item has no deprecation plan");
}

declare_rule! {
    /// ## What it does
    /// Flags a deprecation whose `sunset` is not after its `since`.
    ///
    /// ## Why is this bad?
    /// The item would be retired before (or on the day) it was deprecated.
    ///
    /// ## Example
    /// `since: 2026-07-01`, `sunset: 2026-01-15`.
    ///
    /// Use instead: `since: 2026-01-15`, `sunset: 2026-07-01`.
    pub(crate) static DEPRECATION_DATES = ("PAO602", "deprecation-dates-out-of-order", Error, "`sunset` is not after `since`");
}

declare_rule! {
    /// ## What it does
    /// Flags a `deprecation.replacement` that names no item of the catalog (or the item itself).
    ///
    /// ## Why is this bad?
    /// Requesters are sent to an item they cannot order.
    ///
    /// ## Example
    /// `replacement: postgresql-v3` when only `postgresql-v2` exists.
    ///
    /// Use instead: `replacement: postgresql-v2`.
    pub(crate) static REPLACEMENT_NOT_FOUND = ("PAO603", "replacement-not-found", Error, "The replacement item does not exist");
}

declare_rule! {
    /// ## What it does
    /// Flags a bundle component that requests a `retired` item.
    ///
    /// ## Why is this bad?
    /// Retired items can no longer be ordered, so the bundle cannot be either.
    ///
    /// ## Example
    /// A bundle component `item: postgresql-legacy` whose status is `retired`.
    ///
    /// Use instead: the item's replacement.
    pub(crate) static RETIRED_IN_BUNDLE = ("PAO604", "retired-item-in-bundle", Error, "A bundle requests a retired item");
}

declare_rule! {
    /// ## What it does
    /// Flags a `deprecated` item whose sunset date has passed, and a bundle component that
    /// requests a deprecated item.
    ///
    /// ## Why is this bad?
    /// Past its sunset the item should be `retired`; bundles should move to the replacement
    /// before that happens.
    ///
    /// ## Example
    /// `status: deprecated` with `sunset: 2020-01-01`.
    ///
    /// Use instead: `status: retired`, or a later sunset.
    pub(crate) static SUNSET_PASSED = ("PAO605", "deprecated-item-in-use", Warning, "A deprecated item is past its sunset or still used by a bundle");
}

declare_rule! {
    /// ## What it does
    /// Flags `lifecycle.deprecation` on an item that is not deprecated or retired.
    ///
    /// ## Why is this bad?
    /// Either the status or the plan is stale; readers cannot tell which.
    ///
    /// ## Example
    /// `status: stable` with a `deprecation` block.
    ///
    /// Use instead: `status: deprecated`, or remove the block.
    pub(crate) static DEPRECATION_ON_ACTIVE = ("PAO606", "deprecation-on-active-item", Warning, "A deprecation plan on an item that is not deprecated");
}

declare_rule! {
    /// ## What it does
    /// Flags an item whose `fulfillment.strategy` needs an action list it does not have:
    /// `failover` and `manual` need `manual`, `automated` and `failover` need `automated`.
    ///
    /// ## Why is this bad?
    /// A request for the item could not be fulfilled, and a failed automation would have no
    /// fallback.
    ///
    /// ## Example
    /// ```yaml
    /// fulfillment:
    ///   strategy: failover
    ///   automated: { actions: [...] }
    /// ```
    ///
    /// Use instead: add `manual: { actions: [ <a jira-ticket action> ] }`, or `strategy: automated`.
    pub(crate) static MISSING_ACTIONS = ("PAO650", "missing-action-list", Error, "The fulfilment strategy needs an action list that is missing");
}

declare_rule! {
    /// ## What it does
    /// Flags an action list the strategy never runs: `automated` actions under
    /// `strategy: manual`, `manual` actions under `strategy: automated`.
    ///
    /// ## Why is this bad?
    /// Dead configuration misleads readers and is never tested.
    ///
    /// ## Example
    /// `strategy: manual` with an `automated` list.
    ///
    /// Use instead: `strategy: failover`, or remove the list.
    pub(crate) static UNUSED_ACTIONS = ("PAO651", "unused-action-list", Warning, "An action list the strategy never runs");
}

/// Today as `YYYY-MM-DD` (UTC).
pub(crate) fn today() -> String {
    jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date().to_string()
}

/// Lifecycle checks of one document.
pub(crate) fn check_lifecycle(doc: &CatalogDocument, root: &Node, file: &str, today: &str, checker: &mut Checker<'_>) {
    let lifecycle = &doc.metadata().lifecycle;
    let span = |p: &str| root.pointer(p).map_or(0..0, |n| n.span.clone());
    let inactive = matches!(lifecycle.status, LifecycleStatus::Deprecated | LifecycleStatus::Retired);
    match (&lifecycle.deprecation, inactive) {
        (None, true) => {
            checker.report(
                &DEPRECATION_MISSING,
                file,
                span("/metadata/lifecycle/status"),
                format!("a {} item needs `lifecycle.deprecation`", lifecycle.status.as_str()),
                "add `deprecation: { since: YYYY-MM-DD, sunset: YYYY-MM-DD, replacement: <item-id>, message: ... }`"
                    .to_owned(),
            );
        }
        (Some(_), false) => {
            checker.report(
                &DEPRECATION_ON_ACTIVE,
                file,
                root.key_span("/metadata/lifecycle/deprecation").unwrap_or(0..0),
                format!("`lifecycle.deprecation` is set but the status is `{}`", lifecycle.status.as_str()),
                "set `status: deprecated`, or remove the deprecation block".to_owned(),
            );
        }
        (Some(plan), true) => {
            if is_date(&plan.since) && is_date(&plan.sunset) && plan.sunset <= plan.since {
                checker.report(
                    &DEPRECATION_DATES,
                    file,
                    span("/metadata/lifecycle/deprecation/sunset"),
                    format!("`sunset` ({}) is not after `since` ({})", plan.sunset, plan.since),
                    "the sunset date must come after the deprecation date".to_owned(),
                );
            }
            if lifecycle.status == LifecycleStatus::Deprecated && is_date(&plan.sunset) && plan.sunset.as_str() < today
            {
                checker.report(
                    &SUNSET_PASSED,
                    file,
                    span("/metadata/lifecycle/deprecation/sunset"),
                    format!("the sunset date {} has passed but the item is still `deprecated`", plan.sunset),
                    "set `status: retired`, or move the sunset date".to_owned(),
                );
            }
        }
        (None, false) => {}
    }
}

/// Strategy vs. action lists of an item.
pub(crate) fn check_fulfillment(doc: &CatalogDocument, root: &Node, file: &str, checker: &mut Checker<'_>) {
    let CatalogDocument::Item(item) = doc else { return };
    let f = &item.fulfillment;
    let strategy_span = root
        .pointer("/fulfillment/strategy")
        .map(|n| n.span.clone())
        .or_else(|| root.key_span("/fulfillment"))
        .unwrap_or(0..0);
    let name = match f.strategy {
        Strategy::Failover => "failover",
        Strategy::Manual => "manual",
        Strategy::Automated => "automated",
    };
    // Without a `strategy` key the default applies; say so, since the author never wrote it.
    let strategy_text = if root.pointer("/fulfillment/strategy").is_some() {
        format!("strategy `{name}`")
    } else {
        format!("the default strategy `{name}` (no `strategy` is set)")
    };
    let needs_manual = matches!(f.strategy, Strategy::Failover | Strategy::Manual);
    let needs_automated = matches!(f.strategy, Strategy::Failover | Strategy::Automated);
    if needs_manual && f.manual.is_none() {
        let help = if f.strategy == Strategy::Failover {
            "add `manual: { actions: [...] }` (usually a jira-ticket action) as the fallback, or set `strategy: automated`"
        } else {
            "add `manual: { actions: [...] }`"
        };
        checker.report(
            &MISSING_ACTIONS,
            file,
            strategy_span.clone(),
            format!("{strategy_text} needs `fulfillment.manual` actions"),
            help.to_owned(),
        );
    }
    if needs_automated && f.automated.is_none() {
        let help = if f.strategy == Strategy::Failover {
            "add `automated: { actions: [...] }`, or set `strategy: manual`"
        } else {
            "add `automated: { actions: [...] }`"
        };
        checker.report(
            &MISSING_ACTIONS,
            file,
            strategy_span.clone(),
            format!("{strategy_text} needs `fulfillment.automated` actions"),
            help.to_owned(),
        );
    }
    if f.strategy == Strategy::Manual && f.automated.is_some() {
        checker.report(
            &UNUSED_ACTIONS,
            file,
            root.key_span("/fulfillment/automated").unwrap_or(0..0),
            "`automated` actions never run with `strategy: manual`",
            "use `strategy: failover`, or remove the list".to_owned(),
        );
    }
    if f.strategy == Strategy::Automated && f.manual.is_some() {
        checker.report(
            &UNUSED_ACTIONS,
            file,
            root.key_span("/fulfillment/manual").unwrap_or(0..0),
            "`manual` actions never run with `strategy: automated`",
            "use `strategy: failover`, or remove the list".to_owned(),
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn today_is_a_date() {
        assert!(crate::rules::form::is_date(&super::today()));
    }
}
