//! The crowd's untimed calls — signing in, setting up the sale, creating the buyers, reading the
//! stats, auditing the orders — go through the generated `seckiller-client`, so an API change
//! that the crowd no longer fits breaks its build rather than a run. The timed journey stays on
//! the raw client of [`crate::api`], which says why.

use std::fmt::Display;
use std::time::Duration;

use anyhow::Context;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use seckiller_client::types::{Problem, SignInRequest};
use seckiller_client::{Client, ClientInfo, Error, ResponseValue};

/// The longest wait for one answer, the same as the journey's.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A generated client of the node at `base`, sending `token` as its bearer token when given.
/// Each one has a connection pool of its own: a token is a default header, not a per-call one.
///
/// # Errors
/// The token cannot be a header value, or the HTTP client could not be built.
pub fn at(base: &str, token: Option<&str>) -> anyhow::Result<Client> {
    let mut headers = HeaderMap::new();
    if let Some(token) = token {
        let mut bearer = HeaderValue::from_str(&format!("Bearer {token}"))
            .context("a session token that cannot be a header")?;
        bearer.set_sensitive(true);
        headers.insert(AUTHORIZATION, bearer);
    }
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .timeout(TIMEOUT)
        .build()?;
    Ok(Client::new_with_client(base, http))
}

/// Signs `username` in through `client` (which carries no session) and returns the token.
///
/// # Errors
/// The node is unreachable or refused the credentials.
pub async fn sign_in(client: &Client, username: &str, password: &str) -> anyhow::Result<String> {
    let session = client
        .sign_in(&SignInRequest {
            username: username.to_owned(),
            password: password.to_owned(),
        })
        .await
        .answer(format_args!(
            "sign-in as {username} at {}",
            client.baseurl()
        ))?;
    Ok(session.token)
}

/// Reads a generated call's result as the crowd's setup reads it: the answer, or an error naming
/// what was refused, with the status and the problem as the service sent it.
pub trait Answered<T> {
    /// The answer's body.
    ///
    /// # Errors
    /// The call failed: no answer, a problem, or an answer outside the contract.
    fn answer(self, what: impl Display) -> anyhow::Result<T>;
}

impl<T> Answered<T> for Result<ResponseValue<T>, Error<Problem>> {
    fn answer(self, what: impl Display) -> anyhow::Result<T> {
        match self {
            Ok(answer) => Ok(answer.into_inner()),
            Err(Error::ErrorResponse(problem)) => {
                let status = problem.status();
                let body = serde_json::to_string(&problem.into_inner())?;
                anyhow::bail!("{what}: {status} {body}")
            }
            Err(Error::UnexpectedResponse(response)) => anyhow::bail!(
                "{what}: {}, an answer the contract does not list",
                response.status()
            ),
            Err(
                Error::CommunicationError(e)
                | Error::ResponseBodyError(e)
                | Error::InvalidUpgrade(e),
            ) => Err(anyhow::Error::new(e).context(what.to_string())),
            Err(Error::InvalidResponsePayload(_, e)) => Err(anyhow::Error::new(e)
                .context(format!("{what}: an answer that does not fit the contract"))),
            Err(Error::InvalidRequest(reason) | Error::Custom(reason)) => {
                anyhow::bail!("{what}: {reason}")
            }
        }
    }
}
