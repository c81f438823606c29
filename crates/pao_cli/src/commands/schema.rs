//! `pao schema generate [--check]`.

use anyhow::Context;

use crate::ExitStatus;
use crate::args::SchemaCommand;

/// Writes (or checks) the generated schema files.
#[allow(clippy::print_stdout, clippy::print_stderr)]
pub fn run(command: SchemaCommand) -> anyhow::Result<ExitStatus> {
    let SchemaCommand::Generate { out_dir, check } = command;
    let mut stale = Vec::new();
    for file in pao_schema::generate_schemas() {
        let path = out_dir.join(file.name);
        let contents = file.contents();
        if check {
            let current = std::fs::read_to_string(&path).unwrap_or_default();
            if current != contents {
                stale.push(path.display().to_string());
            }
        } else {
            std::fs::create_dir_all(&out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
            std::fs::write(&path, contents).with_context(|| format!("cannot write {}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    if stale.is_empty() {
        Ok(ExitStatus::Success)
    } else {
        eprintln!("out of date (run `pao schema generate`): {}", stale.join(", "));
        Ok(ExitStatus::Failure)
    }
}
