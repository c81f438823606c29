//! PAO61x: CODEOWNERS coverage and agreement with `metadata.owner.team`.
//!
//! Matching uses the `codeowners` crate (last matching line wins, as on GitHub). That crate
//! panics on a pattern `glob` cannot compile, so every line is compiled here first and a bad
//! line becomes a diagnostic on CODEOWNERS instead.

use std::path::Path;

use rayon::prelude::*;

use crate::Checked;
use crate::checker::Checker;
use crate::declare_rule;

/// Where GitHub looks for CODEOWNERS, in its order.
pub const CODEOWNERS_PATHS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

declare_rule! {
    /// ## What it does
    /// Flags a catalog file that no CODEOWNERS line gives to an owner.
    ///
    /// ## Why is this bad?
    /// Changes to it would merge without review by the team that fulfils the item.
    ///
    /// ## Example
    /// `catalog/ml/gpu-notebook.yaml` with no `/catalog/ml/` line in `.github/CODEOWNERS`.
    ///
    /// Use instead: `/catalog/ml/ @acme/ml-platform`.
    ///
    /// ## Configuration
    /// `[catalog] github-org` in `pao.toml` names the organisation of team owners.
    pub(crate) static FILE_NOT_OWNED = ("PAO610", "file-not-owned", Error, "No CODEOWNERS line owns the catalog file");
}

declare_rule! {
    /// ## What it does
    /// Flags a catalog file whose CODEOWNERS owners do not include `@<org>/<owner.team>`.
    ///
    /// ## Why is this bad?
    /// The team named as owner in the catalog is not the one asked to review changes.
    ///
    /// ## Example
    /// `owner: { team: dba }` while CODEOWNERS gives the file to `@acme/platform`.
    ///
    /// Use instead: `/catalog/databases/ @acme/dba`.
    ///
    /// ## Configuration
    /// `[catalog] github-org` in `pao.toml`; without it any organisation's `/<team>` matches.
    pub(crate) static OWNER_MISMATCH = ("PAO611", "owner-team-mismatch", Error, "CODEOWNERS does not give the file to its owner team");
}

declare_rule! {
    /// ## What it does
    /// Flags a catalog repository without a CODEOWNERS file (`.github/CODEOWNERS`,
    /// `CODEOWNERS` or `docs/CODEOWNERS`), and CODEOWNERS lines GitHub would skip or misread:
    /// an invalid pattern, `!` negation, `[...]` ranges, or an owner that is not `@org/team`,
    /// `@user` or an email address.
    ///
    /// ## Why is this bad?
    /// Without it no change to the catalog needs the owning team's review.
    ///
    /// ## Example
    /// A repository with `catalog/` but no CODEOWNERS.
    ///
    /// Use instead: `.github/CODEOWNERS` with one line per category directory.
    pub(crate) static CODEOWNERS_MISSING = ("PAO612", "codeowners-invalid", Error, "CODEOWNERS is missing or has an invalid line");
}

/// A CODEOWNERS file, found and read.
pub(crate) struct CodeOwnersFile {
    /// Its path relative to the repository root.
    pub(crate) path: String,
    pub(crate) text: String,
}

