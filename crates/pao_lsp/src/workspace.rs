//! A catalog repository as the server holds it: every catalog file read once from disk (and
//! again when the client reports it changed), what each defines, `pao.toml` and CODEOWNERS,
//! and the linter configured from them.
//!
//! A [`Workspace`] is cheap to clone (everything behind `Arc`s), so the lint thread gets a
//! snapshot and the main thread keeps answering requests while it lints.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use pao_config::Config;
use pao_lint::Linter;

use crate::outline::Outline;

/// Where CODEOWNERS may be, in the order GitHub looks (pao-lint's list).
pub use pao_lint::CODEOWNERS_PATHS;

/// The configuration file's name at the repository root.
pub const CONFIG_FILE: &str = "pao.toml";

/// Why `pao.toml` is not in force, with where (1-based line and character column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// What is wrong.
    pub message: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based character column.
    pub column: usize,
}

/// What `pao.toml` decides: the linter, the exclusions and the template environment.
pub struct Settings {
    /// The configuration in force (the defaults while `pao.toml` is invalid).
    pub config: Config,
    /// Why `pao.toml` is not in force, if it is not.
    pub problem: Option<ConfigProblem>,
    /// The linter for `config`.
    pub linter: Linter,
    exclude: GlobSet,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings").field("config", &self.config).field("problem", &self.problem).finish_non_exhaustive()
    }
}

impl Settings {
    /// Settings from the text of `pao.toml` (`None`: the file does not exist). An invalid file
    /// is reported and the defaults are used, so the editor keeps linting.
    pub fn from_text(text: Option<&str>) -> Self {
        let parsed = match text {
            None => Ok(Config::default()),
            Some(text) => Config::parse(text, Path::new(CONFIG_FILE)),
        };
        let (config, mut problem) = match parsed {
            Ok(config) => (config, None),
            Err(pao_config::ConfigError::Invalid { line, column, message, .. }) => {
                (Config::default(), Some(ConfigProblem { message, line, column }))
            }
            Err(other) => (Config::default(), Some(ConfigProblem { message: other.to_string(), line: 1, column: 1 })),
        };
        let (linter, config) = match Linter::new(&config) {
            Ok(linter) => (linter, config),
            Err(err) => {
                problem = Some(ConfigProblem { message: err.to_string(), line: 1, column: 1 });
                let defaults = Config::default();
                (Linter::new(&defaults).expect("the default configuration is valid"), defaults)
            }
        };
        let mut exclude = GlobSetBuilder::new();
        for pattern in &config.lint.exclude {
            if let Ok(glob) = Glob::new(pattern) {
                exclude.add(glob);
            }
        }
        let exclude = exclude.build().unwrap_or_else(|_| GlobSet::empty());
        Self { config, problem, linter, exclude }
    }

    /// Whether a repository-relative path is a catalog document pao-lint checks: a `.yaml` or
    /// `.yml` file under `catalog/`, not hidden, not excluded by `[lint] exclude`.
    pub fn is_catalog_file(&self, path: &str) -> bool {
        path.starts_with("catalog/")
            && (path.ends_with(".yaml") || path.ends_with(".yml"))
            && !path.split('/').any(|part| part.starts_with('.'))
            && !self.exclude.is_match(path)
    }
}

/// A catalog file as read from disk.
#[derive(Debug, Clone)]
pub struct DiskFile {
    /// Its bytes.
    pub bytes: Arc<[u8]>,
    /// What it defines, when it parsed.
    pub outline: Option<Arc<Outline>>,
}

impl DiskFile {
    fn new(bytes: Vec<u8>) -> Self {
        let outline = outline_of(&bytes).map(Arc::new);
        Self { bytes: bytes.into(), outline }
    }
}

/// The outline of a file's bytes, if they are YAML text that parses.
pub fn outline_of(bytes: &[u8]) -> Option<Outline> {
    let text = pao_source::decode(bytes).ok()?;
    pao_source::parse_yaml(text).root.map(|root| Outline::of(&root))
}

