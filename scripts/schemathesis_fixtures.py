"""Real ids for Schemathesis: sets up, as the admin, one open sale with plenty of stock, a purchase
token for it, two orders (one to pay, one to cancel) and two draft sales (one to edit and cancel, one to
publish), and prints Schemathesis configuration
that offers them to the operations needing them, half of the time (the other half the ids are
generated, so refusals of unknown or malformed ids stay tested).

Without them, an operation on an order is reached only when the stateful phase happens to walk
the whole journey its links describe, which a short run cannot promise.

Usage: python3 scripts/schemathesis_fixtures.py BASE_URL ADMIN_TOKEN > fixtures.toml
"""

import json
import sys
import uuid
from datetime import datetime, timedelta, timezone
from urllib.request import Request, urlopen


# Operations that end what they touch: they must not pick ids seen in other answers (the open
# sale, the order to pay), only generated ones and those offered here.
DESTRUCTIVE = {"cancelActivity", "cancelOrder", "payOrder"}


def call(base, token, method, path, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    request = Request(base + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    with urlopen(request, timeout=15) as response:
        return json.load(response)


def main():
    base, token = sys.argv[1] + "/api/v1", sys.argv[2]
    now = datetime.now(timezone.utc)
    product = call(base, token, "POST", "/admin/products", {
        "name": "Schemathesis phone",
        "price": {"amount_minor": 10_000, "currency": "USD"},
    })
    sale = call(base, token, "POST", "/admin/activities", {
        "product_id": product["id"],
        "title": "Schemathesis sale",
        "sale_price": {"amount_minor": 100, "currency": "USD"},
        "total_stock": 10_000,
        "per_user_limit": 1_000,
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
    })
    call(base, token, "POST", f"/admin/activities/{sale['id']}/publication")
    drafts = [
        call(base, token, "POST", "/admin/activities", {
            "product_id": product["id"],
            "title": "Schemathesis draft",
            "sale_price": {"amount_minor": 100, "currency": "USD"},
            "total_stock": 10,
            "per_user_limit": 1,
            "starts_at": (now + timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=2)).isoformat(),
        })["id"]
        for _ in range(2)
    ]
    purchase_token = call(base, token, "POST", f"/activities/{sale['id']}/purchase-tokens")["token"]
    purchases, orders = [], []
    for _ in range(2):
        accepted = call(
            base, token, "POST", f"/activities/{sale['id']}/purchases",
            {"purchase_token": purchase_token, "quantity": 1},
            {"Idempotency-Key": str(uuid.uuid4())},
        )
        purchases.append(accepted["purchase_id"])
        status = call(base, token, "GET", f"/purchases/{accepted['purchase_id']}?wait=10")
        if status.get("order_id") is None:
            sys.exit(f"purchase {accepted['purchase_id']} made no order: {status}")
        orders.append(status["order_id"])
    to_pay, to_cancel = orders
    dictionaries = {
        "sale": [sale["id"]],
        "draft": [drafts[0]],
        "draft_to_publish": [drafts[1]],
        "purchase_token": [purchase_token],
        "purchases": purchases,
        "orders": orders,
        "order_to_pay": [to_pay],
        "order_to_cancel": [to_cancel],
    }
    bindings = [
        (["editActivity", "cancelActivity"], "path.id", "draft"),
        (["publishActivity"], "path.id", "draft_to_publish"),
        (["requestPurchaseToken"], "path.id", "sale"),
        (["purchase"], "path.id", "sale"),
        (["purchase"], "body.purchase_token", "purchase_token"),
        (["getPurchase"], "path.id", "purchases"),
        (["getOrder"], "path.id", "orders"),
        (["payOrder"], "path.id", "order_to_pay"),
        (["cancelOrder"], "path.id", "order_to_cancel"),
    ]
    print("[dictionaries]")
    for name, values in dictionaries.items():
        print(f"{name} = {{ values = {json.dumps(values)} }}")
    by_operation = {}
    for operations, key, dictionary in bindings:
        for operation in operations:
            by_operation.setdefault(operation, []).append((key, dictionary))
    for operation, keys in by_operation.items():
        print()
        print("[[operations]]")
        print(f'include-operation-id = ["{operation}"]')
        entries = ", ".join(
            f'"{key}" = {{ dictionary = "{dictionary}", probability = 0.5 }}'
            for key, dictionary in keys
        )
        print(f"parameters = {{ {entries} }}")
        if operation in DESTRUCTIVE:
            for phase in ("examples", "coverage", "fuzzing"):
                print(f"phases.{phase}.extra-data-sources.responses = false")


if __name__ == "__main__":
    main()
