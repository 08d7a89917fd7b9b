//! A `405 Method Not Allowed` answer names the methods its resource does support in `Allow`, as
//! RFC 9110 requires, so a client learns what it may do instead. The methods come from the
//! OpenAPI document's paths plus the plain pages, the same list the router serves.

use std::sync::Arc;

use poem::http::header::ALLOW;
use poem::http::{HeaderValue, Method, StatusCode};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

/// Methods in the order `Allow` lists them.
const ORDER: [Method; 7] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Exactly this text.
    Literal(String),
    /// Any one segment (`{id}` in the document).
    Parameter,
}

#[derive(Debug, Clone)]
struct Resource {
    segments: Vec<Segment>,
    allow: HeaderValue,
}

impl Resource {
    fn new(template: &str, methods: &[Method]) -> Option<Self> {
        let segments = template
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| match s {
                s if s.starts_with('{') || s.starts_with(':') => Segment::Parameter,
                s => Segment::Literal(s.to_owned()),
            })
            .collect();
        // A resource that answers GET also answers HEAD (the router runs GET without the body).
        let listed: Vec<&str> = ORDER
            .iter()
            .filter(|m| {
                methods.contains(m) || (**m == Method::HEAD && methods.contains(&Method::GET))
            })
            .map(Method::as_str)
            .collect();
        if listed.is_empty() {
            return None;
        }
        let allow = HeaderValue::from_str(&listed.join(", ")).ok()?;
        Some(Self { segments, allow })
    }

    /// How well `path` fits: the number of literal segments matched, or `None` for no fit.
    fn fit(&self, path: &[&str]) -> Option<usize> {
        let mut literals = 0;
        for (i, segment) in self.segments.iter().enumerate() {
            match (segment, path.get(i)) {
                (Segment::Literal(want), Some(got)) if want == got => literals += 1,
                (Segment::Parameter, Some(_)) => {}
                _ => return None,
            }
        }
        (path.len() == self.segments.len()).then_some(literals)
    }
}

/// The methods of every resource the service serves.
#[derive(Debug, Clone, Default)]
pub(crate) struct AllowedMethods {
    resources: Arc<Vec<Resource>>,
}

impl AllowedMethods {
    /// The operations of an OpenAPI document (JSON) plus `pages`, each a path (`{id}` stands for
    /// any one segment) with the methods it answers.
    pub(crate) fn new(document: &str, pages: &[(&str, &[Method])]) -> Self {
        let mut resources = Vec::new();
        if let Ok(serde_json::Value::Object(doc)) = serde_json::from_str(document)
            && let Some(serde_json::Value::Object(paths)) = doc.get("paths")
        {
            for (template, item) in paths {
                let methods: Vec<Method> = item
                    .as_object()
                    .map(|ops| {
                        ops.keys()
                            .filter_map(|k| {
                                Method::from_bytes(k.to_ascii_uppercase().as_bytes()).ok()
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                resources.extend(Resource::new(template, &methods));
            }
        }
        for (template, methods) in pages {
            resources.extend(Resource::new(template, methods));
        }
        Self {
            resources: Arc::new(resources),
        }
    }

    /// The `Allow` value for `path`, when a resource there is known.
    fn allow(&self, path: &str) -> Option<HeaderValue> {
        let path: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.resources
            .iter()
            .filter_map(|r| r.fit(&path).map(|fit| (fit, r)))
            .max_by_key(|(fit, _)| *fit)
            .map(|(_, r)| r.allow.clone())
    }
}

impl<E: Endpoint> Middleware<E> for AllowedMethods {
    type Output = AllowedMethodsEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        AllowedMethodsEndpoint {
            inner: ep,
            methods: self.clone(),
        }
    }
}

/// The wrapped endpoint.
pub(crate) struct AllowedMethodsEndpoint<E> {
    inner: E,
    methods: AllowedMethods,
}

impl<E: Endpoint> Endpoint for AllowedMethodsEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        // A `Uri` clone shares its bytes: nothing is copied on the way to a 2xx.
        let uri = req.uri().clone();
        let mut resp = self.inner.call(req).await?.into_response();
        if resp.status() == StatusCode::METHOD_NOT_ALLOWED
            && !resp.headers().contains_key(ALLOW)
            && let Some(allow) = self.methods.allow(uri.path())
        {
            resp.headers_mut().insert(ALLOW, allow);
        }
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn methods() -> AllowedMethods {
        let document = r#"{"paths": {
            "/api/v1/activities": {"get": {}},
            "/api/v1/admin/activities/{id}": {"get": {}, "patch": {}},
            "/api/v1/admin/activities/{id}/publication": {"post": {}},
            "/api/v1/users": {"post": {}}
        }}"#;
        AllowedMethods::new(
            document,
            &[("/healthz", &[Method::GET]), ("/docs", &[Method::GET])],
        )
    }

    fn allow(path: &str) -> Option<String> {
        methods()
            .allow(path)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    #[test]
    fn a_resource_lists_its_methods_with_head_beside_get() {
        assert_eq!(allow("/api/v1/activities").as_deref(), Some("GET, HEAD"));
        assert_eq!(
            allow("/api/v1/admin/activities/42").as_deref(),
            Some("GET, HEAD, PATCH")
        );
        assert_eq!(
            allow("/api/v1/admin/activities/42/publication").as_deref(),
            Some("POST")
        );
        assert_eq!(allow("/api/v1/users").as_deref(), Some("POST"));
        assert_eq!(allow("/healthz").as_deref(), Some("GET, HEAD"));
        assert_eq!(allow("/docs/").as_deref(), Some("GET, HEAD"));
    }

    #[test]
    fn an_unknown_path_gets_no_allow() {
        assert_eq!(allow("/api/v1/nothing"), None);
        assert_eq!(allow("/api/v1/users/extra"), None);
        assert_eq!(allow("/docs/x"), None);
    }
}
