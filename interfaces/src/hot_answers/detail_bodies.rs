//! The public activity detail, kept serialised. Every buyer waiting for a sale re-reads it, and
//! between two changes of the sale only its `server_time` differs from one answer to the next;
//! so the answer is rendered once per version, phase and remaining stock, and each read splices
//! the current time into it.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use poem::http::HeaderValue;
use poem::http::header::CONTENT_TYPE;
use poem::{IntoResponse, Response};
use poem_openapi::payload::Json;
use quick_cache::sync::Cache;
use seckiller_application::activities::ActivityView;
use seckiller_domain::{ActivityId, Phase};

use crate::dto::ActivityDto;

/// Stands in for `server_time` while rendering; cut out again around its quotes.
const PLACEHOLDER: DateTime<Utc> = DateTime::UNIX_EPOCH;
/// The placeholder as it appears in the rendered body.
const PLACEHOLDER_FIELD: &str = "\"server_time\":\"1970-01-01T00:00:00+00:00\"";

/// Rendered detail answers, one per activity. Clones share them.
#[derive(Clone)]
pub(crate) struct DetailBodies {
    entries: Arc<Cache<ActivityId, Arc<Rendered>>>,
}

/// One activity's answer around its `server_time`, with what it was rendered from.
struct Rendered {
    version: i64,
    phase: Phase,
    remaining: u32,
    content_type: Option<HeaderValue>,
    /// Up to and including the opening quote of the `server_time` value.
    before: Bytes,
    /// From the closing quote of the `server_time` value on.
    after: Bytes,
}

impl Rendered {
    /// The answer for `view` with the placeholder time, cut in two; `None` if the placeholder
    /// cannot be found (then the caller renders the answer whole).
    async fn of(view: &ActivityView) -> Option<Self> {
        let mut dto = ActivityDto::from(view.clone());
        dto.server_time = PLACEHOLDER;
        let response = Json(dto).into_response();
        let content_type = response.headers().get(CONTENT_TYPE).cloned();
        let body = response.into_body().into_bytes().await.ok()?;
        let at = find(&body, PLACEHOLDER_FIELD.as_bytes())?;
        let value_start = at + "\"server_time\":\"".len();
        let value_end = at + PLACEHOLDER_FIELD.len() - 1;
        Some(Self {
            version: view.activity.version,
            phase: view.phase,
            remaining: view.stock.available(),
            content_type,
            before: body.slice(..value_start),
            after: body.slice(value_end..),
        })
    }

    fn is_for(&self, view: &ActivityView) -> bool {
        self.version == view.activity.version
            && self.phase == view.phase
            && self.remaining == view.stock.available()
    }

    fn response(&self, server_time: DateTime<Utc>) -> Response {
        let time = server_time.to_rfc3339();
        let mut body = BytesMut::with_capacity(self.before.len() + time.len() + self.after.len());
        body.extend_from_slice(&self.before);
        body.extend_from_slice(time.as_bytes());
        body.extend_from_slice(&self.after);
        let mut response = Response::builder().body(body.freeze());
        if let Some(content_type) = &self.content_type {
            response
                .headers_mut()
                .insert(CONTENT_TYPE, content_type.clone());
        }
        response
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

impl DetailBodies {
    /// Room for `capacity` activities' answers.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: Arc::new(Cache::new(capacity)),
        }
    }

    /// The detail answer for `view`, from its rendered body when that is still current.
    pub(crate) async fn answer(&self, view: ActivityView) -> Response {
        let id = view.activity.id;
        if let Some(rendered) = self.entries.get(&id)
            && rendered.is_for(&view)
        {
            return rendered.response(view.as_of);
        }
        match Rendered::of(&view).await {
            Some(rendered) => {
                let response = rendered.response(view.as_of);
                self.entries.insert(id, Arc::new(rendered));
                response
            }
            None => Json(ActivityDto::from(view)).into_response(),
        }
    }
}
