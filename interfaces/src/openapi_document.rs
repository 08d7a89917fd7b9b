//! The OpenAPI document as served at `/openapi.json`, shown in the docs and committed as
//! `docs/openapi.json`: poem-openapi's output plus two facts its derive macros cannot state.
//!
//! - Request bodies are closed (`additionalProperties: false`): every request type denies unknown
//!   fields, so a typo is refused instead of silently doing nothing.
//! - An optional property may be `null`: poem-openapi reads `null` as absent and writes an absent
//!   value as `null`.
//! - Each operation lists only the error statuses it can answer, each with the codes it may
//!   carry (`contract`), instead of every status of `ApiError` and a catch-all `default`.
//! - Links from answers to the requests they feed (`links`).
//! - Examples of the answers clients handle most (and of money), so the docs and generated SDKs
//!   show real shapes; request bodies get none, since a fixed example (a product id, a token)
//!   would not be valid against any particular deployment, except registering and signing in
//!   as the same new buyer, which any deployment accepts once.
//!
//! Object keys keep poem-openapi's order, so the document reads (and diffs) as it generates.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::contract::{self, Responses};

mod links;

/// The finished document, pretty-printed like poem-openapi's.
///
/// # Errors
/// The JSON error when `raw` is not a JSON document.
pub(crate) fn finish(raw: &str) -> serde_json::Result<String> {
    let mut document: Node = serde_json::from_str(raw)?;
    close_request_bodies(&mut document);
    admit_null_for_optional_properties(&mut document);
    keep_documented_responses(&mut document);
    links::add_links(&mut document)?;
    add_examples(&mut document)?;
    serde_json::to_string_pretty(&document)
}

/// Example values by component schema name.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "RegisterRequest",
        r#"{"username": "ada.lovelace", "password": "analytical-engine-1843"}"#,
    ),
    (
        "SignInRequest",
        r#"{"username": "ada.lovelace", "password": "analytical-engine-1843"}"#,
    ),
    // The current password is the admin's in scripts/schemathesis.sh, so the example request
    // succeeds there once (every operation must answer a 2xx in that run).
    (
        "ChangePasswordRequest",
        r#"{"current_password": "quiet-harbor-lantern-42",
            "new_password": "velvet-compass-orchard-58"}"#,
    ),
    ("Money", r#"{"amount_minor": 9900, "currency": "USD"}"#),
    (
        "Problem",
        r#"{"type": "/docs/problems#sold_out", "title": "Conflict", "status": 409,
            "detail": "nothing left to buy", "code": "sold_out"}"#,
    ),
    (
        "Session",
        r#"{"token": "eyJhbGciOiJIUzI1NiIsImtpZCI6IjNmYTE5YzA0ZDdlMjViNjAifQ.eyJzdWIiOiIwMTlhIn0.c2lnbmF0dXJl",
            "token_type": "Bearer", "expires_at": "2026-11-27T12:15:00Z",
            "refresh_token": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "refresh_expires_at": "2026-12-27T12:00:00Z",
            "session_id": "019ac0de-7a1c-7cc2-9a53-1f0e8b1c2d3e"}"#,
    ),
    (
        "PurchaseToken",
        r#"{"token": "eyJhbGciOiJIUzI1NiJ9.eyJ0eXAiOiJwdXJjaGFzZSJ9.c2lnbmF0dXJl",
            "expires_at": "2026-11-26T12:02:00Z"}"#,
    ),
    (
        "Purchase",
        r#"{"purchase_id": "019ac0de-7a1c-7cc2-9a53-1f0e8b1c2d3e", "status": "ordered",
            "order_id": "019ac0de-7b40-7d11-8e2f-5a6b7c8d9e0f", "reason": null,
            "status_url": "/api/v1/purchases/019ac0de-7a1c-7cc2-9a53-1f0e8b1c2d3e"}"#,
    ),
    (
        "Order",
        r#"{"id": "019ac0de-7b40-7d11-8e2f-5a6b7c8d9e0f",
            "purchase_id": "019ac0de-7a1c-7cc2-9a53-1f0e8b1c2d3e",
            "activity_id": "019ac0dd-1111-7222-8333-444455556666", "quantity": 1,
            "unit_price": {"amount_minor": 9900, "currency": "USD"}, "total_minor": 9900,
            "status": "pending_payment", "created_at": "2026-11-26T12:00:00.120Z",
            "pay_deadline": "2026-11-26T12:15:00.120Z", "paid_at": null, "cancelled_at": null,
            "expired_at": null, "payment_ref": null}"#,
    ),
    (
        "ActivityStats",
        r#"{"total": 100, "available": 40, "held": 35, "sold": 25, "gate_available": 40,
            "live_orders": 60, "live_items": 60, "queue_lag": 0, "balanced": true,
            "problems": [], "breakers": [{"dependency": "redis", "state": "closed"},
            {"dependency": "nats", "state": "closed"}, {"dependency": "database",
            "state": "closed"}]}"#,
    ),
    (
        "User",
        r#"{"id": "019ac0dc-aaaa-7bbb-8ccc-dddddddddddd", "username": "alice", "role": "buyer",
            "created_at": "2026-11-26T11:59:00Z"}"#,
    ),
];

