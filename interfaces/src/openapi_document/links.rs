//! OpenAPI links: which answer feeds which next request, e.g. a purchase's `purchase_id` names
//! the purchase to ask about, and that answer's `order_id` the order to pay. poem-openapi cannot
//! state them, so they are added here. Readers and generators learn the journey from them, and
//! Schemathesis's stateful phase follows them with real ids, from a new product to a paid or
//! cancelled order (scripts/schemathesis.sh fails when an operation never succeeds).

use super::Node;

/// `(from operationId, its success status, link name, to operationId, link object)`.
const LINKS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "register",
        "201",
        "SignIn",
        "signIn",
        r#"{"requestBody": {"username": "$request.body#/username",
            "password": "$request.body#/password"}}"#,
    ),
    ("createProduct", "201", "GetProduct", "getProduct", ID),
    ("createProduct", "201", "EditProduct", "editProduct", ID),
    // A sale of the new product, open from the product's creation for as long as anyone cares,
    // with stock and a limit that let one buyer buy several times.
    (
        "createProduct",
        "201",
        "CreateActivity",
        "createActivity",
        r#"{"requestBody": {"product_id": "$response.body#/id", "title": "Linked sale",
            "sale_price": {"amount_minor": 1, "currency": "$response.body#/price/currency"},
            "total_stock": 1000, "per_user_limit": 1000,
            "starts_at": "$response.body#/created_at", "ends_at": "2999-12-31T00:00:00Z"},
            "x-schemathesis": {"merge_body": false}}"#,
    ),
    ("editProduct", "200", "GetProduct", "getProduct", ID),
    ("createActivity", "201", "Publish", "publishActivity", ID),
    ("createActivity", "201", "Get", "adminGetActivity", ID),
    ("createActivity", "201", "Stats", "activityStats", ID),
    (
        "createActivity",
        "201",
        "SetRateLimit",
        "setActivityRateLimit",
        ID,
    ),
    ("publishActivity", "200", "GetActivity", "getActivity", ID),
    (
        "publishActivity",
        "200",
        "RequestPurchaseToken",
        "requestPurchaseToken",
        ID,
    ),
    ("publishActivity", "200", "Cancel", "cancelActivity", ID),
    (
        "requestPurchaseToken",
        "201",
        "Purchase",
        "purchase",
        r#"{"parameters": {"path.id": "$request.path.id"},
            "requestBody": {"purchase_token": "$response.body#/token", "quantity": 1},
            "x-schemathesis": {"merge_body": false}}"#,
    ),
    (
        "purchase",
        "202",
        "WaitForTheOrder",
        "getPurchase",
        r#"{"parameters": {"path.id": "$response.body#/purchase_id", "query.wait": 5}}"#,
    ),
    ("getPurchase", "200", "GetOrder", "getOrder", ORDER_ID),
    ("getPurchase", "200", "Pay", "payOrder", ORDER_ID),
    ("getPurchase", "200", "Cancel", "cancelOrder", ORDER_ID),
    ("payOrder", "200", "GetOrder", "getOrder", ID),
    ("cancelOrder", "200", "GetOrder", "getOrder", ID),
];

/// The `id` of the answer names the next request's resource.
const ID: &str = r#"{"parameters": {"path.id": "$response.body#/id"}}"#;
/// A purchase's order, once it exists.
const ORDER_ID: &str = r#"{"parameters": {"path.id": "$response.body#/order_id"}}"#;

/// Adds each of [`LINKS`] to its answer, naming the target by `operationId`.
///
/// # Errors
/// The JSON error when a link in the table is not JSON.
pub(super) fn add_links(document: &mut Node) -> serde_json::Result<()> {
    for (from, status, name, to, link) in LINKS {
        let Node::Object(mut link) = serde_json::from_str::<Node>(link)? else {
            continue;
        };
        link.insert(0, ("operationId".into(), Node::String((*to).to_owned())));
        if let Some(Node::Object(response)) = answer_mut(document, from, status) {
            match response.iter_mut().find(|(k, _)| k == "links") {
                Some((_, Node::Object(links))) => {
                    links.push(((*name).to_owned(), Node::Object(link)))
                }
                _ => response.push((
                    "links".into(),
                    Node::Object(vec![((*name).to_owned(), Node::Object(link))]),
                )),
            }
        }
    }
    Ok(())
}

/// The answer with `status` of the operation `operation_id`.
fn answer_mut<'a>(
    document: &'a mut Node,
    operation_id: &str,
    status: &str,
) -> Option<&'a mut Node> {
    let Some(Node::Object(paths)) = document.get_mut("paths") else {
        return None;
    };
    paths
        .iter_mut()
        .filter_map(|(_, item)| match item {
            Node::Object(operations) => Some(operations),
            _ => None,
        })
        .flat_map(|operations| operations.iter_mut().map(|(_, op)| op))
        .find(|op| op.get("operationId").and_then(Node::as_str) == Some(operation_id))?
        .get_mut("responses")?
        .get_mut(status)
}

/// The operations [`LINKS`] names, so a test can check each exists.
#[cfg(test)]
pub(super) fn named_operations() -> impl Iterator<Item = &'static str> {
    LINKS.iter().flat_map(|(from, _, _, to, _)| [*from, *to])
}
