//! The registry table: every rule, in code order. A code is never reused.

use crate::registry::Rule;
use crate::rules::{bundles, changes, form, lifecycle, naming, ownership, schema, suppression, templates, yaml};

/// Every rule PAO has, sorted by code.
pub static RULES: &[&Rule] = &[
    &yaml::UNREADABLE_FILE,
    &yaml::INVALID_YAML,
    &yaml::DUPLICATE_KEY,
    &yaml::NOT_TEXT,
    &yaml::NOT_A_MAPPING,
    &yaml::MULTIPLE_DOCUMENTS,
    &yaml::UNSUPPORTED_TAG,
    &yaml::TOO_MANY_FINDINGS,
    &schema::UNKNOWN_DOCUMENT,
    &schema::UNKNOWN_KEY,
    &schema::MISSING_KEY,
    &schema::WRONG_TYPE,
    &schema::INVALID_VALUE,
    &schema::OUT_OF_RANGE,
    &schema::PATTERN_MISMATCH,
    &schema::INVALID_FORMAT,
    &schema::SCHEMA_VIOLATION,
    &naming::INVALID_ITEM_ID,
    &naming::ID_FILE_MISMATCH,
    &naming::CATEGORY_MISMATCH,
    &naming::INVALID_FIELD_ID,
    &naming::INVALID_ACTION_ID,
    &naming::DUPLICATE_ITEM_ID,
    &naming::DUPLICATE_FIELD_ID,
    &naming::DUPLICATE_ACTION_ID,
    &naming::MISPLACED_DOCUMENT,
    &naming::INVALID_SEMVER,
    &templates::TEMPLATE_SYNTAX,
    &templates::UNKNOWN_SCOPE,
    &templates::UNKNOWN_FIELD,
    &templates::UNKNOWN_OUTPUT,
    &templates::LATER_OUTPUT,
    &templates::UNKNOWN_FUNCTION,
    &templates::ENVIRONMENT_NOT_ALLOWED,
    &templates::UNKNOWN_KEY,
    &templates::BUNDLE_CYCLE,
    &form::CONDITIONAL_TARGET_MISSING,
    &form::CONDITIONAL_TARGET_LATER,
    &form::DEFAULT_TYPE_MISMATCH,
    &form::DEFAULT_NOT_IN_OPTIONS,
    &form::INVALID_OPTIONS,
    &form::INVALID_REGEX,
    &form::MIN_ABOVE_MAX,
    &form::VALIDATION_NOT_APPLICABLE,
    &form::INVALID_CONDITIONAL_VALUE,
    &form::DEFAULT_FAILS_VALIDATION,
    &form::EMPTY_GROUP,
    &lifecycle::DEPRECATION_MISSING,
    &lifecycle::DEPRECATION_DATES,
    &lifecycle::REPLACEMENT_NOT_FOUND,
    &lifecycle::RETIRED_IN_BUNDLE,
    &lifecycle::SUNSET_PASSED,
    &lifecycle::DEPRECATION_ON_ACTIVE,
    &ownership::FILE_NOT_OWNED,
    &ownership::OWNER_MISMATCH,
    &ownership::CODEOWNERS_MISSING,
    &lifecycle::MISSING_ACTIONS,
    &lifecycle::UNUSED_ACTIONS,
    &bundles::ITEM_NOT_FOUND,
    &bundles::VERSION_MISMATCH,
    &bundles::INVALID_RANGE,
    &bundles::UNKNOWN_COMPONENT_FIELD,
    &bundles::MISSING_COMPONENT_FIELD,
    &bundles::NESTED_BUNDLE,
    &changes::VERSION_NOT_BUMPED,
    &changes::BREAKING_WITHOUT_MAJOR,
    &changes::REMOVED_ITEM_REFERENCED,
    &changes::VERSION_DECREASED,
    &suppression::SUPPRESSION_WITHOUT_REASON,
    &suppression::EXPIRED_SUPPRESSION,
    &suppression::UNUSED_SUPPRESSION,
    &suppression::INVALID_SUPPRESSION,
];

/// The rule with this code (case-insensitive), if there is one.
pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|rule| rule.code.eq_ignore_ascii_case(code) || rule.name == code)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_well_formed() {
        let re = regex::Regex::new(r"^PAO\d{3}$").unwrap();
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        let mut previous = "";
        for rule in RULES {
            assert!(re.is_match(rule.code), "{}", rule.code);
            assert!(codes.insert(rule.code), "duplicate code {}", rule.code);
            assert!(names.insert(rule.name), "duplicate name {}", rule.name);
            assert!(rule.code > previous, "{} is out of order", rule.code);
            previous = rule.code;
            assert_eq!(super::rule(rule.code).unwrap().code, rule.code);
            assert_eq!(super::rule(rule.name).unwrap().code, rule.code);
        }
    }

    #[test]
    fn every_rule_is_documented() {
        for rule in RULES {
            let docs = rule.docs();
            for heading in ["## What it does", "## Why is this bad?", "## Example", "Use instead:"] {
                assert!(docs.contains(heading), "{} lacks `{heading}`", rule.code);
            }
            assert!(!rule.summary.is_empty());
            assert!(rule.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{}", rule.name);
        }
    }
}
