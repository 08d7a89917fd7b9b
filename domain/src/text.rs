//! Validated free text: names, descriptions and image links as shown to buyers. Limits keep rows
//! small and pages sane; control characters are refused so nothing can forge log lines or layout.

/// Why a piece of text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Blank after trimming.
    #[error("must not be empty")]
    Empty,
    /// Longer than allowed.
    #[error("must be at most {max} characters")]
    TooLong {
        /// The limit in characters.
        max: usize,
    },
    /// Contains control characters.
    #[error("must not contain control characters")]
    ControlCharacters,
    /// A link that is not http(s).
    #[error("must be an http:// or https:// address")]
    NotAnHttpUrl,
}

fn checked(value: &str, max: usize, allow_newlines: bool) -> Result<String, TextError> {
    let trimmed = value.trim();
    if trimmed.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    let bad = |c: char| c.is_control() && !(allow_newlines && (c == '\n' || c == '\t'));
    if trimmed.chars().any(bad) {
        return Err(TextError::ControlCharacters);
    }
    Ok(trimmed.to_owned())
}

/// A short display name (a product's name, an activity's title): 1 to 120 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    /// The longest name accepted.
    pub const MAX_CHARS: usize = 120;

    /// Trims and checks a name.
    ///
    /// # Errors
    /// [`TextError`] when blank, too long or containing control characters.
    pub fn parse(value: &str) -> Result<Self, TextError> {
        let text = checked(value, Self::MAX_CHARS, false)?;
        if text.is_empty() {
            Err(TextError::Empty)
        } else {
            Ok(Self(text))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A longer description, possibly empty, up to 4,000 characters; newlines and tabs allowed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Description(String);

impl Description {
    /// The longest description accepted.
    pub const MAX_CHARS: usize = 4000;

    /// Trims and checks a description.
    ///
    /// # Errors
    /// [`TextError`] when too long or containing control characters other than newline and tab.
    pub fn parse(value: &str) -> Result<Self, TextError> {
        checked(value, Self::MAX_CHARS, true).map(Self)
    }

    /// The description.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A link to a product picture; only http(s), so a page never renders a `javascript:` link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUrl(String);

impl ImageUrl {
    /// The longest link accepted.
    pub const MAX_CHARS: usize = 2048;

    /// Checks a link.
    ///
    /// # Errors
    /// [`TextError`] when empty, too long, with control characters, or not http(s).
    pub fn parse(value: &str) -> Result<Self, TextError> {
        let text = checked(value, Self::MAX_CHARS, false)?;
        if text.is_empty() {
            return Err(TextError::Empty);
        }
        let lower = text.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) || text.contains(' ') {
            return Err(TextError::NotAnHttpUrl);
        }
        Ok(Self(text))
    }

    /// The link.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_trimmed_and_must_not_be_blank() {
        assert_eq!(Name::parse("  Phone  ").unwrap().as_str(), "Phone");
        assert_eq!(Name::parse("   "), Err(TextError::Empty));
    }

    #[test]
    fn a_name_has_a_length_limit_in_characters_not_bytes() {
        assert!(Name::parse(&"é".repeat(Name::MAX_CHARS)).is_ok());
        assert_eq!(
            Name::parse(&"a".repeat(Name::MAX_CHARS + 1)),
            Err(TextError::TooLong {
                max: Name::MAX_CHARS
            })
        );
    }

    #[test]
    fn control_characters_are_refused_but_descriptions_keep_newlines() {
        assert_eq!(Name::parse("a\nb"), Err(TextError::ControlCharacters));
        assert_eq!(
            Description::parse("line\nnext").unwrap().as_str(),
            "line\nnext"
        );
        assert_eq!(
            Description::parse("bell\u{7}"),
            Err(TextError::ControlCharacters)
        );
        assert_eq!(Description::parse("").unwrap().as_str(), "");
    }

    #[test]
    fn only_http_links_are_images() {
        assert!(ImageUrl::parse("https://cdn.example/p.png").is_ok());
        assert_eq!(
            ImageUrl::parse("javascript:alert(1)"),
            Err(TextError::NotAnHttpUrl)
        );
        assert_eq!(ImageUrl::parse("https://a b"), Err(TextError::NotAnHttpUrl));
    }
}
