//! `pao form preview` and `pao form validate`: the form description, the HTML preview and the
//! check of a values file, all from `pao_form` (the same code the REST API runs).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use pao_form::{FormDescription, Validator, parse_document, parse_values, render_html};
use serde_json::{Map, Value};

use crate::{ExitStatus, print_stdout};

/// `pao form` subcommands.
#[derive(Debug, Subcommand)]
pub enum FormCommand {
    /// Print the form description UIs render (JSON) or write a self-contained HTML preview.
    Preview(PreviewArgs),
    /// Check a values file against an item's form; exit 1 with one `<field>: <message>` line per
    /// invalid field.
    Validate(ValidateArgs),
}

/// `pao form preview` options.
#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// The catalog item (or bundle) YAML file.
    #[arg(value_name = "ITEM")]
    pub item: PathBuf,
    /// `json`: the form description; `html`: one page with live validation, no network needed.
    #[arg(long, value_enum, default_value_t = PreviewFormat::Json)]
    pub format: PreviewFormat,
    /// Values (YAML or JSON mapping of field id to value) to pre-fill; with `--format json` they
    /// are added as `values` (passwords as `***`).
    #[arg(long, value_name = "FILE")]
    pub values: Option<PathBuf>,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `pao form validate` options.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The catalog item (or bundle) YAML file.
    #[arg(value_name = "ITEM")]
    pub item: PathBuf,
    /// Values to check: a YAML or JSON mapping of field id to value.
    #[arg(long, value_name = "FILE")]
    pub values: PathBuf,
    /// `text`: one `<field>: <message>` line per invalid field; `json`: errors, normalised values
    /// and hidden fields, as `POST /api/v1/validate/request` returns them.
    #[arg(long, value_enum, default_value_t = ValidateFormat::Text)]
    pub format: ValidateFormat,
}

/// Output of `pao form preview`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PreviewFormat {
    /// The form description as JSON.
    Json,
    /// A self-contained HTML page.
    Html,
}

/// Output of `pao form validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValidateFormat {
    /// One line per invalid field.
    Text,
    /// The whole outcome as JSON.
    Json,
}

/// Runs a `pao form` subcommand.
pub fn run(command: FormCommand) -> anyhow::Result<ExitStatus> {
    match command {
        FormCommand::Preview(args) => preview(&args),
        FormCommand::Validate(args) => validate(&args),
    }
}

fn read_item(path: &Path) -> anyhow::Result<FormDescription> {
    let bytes = pao_source::read_bounded(path, pao_source::MAX_INPUT_BYTES)?;
    let document = parse_document(&bytes)
        .with_context(|| format!("{} is not a usable catalog document (run `pao-lint` on it)", path.display()))?;
    Ok(FormDescription::from_document(&document))
}

fn read_values(path: &Path) -> anyhow::Result<Map<String, Value>> {
    let bytes = pao_source::read_bounded(path, pao_source::MAX_INPUT_BYTES)?;
    parse_values(&bytes).with_context(|| format!("cannot read values from {}", path.display()))
}

fn preview(args: &PreviewArgs) -> anyhow::Result<ExitStatus> {
    let description = read_item(&args.item)?;
    let values = args.values.as_deref().map(read_values).transpose()?;
    let text = match args.format {
        PreviewFormat::Html => render_html(&description, values.as_ref()),
        PreviewFormat::Json => {
            let mut json = serde_json::to_value(&description)?;
            if let (Some(values), Value::Object(object)) = (values, &mut json) {
                object.insert("values".to_owned(), Value::Object(description.mask_passwords(&values)));
            }
            let mut text = serde_json::to_string_pretty(&json)?;
            text.push('\n');
            text
        }
    };
    match &args.output {
        Some(path) => std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?,
        None => print_stdout(&text)?,
    }
    Ok(ExitStatus::Success)
}

fn validate(args: &ValidateArgs) -> anyhow::Result<ExitStatus> {
    let description = read_item(&args.item)?;
    let values = read_values(&args.values)?;
    let mut outcome = Validator::from_description(&description).validate(&values);
    // Shown, never stored: a password typed into a values file stays out of the output.
    outcome.values = description.mask_passwords(&outcome.values);
    let text = match args.format {
        ValidateFormat::Json => {
            let mut text = serde_json::to_string_pretty(&outcome)?;
            text.push('\n');
            text
        }
        ValidateFormat::Text => {
            outcome.errors.iter().map(|error| format!("{}: {}\n", error.field, one_line(&error.message))).collect()
        }
    };
    print_stdout(&text)?;
    Ok(if outcome.valid { ExitStatus::Success } else { ExitStatus::Failure })
}

/// Keeps one error on one line, whatever the catalog's message holds.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
