//! Where the token-signing keys come from. Never the database: a copy of it (a backup, a
//! readable file) would let anyone mint an admin token. In order: `token_secret` (the
//! environment), or `token_key_file`; for the embedded default only, a key generated on first
//! start into `data_dir/token.key` (0600). On Postgres with neither, the node refuses to start:
//! every node must sign with the same key, and generating one per node would sign each
//! node's buyers out on the others. Previous keys (`token_previous_secrets`,
//! `token_previous_key_files`) still verify, for rotation.

use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use seckiller_auth::{KeyRing, random_secret};

use crate::config::Settings;
use crate::data_files::{our_uid, secure_data_dir};

/// The shortest key accepted, in bytes.
const MIN_KEY_BYTES: usize = 32;
/// The generated key's file in the data directory.
pub const GENERATED_KEY_FILE: &str = "token.key";

/// The keys as configured: the current one and the previous ones.
pub struct SigningKeys {
    current: Vec<u8>,
    previous: Vec<Vec<u8>>,
}

impl SigningKeys {
    /// The key ring signing with the current key and verifying with all.
    pub fn ring(&self) -> KeyRing {
        let previous: Vec<&[u8]> = self.previous.iter().map(Vec::as_slice).collect();
        KeyRing::new(&self.current, &previous)
    }
}

fn checked(key: Vec<u8>, origin: &str) -> Result<Vec<u8>, String> {
    match key.len() >= MIN_KEY_BYTES {
        true => Ok(key),
        false => Err(format!(
            "{origin} must be at least {MIN_KEY_BYTES} characters of randomness"
        )),
    }
}

/// Reads a key file, refusing one other users could read or replace: such a key is as good as
/// published, since with it anyone can mint an admin token.
///
/// # Errors
/// A message naming the file and what is wrong with it.
pub fn read_key_file(path: &Path) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read key file {shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("key file {shown} is not a regular file"));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o177 != 0 {
        return Err(format!(
            "key file {shown} has mode {mode:o}: other users could read or change it, and whoever \
             reads the key can sign tokens as any account; make it 0600 or 0400 (chmod 600 {shown})"
        ));
    }
    let uid = our_uid();
    if meta.uid() != uid {
        return Err(format!(
            "key file {shown} is owned by uid {} but the service runs as uid {uid}: its owner \
             could swap the key; chown it to the service's user",
            meta.uid()
        ));
    }
    let text = std::fs::read(path).map_err(|e| format!("cannot read key file {shown}: {e}"))?;
    let key = text.trim_ascii().to_vec();
    checked(key, &format!("the key in {shown}"))
}

/// The generated key of the embedded default, created (0600, in a 0700 directory) on first
/// start.
fn generated_key(data_dir: &Path) -> Result<Vec<u8>, String> {
    secure_data_dir(data_dir).map_err(|e| {
        format!(
            "cannot create the data directory {}: {e}",
            data_dir.display()
        )
    })?;
    let path = data_dir.join(GENERATED_KEY_FILE);
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path);
    match created {
        Ok(mut file) => {
            let key = random_secret(32);
            file.write_all(format!("{key}\n").as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| format!("cannot write key file {}: {e}", path.display()))?;
            tracing::info!(file = %path.display(), "generated the token-signing key");
            Ok(key.into_bytes())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_key_file(&path),
        Err(e) => Err(format!("cannot create key file {}: {e}", path.display())),
    }
}

