//! `pao.toml`: `pao_config::Config::parse`, then what the linter builds from it
//! (`pao_lint::Linter::new`: rule levels, exclusion globs) and the template engine's allow-list.
//!
//! Checks, besides never panicking: an error names a 1-based line and column inside the file
//! and says what is wrong; parsing is deterministic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use pao_config::{Config, ConfigError};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let path = Path::new("pao.toml");
    match Config::parse(text, path) {
        Ok(config) => {
            assert_eq!(Config::parse(text, path).ok(), Some(config.clone()), "parsing is not deterministic");
            // Compiling the schemas is the slow part of `Linter::new`: only when `[lint]` says
            // something for it to check.
            if !config.lint.rules.is_empty() || !config.lint.exclude.is_empty() {
                if let Err(error) = pao_lint::Linter::new(&config) {
                    assert!(!error.to_string().is_empty(), "a lint configuration error without a message");
                }
            }
            let engine = pao_vars::Engine::new(config.templates.environment.iter().cloned());
            assert_eq!(engine.environment_allowlist().len(), {
                let mut names = config.templates.environment.clone();
                names.sort();
                names.dedup();
                names.len()
            });
        }
        Err(ConfigError::Invalid { line, column, message, .. }) => {
            let lines = text.split('\n').count();
            assert!(line >= 1 && column >= 1, "position {line}:{column} is not 1-based");
            assert!(line <= lines, "line {line} of a {lines}-line file");
            assert!(!message.is_empty(), "an error without a message");
        }
        Err(other) => panic!("parsing text cannot fail to read a file: {other}"),
    }
});
