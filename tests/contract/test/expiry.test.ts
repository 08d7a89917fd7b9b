/**
 * An order nobody pays: it expires soon after its payment window closes, its stock goes back on
 * sale, and paying it afterwards is refused.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import type { Activity, Order, SecKillerClient } from "@seckiller/sdk";

import {
  assertProblem,
  buy,
  newBuyer,
  openSale,
  pollUntil,
  readOrder,
  readStats,
  signInAsAdmin,
  waitForOrder,
} from "./support.ts";

describe("an unpaid order", () => {
  let admin: SecKillerClient;
  let buyer: SecKillerClient;
  let sale: Activity;
  let order: Order;

  before(async () => {
    admin = await signInAsAdmin();
    sale = await openSale(admin, { stock: 3, perUserLimit: 1, paymentWindowSeconds: 1 });
    buyer = (await newBuyer("late")).client;
  });

  it("expires within a few seconds of its one-second payment window", async () => {
    const orderId = await waitForOrder(buyer, await buy(buyer, sale.id));
    // The sweeper runs every 100 ms here (SECKILLER_SWEEP_INTERVAL_MILLIS): three seconds past
    // the deadline is generous, and the poll returns as soon as the order has expired.
    order = await pollUntil(
      () => readOrder(buyer, orderId),
      (o) => o.status === "expired",
      4_000,
    );
    assert.equal(order.status, "expired", `still ${order.status} at ${new Date().toISOString()}`);
    assert.ok(
      Date.parse(order.pay_deadline) <= Date.now(),
      "it expired no earlier than its deadline",
    );
    assert.equal(order.paid_at, null, "an expired order was never paid");
  });

  it("cannot be paid once expired", async () => {
    const refused = await buyer.POST("/api/v1/orders/{id}/payment", {
      params: { path: { id: order.id } },
    });
    assertProblem(refused, 409, "order_expired");
  });

  it("gives its stock back to the sale", async () => {
    // The ledger returns the stock with the expiry; the gate follows through an outbox.
    const stats = await pollUntil(
      () => readStats(admin, sale.id),
      (s) => s.balanced && s.available === 3,
      3_000,
    );
    assert.equal(stats.balanced, true, stats.problems.join("; "));
    assert.deepEqual([stats.available, stats.held, stats.sold], [3, 0, 0]);
    assert.deepEqual([stats.live_orders, stats.live_items], [0, 0]);
  });
});
