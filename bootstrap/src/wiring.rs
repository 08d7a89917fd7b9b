//! Wiring: which adapter stands behind each port. One set for every deployment today (sea-orm
//! repositories on Postgres or SQLite, argon2, JWT, the system clock, UUIDv7 ids); the database
//! URL alone chooses between production and the embedded default.

use std::sync::Arc;

use chrono::Duration;
use seckiller_application::Adapters;
use seckiller_application::accounts::Accounts;
use seckiller_application::demo::seed_demo;
use seckiller_auth::{Argon2PasswordHasher, JwtTokenService, random_secret};
use seckiller_domain::{Password, Username};
use seckiller_interfaces::{ReadinessCheck, Services};
use seckiller_memory::{SystemClock, UuidV7Source};
use seckiller_persistence::{
    Database, SeaActivityRepository, SeaProductRepository, SeaUserRepository, connect,
};

use crate::config::Settings;

/// The adapters of a running node.
pub struct NodeAdapters {
    users: SeaUserRepository,
    products: SeaProductRepository,
    activities: SeaActivityRepository,
    tokens: JwtTokenService,
}

impl Adapters for NodeAdapters {
    type Users = SeaUserRepository;
    type Products = SeaProductRepository;
    type Activities = SeaActivityRepository;
    type Hasher = Argon2PasswordHasher;
    type Tokens = JwtTokenService;
    type Clock = SystemClock;
    type Ids = UuidV7Source;

    fn users(&self) -> &SeaUserRepository {
        &self.users
    }
    fn products(&self) -> &SeaProductRepository {
        &self.products
    }
    fn activities(&self) -> &SeaActivityRepository {
        &self.activities
    }
    fn hasher(&self) -> &Argon2PasswordHasher {
        &Argon2PasswordHasher
    }
    fn tokens(&self) -> &JwtTokenService {
        &self.tokens
    }
    fn clock(&self) -> &SystemClock {
        &SystemClock
    }
    fn ids(&self) -> &UuidV7Source {
        &UuidV7Source
    }
}

/// Why the node could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum WiringError {
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {cause}")]
    DataDir {
        /// The directory.
        path: String,
        /// Why.
        cause: std::io::Error,
    },
    /// The database could not be opened, migrated or read.
    #[error("database: {0}")]
    Database(#[from] seckiller_persistence::PersistenceError),
    /// A configured value is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// Start-up data (admin, demo) could not be written.
    #[error("start-up data: {0}")]
    Seed(String),
}

/// A wired node: its services, its readiness probe, and the database to close on shutdown.
pub struct Node {
    /// The use cases, ready for the HTTP layer.
    pub services: Services<NodeAdapters>,
    /// Readiness probe for `/readyz`.
    pub readiness: ReadinessCheck,
    /// The pool, closed on shutdown.
    pub database: Database,
}

/// Opens the database (creating the data directory for the embedded default) and, if asked,
/// applies migrations.
///
/// # Errors
/// [`WiringError`] when the directory or database cannot be opened or migrated.
pub async fn open_database(settings: &Settings, migrate: bool) -> Result<Database, WiringError> {
    if settings.database_url.is_none() {
        tokio::fs::create_dir_all(&settings.data_dir)
            .await
            .map_err(|cause| WiringError::DataDir {
                path: settings.data_dir.display().to_string(),
                cause,
            })?;
    }
    let database = connect(&settings.effective_database_url()).await?;
    if migrate {
        database.migrate().await?;
    }
    Ok(database)
}

/// Assembles the node: database, adapters, use cases, the first admin and the demo sale.
///
/// # Errors
/// [`WiringError`] when any start-up step fails; the node must not serve half-wired.
pub async fn build_node(settings: &Settings, migrate: bool) -> Result<Node, WiringError> {
    let database = open_database(settings, migrate).await?;
    let secret = match &settings.token_secret {
        Some(secret) if secret.len() >= 32 => secret.clone(),
        Some(_) => {
            return Err(WiringError::Config(
                "token_secret must be at least 32 characters".into(),
            ));
        }
        None => {
            database
                .ensure_setting("token_secret", &random_secret(32))
                .await?
        }
    };
    let adapters = Arc::new(NodeAdapters {
        users: SeaUserRepository::new(&database),
        products: SeaProductRepository::new(&database),
        activities: SeaActivityRepository::new(&database),
        tokens: JwtTokenService::new(secret.as_bytes()),
    });
    let accounts = Accounts::new(
        adapters.clone(),
        Duration::seconds(i64::from(settings.session_ttl_seconds)),
    );
    ensure_admin(settings, &accounts).await?;
    let services = Services::new(adapters.clone(), accounts);
    let seeded = match settings.seed_demo {
        true => seed_demo(adapters.as_ref(), &services.catalog, &services.activities)
            .await
            .map_err(|e| WiringError::Seed(e.to_string()))?,
        false => None,
    };
    if let Some(demo) = seeded {
        tracing::info!(activity = %demo.activity.id, "seeded a demo sale");
    }
    let probe = database.clone();
    let readiness: ReadinessCheck = Arc::new(move || {
        let db = probe.clone();
        Box::pin(async move { db.ping().await.map_err(|e| e.to_string()) })
    });
    Ok(Node {
        services,
        readiness,
        database,
    })
}

async fn ensure_admin(
    settings: &Settings,
    accounts: &Accounts<NodeAdapters>,
) -> Result<(), WiringError> {
    let username = Username::parse(&settings.admin_username)
        .map_err(|e| WiringError::Config(format!("admin_username: {e}")))?;
    let (password, generated) = match &settings.admin_password {
        Some(p) => (p.clone(), false),
        None => (random_secret(12), true),
    };
    let password = Password::parse(&password)
        .map_err(|e| WiringError::Config(format!("admin_password: {e}")))?;
    let created = accounts
        .ensure_admin(username.clone(), password.clone())
        .await
        .map_err(|e| WiringError::Seed(e.to_string()))?;
    if created && generated {
        tracing::warn!(
            username = username.as_str(),
            password = password.expose(),
            "created the first admin account with a generated password; it is shown only this once"
        );
    } else if created {
        tracing::info!(
            username = username.as_str(),
            "created the first admin account"
        );
    }
    Ok(())
}