/// Puts each of [`EXAMPLES`] on its schema, unless the schema has one already.
fn add_examples(document: &mut Node) -> serde_json::Result<()> {
    for (name, example) in EXAMPLES {
        let value: Node = serde_json::from_str(example)?;
        if let Some(Node::Object(entries)) = schema_named_mut(document, name)
            && !entries.iter().any(|(k, _)| k == "example")
        {
            entries.push(("example".into(), value));
        }
    }
    Ok(())
}

/// Keeps each listed operation's success answers and exactly its error answers from
/// [`contract::operations`], each described with the codes it may carry. An operation without an
/// entry keeps poem-openapi's list (every status of `ApiError`); a test fails for it.
fn keep_documented_responses(document: &mut Node) {
    let table: BTreeMap<&str, Responses> = contract::operations().into_iter().collect();
    let Some(Node::Object(paths)) = document.get_mut("paths") else {
        return;
    };
    for (_, item) in paths {
        let Node::Object(operations) = item else {
            continue;
        };
        for (_, operation) in operations {
            let entry = operation
                .get("operationId")
                .and_then(Node::as_str)
                .and_then(|id| table.get(id));
            if let Some(entry) = entry
                && let Some(Node::Object(responses)) = operation.get_mut("responses")
            {
                *responses = documented(std::mem::take(responses), entry);
            }
        }
    }
}

/// The success answers of `generated`, then one answer per status of `entry`, in order.
fn documented(generated: Vec<(String, Node)>, entry: &Responses) -> Vec<(String, Node)> {
    let is_success = |status: &str| status.starts_with('2') || status.starts_with('3');
    let mut kept: Vec<(String, Node)> = generated
        .iter()
        .filter(|(status, _)| is_success(status))
        .cloned()
        .collect();
    let template = |status: &str| {
        generated
            .iter()
            .find(|(s, _)| s == status)
            .or_else(|| generated.iter().find(|(s, _)| s == "default"))
            .map(|(_, response)| response.clone())
    };
    for status in entry.statuses() {
        let key = status.to_string();
        let Some(Node::Object(mut response)) = template(&key) else {
            continue;
        };
        let codes: Vec<String> = entry.codes(status).map(|c| format!("`{c}`")).collect();
        let summary = response
            .iter()
            .find(|(k, _)| k == "description")
            .and_then(|(_, v)| v.as_str())
            .unwrap_or_default()
            .to_owned();
        let description = format!("{summary} Codes: {}.", codes.join(", "));
        response.retain(|(k, _)| k != "description");
        response.insert(0, ("description".into(), Node::String(description)));
        kept.push((key, Node::Object(response)));
    }
    kept
}

const SCHEMA_PREFIX: &str = "#/components/schemas/";

