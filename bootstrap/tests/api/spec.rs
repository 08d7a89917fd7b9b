//! The OpenAPI document is a product of its own: the committed copy must match the code, and
//! every operation must carry what SDK generators and readers rely on.

use std::path::PathBuf;

use serde_json::Value;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json")
}

#[tokio::test]
async fn the_committed_openapi_document_matches_the_code() {
    let spec = seckiller::spec::openapi_document().await.unwrap();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(committed_path(), &spec).unwrap();
    }
    let committed = std::fs::read_to_string(committed_path()).unwrap_or_default();
    assert!(
        committed == spec,
        "docs/openapi.json differs from the code's document; regenerate it with \
         `cargo run -p seckiller -- openapi > docs/openapi.json`"
    );
}

#[tokio::test]
async fn every_operation_is_named_summarised_and_documents_its_problems() {
    let spec: Value =
        serde_json::from_str(&seckiller::spec::openapi_document().await.unwrap()).unwrap();
    let mut ids = std::collections::HashSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: no operationId"));
            assert!(
                ids.insert(id.to_owned()),
                "{name}: operationId {id} repeated"
            );
            assert!(op["summary"].is_string(), "{name}: no summary");
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            let public = path.starts_with("/api/v1/activities") && method == "get"
                || path.starts_with("/api/v1/products")
                || path == "/api/v1/users"
                || path == "/api/v1/sessions"
                // The refresh token in the body is the credential.
                || path == "/api/v1/sessions/refresh";
            assert!(
                secured || public,
                "{name}: needs the bearer security scheme"
            );
            for (status, response) in op["responses"].as_object().unwrap() {
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        response["content"]["application/problem+json"]["schema"].is_object(),
                        "{name} {status}: not a problem+json schema"
                    );
                }
            }
        }
    }
    assert!(
        ids.len() >= 20,
        "the document lists {} operations",
        ids.len()
    );
}

#[tokio::test]
async fn every_example_has_the_shape_of_its_schema() {
    let spec: Value =
        serde_json::from_str(&seckiller::spec::openapi_document().await.unwrap()).unwrap();
    let mut examples = 0;
    for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
        let Some(example) = schema.get("example") else {
            continue;
        };
        examples += 1;
        let properties = schema["properties"].as_object().unwrap();
        let fields = example.as_object().unwrap();
        for key in fields.keys() {
            assert!(
                properties.contains_key(key),
                "{name}: example field {key} is not in the schema"
            );
        }
        for required in schema["required"].as_array().into_iter().flatten() {
            let required = required.as_str().unwrap();
            assert!(
                fields.contains_key(required),
                "{name}: example lacks {required}"
            );
        }
    }
    assert!(examples >= 8, "only {examples} schemas have examples");
}

#[tokio::test]
async fn each_operation_lists_exactly_the_error_answers_of_its_contract_line() {
    let spec: Value =
        serde_json::from_str(&seckiller::spec::openapi_document().await.unwrap()).unwrap();
    let table: std::collections::BTreeMap<_, _> = seckiller_interfaces::contract::operations()
        .into_iter()
        .collect();
    let mut documented = std::collections::BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap();
            let entry = table.get(id).unwrap_or_else(|| {
                panic!("{method} {path} ({id}) has no line in interfaces/src/contract.rs")
            });
            let responses = op["responses"].as_object().unwrap();
            assert!(
                !responses.contains_key("default"),
                "{id}: a catch-all answer"
            );
            let errors: Vec<u16> = responses
                .keys()
                .map(|s| s.parse::<u16>().unwrap())
                .filter(|s| *s >= 400)
                .collect();
            let expected: Vec<u16> = entry.statuses().collect();
            assert_eq!(errors, expected, "{id}");
            for status in expected {
                for code in entry.codes(status) {
                    let description = responses[&status.to_string()]["description"]
                        .as_str()
                        .unwrap();
                    assert!(description.contains(&format!("`{code}`")), "{id} {status}");
                }
            }
            documented.insert(id.to_owned());
        }
    }
    for id in table.keys() {
        assert!(
            documented.contains(*id),
            "interfaces/src/contract.rs lists {id}, which the API does not have"
        );
    }
}
