//! Generates the client from the committed OpenAPI document into `OUT_DIR/seckiller_client.rs`.
//!
//! The document is read as it is; two facts of it that progenitor cannot take are restated in
//! memory first (see [`adapt`]), never in the file.

use std::path::PathBuf;

use anyhow::{Context, bail};
use serde_json::{Map, Value};

const DOCUMENT: &str = "../../docs/openapi.json";

/// The media type of every error answer (RFC 9457).
const PROBLEM: &str = "application/problem+json";

fn main() -> anyhow::Result<()> {
    println!("cargo:rerun-if-changed={DOCUMENT}");
    let text = std::fs::read_to_string(DOCUMENT).with_context(|| format!("reading {DOCUMENT}"))?;
    let mut document: Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {DOCUMENT}"))?;
    adapt(&mut document)?;
    let spec = serde_json::from_value(document)
        .with_context(|| format!("{DOCUMENT} is not an OpenAPI 3.0 document"))?;

    let mut generator = progenitor::Generator::default();
    let tokens = generator
        .generate_tokens(&spec)
        .with_context(|| format!("generating the client from {DOCUMENT}"))?;
    let file = syn::parse2(tokens).context("parsing the generated client")?;
    let out =
        PathBuf::from(std::env::var("OUT_DIR").context("OUT_DIR")?).join("seckiller_client.rs");
    std::fs::write(&out, prettyplease::unparse(&file))
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}

/// Restates each operation's answers in the form progenitor generates typed errors from:
///
/// - `default` (any other status the framework itself produces, e.g. 415) is dropped.
///   Progenitor counts `default` among the success answers as well as the errors, and one
///   operation may have only one success type. Without it such a status still fails the call,
///   as `Error::UnexpectedResponse` carrying the raw response; every status the service decides
///   on is listed with its own code. (`4XX`/`5XX` in its place would collide with the listed
///   codes in the generated `match`.)
/// - `application/problem+json` is read as JSON: progenitor types only `application/json`
///   bodies, and a problem is JSON. Without this every error would be an untyped byte stream.
///
/// # Errors
/// When the document has no `paths` object, so the file is not what this build expects.
fn adapt(document: &mut Value) -> anyhow::Result<()> {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        bail!("{DOCUMENT} has no `paths` object");
    };
    let operations = paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(|operation| operation.get_mut("responses"))
        .filter_map(Value::as_object_mut);
    for responses in operations {
        responses.remove("default");
        for response in responses.values_mut() {
            if let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) {
                read_problem_as_json(content);
            }
        }
    }
    Ok(())
}

/// Renames the `application/problem+json` entry of one answer's content to `application/json`.
fn read_problem_as_json(content: &mut Map<String, Value>) {
    if let Some(problem) = content.remove(PROBLEM) {
        content.entry("application/json").or_insert(problem);
    }
}
