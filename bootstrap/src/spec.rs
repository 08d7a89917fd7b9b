//! The OpenAPI document, as `seckiller openapi` prints it and `docs/openapi.json` keeps it. It
//! depends on the code only, never on the wiring or the listen address, so the committed copy
//! can be compared with the code's in CI and SDKs generated from it stay stable.

use crate::config::Settings;
use seckiller_interfaces::Metrics;

use crate::wiring::{WiringError, build_node};

/// The server address the document names; clients override it with their own base URL.
pub const DOCUMENTED_SERVER: &str = "http://127.0.0.1:8080";

/// The OpenAPI document of this build, pretty-printed JSON ending in a newline.
///
/// # Errors
/// [`WiringError`] when the throwaway embedded node that carries the API cannot be built.
pub async fn openapi_document() -> Result<String, WiringError> {
    let dir = std::env::temp_dir().join(format!("seckiller-spec-{}", uuid::Uuid::now_v7()));
    let settings = Settings {
        data_dir: dir.clone(),
        database_url: None,
        redis_url: None,
        nats_url: None,
        seed_demo: false,
        admin_password: Some("spec-only-harbor-lantern-42".into()),
        token_secret: Some("spec-only-secret-spec-only-secret!".into()),
        ..Settings::default()
    };
    let built = build_node(&settings, true, &Metrics::unscraped()).await;
    let spec = match built {
        Ok(node) => {
            let spec = seckiller_interfaces::openapi_spec(node.services, DOCUMENTED_SERVER);
            node.database.close().await?;
            Ok(spec)
        }
        Err(e) => Err(e),
    };
    let _ = tokio::fs::remove_dir_all(&dir).await;
    spec.map(|s| format!("{}\n", s.trim_end()))
}