/// The CODEOWNERS file in force.
#[derive(Debug, Clone)]
pub struct CodeOwners {
    /// Its path relative to the root.
    pub path: String,
    /// Its text.
    pub text: Arc<str>,
}

/// One catalog repository.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The repository root (the directory holding `catalog/`).
    pub root: PathBuf,
    files: Arc<BTreeMap<String, DiskFile>>,
    /// Paths by `metadata.id`, from the disk files.
    ids: Arc<HashMap<String, Vec<String>>>,
    codeowners: Option<CodeOwners>,
    config_text: Option<Arc<str>>,
    settings: Arc<Settings>,
}

impl Workspace {
    /// Reads the repository at `root`: every catalog file, `pao.toml`, CODEOWNERS.
    pub fn load(root: &Path) -> Self {
        let config_text = std::fs::read_to_string(root.join(CONFIG_FILE)).ok().map(Arc::from);
        let settings = Arc::new(Settings::from_text(config_text.as_deref()));
        let mut workspace = Self {
            root: root.to_owned(),
            files: Arc::default(),
            ids: Arc::default(),
            codeowners: None,
            config_text,
            settings,
        };
        workspace.reload_codeowners();
        workspace.rescan();
        workspace
    }

    /// A repository of no files, for documents outside any repository.
    pub fn empty() -> Self {
        Self {
            root: PathBuf::new(),
            files: Arc::default(),
            ids: Arc::default(),
            codeowners: None,
            config_text: None,
            settings: Arc::new(Settings::from_text(None)),
        }
    }

    /// Reads every catalog file again.
    pub fn rescan(&mut self) {
        let mut files = BTreeMap::new();
        for path in discover(&self.root) {
            if self.settings.is_catalog_file(&path)
                && let Ok(bytes) = read_bounded(&self.root.join(&path))
            {
                files.insert(path, DiskFile::new(bytes));
            }
        }
        self.files = Arc::new(files);
        self.index_ids();
    }

    fn index_ids(&mut self) {
        let mut ids: HashMap<String, Vec<String>> = HashMap::new();
        for (path, file) in self.files.iter() {
            if let Some((id, _)) = file.outline.as_ref().and_then(|o| o.id.as_ref()) {
                ids.entry(id.clone()).or_default().push(path.clone());
            }
        }
        self.ids = Arc::new(ids);
    }

    /// Reads one catalog file again (or forgets it, when it is gone or no longer a catalog
    /// file). Returns whether anything changed.
    pub fn reload_file(&mut self, path: &str) -> bool {
        let bytes = if self.settings.is_catalog_file(path) { read_bounded(&self.root.join(path)).ok() } else { None };
        let files = Arc::make_mut(&mut self.files);
        let changed = match bytes {
            Some(bytes) => {
                if files.get(path).is_some_and(|f| *f.bytes == *bytes) {
                    false
                } else {
                    files.insert(path.to_owned(), DiskFile::new(bytes));
                    true
                }
            }
            None => files.remove(path).is_some(),
        };
        if changed {
            self.index_ids();
        }
        changed
    }

    /// Reads `pao.toml` again; a changed configuration rescans the catalog (exclusions may
    /// differ). Returns whether it changed.
    pub fn reload_config(&mut self) -> bool {
        let text = std::fs::read_to_string(self.root.join(CONFIG_FILE)).ok().map(Arc::<str>::from);
        if text == self.config_text {
            return false;
        }
        self.settings = Arc::new(Settings::from_text(text.as_deref()));
        self.config_text = text;
        self.rescan();
        true
    }

    /// Reads CODEOWNERS again. Returns whether it changed.
    pub fn reload_codeowners(&mut self) -> bool {
        let found = CODEOWNERS_PATHS.iter().find_map(|path| {
            std::fs::read_to_string(self.root.join(path))
                .ok()
                .map(|text| CodeOwners { path: (*path).to_owned(), text: text.into() })
        });
        let changed =
            found.as_ref().map(|c| (&c.path, &c.text)) != self.codeowners.as_ref().map(|c| (&c.path, &c.text));
        self.codeowners = found;
        changed
    }

