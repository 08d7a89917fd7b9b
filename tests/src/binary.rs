//! Where the `seckiller` binary under test is (and the crowd simulator, `seckiller-crowd`).
//!
//! `cargo test --workspace` builds it (the `seckiller` package has integration tests, so Cargo
//! links its binary), next to this crate's test executables: they run from
//! `<target>/<profile>/deps/`, the binary is `<target>/<profile>/seckiller`. When only this
//! package is tested and the binary was never built, it is built here first.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The `seckiller` binary of the same target directory and profile as the running test, built
/// first when it does not exist yet.
///
/// An existing binary is used as it is: run `cargo test --workspace` (or build `seckiller`) to
/// test the current sources.
///
/// # Errors
/// When the test executable's location cannot be read, or the build fails.
pub fn seckiller_binary() -> anyhow::Result<PathBuf> {
    binary_of("seckiller", "seckiller")
}

/// The crowd simulator's binary (`seckiller-crowd`), found and built as [`seckiller_binary`].
///
/// # Errors
/// When the test executable's location cannot be read, or the build fails.
pub fn crowd_binary() -> anyhow::Result<PathBuf> {
    binary_of("seckiller-crowd", "seckiller-crowd")
}

/// Binary `bin` of `package`, next to the running test, built first when missing.
fn binary_of(package: &str, bin: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("the test executable's path")?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .context("the test executable is not under <target>/<profile>/deps")?;
    let binary = profile_dir.join(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
    if !binary.is_file() {
        build(profile_dir, package, bin)?;
    }
    if !binary.is_file() {
        bail!(
            "`cargo build` succeeded but {} is missing",
            binary.display()
        );
    }
    Ok(binary)
}

/// Builds the binary into `profile_dir`'s target directory with its profile, using the Cargo
/// that runs this test.
fn build(profile_dir: &Path, package: &str, bin: &str) -> anyhow::Result<()> {
    let target_dir = profile_dir
        .parent()
        .context("the profile directory has no target directory")?;
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev",
        Some(other) => other,
    };
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("the crate is not inside the workspace")?
        .join("Cargo.toml");
    let status = Command::new(env!("CARGO"))
        .args(["build", "--package", package, "--bin", bin])
        .arg("--profile")
        .arg(profile)
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(target_dir)
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("`cargo build --package {package} --bin {bin}` failed ({status})");
    }
    Ok(())
}