fn list(value: Option<&str>) -> impl Iterator<Item = &str> {
    value
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The signing keys `settings` configure; see the module documentation. Blocking file IO: call
/// it once at start, off the request path.
///
/// # Errors
/// A message saying what is missing or wrong, for the operator.
pub fn signing_keys(settings: &Settings) -> Result<SigningKeys, String> {
    let current = match (&settings.token_secret, &settings.token_key_file) {
        (Some(_), Some(_)) => {
            return Err(
                "set token_secret or token_key_file, not both: which key signs must be clear"
                    .into(),
            );
        }
        (Some(secret), None) => checked(secret.as_bytes().to_vec(), "token_secret")?,
        (None, Some(file)) => read_key_file(file)?,
        (None, None) if settings.is_embedded() => generated_key(&settings.data_dir)?,
        (None, None) => {
            return Err(
                "no token-signing key: set SECKILLER_TOKEN_SECRET or SECKILLER_TOKEN_KEY_FILE. \
                 On a shared database every node must sign with the same key, and the key is \
                 not kept in the database (a copy of it would let anyone mint tokens)"
                    .into(),
            );
        }
    };
    let mut previous = Vec::new();
    for secret in list(settings.token_previous_secrets.as_deref()) {
        previous.push(checked(
            secret.as_bytes().to_vec(),
            "each of token_previous_secrets",
        )?);
    }
    for file in list(settings.token_previous_key_files.as_deref()) {
        previous.push(read_key_file(&PathBuf::from(file))?);
    }
    Ok(SigningKeys { current, previous })
}

#[cfg(test)]
mod tests {
    use std::fs::Permissions;
    use std::os::unix::fs::PermissionsExt;

    use seckiller_auth::key_id;

    use super::*;

    fn scratch() -> PathBuf {
        std::env::temp_dir().join(format!("seckiller-keys-{}", uuid::Uuid::now_v7().simple()))
    }

    const KEY: &str = "a-key-file-key-a-key-file-key-a-key-file";

    fn key_file(dir: &Path, mode: u32) -> PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        let path = dir.join("signing.key");
        std::fs::write(&path, format!("{KEY}\n")).unwrap();
        std::fs::set_permissions(&path, Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn a_private_key_file_is_read_without_its_newline() {
        let dir = scratch();
        for mode in [0o600, 0o400] {
            let path = key_file(&dir, mode);
            assert_eq!(read_key_file(&path).unwrap(), KEY.as_bytes());
            std::fs::set_permissions(&path, Permissions::from_mode(0o600)).unwrap();
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_key_file_others_can_read_is_refused_saying_why() {
        let dir = scratch();
        let path = key_file(&dir, 0o644);
        let error = read_key_file(&path).unwrap_err();
        assert!(error.contains("mode 644"), "{error}");
        assert!(error.contains("chmod 600"), "{error}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_short_key_is_refused() {
        let dir = scratch();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("short.key");
        std::fs::write(&path, "short").unwrap();
        std::fs::set_permissions(&path, Permissions::from_mode(0o600)).unwrap();
        assert!(read_key_file(&path).unwrap_err().contains("at least 32"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_embedded_default_generates_a_private_key_once_and_keeps_it() {
        let dir = scratch();
        let settings = Settings {
            data_dir: dir.join("data"),
            ..Settings::default()
        };
        let first = signing_keys(&settings).unwrap().ring();
        let again = signing_keys(&settings).unwrap().ring();
        assert_eq!(first.current_key_id(), again.current_key_id());
        let file = dir.join("data").join(GENERATED_KEY_FILE);
        assert_eq!(std::fs::metadata(&file).unwrap().mode() & 0o777, 0o600);
        assert_eq!(
            std::fs::metadata(dir.join("data")).unwrap().mode() & 0o777,
            0o700
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_shared_database_without_a_key_is_refused() {
        let settings = Settings {
            database_url: Some("postgres://postgres@127.0.0.1:5432/none".into()),
            ..Settings::default()
        };
        let error = signing_keys(&settings).err().unwrap();
        assert!(error.contains("SECKILLER_TOKEN_SECRET"), "{error}");
    }

    #[test]
    fn previous_keys_verify_and_the_current_one_signs() {
        let settings = Settings {
            database_url: Some("postgres://postgres@127.0.0.1:5432/none".into()),
            token_secret: Some("the-new-key-the-new-key-the-new-key!".into()),
            token_previous_secrets: Some(" the-old-key-the-old-key-the-old-key!, ".into()),
            ..Settings::default()
        };
        let ring = signing_keys(&settings).unwrap().ring();
        assert_eq!(
            ring.current_key_id(),
            key_id(b"the-new-key-the-new-key-the-new-key!")
        );
        assert_eq!(
            ring.previous_key_ids().collect::<Vec<_>>(),
            [key_id(b"the-old-key-the-old-key-the-old-key!")]
        );
    }

    #[test]
    fn a_secret_and_a_key_file_together_are_refused() {
        let settings = Settings {
            token_secret: Some(KEY.into()),
            token_key_file: Some(PathBuf::from("/nonexistent")),
            ..Settings::default()
        };
        assert!(signing_keys(&settings).err().unwrap().contains("not both"));
    }
}
