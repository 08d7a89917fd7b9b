//! Field types for request bodies that say their rules in the OpenAPI document.
//!
//! The document must admit exactly what the service accepts: a client (or a fuzzer) that sends a
//! value the document allows must not be refused, and one the document forbids must be. The rules
//! themselves stay with the domain types (`Name`, `Quantity`, …), which answer 422 naming the
//! field; these types only state the same rules in the schema, and read JSON strictly (poem's own
//! `String` would take `12` or `true` as text).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use seckiller_domain::{Description, ImageUrl, Name};
use serde_json::Value;

use crate::problem::ApiError;

/// Characters Rust's `str::trim` removes (Unicode `White_Space`), as a regex class body.
macro_rules! white_space {
    () => {
        r"\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    };
}

/// Control characters (Unicode `Cc`, what `char::is_control` finds), as a regex class body.
macro_rules! control {
    () => {
        r"\u0000-\u001f\u007f-\u009f"
    };
}

/// The rule of a text field as the document states it.
pub(crate) trait TextRule {
    /// Fewest characters, when the rule has a floor the pattern does not state.
    const MIN_CHARS: Option<usize> = None;
    /// Most characters, counted before trimming.
    const MAX_CHARS: Option<usize> = None;
    /// An ECMA-262 pattern the whole text matches.
    const PATTERN: Option<&'static str> = None;
}

/// Any text (a sign-in name, a purchase token): the service decides what it means.
pub(crate) struct AnyText;
impl TextRule for AnyText {}

/// A display name or title ([`Name`]): after trimming white space, 1 to 120 characters, none of
/// them control characters.
pub(crate) struct NameText;
impl TextRule for NameText {
    const MAX_CHARS: Option<usize> = Some(Name::MAX_CHARS);
    // Leading and trailing white space (which the domain trims, control characters included),
    // around text without control characters that has one character that is not white space.
    const PATTERN: Option<&'static str> = Some(concat!(
        "^[",
        white_space!(),
        "]*[^",
        control!(),
        "]*[^",
        control!(),
        white_space!(),
        "][^",
        control!(),
        "]*[",
        white_space!(),
        "]*$"
    ));
}

/// A product description ([`Description`]): up to 4,000 characters, possibly empty; newlines
/// and tabs are the only control characters allowed inside.
pub(crate) struct DescriptionText;
impl TextRule for DescriptionText {
    const MAX_CHARS: Option<usize> = Some(Description::MAX_CHARS);
    const PATTERN: Option<&'static str> = Some(concat!(
        "^[",
        white_space!(),
        r"]*[^\u0000-\u0008\u000b-\u001f\u007f-\u009f]*[",
        white_space!(),
        "]*$"
    ));
}

/// A picture link ([`ImageUrl`]): `http://` or `https://` (any case), no spaces and no control
/// characters, after trimming white space.
pub(crate) struct ImageUrlText;
impl TextRule for ImageUrlText {
    const MAX_CHARS: Option<usize> = Some(ImageUrl::MAX_CHARS);
    const PATTERN: Option<&'static str> = Some(concat!(
        "^[",
        white_space!(),
        "]*[hH][tT][tT][pP][sS]?://[^ ",
        control!(),
        "]*[",
        white_space!(),
        "]*$"
    ));
}

/// A username (`seckiller_domain::Username`): 3 to 32 ASCII letters, digits, `_`, `.` or `-`.
pub(crate) struct UsernameText;
impl TextRule for UsernameText {
    const PATTERN: Option<&'static str> = Some("^[A-Za-z0-9_.-]{3,32}$");
}

/// A new password (`seckiller_domain::Password`): 8 to 128 characters.
pub(crate) struct PasswordText;
impl TextRule for PasswordText {
    const MIN_CHARS: Option<usize> = Some(8);
    const MAX_CHARS: Option<usize> = Some(128);
}

