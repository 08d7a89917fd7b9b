/**
 * A buyer's purchase from sign-in to payment with the SDK. Type-checked with the SDK
 * (`npx tsc --noEmit`), so it cannot drift from the API; docs/api.md shows the same steps.
 */
import { createSecKillerClient } from "@seckiller/sdk";

const baseUrl = "http://127.0.0.1:8080";

// Sign in (register first with POST /api/v1/users), then act with the session's token.
const signIn = await createSecKillerClient(baseUrl).POST("/api/v1/sessions", {
  body: { username: "alice", password: "maple-otter-canoe-47" },
});
if (signIn.error) throw new Error(`${signIn.error.code}: ${signIn.error.detail}`);
const buyer = createSecKillerClient(baseUrl, signIn.data.token);

// An open sale, a purchase token for it, and the purchase: 202 means it will become an order.
const open = await buyer.GET("/api/v1/activities", { params: { query: { phase: "open" } } });
const sale = open.data?.[0];
if (sale === undefined) throw new Error("no sale is open");
const ticket = await buyer.POST("/api/v1/activities/{id}/purchase-tokens", {
  params: { path: { id: sale.id } },
});
if (ticket.error) throw new Error(ticket.error.code); // not_started, sold_out, ended, …
const bought = await buyer.POST("/api/v1/activities/{id}/purchases", {
  params: { path: { id: sale.id }, header: { "Idempotency-Key": crypto.randomUUID() } },
  body: { purchase_token: ticket.data.token, quantity: 1 },
});
if (bought.error) throw new Error(bought.error.code); // sold_out, limit_reached, bad_token, …

// Long-poll until the order exists: each call waits up to 5 s for it.
let purchase = bought.data;
while (purchase.status === "pending") {
  const polled = await buyer.GET("/api/v1/purchases/{id}", {
    params: { path: { id: purchase.purchase_id }, query: { wait: 5 } },
  });
  if (polled.error) throw new Error(polled.error.code);
  purchase = polled.data;
}
if (purchase.status === "rejected" || !purchase.order_id) {
  throw new Error(`rejected: ${purchase.reason ?? "no reason given"}`);
}

// Pay before the order's pay_deadline; paying again answers the same paid order.
const paid = await buyer.POST("/api/v1/orders/{id}/payment", {
  params: { path: { id: purchase.order_id } },
});
if (paid.error) throw new Error(paid.error.code); // order_expired, payment_declined, …
console.log(`order ${paid.data.id} is ${paid.data.status}`); // "paid"
