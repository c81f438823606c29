//! The output formats of `pao-lint --format`: one module per format.

mod github;
mod human;
mod json;
mod sarif;

pub use github::render_github;
pub use human::{HumanOptions, render_human};
pub use json::{render_json, to_json};
pub use sarif::{MAX_RESULTS, SarifTool, render_sarif, render_sarif_capped};
