//! The embedded default's files are private to the service: the data directory 0700, the SQLite
//! database and its WAL and shared-memory files 0600. They hold every account's password hash
//! and the orders; before, they were world-readable (0644 in a 0755 directory).

use std::fs::{DirBuilder, OpenOptions, Permissions};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Mode bits that give the group or others any access.
const SHARED_BITS: u32 = 0o077;
/// The sticky bit: a directory shared on purpose (like /tmp) is never narrowed.
const STICKY: u32 = 0o1000;

/// The user the process runs as.
pub(crate) fn our_uid() -> u32 {
    nix::unistd::geteuid().as_raw()
}

/// Creates `dir` (and its parents) as 0700, or narrows an existing one we own to 0700. A
/// directory someone else owns, or a sticky one (shared on purpose, like /tmp), is left alone
/// with a warning.
///
/// # Errors
/// The IO error when the directory cannot be created, read or changed.
pub fn secure_data_dir(dir: &Path) -> std::io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let meta = std::fs::metadata(dir)?;
    let mode = meta.mode() & 0o7777;
    if mode & SHARED_BITS == 0 {
        return Ok(());
    }
    if meta.uid() != our_uid() || mode & STICKY != 0 {
        tracing::warn!(
            dir = %dir.display(),
            mode = format!("{mode:o}"),
            "the data directory is open to other users and not ours to narrow; keep the database elsewhere"
        );
        return Ok(());
    }
    std::fs::set_permissions(dir, Permissions::from_mode(0o700))
}

/// The file behind a `sqlite:` URL, if it names one (not an in-memory database).
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path))
}

/// Creates the database file as 0600 before SQLite opens it (SQLite gives its WAL and
/// shared-memory files the database file's mode), and narrows the three files to 0600 where an
/// older version left them wider.
///
/// # Errors
/// The IO error when a file cannot be created or changed.
pub fn secure_sqlite_files(db: &Path) -> std::io::Result<()> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(db)
    {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let path = PathBuf::from(name);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.mode() & SHARED_BITS != 0 && meta.uid() == our_uid() => {
                std::fs::set_permissions(&path, Permissions::from_mode(0o600))?;
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> PathBuf {
        std::env::temp_dir().join(format!("seckiller-files-{}", uuid::Uuid::now_v7().simple()))
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().mode() & 0o777
    }

    #[test]
    fn a_new_data_directory_is_private_and_an_old_open_one_is_narrowed() {
        let dir = scratch();
        secure_data_dir(&dir.join("data")).unwrap();
        assert_eq!(mode(&dir.join("data")), 0o700);
        std::fs::set_permissions(dir.join("data"), Permissions::from_mode(0o755)).unwrap();
        secure_data_dir(&dir.join("data")).unwrap();
        assert_eq!(mode(&dir.join("data")), 0o700);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn database_files_are_created_private_and_old_ones_narrowed() {
        let dir = scratch();
        secure_data_dir(&dir).unwrap();
        let db = dir.join("seckiller.db");
        secure_sqlite_files(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        let wal = dir.join("seckiller.db-wal");
        std::fs::write(&wal, b"").unwrap();
        std::fs::set_permissions(&wal, Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(&db, Permissions::from_mode(0o644)).unwrap();
        secure_sqlite_files(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&wal), 0o600);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_file_of_a_sqlite_url_is_found() {
        assert_eq!(
            sqlite_file("sqlite://data/seckiller.db?mode=rwc"),
            Some(PathBuf::from("data/seckiller.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x/y"), None);
    }
}
