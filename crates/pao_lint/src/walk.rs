//! Finding catalog files on disk, with one rule for symbolic links.
//!
//! **The link rule** (shared with the Git catalog reader in `pao_git`): a symbolic link is read as
//! its target only when the target, fully resolved, is inside the repository. A link that leaves
//! the repository, dangles, or points at one of its own parent directories (a loop) is a finding
//! on the link itself, and its target's content is never read. A link to a directory the walk
//! reads anyway (one inside the walked tree) is not walked again, and a directory outside it is
//! walked once however many links lead there, so a link to `/`, a loop or a lattice of links
//! cannot make the walk run without end.
//!
//! The same rule applies to the files of a lint run's directory walk ([`walk`]) and to files
//! named on the command line ([`classify`]).

use std::collections::HashSet;
use std::fs::DirEntry;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::cache::Stat;

/// A file the walk found, or a problem with an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A file to read: the path to open (the link's target when it is a link).
    File(PathBuf),
    /// An entry that is not read, and why (a message for the finding).
    Problem(String),
}

/// Whether a name is a catalog document's (`.yaml` / `.yml`).
pub fn is_yaml_name(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

/// Every `.yaml`/`.yml` file under `start` (a directory inside `root`), as paths relative to
/// `root` with `/` separators (the path the link has, not its target's), sorted; hidden entries
/// are skipped. Entries the rule does not follow come with a [`Found::Problem`].
///
/// `root` should be canonical; when it is not, it is canonicalised here.
pub fn walk(given_root: &Path, start: &Path) -> Vec<(String, Found)> {
    walk_entries(given_root, start, false, false).into_iter().map(|(path, found, _)| (path, found)).collect()
}

/// Whether [`walk`] would find anything: it stops at the first entry.
pub fn finds_any(given_root: &Path, start: &Path) -> bool {
    !walk_entries(given_root, start, true, false).is_empty()
}

/// [`walk`]; with `stat`, with the `stat` of each regular file found (not of links), taken
/// relative to its directory (cheaper than by the whole path) by the thread that lists it, so
/// the `stat`s of a large catalog are spread over every core: the third element is `Some` for
/// such a file (holding `None` when its `stat` failed), `None` for a link's target and when
/// `stat` is not set. With `first_only`, stops at the first entry found.
pub(crate) fn walk_entries(
    given_root: &Path,
    start: &Path,
    first_only: bool,
    stat: bool,
) -> Vec<(String, Found, Option<Option<Stat>>)> {
    let root = given_root.canonicalize().unwrap_or_else(|_| given_root.to_owned());
    let mut out = Vec::new();
    // The walk names entries by the path they are given as (`catalog/...` even when `catalog`
    // is itself a link within the repository).
    let relative_start =
        start.strip_prefix(given_root).or_else(|_| start.strip_prefix(&root)).map(Path::to_path_buf).unwrap_or_else(
            |_| {
                start
                    .canonicalize()
                    .ok()
                    .and_then(|real| real.strip_prefix(&root).ok().map(Path::to_path_buf))
                    .unwrap_or_default()
            },
        );
    let Ok(real_start) = start.canonicalize() else { return out };
    if !real_start.starts_with(&root) {
        out.push((slash(&relative_start), Found::Problem(outside(&real_start)), None));
        return out;
    }
    // Directories outside the walked tree already reached through a link.
    let mut visited: HashSet<PathBuf> = HashSet::new();
    // The directories of one depth: (real directory, its path as the walk names it). They are
    // listed in parallel, and what they hold besides regular files is then taken in order, so
    // the result never depends on thread timing: a directory outside the tree that several
    // links reach is named by the shallowest of them, the first in name order at that depth.
    let mut level = vec![(real_start.clone(), relative_start)];
    while !level.is_empty() {
        let listings: Vec<Listing> = if first_only {
            // One directory at a time, to stop at the first file.
            let mut listings = Vec::new();
            for dir in level {
                let listing = list(dir, stat);
                let found = !listing.files.is_empty();
                listings.push(listing);
                if found {
                    break;
                }
            }
            listings
        } else {
            level.into_par_iter().map(|dir| list(dir, stat)).collect()
        };
        let mut next = Vec::new();
        for Listing { dir, shown, files, others, error } in listings {
            if let Some(err) = error {
                out.push((slash(&shown), Found::Problem(format!("cannot read this directory: {err}")), None));
                continue;
            }
            out.extend(files);
            for (name, entry, kind) in others {
                let name_text = name.to_string_lossy();
                let shown_path = shown.join(&name);
                if kind.is_dir() {
                    next.push((dir.join(&name), shown_path));
                    continue;
                }
                match follow(&root, &entry.path()) {
                    Link::Inside(target) if target.is_dir() => {
                        if dir.starts_with(&target) {
                            out.push((slash(&shown_path), Found::Problem(LOOP.to_owned()), None));
                        } else if !target.starts_with(&real_start) && visited.insert(target.clone()) {
                            next.push((target, shown_path));
                        }
                        // Otherwise the directory is read under its own name, or already was.
                    }
                    Link::Inside(target) => {
                        if is_yaml_name(&name_text) {
                            out.push((slash(&shown_path), Found::File(target), None));
                        }
                    }
                    Link::Outside(target) => {
                        if is_yaml_name(&name_text) || target.is_dir() {
                            out.push((slash(&shown_path), Found::Problem(outside(&target)), None));
                        }
                    }
                    Link::Broken(message) => {
                        if is_yaml_name(&name_text) {
                            out.push((slash(&shown_path), Found::Problem(message), None));
                        }
                    }
                    Link::Loop => out.push((slash(&shown_path), Found::Problem(LOOP.to_owned()), None)),
                }
            }
            if first_only && !out.is_empty() {
                return out;
            }
        }
        level = next;
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// One directory as [`list`] read it.
struct Listing {
    dir: PathBuf,
    shown: PathBuf,
    /// Its regular `.yaml`/`.yml` files, as [`walk_entries`] returns them.
    files: Vec<(String, Found, Option<Option<Stat>>)>,
    /// Its directories and symbolic links, in name order, for the walk to follow.
    others: Vec<(std::ffi::OsString, DirEntry, std::fs::FileType)>,
    /// Why it could not be read.
    error: Option<std::io::Error>,
}

/// Reads one directory (`dir`, named `shown` by the walk), with the `stat` of its regular files
/// when `stat` is set: hidden entries are skipped, entries of other kinds (sockets, devices)
/// ignored.
fn list((dir, shown): (PathBuf, PathBuf), stat: bool) -> Listing {
    let mut listing = Listing { dir, shown, files: Vec::new(), others: Vec::new(), error: None };
    let entries = match std::fs::read_dir(&listing.dir) {
        Ok(entries) => entries,
        Err(err) => {
            listing.error = Some(err);
            return listing;
        }
    };
    // Each name is read once: sorting by `DirEntry::file_name` would allocate a copy of both
    // names at every comparison.
    let mut entries: Vec<(std::ffi::OsString, DirEntry)> =
        entries.filter_map(Result::ok).map(|entry| (entry.file_name(), entry)).collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut files = Vec::with_capacity(entries.len());
    for (name, entry) in entries {
        let name_text = name.to_string_lossy();
        if name_text.starts_with('.') {
            continue;
        }
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_file() {
            if is_yaml_name(&name_text) {
                files.push((name, entry));
            }
        } else if kind.is_dir() || kind.is_symlink() {
            drop(name_text);
            listing.others.push((name, entry, kind));
        }
    }
    // The files of one directory are taken in parallel too: a catalog's files may all be in a
    // few directories of very different sizes.
    let shown = &listing.shown;
    listing.files = files
        .into_par_iter()
        .with_min_len(256)
        .map(|(name, entry)| {
            let taken = stat.then(|| Stat::of_entry(&entry));
            (slash_owned(shown.join(&name)), Found::File(entry.path()), taken)
        })
        .collect();
    listing
}

/// What the rule makes of one file named on the command line (`relative` to `root`): the file to
/// read, or the problem. `None` when nothing is there.
pub fn classify(root: &Path, relative: &str) -> Option<Found> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_owned());
    let path = root.join(relative);
    let metadata = std::fs::symlink_metadata(&path).ok()?;
    if !metadata.file_type().is_symlink() {
        // A path with a linked directory in it: the directory's real place must be inside too.
        return Some(match path.canonicalize() {
            Ok(real) if !real.starts_with(&root) => Found::Problem(outside(&real)),
            Ok(_) | Err(_) => Found::File(path),
        });
    }
    Some(match follow(&root, &path) {
        Link::Inside(target) if target.is_dir() => Found::Problem("a link to a directory, not a file".to_owned()),
        Link::Inside(target) => Found::File(target),
        Link::Outside(target) => Found::Problem(outside(&target)),
        Link::Broken(message) => Found::Problem(message),
        Link::Loop => Found::Problem(LOOP.to_owned()),
    })
}

const LOOP: &str = "symbolic link loop: this link points at one of its own parent directories";

fn outside(target: &Path) -> String {
    format!(
        "symbolic link to {}, outside the repository: links are followed only within the repository, \
         and this one is not read",
        target.display()
    )
}

/// Where a link leads.
enum Link {
    /// Inside the repository, to this real path.
    Inside(PathBuf),
    /// Outside the repository.
    Outside(PathBuf),
    /// Dangling, or unreadable, with the message.
    Broken(String),
    /// A chain of links that never ends (`ELOOP`).
    Loop,
}

fn follow(root: &Path, link: &Path) -> Link {
    match link.canonicalize() {
        Ok(target) if target.starts_with(root) => Link::Inside(target),
        Ok(target) => Link::Outside(target),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            Link::Broken("dangling symbolic link: its target does not exist".to_owned())
        }
        Err(err) if err.raw_os_error() == Some(ELOOP) => Link::Loop,
        Err(err) => Link::Broken(format!("cannot follow this symbolic link: {err}")),
    }
}

/// `ELOOP` on Linux and the BSDs/macOS differ; both are recognised.
#[cfg(target_os = "linux")]
const ELOOP: i32 = 40;
#[cfg(not(target_os = "linux"))]
const ELOOP: i32 = 62;

/// [`slash`] of a path no longer needed: its text is kept, not copied, when it is UTF-8.
fn slash_owned(path: PathBuf) -> String {
    match path.into_os_string().into_string() {
        Ok(text) if cfg!(windows) => text.replace('\\', "/"),
        Ok(text) => text,
        Err(raw) => slash(Path::new(&raw)),
    }
}

/// A relative path as diagnostics show it: `/` separators. Only Windows separates with `\`; on
/// Unix a backslash is part of a file name and is kept.
pub fn slash(path: &Path) -> String {
    let text = path.to_string_lossy();
    if cfg!(windows) { text.replace('\\', "/") } else { text.into_owned() }
}
