//! The security headers of the pages a browser shows (the landing page, the Swagger UI docs) and
//! of the spec, and the Content-Security-Policy each page needs.
//!
//! Both pages carry their scripts and styles inline (Swagger UI's bundle is embedded, nothing
//! comes from a CDN), so the policy names each inline block by its SHA-256 hash: the page's own
//! code runs, any injected script or style does not, and nothing else may be loaded. Hashes are
//! taken from the page as served, so they cannot drift from it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use poem::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use poem::http::{HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};

/// What a page may connect to besides itself: the API's public origin when it is elsewhere.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConnectSources(String);

impl ConnectSources {
    /// `'self'`, plus the origin of `public_url` when that is an absolute `http(s)` address.
    pub(crate) fn for_public_url(public_url: &str) -> Self {
        let origin = ["https://", "http://"].iter().find_map(|scheme| {
            let rest = public_url.strip_prefix(scheme)?;
            let host = rest.split('/').next().filter(|h| !h.is_empty())?;
            let safe = host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
            safe.then(|| format!("{scheme}{host}"))
        });
        Self(origin.map_or_else(|| "'self'".to_owned(), |o| format!("'self' {o}")))
    }
}

/// The policy of an HTML page whose scripts and styles are all inline in `html`: each allowed
/// by its hash, images from itself or `data:` URIs (Swagger UI's icons), requests to `connect`.
pub(crate) fn page_policy(html: &str, connect: &ConnectSources) -> String {
    let scripts = sources(&inline_blocks(html, "script"));
    let styles = sources(&inline_blocks(html, "style"));
    format!(
        "default-src 'none'; script-src {scripts}; style-src {styles}; img-src 'self' data:; \
         connect-src {}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        connect.0
    )
}

/// The policy of a document that is not a page (the spec): it may load and run nothing.
pub(crate) const DOCUMENT_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// The headers every page and document carries: `policy`, no sniffing, no framing, no referrer.
pub(crate) fn security_headers(policy: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Ok(policy) = HeaderValue::from_str(policy) {
        headers.insert(CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers
}

/// `'sha256-…'` for each block, or `'none'` when there is none.
fn sources(blocks: &[&str]) -> String {
    if blocks.is_empty() {
        return "'none'".to_owned();
    }
    blocks
        .iter()
        .map(|block| {
            format!(
                "'sha256-{}'",
                STANDARD.encode(Sha256::digest(block.as_bytes()))
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text of every inline `<element>` of `html` (those without a `src`), as the browser
/// hashes it: from the end of the opening tag to the first closing tag.
fn inline_blocks<'a>(html: &'a str, element: &str) -> Vec<&'a str> {
    let open = format!("<{element}");
    let close = format!("</{element}");
    let mut blocks = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        let after_name = &rest[start + open.len()..];
        // `<scripts>` or `<style-x>` are other elements.
        if !after_name.starts_with(['>', ' ', '\t', '\n', '\r']) {
            rest = after_name;
            continue;
        }
        let Some(tag_end) = after_name.find('>') else {
            break;
        };
        let attributes = &after_name[..tag_end];
        let content = &after_name[tag_end + 1..];
        let Some(end) = content.find(&close) else {
            break;
        };
        if !attributes.contains("src=") {
            blocks.push(&content[..end]);
        }
        rest = &content[end..];
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_inline_block_is_found_and_external_ones_are_not() {
        let html = "<html><head><style>a{}</style><script charset=\"UTF-8\">one()</script>\
                    <script src=\"/x.js\"></script><scripts>no</scripts></head>\
                    <body><script>\ntwo()\n</script></body></html>";
        assert_eq!(inline_blocks(html, "script"), vec!["one()", "\ntwo()\n"]);
        assert_eq!(inline_blocks(html, "style"), vec!["a{}"]);
        assert!(inline_blocks("<p>no code</p>", "script").is_empty());
    }

    #[test]
    fn a_block_is_named_by_the_base64_of_its_sha256() {
        // printf 'alert(1)' | openssl dgst -sha256 -binary | base64
        let policy = page_policy("<script>alert(1)</script>", &ConnectSources::default());
        assert!(
            policy.contains("script-src 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"),
            "{policy}"
        );
        assert!(policy.contains("style-src 'none'"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    }

    #[test]
    fn only_an_absolute_public_url_adds_an_origin_to_connect_to() {
        let policy = |url| ConnectSources::for_public_url(url).0;
        assert_eq!(policy("/"), "'self'");
        assert_eq!(
            policy("https://shop.example.com/sale"),
            "'self' https://shop.example.com"
        );
        assert_eq!(
            policy("http://127.0.0.1:8080"),
            "'self' http://127.0.0.1:8080"
        );
        assert_eq!(policy("https://a.example; script-src *"), "'self'");
    }
}
