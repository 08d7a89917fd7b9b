/**
 * The SecKiller TypeScript SDK: a typed `openapi-fetch` client for the HTTP API.
 *
 * Every path, parameter, body and answer comes from `./schema.d.ts`, which is generated from
 * `docs/openapi.json` by `scripts/sdk.sh` and never edited by hand. This file only adds what the
 * generator cannot know: where the service lives and which bearer token to send.
 */
import createClient, { type Client, type ClientOptions } from "openapi-fetch";

import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };

/** Every schema of the API by name, e.g. `Schemas["Order"]`. */
export type Schemas = components["schemas"];

export type Activity = Schemas["Activity"];
export type ActivityPatch = Schemas["ActivityPatch"];
export type ActivityRequest = Schemas["ActivityRequest"];
export type ActivityStats = Schemas["ActivityStats"];
export type Money = Schemas["Money"];
export type Order = Schemas["Order"];
export type Phase = Schemas["Phase"];
/** The body of every error answer (`application/problem+json`): branch on `code`. */
export type Problem = Schemas["Problem"];
export type Product = Schemas["Product"];
export type ProductPatch = Schemas["ProductPatch"];
export type ProductRequest = Schemas["ProductRequest"];
export type Purchase = Schemas["Purchase"];
export type PurchaseRequest = Schemas["PurchaseRequestDto"];
export type PurchaseState = Schemas["PurchaseState"];
export type PurchaseToken = Schemas["PurchaseToken"];
export type RefreshRequest = Schemas["RefreshRequest"];
export type RegisterRequest = Schemas["RegisterRequest"];
export type Session = Schemas["Session"];
export type SignInRequest = Schemas["SignInRequest"];
export type User = Schemas["User"];

/** The states `Order.status` takes (the document types it as a plain string). */
export type OrderStatus =
  "pending_payment" | "paid" | "expired" | "cancelled_by_buyer" | "cancelled_by_admin";

/** The content type of every error answer. */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** A client for every operation of the API; paths include the `/api/v1` prefix. */
export type SecKillerClient = Client<paths>;

/**
 * A client for the service at `baseUrl` (its origin, e.g. `http://127.0.0.1:8080`, without
 * `/api/v1`) that sends `Authorization: Bearer <token>` with every request when `token` is
 * given. Sign in with a client without a token, then make one with the session's token.
 *
 * `options` go to `openapi-fetch` as they are (a custom `fetch`, more headers, …). An
 * `Authorization` header given for one request wins over `token` for that request.
 */
export function createSecKillerClient(
  baseUrl: string,
  token?: string,
  options: Omit<ClientOptions, "baseUrl"> = {},
): SecKillerClient {
  const client = createClient<paths>({ ...options, baseUrl: baseUrl.replace(/\/+$/, "") });
  if (token !== undefined) {
    const authorization = `Bearer ${token}`;
    client.use({
      onRequest({ request }) {
        if (!request.headers.has("Authorization")) {
          request.headers.set("Authorization", authorization);
        }
        return request;
      },
    });
  }
  return client;
}

/** What {@link refreshSession} answers: the new session, or the problem that refused it. */
export type Refreshed = { data: Session; error?: undefined } | { data?: undefined; error: Problem };

/**
 * Exchanges `refreshToken` (the `refresh_token` of the last sign-in or refresh) for a new session:
 * a new access token and a new refresh token. The token sent is spent: keep the new one for the
 * next exchange. Sending a spent token again signs the whole session out (someone holds a copy),
 * answered `401 invalid_refresh_token`, as is an expired or signed-out one: then sign in again.
 *
 * Access tokens are short-lived (15 minutes by default): refresh shortly before `expires_at`,
 * or when a call answers `401 token_expired`, and make a new client with the new `token`.
 */
export async function refreshSession(
  baseUrl: string,
  refreshToken: string,
  options: Omit<ClientOptions, "baseUrl"> = {},
): Promise<Refreshed> {
  const { data, error } = await createSecKillerClient(baseUrl, undefined, options).POST(
    "/api/v1/sessions/refresh",
    { body: { refresh_token: refreshToken } },
  );
  return data !== undefined ? { data } : { error: error as Problem };
}