/// Checks every catalog document against CODEOWNERS.
pub(crate) fn check(
    files: &[&Checked],
    codeowners: Option<&CodeOwnersFile>,
    org: Option<&str>,
    checker: &mut Checker<'_>,
) {
    if !(checker.enabled(&FILE_NOT_OWNED) || checker.enabled(&OWNER_MISMATCH) || checker.enabled(&CODEOWNERS_MISSING)) {
        return;
    }
    let catalog_files: Vec<&Checked> = files.iter().copied().filter(|f| f.path.starts_with("catalog/")).collect();
    if catalog_files.is_empty() {
        return;
    }
    let Some(codeowners) = codeowners else {
        checker.report(
            &CODEOWNERS_MISSING,
            CODEOWNERS_PATHS[0],
            0..0,
            "the repository has no CODEOWNERS file, so no catalog change needs its owner's review",
            "create .github/CODEOWNERS with a line per category, e.g. `/catalog/databases/ @acme/dba`".to_owned(),
        );
        return;
    };
    let mut valid_lines = String::new();
    let mut offset = 0;
    for line in codeowners.text.split_inclusive('\n') {
        let trimmed = line.trim();
        let pattern = trimmed.split_whitespace().next().unwrap_or_default();
        if !trimmed.is_empty() && !trimmed.starts_with('#') && glob::Pattern::new(&normalise(pattern)).is_err() {
            checker.report(
                &CODEOWNERS_MISSING,
                &codeowners.path,
                offset..offset + line.trim_end().len(),
                format!("`{pattern}` is not a valid CODEOWNERS pattern; the line is ignored"),
                "fix the pattern (gitignore syntax)".to_owned(),
            );
        } else {
            let (problems, ignored) = line_problems(line);
            for (range, message, help) in problems {
                checker.report(
                    &CODEOWNERS_MISSING,
                    &codeowners.path,
                    offset + range.start..offset + range.end,
                    message,
                    help.to_owned(),
                );
            }
            if !ignored {
                valid_lines.push_str(line);
            }
        }
        offset += line.len();
    }
    let owners = codeowners::from_reader(valid_lines.as_bytes());
    // Matching every file against every pattern is the expensive part: done in parallel.
    let lookups: Vec<_> =
        catalog_files.par_iter().map(|file| owners.of(Path::new(&file.path)).filter(|list| !list.is_empty())).collect();
    for (file, owned) in catalog_files.into_iter().zip(lookups) {
        let Some(list) = owned else {
            let at = file.first_key.clone();
            let dir = file.path.rsplit_once('/').map_or("", |(d, _)| d);
            let team = file.team().unwrap_or("<team>");
            let help = format!("add `/{dir}/ @{}/{team}` to {}", org.unwrap_or("<org>"), codeowners.path);
            checker.report(&FILE_NOT_OWNED, &file.path, at, format!("no CODEOWNERS line owns `{}`", file.path), help);
            continue;
        };
        let Some(team) = file.team() else { continue };
        let matches = |owner: &codeowners::Owner| match owner {
            codeowners::Owner::Team(name) => match org {
                Some(org) => name.eq_ignore_ascii_case(&format!("@{org}/{team}")),
                None => name.rsplit('/').next().is_some_and(|t| t.eq_ignore_ascii_case(team)),
            },
            _ => false,
        };
        if !list.iter().any(matches) {
            let shown: Vec<String> = list.iter().map(ToString::to_string).collect();
            let expected = format!("@{}/{team}", org.unwrap_or("<org>"));
            let span = file.span("/metadata/owner/team");
            checker.report(
                &OWNER_MISMATCH,
                &file.path,
                span,
                format!("owner team `{team}` is not among the CODEOWNERS owners of this file ({})", shown.join(", ")),
                format!("give the file to `{expected}` in {}, or correct `owner.team`", codeowners.path),
            );
        }
    }
}

/// A finding in one CODEOWNERS line: where in the line, the message, the help.
type LineProblem = (std::ops::Range<usize>, String, &'static str);

/// What GitHub rejects or ignores in a line whose pattern compiles: negation, character ranges
/// and owners that are neither `@user`, `@org/team` nor an email address. Ranges are byte
/// offsets into `line`; the flag says whether GitHub ignores the whole line (so must we).
fn line_problems(line: &str) -> (Vec<LineProblem>, bool) {
    let mut problems = Vec::new();
    let content = line.split('#').next().unwrap_or_default();
    let mut tokens = content
        .match_indices(|c: char| !c.is_whitespace())
        .map(|(i, _)| i)
        .filter(|&i| i == 0 || content[..i].ends_with(char::is_whitespace));
    let token_at = |start: usize| {
        let end = content[start..].find(char::is_whitespace).map_or(content.len(), |n| start + n);
        (start..end, &content[start..end])
    };
    let Some((pattern_range, pattern)) = tokens.next().map(token_at) else { return (problems, false) };
    if pattern.starts_with('!') {
        problems.push((
            pattern_range,
            format!("`{pattern}`: CODEOWNERS does not support `!` negation; GitHub ignores this line"),
            "give the files to their owners with a more specific pattern after the general one",
        ));
    } else if pattern.contains('[') {
        problems.push((
            pattern_range,
            format!("`{pattern}`: CODEOWNERS does not support `[...]` character ranges; GitHub ignores this line"),
            "write one line per directory or file instead of a range",
        ));
    }
    let ignored = !problems.is_empty();
    for (range, owner) in tokens.map(token_at) {
        let valid = match owner.strip_prefix('@') {
            Some(name) => !name.is_empty() && name.split('/').count() <= 2 && !name.split('/').any(str::is_empty),
            None => owner.split_once('@').is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.')),
        };
        if !valid {
            problems.push((
                range,
                format!("`{owner}` is not a valid owner; GitHub ignores it"),
                "write owners as `@org/team`, `@user` or an email address",
            ));
        }
    }
    (problems, ignored)
}

/// The glob the `codeowners` crate builds from a CODEOWNERS pattern.
fn normalise(path: &str) -> String {
    let prefixed = if path.starts_with('*') || path.starts_with('/') { path.to_owned() } else { format!("**/{path}") };
    let mut normalised = prefixed.trim_start_matches('/').to_owned();
    if normalised.ends_with('/') {
        normalised.push_str("**");
    }
    normalised
}
