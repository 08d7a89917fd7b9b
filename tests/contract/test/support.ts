/**
 * What every contract test shares: the service's address, signed-in clients, a sale ready to
 * buy in, and the check that an error answer is a proper problem.
 *
 * The service is the real `seckiller` binary started by `scripts/contract-tests.sh`, which passes
 * its address in `SECKILLER_URL`. Tests create their own accounts and sales, so files may run in
 * parallel against one server.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

import {
  PROBLEM_CONTENT_TYPE,
  createSecKillerClient,
  type Activity,
  type ActivityStats,
  type Order,
  type Problem,
  type SecKillerClient,
} from "@seckiller/sdk";

const url = process.env.SECKILLER_URL;
if (url === undefined || url === "") {
  throw new Error(
    "SECKILLER_URL is not set: run the contract tests with scripts/contract-tests.sh",
  );
}
/** The service under test, e.g. `http://127.0.0.1:40123`. */
export const baseUrl: string = url;

export const ADMIN = "admin";
export const ADMIN_PASSWORD = "quiet-harbor-lantern-42";
export const BUYER_PASSWORD = "maple-otter-canoe-47";

/** A client that sends no bearer token. */
export function anonymous(): SecKillerClient {
  return createSecKillerClient(baseUrl);
}

/** Signs in and returns a client that sends the session's token. */
export async function signIn(username: string, password: string): Promise<SecKillerClient> {
  const { data, error } = await anonymous().POST("/api/v1/sessions", {
    body: { username, password },
  });
  assert.equal(error, undefined, `sign-in of ${username}: ${JSON.stringify(error)}`);
  assert.ok(data);
  return createSecKillerClient(baseUrl, data.token);
}

export function signInAsAdmin(): Promise<SecKillerClient> {
  return signIn(ADMIN, ADMIN_PASSWORD);
}

