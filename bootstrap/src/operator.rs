//! Commands an operator runs at the host against the node's database: today, setting an
//! account's password (`seckiller admin set-password <username>`). The password never comes from
//! the command line, where `ps` and shell histories would show it.

use std::io::BufRead;

use seckiller_application::accounts::SetPasswordError;
use seckiller_domain::{Password, Username};

use crate::config::Settings;
use seckiller_interfaces::Metrics;

use crate::wiring::build_node;

/// Where a new password is read from when set, before standard input.
pub const NEW_PASSWORD_VARIABLE: &str = "SECKILLER_NEW_PASSWORD";

/// Why a password was not set.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// The username or password cannot be one.
    #[error("{0}")]
    Input(String),
    /// The use case refused.
    #[error(transparent)]
    Refused(#[from] SetPasswordError),
    /// The node could not be wired (database, Redis or NATS unreachable, bad settings).
    #[error(transparent)]
    Wiring(#[from] crate::wiring::WiringError),
}

/// The new password: `SECKILLER_NEW_PASSWORD` when set, else the first line of `stdin` (its line
/// ending removed).
///
/// # Errors
/// [`OperatorError::Input`] when neither holds one.
pub fn read_new_password(
    variable: Option<String>,
    stdin: &mut impl BufRead,
) -> Result<String, OperatorError> {
    if let Some(password) = variable {
        return Ok(password);
    }
    let mut line = String::new();
    stdin
        .read_line(&mut line)
        .map_err(|e| OperatorError::Input(format!("standard input: {e}")))?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        return Err(OperatorError::Input(format!(
            "no password: set {NEW_PASSWORD_VARIABLE} or write it on standard input"
        )));
    }
    Ok(password.to_owned())
}

/// Sets `username`'s password to `password` on the database `settings` name, to the floor of the
/// account's role, and says what it did.
///
/// # Errors
/// [`OperatorError`] when the input is unusable, the account unknown, the password too weak, or
/// the node cannot be wired.
pub async fn set_password(
    settings: &Settings,
    username: &str,
    password: &str,
) -> Result<String, OperatorError> {
    let username =
        Username::parse(username).map_err(|e| OperatorError::Input(format!("username: {e}")))?;
    let password =
        Password::parse(password).map_err(|e| OperatorError::Input(format!("password: {e}")))?;
    let node = build_node(
        &Settings {
            seed_demo: false,
            ..settings.clone()
        },
        true,
        &Metrics::unscraped(),
    )
    .await?;
    let changed = node
        .services
        .accounts
        .set_password(&username, password)
        .await;
    node.database.close().await.ok();
    let user = changed?;
    let mut said = format!(
        "the password of {} ({}) was changed",
        user.username.as_str(),
        user.role.as_str()
    );
    if settings.admin_password.is_some() && settings.admin_username == user.username.as_str() {
        said.push_str(
            "; the configured admin password (SECKILLER_ADMIN_PASSWORD) replaces it at the \
             next start: change it there too",
        );
    }
    Ok(said)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_wins_over_standard_input() {
        let mut stdin = "from-stdin\n".as_bytes();
        assert_eq!(
            read_new_password(Some("from-env".into()), &mut stdin).unwrap(),
            "from-env"
        );
    }

    #[test]
    fn standard_input_gives_its_first_line_without_the_line_ending() {
        let mut stdin = "copper kettle 19\r\nsecond line\n".as_bytes();
        assert_eq!(
            read_new_password(None, &mut stdin).unwrap(),
            "copper kettle 19"
        );
        let mut empty = "".as_bytes();
        assert!(matches!(
            read_new_password(None, &mut empty),
            Err(OperatorError::Input(_))
        ));
    }
}
