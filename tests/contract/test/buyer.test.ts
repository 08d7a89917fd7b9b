/**
 * A buyer's whole journey through the SDK: account, sign-in, browsing, buying, the long poll,
 * paying, cancelling, and the refusals on the way.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import { createSecKillerClient, refreshSession } from "@seckiller/sdk";
import type { Activity, SecKillerClient } from "@seckiller/sdk";

import {
  BUYER_PASSWORD,
  baseUrl,
  anonymous,
  assertProblem,
  buy,
  newBuyer,
  openSale,
  signIn,
  signInAsAdmin,
  uniqueUsername,
  waitForOrder,
} from "./support.ts";

describe("a buyer's journey", () => {
  let sale: Activity;
  let alice: SecKillerClient;
  let aliceId: string;
  let purchaseId: string;
  let paidOrderId: string;

  before(async () => {
    sale = await openSale(await signInAsAdmin(), { stock: 10, perUserLimit: 2 });
  });

  it("registers with a name that is stored in lower case", async () => {
    const username = uniqueUsername("Alice");
    const { data, error, response } = await anonymous().POST("/api/v1/users", {
      body: { username, password: BUYER_PASSWORD },
    });
    assert.equal(response.status, 201, JSON.stringify(error));
    assert.ok(data);
    assert.equal(data.username, username.toLowerCase());
    assert.equal(data.role, "buyer");
    assert.equal("password" in data, false, "the password never comes back");
    aliceId = data.id;

    const wrong = await anonymous().POST("/api/v1/sessions", {
      body: { username, password: "not-the-password" },
    });
    assertProblem(wrong, 401, "bad_credentials");

    const session = await anonymous().POST("/api/v1/sessions", {
      body: { username: username.toLowerCase(), password: BUYER_PASSWORD },
    });
    assert.equal(session.response.status, 201, JSON.stringify(session.error));
    assert.ok(session.data);
    assert.equal(session.data.token_type, "Bearer");
    assert.ok(Date.parse(session.data.expires_at) > Date.now());
    assert.ok(Date.parse(session.data.refresh_expires_at) > Date.parse(session.data.expires_at));
    alice = await signIn(username, BUYER_PASSWORD);
  });

  it("refreshes a session once per refresh token and signs out", async () => {
    const username = uniqueUsername("rita");
    const registered = await anonymous().POST("/api/v1/users", {
      body: { username, password: BUYER_PASSWORD },
    });
    assert.equal(registered.response.status, 201, JSON.stringify(registered.error));
    const session = await anonymous().POST("/api/v1/sessions", {
      body: { username, password: BUYER_PASSWORD },
    });
    assert.ok(session.data, JSON.stringify(session.error));
    const first = session.data;
    const renewed = await refreshSession(baseUrl, first.refresh_token);
    assert.ok(renewed.data, JSON.stringify(renewed.error));
    assert.equal(renewed.data.session_id, first.session_id);
    assert.notEqual(renewed.data.refresh_token, first.refresh_token);
    const replayed = await refreshSession(baseUrl, first.refresh_token);
    assert.equal(replayed.error?.code, "invalid_refresh_token");

    const other = await anonymous().POST("/api/v1/sessions", {
      body: { username, password: BUYER_PASSWORD },
    });
    assert.ok(other.data);
    const out = await createSecKillerClient(baseUrl, other.data.token).POST(
      "/api/v1/sessions/current/revocation",
    );
    assert.equal(out.response.status, 204);
    const afterSignOut = await refreshSession(baseUrl, other.data.refresh_token);
    assert.equal(afterSignOut.error?.code, "invalid_refresh_token");
  });

  it("sees itself at /me", async () => {
    const { data, error } = await alice.GET("/api/v1/me");
    assert.equal(error, undefined, JSON.stringify(error));
    assert.ok(data);
    assert.equal(data.id, aliceId);
    assert.equal(data.role, "buyer");
  });

  it("finds the open sale in the listing and reads it", async () => {
    const list = await anonymous().GET("/api/v1/activities", {
      params: { query: { phase: "open", limit: 100 } },
    });
    assert.equal(list.error, undefined, JSON.stringify(list.error));
    assert.ok(list.data);
    assert.ok(
      list.data.some((a) => a.id === sale.id),
      "the open sale is listed",
    );
    assert.ok(
      list.data.every((a) => a.phase === "open"),
      "the phase filter holds",
    );

    const { data, error } = await alice.GET("/api/v1/activities/{id}", {
      params: { path: { id: sale.id } },
    });
    assert.equal(error, undefined, JSON.stringify(error));
    assert.ok(data);
    assert.equal(data.phase, "open");
    assert.equal(data.total_stock, 10);
    assert.deepEqual(data.sale_price, { amount_minor: 9_900, currency: "USD" });
    assert.ok(!Number.isNaN(Date.parse(data.server_time)), "server_time is a timestamp");
  });

  it("is refused a purchase with a forged purchase token", async () => {
    const forged = await alice.POST("/api/v1/activities/{id}/purchases", {
      params: { path: { id: sale.id } },
      body: { purchase_token: "forged.purchase.token", quantity: 1 },
    });
    assertProblem(forged, 403, "bad_token");
  });

  it("buys with a purchase token and the long poll brings the order", async () => {
    const token = await alice.POST("/api/v1/activities/{id}/purchase-tokens", {
      params: { path: { id: sale.id } },
    });
    assert.equal(token.response.status, 201, JSON.stringify(token.error));
    assert.ok(token.data);
    assert.ok(Date.parse(token.data.expires_at) > Date.now());

    const accepted = await alice.POST("/api/v1/activities/{id}/purchases", {
      params: { path: { id: sale.id } },
      body: { purchase_token: token.data.token, quantity: 1 },
    });
    assert.equal(accepted.response.status, 202, JSON.stringify(accepted.error));
    assert.ok(accepted.data);
    assert.equal(accepted.data.status, "pending");
    assert.equal(accepted.data.order_id, null, "no order yet: null, not absent");
    purchaseId = accepted.data.purchase_id;
    assert.ok(
      accepted.data.status_url.endsWith(`/api/v1/purchases/${purchaseId}`),
      `status_url ${accepted.data.status_url}`,
    );

    paidOrderId = await waitForOrder(alice, purchaseId);
  });

  it("sees the order, awaiting payment, in its orders", async () => {
    const list = await alice.GET("/api/v1/orders");
    assert.equal(list.error, undefined, JSON.stringify(list.error));
    assert.ok(list.data);
    assert.deepEqual(
      list.data.map((o) => o.id),
      [paidOrderId],
    );

    const { data, error } = await alice.GET("/api/v1/orders/{id}", {
      params: { path: { id: paidOrderId } },
    });
    assert.equal(error, undefined, JSON.stringify(error));
    assert.ok(data);
    assert.equal(data.status, "pending_payment");
    assert.equal(data.purchase_id, purchaseId);
    assert.equal(data.activity_id, sale.id);
    assert.equal(data.quantity, 1);
    assert.equal(data.total_minor, 9_900);
    assert.deepEqual(data.unit_price, { amount_minor: 9_900, currency: "USD" });
    assert.ok(Date.parse(data.pay_deadline) > Date.now(), "the payment window is open");
  });

  it("cannot pay or read another buyer's order", async () => {
    const { client: bob } = await newBuyer("bob");
    const path = { params: { path: { id: paidOrderId } } };
    assertProblem(await bob.POST("/api/v1/orders/{id}/payment", path), 404, "not_found");
    assertProblem(await bob.GET("/api/v1/orders/{id}", path), 404, "not_found");
    assertProblem(
      await bob.GET("/api/v1/purchases/{id}", { params: { path: { id: purchaseId } } }),
      404,
      "not_found",
    );
  });

  it("pays once, and paying again answers the same paid order", async () => {
    const path = { params: { path: { id: paidOrderId } } };
    const paid = await alice.POST("/api/v1/orders/{id}/payment", path);
    assert.equal(paid.response.status, 200, JSON.stringify(paid.error));
    assert.ok(paid.data);
    assert.equal(paid.data.status, "paid");
    assert.ok(paid.data.payment_ref, "a paid order names its charge");
    assert.ok(paid.data.paid_at, "a paid order says when");

    const again = await alice.POST("/api/v1/orders/{id}/payment", path);
    assert.equal(again.response.status, 200, JSON.stringify(again.error));
    assert.deepEqual(again.data, paid.data);
  });

  it("cannot cancel a paid order", async () => {
    const refused = await alice.POST("/api/v1/orders/{id}/cancellation", {
      params: { path: { id: paidOrderId } },
    });
    assertProblem(refused, 409, "order_paid");
  });

  it("cancels a second order before paying it", async () => {
    const orderId = await waitForOrder(alice, await buy(alice, sale.id));
    const cancelled = await alice.POST("/api/v1/orders/{id}/cancellation", {
      params: { path: { id: orderId } },
    });
    assert.equal(cancelled.response.status, 200, JSON.stringify(cancelled.error));
    assert.ok(cancelled.data);
    assert.equal(cancelled.data.status, "cancelled_by_buyer");
    assert.ok(cancelled.data.cancelled_at, "a cancelled order says when");

    const list = await alice.GET("/api/v1/orders");
    assert.ok(list.data);
    const statuses = Object.fromEntries(list.data.map((o) => [o.id, o.status]));
    assert.deepEqual(statuses, { [paidOrderId]: "paid", [orderId]: "cancelled_by_buyer" });
  });
});