/// Marks every named schema a request body can reach as closed.
fn close_request_bodies(document: &mut Node) {
    let mut reached = BTreeSet::new();
    let mut pending: Vec<String> = Vec::new();
    for item in document.get("paths").map(Node::values).unwrap_or_default() {
        for operation in item.values() {
            let bodies = operation
                .get("requestBody")
                .and_then(|body| body.get("content"))
                .map(Node::values)
                .unwrap_or_default();
            for media in bodies {
                if let Some(schema) = media.get("schema") {
                    references(schema, &mut pending);
                }
            }
        }
    }
    while let Some(name) = pending.pop() {
        if reached.insert(name.clone())
            && let Some(schema) = schema_named(document, &name)
        {
            references(schema, &mut pending);
        }
    }
    for name in reached {
        if let Some(Node::Object(entries)) = schema_named_mut(document, &name)
            && entries.iter().any(|(k, _)| k == "properties")
            && !entries.iter().any(|(k, _)| k == "additionalProperties")
        {
            entries.push(("additionalProperties".into(), Node::Bool(false)));
        }
    }
}

/// Adds `nullable: true` to each property a component schema does not require.
fn admit_null_for_optional_properties(document: &mut Node) {
    let Some(Node::Object(schemas)) = document
        .get_mut("components")
        .and_then(|c| c.get_mut("schemas"))
    else {
        return;
    };
    for (_, schema) in schemas {
        let required: BTreeSet<String> = schema
            .get("required")
            .map(Node::values)
            .unwrap_or_default()
            .into_iter()
            .filter_map(Node::as_str)
            .map(str::to_owned)
            .collect();
        if let Some(Node::Object(properties)) = schema.get_mut("properties") {
            for (name, property) in properties {
                if !required.contains(name)
                    && let Node::Object(entries) = property
                    && !entries.iter().any(|(k, _)| k == "nullable")
                {
                    entries.push(("nullable".into(), Node::Bool(true)));
                }
            }
        }
    }
}

/// The names of the component schemas `schema` refers to, at any depth.
fn references(schema: &Node, into: &mut Vec<String>) {
    match schema {
        Node::Object(entries) => {
            for (key, value) in entries {
                match (key.as_str(), value) {
                    ("$ref", Node::String(target)) => {
                        if let Some(name) = target.strip_prefix(SCHEMA_PREFIX) {
                            into.push(name.to_owned());
                        }
                    }
                    _ => references(value, into),
                }
            }
        }
        Node::Array(items) => items.iter().for_each(|item| references(item, into)),
        _ => {}
    }
}

fn schema_named<'a>(document: &'a Node, name: &str) -> Option<&'a Node> {
    document.get("components")?.get("schemas")?.get(name)
}

fn schema_named_mut<'a>(document: &'a mut Node, name: &str) -> Option<&'a mut Node> {
    document
        .get_mut("components")?
        .get_mut("schemas")?
        .get_mut(name)
}

