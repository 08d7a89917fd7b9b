//! What a new password must be before it is hashed: printable, not blank, long enough for the
//! account's role, and hard to guess by zxcvbn's estimate (dictionaries, keyboard walks, dates,
//! repeats and the username itself). Admins, who can change every sale, get a higher floor.
//!
//! Only passwords being set are judged (registration, a change, the configured admin's); signing
//! in never runs the estimator, so an old account whose password predates the rule still signs
//! in, and the estimator's milliseconds stay off the hot path.

use seckiller_domain::{Password, Role, Username};
use zxcvbn::Score;

/// The floor a role's new password must reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StrengthFloor {
    /// Fewest characters.
    pub min_chars: usize,
    /// Lowest zxcvbn score (0–4): 2 means an estimated 10⁶ guesses or more, 3 10⁸, 4 10¹⁰.
    pub min_score: u8,
}

impl StrengthFloor {
    /// A buyer's: 8 characters and score 2, enough against online guessing behind the
    /// sign-in rate limits.
    pub const BUYER: Self = Self {
        min_chars: 8,
        min_score: 2,
    };
    /// An admin's: 12 characters and score 4, as a stolen admin hash must survive offline
    /// guessing too (score 3 still lets `admin-password` through).
    pub const ADMIN: Self = Self {
        min_chars: 12,
        min_score: 4,
    };

    /// The floor of `role`.
    pub fn of(role: Role) -> Self {
        match role {
            Role::Buyer => Self::BUYER,
            Role::Admin => Self::ADMIN,
        }
    }
}

/// Why a new password was refused; the message tells the person what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    /// NUL, tabs, newlines and other control characters cannot be typed reliably everywhere.
    #[error("the password contains a control character (NUL, tab, newline, …)")]
    ControlCharacter,
    /// Spaces alone.
    #[error("the password is only whitespace")]
    OnlyWhitespace,
    /// Under the role's length floor.
    #[error("the password needs at least {min} characters")]
    TooShort {
        /// The floor.
        min: usize,
    },
    /// Easy to guess: the estimator's own words on why and what would help.
    #[error("the password is too easy to guess: {hint}")]
    Guessable {
        /// What is wrong and how to do better.
        hint: String,
    },
}

/// Loads the estimator's dictionaries (tens of milliseconds, once), so the first registration
/// does not pay for it.
pub fn warm_up() {
    let _ = zxcvbn::zxcvbn("warm-up", &[]);
}

/// Checks a password about to be set for `username` with `role`. Takes well under a
/// millisecond for a usual password and about 20 ms at the 100 characters the estimator reads,
/// so it runs only where a password is set, never on sign-in.
///
/// # Errors
/// [`WeakPassword`] saying which rule it breaks.
pub fn check_new_password(
    password: &Password,
    role: Role,
    username: &Username,
) -> Result<(), WeakPassword> {
    let text = password.expose();
    let floor = StrengthFloor::of(role);
    if text.chars().any(char::is_control) {
        return Err(WeakPassword::ControlCharacter);
    }
    if text.chars().all(char::is_whitespace) {
        return Err(WeakPassword::OnlyWhitespace);
    }
    if text.chars().count() < floor.min_chars {
        return Err(WeakPassword::TooShort {
            min: floor.min_chars,
        });
    }
    let estimate = zxcvbn::zxcvbn(text, &[username.as_str(), "seckiller"]);
    if u8::from(estimate.score()) >= floor.min_score {
        return Ok(());
    }
    Err(WeakPassword::Guessable {
        hint: hint(&estimate, estimate.score()),
    })
}

/// The estimator's warning and suggestions as one sentence, or a general one when it has none.
fn hint(estimate: &zxcvbn::Entropy, score: Score) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(feedback) = estimate.feedback() {
        parts.extend(feedback.warning().map(|w| w.to_string()));
        parts.extend(feedback.suggestions().iter().map(ToString::to_string));
    }
    if parts.is_empty() {
        parts.push(format!(
            "it scores {}/4; add another word or two, uncommon ones",
            u8::from(score)
        ));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, role: Role) -> Result<(), WeakPassword> {
        let password = Password::parse(text).unwrap();
        check_new_password(&password, role, &Username::parse("alice").unwrap())
    }

    #[test]
    fn common_and_blank_passwords_are_refused_for_buyers() {
        for weak in [
            "12345678",
            "password",
            "password1",
            "qwertyuiop",
            "alice2024",
        ] {
            assert!(
                matches!(
                    check(weak, Role::Buyer),
                    Err(WeakPassword::Guessable { .. })
                ),
                "{weak}"
            );
        }
        assert_eq!(
            check("        ", Role::Buyer),
            Err(WeakPassword::OnlyWhitespace)
        );
        assert_eq!(
            check("\0\0\0\0\0\0\0\0", Role::Buyer),
            Err(WeakPassword::ControlCharacter)
        );
        assert_eq!(
            check("correct\thorse battery", Role::Buyer),
            Err(WeakPassword::ControlCharacter)
        );
    }

    #[test]
    fn a_refusal_says_what_is_wrong_in_the_estimators_words() {
        let Err(WeakPassword::Guessable { hint }) = check("password", Role::Buyer) else {
            panic!("a top-10 password passed");
        };
        assert!(hint.contains("common password"), "{hint}");
    }

    #[test]
    fn a_few_uncommon_words_pass_for_buyers_and_admins() {
        assert_eq!(check("maple-otter-47", Role::Buyer), Ok(()));
        assert_eq!(check("quiet harbor lantern 42", Role::Admin), Ok(()));
    }

    #[test]
    fn admins_need_a_longer_and_stronger_password_than_buyers() {
        // Good enough to buy with, not to run sales.
        assert_eq!(check("maple-otter", Role::Buyer), Ok(()));
        assert_eq!(
            check("maple-otter", Role::Admin),
            Err(WeakPassword::TooShort { min: 12 })
        );
        assert_eq!(check("admin-password", Role::Buyer), Ok(()));
        assert!(matches!(
            check("admin-password", Role::Admin),
            Err(WeakPassword::Guessable { .. })
        ));
    }

    #[test]
    fn generated_passwords_pass_the_admin_floor() {
        // A UUID (bulk buyers' batch password) and 24 hex digits (a generated first admin's).
        assert_eq!(
            check("0192f6a4-58b1-7c3e-8e2a-6b1f0c9d4e21", Role::Admin),
            Ok(())
        );
        assert_eq!(check("a3f9c2e1b4d5a6f7e8d9c0b1", Role::Admin), Ok(()));
    }

    #[test]
    fn a_password_built_on_the_username_is_weaker() {
        let password = Password::parse("alicealice1").unwrap();
        let user = check_new_password(&password, Role::Buyer, &Username::parse("alice").unwrap());
        assert!(
            matches!(user, Err(WeakPassword::Guessable { .. })),
            "{user:?}"
        );
    }
}
