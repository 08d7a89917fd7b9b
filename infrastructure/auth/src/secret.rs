//! Random secrets from the operating system's generator: token-signing keys and generated
//! passwords.

use argon2::password_hash::rand_core::{OsRng, RngCore};

/// `bytes` random bytes as lower-case hex (so `2 × bytes` characters).
pub fn random_secret(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_have_the_asked_length_and_differ() {
        let a = random_secret(16);
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, random_secret(16));
    }
}
