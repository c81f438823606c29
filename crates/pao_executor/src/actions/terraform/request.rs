//! The files a `terraform` action writes under `path`: `main.tf.json` (a module block with
//! `source` and the variables) and `terraform.tfvars.json`.

use pao_schema::TerraformConfig;
use serde_json::{Map, Value, json};

use crate::http::ActionError;

/// `(path, content)` of each file, in the state repository.
pub(crate) fn files(config: &TerraformConfig) -> Result<Vec<(String, String)>, ActionError> {
    let dir = config.path.trim_matches('/');
    if dir.is_empty() || dir.split('/').any(|part| part.is_empty() || part == "." || part == "..") {
        return Err(ActionError::fatal(format!(
            "terraform path `{}` must be a relative directory without `..`",
            config.path
        )));
    }
    let variables: Map<String, Value> = config.variables.clone().unwrap_or_default().into_iter().collect();
    let mut out = Vec::new();
    if let Some(source) = &config.module {
        let mut module = Map::new();
        module.insert("source".into(), source.clone().into());
        for name in variables.keys() {
            module.insert(name.clone(), format!("${{var.{name}}}").into());
        }
        let variable_blocks: Map<String, Value> = variables.keys().map(|k| (k.clone(), json!({}))).collect();
        let main = json!({ "variable": variable_blocks, "module": { "pao": module } });
        out.push((format!("{dir}/main.tf.json"), pretty(&main)));
    }
    out.push((format!("{dir}/terraform.tfvars.json"), pretty(&Value::Object(variables))));
    Ok(out)
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}
