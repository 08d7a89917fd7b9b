//! What made a port call fail, kept as an error value rather than words: an adapter hands over
//! its own error (a driver's, with that error's own causes), so the log line written where the
//! failure is answered shows the whole chain (see [`chain`]). Clones share the error.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// The error behind a port's failure.
#[derive(Clone)]
pub struct Cause(Arc<dyn Error + Send + Sync>);

/// A cause known only by what was said of it.
#[derive(Debug)]
struct Said(String);

impl fmt::Display for Said {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for Said {}

impl Cause {
    /// `error`, with its own sources.
    pub fn new(error: impl Error + Send + Sync + 'static) -> Self {
        Self(Arc::new(error))
    }
}

impl From<String> for Cause {
    fn from(text: String) -> Self {
        Self(Arc::new(Said(text)))
    }
}

impl From<&str> for Cause {
    fn from(text: &str) -> Self {
        Self::from(text.to_owned())
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Error for Cause {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}

/// Causes compare by what they say, sources included (tests compare port errors).
impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        chain(self).to_string() == chain(other).to_string()
    }
}

impl Eq for Cause {}

/// `error` and each of its sources in turn, as `a: b: c`, for one log line.
pub fn chain<'a>(error: &'a (dyn Error + 'static)) -> impl fmt::Display + 'a {
    Chain(error)
}

struct Chain<'a>(&'a (dyn Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut next = self.0.source();
        while let Some(cause) = next {
            write!(f, ": {cause}")?;
            next = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("the connection dropped")]
    struct Dropped(#[source] std::io::Error);

    #[test]
    fn the_chain_names_every_source_in_turn() {
        let cause = Cause::new(Dropped(std::io::Error::other("reset by peer")));
        assert_eq!(
            chain(&cause).to_string(),
            "the connection dropped: reset by peer"
        );
        assert_eq!(Cause::from("down"), Cause::from("down".to_owned()));
        assert_ne!(Cause::from("down"), cause);
    }
}
