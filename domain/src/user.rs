//! Accounts: buyers who purchase and admins who run sales. Passwords exist here only as a value to
//! be hashed; the stored form is an opaque [`PasswordHash`].

use std::fmt;

use chrono::{DateTime, Utc};

use crate::ids::UserId;

/// Why a username or password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    /// Usernames are 3–32 characters of letters, digits, `_`, `.` and `-`.
    #[error("username must be 3 to 32 characters of letters, digits, '_', '.' or '-'")]
    BadUsername,
    /// Passwords are 8–128 characters.
    #[error("password must be 8 to 128 characters")]
    BadPassword,
}

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Buys in sales.
    Buyer,
    /// Manages products and activities.
    Admin,
}

impl Role {
    /// The stable name used in storage and tokens.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Buyer => "buyer",
            Role::Admin => "admin",
        }
    }

    /// Reads a stored role name back.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "buyer" => Some(Role::Buyer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A login name, kept in lower case so `Alice` and `alice` are one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Checks and normalises a username.
    ///
    /// # Errors
    /// [`UserError::BadUsername`] when the length or characters are outside the rule.
    pub fn parse(value: &str) -> Result<Self, UserError> {
        let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
        if (3..=32).contains(&value.len()) && value.chars().all(ok_char) {
            Ok(Self(value.to_ascii_lowercase()))
        } else {
            Err(UserError::BadUsername)
        }
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A clear-text password on its way to the hasher. Its `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Checks a password's length.
    ///
    /// # Errors
    /// [`UserError::BadPassword`] unless it has 8 to 128 characters.
    pub fn parse(value: &str) -> Result<Self, UserError> {
        if (8..=128).contains(&value.chars().count()) {
            Ok(Self(value.to_owned()))
        } else {
            Err(UserError::BadPassword)
        }
    }

    /// The clear text, for the hasher only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A password hash in PHC string form, opaque to everything but the hasher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string produced by a hasher or read from storage.
    pub fn new(phc: String) -> Self {
        Self(phc)
    }

    /// The PHC string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// Its unique login name.
    pub username: Username,
    /// Its password, hashed.
    pub password_hash: PasswordHash,
    /// What it may do.
    pub role: Role,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_case_insensitive() {
        assert_eq!(
            Username::parse("Alice").unwrap(),
            Username::parse("alice").unwrap()
        );
    }

    #[test]
    fn usernames_outside_the_rule_are_refused() {
        for bad in ["ab", "", "has space", "semi;colon", &"x".repeat(33), "ünï"] {
            assert_eq!(Username::parse(bad), Err(UserError::BadUsername), "{bad}");
        }
        assert!(Username::parse("a.b-c_9").is_ok());
    }

    #[test]
    fn passwords_need_eight_to_128_characters_and_never_print() {
        assert_eq!(Password::parse("short"), Err(UserError::BadPassword));
        assert_eq!(
            Password::parse(&"p".repeat(129)),
            Err(UserError::BadPassword)
        );
        let p = Password::parse("correct horse").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in [Role::Buyer, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
