//! The output formats of `pao-lint --format`: one module per format.

mod escape;
mod github;
mod human;
mod json;
mod sarif;

pub use escape::{escape_json_c1, escape_text, mask_source};
pub use github::render_github;
pub use human::{HumanOptions, render_human};
pub use json::{render_json, to_json};
pub use sarif::{MAX_RESULTS, SarifTool, render_sarif, render_sarif_capped};