/// A JSON value whose objects keep their keys in document order.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match self {
            Node::Object(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// An object's values or an array's items; nothing for anything else.
    fn values(&self) -> Vec<&Node> {
        match self {
            Node::Object(entries) => entries.iter().map(|(_, v)| v).collect(),
            Node::Array(items) => items.iter().collect(),
            _ => Vec::new(),
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Node::String(s) => Some(s),
            _ => None,
        }
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => serializer.serialize_unit(),
            Node::Bool(b) => serializer.serialize_bool(*b),
            Node::Number(n) => n.serialize(serializer),
            Node::String(s) => serializer.serialize_str(s),
            Node::Array(items) => items.serialize(serializer),
            Node::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        serde_json::Number::from_f64(v)
            .map(Node::Number)
            .ok_or_else(|| E::custom("a number JSON cannot hold"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Node::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn finished(document: &Value) -> Value {
        serde_json::from_str(&finish(&document.to_string()).unwrap()).unwrap()
    }

    #[test]
    fn schemas_a_request_body_reaches_are_closed_and_others_are_not() {
        let document = json!({
            "paths": {"/things": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/New"}}}},
                "responses": {"201": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}
            }}},
            "components": {"schemas": {
                "New": {"type": "object", "properties": {"price": {"allOf": [{"$ref": "#/components/schemas/Money"}]}}},
                "Money": {"type": "object", "properties": {"amount": {"type": "integer"}}},
                "Thing": {"type": "object", "properties": {"id": {"type": "string"}}}
            }}
        });
        let schemas = &finished(&document)["components"]["schemas"];
        assert_eq!(schemas["New"]["additionalProperties"], false);
        assert_eq!(schemas["Money"]["additionalProperties"], false);
        assert!(schemas["Thing"].get("additionalProperties").is_none());
    }

    #[test]
    fn known_schemas_get_their_example_and_an_existing_one_stays() {
        let document = json!({"components": {"schemas": {
            "Money": {"type": "object", "properties": {"amount_minor": {"type": "integer"}}},
            "Problem": {"type": "object", "example": {"code": "mine"}}
        }}});
        let schemas = &finished(&document)["components"]["schemas"];
        assert_eq!(schemas["Money"]["example"]["currency"], "USD");
        assert_eq!(schemas["Problem"]["example"], json!({"code": "mine"}));
    }

    #[test]
    fn only_properties_that_are_not_required_may_be_null() {
        let document = json!({"components": {"schemas": {"Thing": {
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "string"}, "note": {"type": "string"}}
        }}}});
        let thing = &finished(&document)["components"]["schemas"]["Thing"];
        assert!(thing["properties"]["id"].get("nullable").is_none());
        assert_eq!(thing["properties"]["note"]["nullable"], true);
    }

    #[test]
    fn an_operation_keeps_only_its_own_error_answers_and_names_their_codes() {
        let problem = json!({"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}});
        let answer = |description: &str| json!({"description": description, "content": problem});
        let document = json!({"paths": {
            "/products/{id}": {"get": {"operationId": "getProduct", "responses": {
                "200": {"description": ""}, "400": answer("Unreadable."),
                "402": answer("Declined."), "404": answer("Not found."),
                "503": answer("Down."), "default": answer("Other.")
            }}},
            "/new": {"get": {"operationId": "notInTheTable", "responses": {
                "200": {"description": ""}, "402": answer("Declined.")
            }}}
        }});
        let paths = &finished(&document)["paths"];
        let product = paths["/products/{id}"]["get"]["responses"]
            .as_object()
            .unwrap();
        let statuses: Vec<&str> = product.keys().map(String::as_str).collect();
        assert_eq!(statuses, ["200", "400", "404", "503"]);
        assert_eq!(
            product["404"]["description"],
            "Not found. Codes: `not_found`."
        );
        assert_eq!(
            product["503"]["description"],
            "Down. Codes: `overloaded`, `unavailable`."
        );
        assert_eq!(product["404"]["content"], problem);
        assert!(paths["/new"]["get"]["responses"]["402"].is_object());
    }

    #[test]
    fn every_link_joins_two_operations_of_the_contract() {
        let operations: BTreeSet<&str> = contract::operations()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        for name in links::named_operations() {
            assert!(operations.contains(name), "{name}");
        }
    }

    #[test]
    fn a_link_names_its_target_and_joins_the_answer_it_follows() {
        let document = json!({"paths": {
            "/purchases": {"post": {"operationId": "purchase", "responses": {"202": {"description": ""}}}},
            "/purchases/{id}": {"get": {"operationId": "getPurchase", "responses": {"200": {"description": ""}}}}
        }});
        let paths = &finished(&document)["paths"];
        let link = &paths["/purchases"]["post"]["responses"]["202"]["links"]["WaitForTheOrder"];
        assert_eq!(link["operationId"], "getPurchase");
        assert_eq!(link["parameters"]["path.id"], "$response.body#/purchase_id");
        let pay = &paths["/purchases/{id}"]["get"]["responses"]["200"]["links"]["Pay"];
        assert_eq!(pay["parameters"]["path.id"], "$response.body#/order_id");
    }

    #[test]
    fn keys_keep_their_order_and_numbers_their_form() {
        let raw = "{\n  \"openapi\": \"3.0.0\",\n  \"info\": {\n    \"title\": \"x\"\n  },\n  \"maximum\": 100.0\n}";
        assert_eq!(finish(raw).unwrap(), raw);
    }
}