/// An ISO 4217 code of a currency in circulation (`seckiller_domain::Currency::ACCEPTED`,
/// spelt out so clients and fuzzers see the same list; a test keeps the two equal).
pub(crate) struct CurrencyText;
impl TextRule for CurrencyText {
    const PATTERN: Option<&'static str> = Some(concat!(
        "^(AED|AFN|ALL|AMD|AOA|ARS|AUD|AWG|AZN|BAM|BBD|BDT|BHD|BIF|BMD|BND|BOB|BRL|BSD|BTN|",
        "BWP|BYN|BZD|CAD|CDF|CHF|CLP|CNY|COP|CRC|CUP|CVE|CZK|DJF|DKK|DOP|DZD|EGP|ERN|ETB|EUR|",
        "FJD|FKP|GBP|GEL|GHS|GIP|GMD|GNF|GTQ|GYD|HKD|HNL|HTG|HUF|IDR|ILS|INR|IQD|IRR|ISK|JMD|",
        "JOD|JPY|KES|KGS|KHR|KMF|KPW|KRW|KWD|KYD|KZT|LAK|LBP|LKR|LRD|LSL|LYD|MAD|MDL|MGA|MKD|",
        "MMK|MNT|MOP|MRU|MUR|MVR|MWK|MXN|MYR|MZN|NAD|NGN|NIO|NOK|NPR|NZD|OMR|PAB|PEN|PGK|PHP|",
        "PKR|PLN|PYG|QAR|RON|RSD|RUB|RWF|SAR|SBD|SCR|SDG|SEK|SGD|SHP|SLE|SOS|SRD|SSP|STN|SVC|",
        "SYP|SZL|THB|TJS|TMT|TND|TOP|TRY|TTD|TWD|TZS|UAH|UGX|USD|UYU|UZS|VED|VES|VND|VUV|WST|",
        "XAF|XCD|XCG|XOF|XPF|YER|ZAR|ZMW|ZWG)$",
    ));
}

/// A JSON string whose rule `R` the document states.
pub(crate) struct Text<R>(String, PhantomData<fn() -> R>);

impl<R: TextRule> Text<R> {
    /// The text as sent, unchecked.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The text as sent, unchecked, owned.
    pub(crate) fn into_string(self) -> String {
        self.0
    }

    /// The text as sent, once its length is within the rule's most characters; 422 naming `field`
    /// otherwise. The domain measures trimmed text, the document (and so this) the text as sent.
    pub(crate) fn within_limit(&self, field: &str) -> Result<&str, ApiError> {
        match R::MAX_CHARS {
            Some(max) if self.0.chars().count() > max => Err(ApiError::invalid(
                field,
                format!("must be at most {max} characters"),
            )),
            _ => Ok(&self.0),
        }
    }
}

impl<R> From<String> for Text<R> {
    fn from(text: String) -> Self {
        Self(text, PhantomData)
    }
}

impl<R> Clone for Text<R> {
    fn clone(&self) -> Self {
        Self(self.0.clone(), PhantomData)
    }
}

impl<R> fmt::Debug for Text<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl<R: TextRule + Send + Sync> Type for Text<R> {
    const IS_REQUIRED: bool = true;
    type RawValueType = String;
    type RawElementValueType = String;

    fn name() -> Cow<'static, str> {
        "string".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            min_length: R::MIN_CHARS,
            max_length: R::MAX_CHARS,
            pattern: R::PATTERN.map(str::to_owned),
            ..MetaSchema::new("string")
        }))
    }

    fn as_raw_value(&self) -> Option<&String> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a String> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl<R: TextRule + Send + Sync> ParseFromJSON for Text<R> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(text) => Ok(text.into()),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl<R: TextRule + Send + Sync> ToJSON for Text<R> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

/// A JSON integer that the document bounds to `MIN..=MAX`; the domain type behind the field
/// enforces the same bounds with a 422.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Integer<const MIN: i64, const MAX: i64>(i64);

impl<const MIN: i64, const MAX: i64> Integer<MIN, MAX> {
    /// The number as sent, unchecked.
    pub(crate) fn get(self) -> i64 {
        self.0
    }
}

impl<const MIN: i64, const MAX: i64> From<i64> for Integer<MIN, MAX> {
    fn from(n: i64) -> Self {
        Self(n)
    }
}

impl<const MIN: i64, const MAX: i64> Type for Integer<MIN, MAX> {
    const IS_REQUIRED: bool = true;
    type RawValueType = i64;
    type RawElementValueType = i64;

    fn name() -> Cow<'static, str> {
        "integer(int64)".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        // JSON numbers in the document are f64; every bound used is far below 2^53, so exact.
        let (min, max) = (MIN as f64, MAX as f64);
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            minimum: Some(min),
            maximum: Some(max),
            ..MetaSchema::new_with_format("integer", "int64")
        }))
    }

    fn as_raw_value(&self) -> Option<&i64> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a i64> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl<const MIN: i64, const MAX: i64> ParseFromJSON for Integer<MIN, MAX> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        i64::parse_from_json(value)
            .map(Self)
            .map_err(ParseError::propagate)
    }
}