    /// The settings of the `pao.toml` on disk.
    pub fn settings(&self) -> &Arc<Settings> {
        &self.settings
    }

    /// The text of `pao.toml` on disk.
    pub fn config_text(&self) -> Option<&str> {
        self.config_text.as_deref()
    }

    /// CODEOWNERS as on disk.
    pub fn codeowners(&self) -> Option<&CodeOwners> {
        self.codeowners.as_ref()
    }

    /// The catalog files on disk.
    pub fn files(&self) -> &BTreeMap<String, DiskFile> {
        &self.files
    }

    /// Paths of the disk files whose `metadata.id` is `id`.
    pub fn paths_of(&self, id: &str) -> &[String] {
        self.ids.get(id).map_or(&[], Vec::as_slice)
    }

    /// Every id of the disk files.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.ids.keys().map(String::as_str)
    }

    /// `path` relative to the root with `/` separators, if it is inside it.
    pub fn relative(&self, path: &Path) -> Option<String> {
        let relative = path.strip_prefix(&self.root).ok()?;
        let parts: Vec<String> = relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        (!parts.is_empty()).then(|| parts.join("/"))
    }

    /// Which of `CODEOWNERS_PATHS` a relative path is, if any.
    pub fn is_codeowners_path(path: &str) -> bool {
        CODEOWNERS_PATHS.contains(&path)
    }
}

/// Reads a file, but never more than one byte past the size a catalog document may have (as
/// pao-lint does): a huge file is reported as too large without being read whole.
pub fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let limit = u64::try_from(pao_source::MAX_FILE_BYTES).unwrap_or(u64::MAX) + 1;
    let mut bytes = Vec::new();
    file.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Every `.yaml`/`.yml` file under `root/catalog`, relative, sorted (hidden entries skipped,
/// links followed, as pao-lint discovers them).
fn discover(root: &Path) -> Vec<String> {
    let catalog = root.join("catalog");
    if !catalog.is_dir() {
        return Vec::new();
    }
    let mut files: Vec<String> = walkdir::WalkDir::new(&catalog)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let relative = e.path().strip_prefix(root).ok()?;
            Some(relative.to_string_lossy().replace('\\', "/"))
        })
        .filter(|p| p.ends_with(".yaml") || p.ends_with(".yml"))
        .collect();
    files.sort_unstable();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
    }

    #[test]
    fn loads_the_example_catalog() {
        let workspace = Workspace::load(&example());
        assert!(workspace.files().len() >= 20, "{}", workspace.files().len());
        assert_eq!(workspace.paths_of("postgresql-standard"), ["catalog/databases/postgresql-standard.yaml"]);
        assert_eq!(workspace.codeowners().unwrap().path, ".github/CODEOWNERS");
        assert!(workspace.settings().problem.is_none());
        assert_eq!(workspace.settings().config.catalog.github_org.as_deref(), Some("acme"));
    }

    #[test]
    fn an_invalid_config_is_reported_and_the_defaults_used() {
        let settings = Settings::from_text(Some("[lint]\nexclud = []\n"));
        let problem = settings.problem.unwrap();
        assert_eq!(problem.line, 2);
        assert!(problem.message.contains("exclud"), "{}", problem.message);
        let settings = Settings::from_text(Some("[lint.rules]\nPAO999 = \"off\"\n"));
        assert!(settings.problem.unwrap().message.contains("PAO999"));
    }

    #[test]
    fn catalog_files_and_exclusions() {
        let settings = Settings::from_text(Some("[lint]\nexclude = [\"catalog/experimental/**\"]\n"));
        assert!(settings.is_catalog_file("catalog/databases/pg.yaml"));
        assert!(settings.is_catalog_file("catalog/databases/pg.yml"));
        assert!(!settings.is_catalog_file("catalog/experimental/x.yaml"));
        assert!(!settings.is_catalog_file("catalog/.hidden/x.yaml"));
        assert!(!settings.is_catalog_file("requests/team/x.yaml"));
        assert!(!settings.is_catalog_file("catalog/databases/README.md"));
    }
}
