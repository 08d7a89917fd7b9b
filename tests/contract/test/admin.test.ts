/**
 * An admin's journey through the SDK: catalogue, a sale from draft to open, its books, a draft
 * called off; and a buyer kept out of all of it.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import type { Activity, ActivityRequest, Product, SecKillerClient } from "@seckiller/sdk";

import { anonymous, assertProblem, newBuyer, readStats, signInAsAdmin } from "./support.ts";

/** A sale of `product` opening `startIn` seconds from now and lasting an hour. */
function saleOf(product: Product, startIn: number): ActivityRequest {
  const startsAt = new Date(Date.now() + startIn * 1_000);
  return {
    product_id: product.id,
    title: "Admin journey sale",
    sale_price: { amount_minor: 1_500, currency: "EUR" },
    total_stock: 25,
    per_user_limit: 1,
    starts_at: startsAt.toISOString(),
    ends_at: new Date(startsAt.getTime() + 3_600_000).toISOString(),
    payment_window_seconds: 120,
  };
}

describe("an admin's journey", () => {
  let admin: SecKillerClient;
  let product: Product;
  let sale: Activity;

  before(async () => {
    admin = await signInAsAdmin();
  });

  it("signs in as an admin", async () => {
    const { data, error } = await admin.GET("/api/v1/me");
    assert.equal(error, undefined, JSON.stringify(error));
    assert.ok(data);
    assert.equal(data.username, "admin");
    assert.equal(data.role, "admin");
  });

  it("adds a product to the catalogue and edits it", async () => {
    const created = await admin.POST("/api/v1/admin/products", {
      body: {
        name: "Espresso machine",
        description: "Makes coffee",
        price: { amount_minor: 19_999, currency: "EUR" },
      },
    });
    assert.equal(created.response.status, 201, JSON.stringify(created.error));
    assert.ok(created.data);
    assert.equal(created.data.name, "Espresso machine");

    const edited = await admin.PATCH("/api/v1/admin/products/{id}", {
      params: { path: { id: created.data.id } },
      body: { name: "Espresso machine II", price: { amount_minor: 17_999, currency: "EUR" } },
    });
    assert.equal(edited.response.status, 200, JSON.stringify(edited.error));
    assert.ok(edited.data);
    assert.equal(edited.data.name, "Espresso machine II");
    assert.equal(edited.data.description, "Makes coffee", "absent fields stay");
    assert.deepEqual(edited.data.price, { amount_minor: 17_999, currency: "EUR" });
    product = edited.data;

    const seen = await anonymous().GET("/api/v1/products/{id}", {
      params: { path: { id: product.id } },
    });
    assert.equal(seen.error, undefined, JSON.stringify(seen.error));
    assert.ok(seen.data);
    // The edit answers its times with nanoseconds, reads with the microseconds that were
    // stored: compare them as instants.
    const { created_at, updated_at, ...rest } = seen.data;
    const { created_at: createdAt, updated_at: updatedAt, ...expected } = product;
    assert.deepEqual(rest, expected);
    assert.equal(Date.parse(created_at), Date.parse(createdAt));
    assert.equal(Date.parse(updated_at), Date.parse(updatedAt));
  });

  it("creates a sale as a draft that buyers cannot see", async () => {
    const created = await admin.POST("/api/v1/admin/activities", { body: saleOf(product, -1) });
    assert.equal(created.response.status, 201, JSON.stringify(created.error));
    assert.ok(created.data);
    assert.equal(created.data.phase, "draft");
    assert.equal(created.data.payment_window_seconds, 120);
    assert.equal(created.data.remaining_stock, 25);
    sale = created.data;

    assertProblem(
      await anonymous().GET("/api/v1/activities/{id}", { params: { path: { id: sale.id } } }),
      404,
      "not_found",
    );
    const drafts = await admin.GET("/api/v1/admin/activities", {
      params: { query: { phase: "draft", limit: 100 } },
    });
    assert.ok(drafts.data);
    assert.ok(
      drafts.data.some((a) => a.id === sale.id),
      "the draft is listed for admins",
    );
  });

  it("edits the draft, then publishes it", async () => {
    const edited = await admin.PATCH("/api/v1/admin/activities/{id}", {
      params: { path: { id: sale.id } },
      body: { title: "Espresso rush", total_stock: 20 },
    });
    assert.equal(edited.response.status, 200, JSON.stringify(edited.error));
    assert.ok(edited.data);
    assert.equal(edited.data.title, "Espresso rush");
    assert.equal(edited.data.total_stock, 20);
    assert.ok(edited.data.version > sale.version, "an edit bumps the version");

    const published = await admin.POST("/api/v1/admin/activities/{id}/publication", {
      params: { path: { id: sale.id } },
    });
    assert.equal(published.response.status, 200, JSON.stringify(published.error));
    assert.ok(published.data);
    assert.equal(published.data.phase, "open");
    sale = published.data;

    assertProblem(
      await admin.POST("/api/v1/admin/activities/{id}/publication", {
        params: { path: { id: sale.id } },
      }),
      409,
      "already_published",
    );
    const seen = await anonymous().GET("/api/v1/activities/{id}", {
      params: { path: { id: sale.id } },
    });
    assert.equal(seen.error, undefined, JSON.stringify(seen.error));
    assert.equal(seen.data?.phase, "open");
  });

  it("reads the sale's books, which balance", async () => {
    const data = await readStats(admin, sale.id);
    assert.equal(data.balanced, true, data.problems.join("; "));
    assert.deepEqual(data.problems, []);
    assert.equal(data.total, 20);
    assert.equal(data.available + data.held + data.sold, data.total);
    assert.equal(data.sold, 0);
  });

  it("calls off a second draft", async () => {
    const draft = await admin.POST("/api/v1/admin/activities", { body: saleOf(product, 3_600) });
    assert.equal(draft.response.status, 201, JSON.stringify(draft.error));
    assert.ok(draft.data);
    const path = { params: { path: { id: draft.data.id } } };
    const cancelled = await admin.POST("/api/v1/admin/activities/{id}/cancellation", path);
    assert.equal(cancelled.response.status, 200, JSON.stringify(cancelled.error));
    assert.equal(cancelled.data?.phase, "cancelled");

    const seen = await admin.GET("/api/v1/admin/activities/{id}", path);
    assert.equal(seen.data?.phase, "cancelled");
    assertProblem(
      await admin.PATCH("/api/v1/admin/activities/{id}", { ...path, body: { title: "Revived" } }),
      409,
      "activity_cancelled",
    );
  });

  it("keeps buyers and strangers out of the admin endpoints", async () => {
    const { client: buyer } = await newBuyer("nosy");
    assertProblem(await buyer.GET("/api/v1/admin/activities"), 403, "forbidden");
    assertProblem(
      await buyer.GET("/api/v1/admin/activities/{id}/stats", { params: { path: { id: sale.id } } }),
      403,
      "forbidden",
    );
    assertProblem(
      await buyer.POST("/api/v1/admin/products", {
        body: { name: "Contraband", price: { amount_minor: 1, currency: "EUR" } },
      }),
      403,
      "forbidden",
    );
    assertProblem(await anonymous().GET("/api/v1/admin/activities"), 401, "unauthorized");
  });
});