impl<const MIN: i64, const MAX: i64> ToJSON for Integer<MIN, MAX> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::from(self.0))
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::validation::{Pattern, Validator};
    use seckiller_domain::{Currency, Password, Username};

    use super::*;

    fn matches<R: TextRule>(text: &str) -> bool {
        let pattern = R::PATTERN.is_none_or(|p| Pattern::new(p).check(&text.to_owned()));
        let count = text.chars().count();
        pattern
            && R::MIN_CHARS.is_none_or(|min| count >= min)
            && R::MAX_CHARS.is_none_or(|max| count <= max)
    }

    /// Texts on both sides of every rule: padding of each kind, control characters inside and
    /// outside the trimmed text, and the length limits.
    fn samples() -> Vec<String> {
        let mut texts: Vec<String> = [
            "",
            " ",
            "Phone",
            "  Phone  ",
            "\t\nPhone\r\u{b}\u{c}",
            "\u{85}Phone\u{3000}",
            "\u{a0}",
            "\u{2009}\u{202f}",
            "Pho\nne",
            "Pho\tne",
            "Pho\u{7}ne",
            "Pho\u{9f}ne",
            "\u{7}",
            "é",
            "\u{feff}",
            "\u{200b}",
            "a b",
            "https://cdn.example/p.png",
            "HTTPS://cdn.example/p.png",
            "HttP://x",
            " https://x \t",
            "https://x y",
            "https://x\n y",
            "http://",
            "https:/x",
            "ftp://x",
            "javascript:alert(1)",
            "USD",
            "usd",
            "US",
            "USDX",
            "abc",
            "ab",
            "a_b.c-d",
            "a b c",
            "alice!",
            "ÄBC",
            "password",
            "passwor",
        ]
        .map(str::to_owned)
        .to_vec();
        for n in [3, 32, 33, 120, 121, 128, 129, 4000, 4001] {
            texts.push("a".repeat(n));
            texts.push(format!("{} ", "é".repeat(n)));
        }
        texts
    }

    #[test]
    fn each_text_rule_admits_exactly_what_its_domain_type_accepts() {
        for text in samples() {
            let shown = format!("{text:?}");
            assert_eq!(
                matches::<NameText>(&text),
                Name::parse(&text).is_ok() && text.chars().count() <= Name::MAX_CHARS,
                "name {shown}"
            );
            assert_eq!(
                matches::<DescriptionText>(&text),
                Description::parse(&text).is_ok() && text.chars().count() <= Description::MAX_CHARS,
                "description {shown}"
            );
            assert_eq!(
                matches::<ImageUrlText>(&text),
                ImageUrl::parse(&text).is_ok() && text.chars().count() <= ImageUrl::MAX_CHARS,
                "image url {shown}"
            );
            assert_eq!(
                matches::<UsernameText>(&text),
                Username::parse(&text).is_ok(),
                "username {shown}"
            );
            assert_eq!(
                matches::<PasswordText>(&text),
                Password::parse(&text).is_ok(),
                "password {shown}"
            );
            assert_eq!(
                matches::<CurrencyText>(&text),
                Currency::parse(&text).is_ok(),
                "currency {shown}"
            );
        }
    }

    #[test]
    fn the_document_lists_exactly_the_accepted_currencies() {
        let pattern = CurrencyText::PATTERN.unwrap();
        let listed: Vec<&str> = pattern
            .strip_prefix("^(")
            .and_then(|p| p.strip_suffix(")$"))
            .unwrap()
            .split('|')
            .collect();
        assert_eq!(listed, Currency::ACCEPTED);
        for (code, accepted) in [("EUR", true), ("XOF", true), ("XXX", false), ("XTS", false)] {
            assert_eq!(matches::<CurrencyText>(code), accepted, "{code}");
        }
    }

    #[test]
    fn text_is_read_only_from_json_strings() {
        assert!(Text::<AnyText>::parse_from_json(Some(Value::from("x"))).is_ok());
        assert!(Text::<AnyText>::parse_from_json(Some(Value::from(12))).is_err());
        assert!(Text::<AnyText>::parse_from_json(Some(Value::from(true))).is_err());
    }

    #[test]
    fn the_length_limit_counts_the_text_as_sent() {
        let padded: Text<NameText> = format!("{}  ", "a".repeat(Name::MAX_CHARS)).into();
        assert!(padded.within_limit("name").is_err());
        let exact: Text<NameText> = "a".repeat(Name::MAX_CHARS).into();
        assert!(exact.within_limit("name").is_ok());
    }
}
