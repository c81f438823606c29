//! PAO90x: the `# pao-lint: disable` comments themselves (see [`crate::suppress`]). These findings
//! cannot be suppressed: a comment that hides the warning about itself would hide nothing else.

use crate::declare_rule;

declare_rule! {
    /// ## What it does
    /// Flags a `# pao-lint: disable` comment that gives no reason after `--`.
    ///
    /// ## Why is this bad?
    /// A suppression is a decision someone has to be able to review and undo. Without the reason,
    /// the next reader cannot tell whether the finding is a false positive, a known debt, or a
    /// mistake, and cannot tell when the comment can go.
    ///
    /// ## Example
    /// ```yaml
    /// id: legacy_db  # pao-lint: disable PAO301
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// id: legacy_db  # pao-lint: disable PAO301 -- kept until the CMDB import is renamed (OPS-412)
    /// ```
    ///
    /// The finding is still suppressed; only the missing reason is reported.
    ///
    /// ## References
    /// [Suppressing findings](../suppressions.md)
    pub(crate) static SUPPRESSION_WITHOUT_REASON = ("PAO901", "suppression-without-reason", Warning, "A suppression comment gives no reason");
}

declare_rule! {
    /// ## What it does
    /// Flags a `# pao-lint: disable ... until YYYY-MM-DD` comment whose date has passed. From the
    /// day after that date on, the comment no longer suppresses anything: the findings it named
    /// are reported again, next to this warning.
    ///
    /// ## Why is this bad?
    /// `until` records when a known problem was meant to be fixed. Past it, the problem is due.
    ///
    /// ## Example
    /// ```yaml
    /// # pao-lint: disable PAO605 until 2026-01-31 -- migrating to postgresql-ha
    /// ```
    /// on 2026-02-01.
    ///
    /// Use instead: fix the finding and remove the comment, or, if the plan changed, write the
    /// new date and why.
    ///
    /// ## References
    /// [Suppressing findings](../suppressions.md)
    pub(crate) static EXPIRED_SUPPRESSION = ("PAO902", "expired-suppression", Warning, "A suppression comment is past its `until` date");
}

declare_rule! {
    /// ## What it does
    /// Flags a code in a `# pao-lint: disable` comment that suppresses no finding: the finding
    /// was fixed, or the comment is on the wrong line, or it names the wrong code.
    ///
    /// ## Why is this bad?
    /// A stale suppression hides the next, unrelated finding of that rule on the same line (or,
    /// for `disable-file`, anywhere in the file) without anyone deciding so.
    ///
    /// ## Example
    /// ```yaml
    /// name: PostgreSQL  # pao-lint: disable PAO201 -- the key used to be misspelt
    /// ```
    ///
    /// Use instead: remove the comment (or the code from its list).
    ///
    /// ## Configuration
    /// A code whose rule is turned off in `pao.toml` is not reported: it cannot fire, and the
    /// comment may matter again when the rule is turned back on.
    ///
    /// ## References
    /// [Suppressing findings](../suppressions.md)
    pub(crate) static UNUSED_SUPPRESSION = ("PAO903", "unused-suppression", Warning, "A suppression comment suppresses nothing");
}

declare_rule! {
    /// ## What it does
    /// Flags a `# pao-lint:` comment that cannot be read: an unknown directive, no codes, a code
    /// that names no rule, or an `until` that is not a `YYYY-MM-DD` date.
    ///
    /// ## Why is this bad?
    /// The comment suppresses nothing, while its author believes it does.
    ///
    /// ## Example
    /// ```yaml
    /// # pao-lint: disabel PAO201 -- typo in the directive
    /// # pao-lint: disable PAO9999 -- no such rule
    /// # pao-lint: disable PAO605 until next-week -- not a date
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// # pao-lint: disable PAO201 -- <reason>
    /// # pao-lint: disable PAO605 until 2026-06-30 -- <reason>
    /// ```
    ///
    /// ## References
    /// [Suppressing findings](../suppressions.md)
    pub(crate) static INVALID_SUPPRESSION = ("PAO904", "invalid-suppression", Warning, "A `pao-lint:` comment cannot be read");
}