/** A fresh, unused username (registration folds case, so it is lower-case already). */
export function uniqueUsername(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Registers a new buyer and returns its name and a signed-in client. */
export async function newBuyer(
  prefix = "buyer",
): Promise<{ username: string; client: SecKillerClient }> {
  const username = uniqueUsername(prefix);
  const { error, response } = await anonymous().POST("/api/v1/users", {
    body: { username, password: BUYER_PASSWORD },
  });
  assert.equal(response.status, 201, JSON.stringify(error));
  return { username, client: await signIn(username, BUYER_PASSWORD) };
}

export interface SaleTerms {
  stock?: number;
  perUserLimit?: number;
  paymentWindowSeconds?: number;
}

/** Creates a product and a sale of it that opened a second ago, publishes it, and returns it. */
export async function openSale(admin: SecKillerClient, terms: SaleTerms = {}): Promise<Activity> {
  const product = await admin.POST("/api/v1/admin/products", {
    body: {
      name: "Contract phone",
      description: "A phone sold by the contract tests",
      price: { amount_minor: 49_900, currency: "USD" },
    },
  });
  assert.equal(product.response.status, 201, JSON.stringify(product.error));
  assert.ok(product.data);
  const startsAt = new Date(Date.now() - 1_000);
  const created = await admin.POST("/api/v1/admin/activities", {
    body: {
      product_id: product.data.id,
      title: "Contract flash sale",
      sale_price: { amount_minor: 9_900, currency: "USD" },
      total_stock: terms.stock ?? 10,
      per_user_limit: terms.perUserLimit ?? 2,
      starts_at: startsAt.toISOString(),
      ends_at: new Date(startsAt.getTime() + 3_600_000).toISOString(),
      payment_window_seconds: terms.paymentWindowSeconds ?? 900,
    },
  });
  assert.equal(created.response.status, 201, JSON.stringify(created.error));
  assert.ok(created.data);
  const published = await admin.POST("/api/v1/admin/activities/{id}/publication", {
    params: { path: { id: created.data.id } },
  });
  assert.equal(published.response.status, 200, JSON.stringify(published.error));
  assert.ok(published.data);
  assert.equal(published.data.phase, "open");
  return published.data;
}

/** Takes a purchase token and buys `quantity` items; returns the accepted purchase's id. */
export async function buy(
  buyer: SecKillerClient,
  activityId: string,
  quantity = 1,
): Promise<string> {
  const token = await buyer.POST("/api/v1/activities/{id}/purchase-tokens", {
    params: { path: { id: activityId } },
  });
  assert.equal(token.response.status, 201, JSON.stringify(token.error));
  assert.ok(token.data);
  const accepted = await buyer.POST("/api/v1/activities/{id}/purchases", {
    params: { path: { id: activityId }, header: { "Idempotency-Key": randomUUID() } },
    body: { purchase_token: token.data.token, quantity },
  });
  assert.equal(accepted.response.status, 202, JSON.stringify(accepted.error));
  assert.ok(accepted.data);
  assert.equal(accepted.data.status, "pending");
  return accepted.data.purchase_id;
}

/**
 * Long-polls the purchase (`?wait=5`) until its order exists and returns the order's id. A
 * handful of polls is far more than an idle server needs.
 */
export async function waitForOrder(buyer: SecKillerClient, purchaseId: string): Promise<string> {
  for (let poll = 0; poll < 6; poll++) {
    const { data, error } = await buyer.GET("/api/v1/purchases/{id}", {
      params: { path: { id: purchaseId }, query: { wait: 5 } },
    });
    assert.equal(error, undefined, JSON.stringify(error));
    assert.ok(data);
    assert.equal(data.purchase_id, purchaseId);
    assert.notEqual(data.status, "rejected", `purchase rejected: ${data.reason ?? "no reason"}`);
    if (data.status === "ordered") {
      assert.ok(data.order_id, "an ordered purchase names its order");
      return data.order_id;
    }
  }
  assert.fail(`purchase ${purchaseId} never became an order`);
}

/**
 * Calls `read` until `done` holds of its answer, every 100 ms for at most `withinMillis`;
 * returns the last answer either way (the caller asserts on it).
 */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (answer: T) => boolean,
  withinMillis: number,
): Promise<T> {
  const giveUpAt = Date.now() + withinMillis;
  for (;;) {
    const answer = await read();
    if (done(answer) || Date.now() >= giveUpAt) {
      return answer;
    }
    await sleep(100);
  }
}

/** Reads one of the buyer's orders, asserting that the read succeeds. */
export async function readOrder(buyer: SecKillerClient, orderId: string): Promise<Order> {
  const { data, error } = await buyer.GET("/api/v1/orders/{id}", {
    params: { path: { id: orderId } },
  });
  assert.equal(error, undefined, JSON.stringify(error));
  assert.ok(data);
  return data;
}

/** Reads a sale's books as an admin, asserting that the read succeeds. */
export async function readStats(
  admin: SecKillerClient,
  activityId: string,
): Promise<ActivityStats> {
  const { data, error } = await admin.GET("/api/v1/admin/activities/{id}/stats", {
    params: { path: { id: activityId } },
  });
  assert.equal(error, undefined, JSON.stringify(error));
  assert.ok(data);
  return data;
}

/**
 * Asserts that an SDK call failed with `status` and the problem `code`, answered as
 * `application/problem+json` with every field of a problem; returns the problem.
 */
export function assertProblem(
  result: { error?: Problem; response: Response },
  status: number,
  code: string,
): Problem {
  const { error, response } = result;
  assert.equal(response.status, status, `status of ${JSON.stringify(error)}`);
  assert.equal(response.headers.get("content-type"), PROBLEM_CONTENT_TYPE);
  assert.ok(error, "an error answer has a body");
  assert.equal(error.code, code);
  assert.equal(error.status, status);
  assert.equal(error.type, `/docs/problems#${code}`);
  assert.ok(error.title.length > 0, "a problem has a title");
  assert.ok(error.detail.length > 0, "a problem has a detail");
  return error;
}
