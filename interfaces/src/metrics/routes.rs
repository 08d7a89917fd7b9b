//! The route a request is counted under: the template it was served by
//! (`/api/v1/activities/{id}/purchases`), never the raw path, so a label cannot carry a buyer's,
//! sale's or order's id and the number of series stays bounded. Paths that fit no template are
//! counted as `other`.

use std::sync::Arc;

/// The label of paths that fit no known template.
pub(crate) const OTHER: &str = "other";

/// One known route, split into segments.
#[derive(Debug)]
struct Template {
    /// `None` stands for a parameter (`{id}`): any one segment.
    segments: Vec<Option<String>>,
    label: Arc<str>,
}

impl Template {
    fn new(template: &str) -> Self {
        let segments = template
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| (!(s.starts_with('{') || s.starts_with(':'))).then(|| s.to_owned()))
            .collect();
        Self {
            segments,
            label: Arc::from(template),
        }
    }

    /// The number of literal segments `path` matches, or `None` when it does not fit.
    fn fit(&self, path: &str) -> Option<usize> {
        let mut parts = path.split('/').filter(|s| !s.is_empty());
        let mut literals = 0;
        for segment in &self.segments {
            let part = parts.next()?;
            match segment {
                Some(want) if want == part => literals += 1,
                Some(_) => return None,
                None => {}
            }
        }
        parts.next().is_none().then_some(literals)
    }
}

/// The templates of the routes a node serves.
#[derive(Debug, Clone)]
pub(crate) struct RouteTemplates {
    templates: Arc<Vec<Template>>,
    other: Arc<str>,
}

impl RouteTemplates {
    /// The paths of an OpenAPI document (JSON) plus `pages`, each written with `{name}` for a
    /// parameter.
    pub(crate) fn new<'a>(document: &str, pages: impl IntoIterator<Item = &'a str>) -> Self {
        let mut templates = Vec::new();
        if let Ok(serde_json::Value::Object(doc)) = serde_json::from_str(document)
            && let Some(serde_json::Value::Object(paths)) = doc.get("paths")
        {
            templates.extend(paths.keys().map(|p| Template::new(p)));
        }
        templates.extend(pages.into_iter().map(Template::new));
        Self {
            templates: Arc::new(templates),
            other: Arc::from(OTHER),
        }
    }

    /// The template `path` was served by (the one with most literal segments in common), or
    /// `other`.
    pub(crate) fn of(&self, path: &str) -> Arc<str> {
        self.templates
            .iter()
            .filter_map(|t| t.fit(path).map(|fit| (fit, t)))
            .max_by_key(|(fit, _)| *fit)
            .map_or_else(|| self.other.clone(), |(_, t)| t.label.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENT: &str = r#"{"paths": {
        "/api/v1/activities": {"get": {}},
        "/api/v1/activities/{id}": {"get": {}},
        "/api/v1/activities/{id}/purchases": {"post": {}},
        "/api/v1/activities/{id}/purchase-tokens": {"post": {}},
        "/api/v1/purchases/{id}": {"get": {}},
        "/api/v1/admin/activities/{id}/stats": {"get": {}},
        "/api/v1/orders/{id}/payment": {"post": {}}
    }}"#;

    fn routes() -> RouteTemplates {
        RouteTemplates::new(DOCUMENT, ["/healthz", "/metrics", "/docs", "/"])
    }

    #[test]
    fn a_path_is_counted_under_its_template() {
        let routes = routes();
        let sale = "0192f6a4-58b1-7c3e-8e2a-6b1f0c9d4e21";
        for (path, template) in [
            (
                format!("/api/v1/activities/{sale}/purchases"),
                "/api/v1/activities/{id}/purchases",
            ),
            (
                format!("/api/v1/activities/{sale}"),
                "/api/v1/activities/{id}",
            ),
            ("/api/v1/activities".to_owned(), "/api/v1/activities"),
            (
                format!("/api/v1/purchases/{sale}"),
                "/api/v1/purchases/{id}",
            ),
            ("/metrics".to_owned(), "/metrics"),
            ("/docs/".to_owned(), "/docs"),
            ("/".to_owned(), "/"),
        ] {
            assert_eq!(&*routes.of(&path), template, "{path}");
        }
    }

    #[test]
    fn a_label_never_carries_a_raw_id_or_an_unknown_path() {
        let routes = routes();
        let ids = [
            "0192f6a4-58b1-7c3e-8e2a-6b1f0c9d4e21",
            "42",
            "not-a-uuid",
            "%2e%2e",
            "buyer-7",
        ];
        let known: Vec<&str> = DOCUMENT
            .lines()
            .filter_map(|l| l.trim().strip_prefix('"')?.split('"').next())
            .filter(|p| p.starts_with('/'))
            .chain(["/healthz", "/metrics", "/docs", "/", OTHER])
            .collect();
        for id in ids {
            for path in [
                format!("/api/v1/activities/{id}/purchases"),
                format!("/api/v1/activities/{id}"),
                format!("/api/v1/orders/{id}/payment"),
                format!("/api/v1/admin/activities/{id}/stats"),
                format!("/api/v1/nothing/{id}"),
                format!("/{id}"),
                format!("/api/v1/activities/{id}/purchases/{id}"),
                format!("/metrics/{id}"),
            ] {
                let label = routes.of(&path);
                assert!(!label.contains(id), "{path} gave {label}");
                assert!(known.contains(&&*label), "{path} gave {label}");
            }
        }
        assert_eq!(&*routes.of("/api/v1/nothing"), OTHER);
    }
}
