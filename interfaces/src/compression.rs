//! Compressed answers, negotiated by `Accept-Encoding`: brotli or gzip, whichever the client
//! prefers (brotli on a tie, it is smaller), never one it refused with `q=0`.
//!
//! The docs page and the spec are compressed once, at the best levels (see
//! [`crate::static_answer`]); JSON lists are compressed per answer at fast levels by
//! [`JsonCompression`]. The purchase path is never compressed: its answers are small and are
//! made in front of routing, where this layer does not reach.

use std::io::Write;

use bytes::Bytes;
use poem::http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, VARY};
use poem::http::{HeaderMap, HeaderValue, Method};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

/// A content coding this service can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    /// `br`
    Brotli,
    /// `gzip`
    Gzip,
}

impl Coding {
    /// The coding's name in `Content-Encoding`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Coding::Brotli => "br",
            Coding::Gzip => "gzip",
        }
    }
}

/// How hard to try: once for a document served many times, or fast for a single answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effort {
    /// Smallest output; for bodies compressed once and sent many times.
    Best,
    /// Quick; for bodies compressed per answer.
    Fast,
}

/// The coding to answer with, from the request's `Accept-Encoding` (RFC 9110 §12.5.3): the
/// acceptable coding (q > 0) with the highest weight, brotli on a tie; `*` stands for any
/// coding not named; none (identity) when neither is acceptable.
pub(crate) fn negotiate(headers: &HeaderMap) -> Option<Coding> {
    let (mut brotli, mut gzip, mut any) = (None::<u16>, None::<u16>, None::<u16>);
    for value in headers.get_all(ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let weight = parts
                .find_map(|p| {
                    let (key, value) = p.split_once('=')?;
                    key.trim().eq_ignore_ascii_case("q").then(|| weight(value))
                })
                .unwrap_or(Some(1000));
            let Some(weight) = weight else { continue };
            let slot = if name.eq_ignore_ascii_case("br") {
                &mut brotli
            } else if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                &mut gzip
            } else if name == "*" {
                &mut any
            } else {
                continue;
            };
            *slot = Some(slot.map_or(weight, |w| w.max(weight)));
        }
    }
    let brotli = brotli.or(any).unwrap_or(0);
    let gzip = gzip.or(any).unwrap_or(0);
    if brotli == 0 && gzip == 0 {
        None
    } else if brotli >= gzip {
        Some(Coding::Brotli)
    } else {
        Some(Coding::Gzip)
    }
}

/// A q-value in thousandths (`0`, `0.5`, `1.000`); `None` when it is not one.
fn weight(value: &str) -> Option<u16> {
    let value = value.trim();
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// `body` in `coding`; `None` only if the encoder fails (it writes to memory, so it does not).
pub(crate) fn compress(body: &[u8], coding: Coding, effort: Effort) -> Option<Bytes> {
    match coding {
        Coding::Gzip => {
            let level = match effort {
                Effort::Best => flate2::Compression::best(),
                Effort::Fast => flate2::Compression::new(4),
            };
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), level);
            encoder.write_all(body).ok()?;
            encoder.finish().ok().map(Bytes::from)
        }
        Coding::Brotli => {
            // Quality 10 and 11 take 6 to 10 times as long as 9 for 6-8 % less on the docs
            // page (see docs/benchmarks.md), paid by whoever asks first.
            let (quality, window) = match effort {
                Effort::Best => (9, 22),
                Effort::Fast => (4, 20),
            };
            let mut out = Vec::new();
            {
                let mut encoder =
                    brotli::CompressorWriter::new(&mut out, 64 * 1024, quality, window);
                encoder.write_all(body).ok()?;
                encoder.flush().ok()?;
            }
            Some(Bytes::from(out))
        }
    }
}

/// Smaller JSON answers are sent as they are: compressing them saves less than it costs.
pub(crate) const MIN_COMPRESSED_BYTES: usize = 1024;

/// Compresses `GET` answers with a JSON body of at least [`MIN_COMPRESSED_BYTES`] (the lists)
/// when the client accepts it, and marks them `Vary: Accept-Encoding` either way. Answers that
/// already carry a `Content-Encoding` (the precompressed docs and spec) pass untouched.
pub(crate) struct JsonCompression;

impl<E: Endpoint> Middleware<E> for JsonCompression {
    type Output = JsonCompressionEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        JsonCompressionEndpoint { inner }
    }
}

/// The wrapped endpoint.
pub(crate) struct JsonCompressionEndpoint<E> {
    inner: E,
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

impl<E: Endpoint> Endpoint for JsonCompressionEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let get = req.method() == Method::GET;
        let coding = if get { negotiate(req.headers()) } else { None };
        let response = self.inner.call(req).await?.into_response();
        if !get || !is_json(&response) || response.headers().contains_key(CONTENT_ENCODING) {
            return Ok(response);
        }
        let (mut parts, body) = response.into_parts();
        // JSON answers are rendered into memory, so this reads no socket.
        let body = body.into_bytes().await?;
        if body.len() < MIN_COMPRESSED_BYTES {
            return Ok(Response::from_parts(parts, body.into()));
        }
        parts
            .headers
            .append(VARY, HeaderValue::from_static("accept-encoding"));
        let Some(coding) = coding else {
            return Ok(Response::from_parts(parts, body.into()));
        };
        match compress(&body, coding, Effort::Fast) {
            Some(compressed) => {
                parts
                    .headers
                    .insert(CONTENT_ENCODING, HeaderValue::from_static(coding.name()));
                parts.headers.remove(poem::http::header::CONTENT_LENGTH);
                Ok(Response::from_parts(parts, compressed.into()))
            }
            None => Ok(Response::from_parts(parts, body.into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn accepting(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn the_preferred_acceptable_coding_is_chosen() {
        let cases = [
            ("gzip, deflate, br", Some(Coding::Brotli)),
            ("gzip", Some(Coding::Gzip)),
            ("br;q=0.5, gzip", Some(Coding::Gzip)),
            ("BR;Q=1, gzip;q=0.9", Some(Coding::Brotli)),
            ("gzip;q=0", None),
            ("br;q=0, gzip;q=0", None),
            ("*", Some(Coding::Brotli)),
            ("*;q=0.1, br;q=0", Some(Coding::Gzip)),
            ("identity", None),
            ("deflate, zstd", None),
            ("gzip;q=2", None),
            ("gzip;q=0.0001", None),
            ("gzip;q=nonsense", None),
            ("", None),
        ];
        for (header, expected) in cases {
            assert_eq!(negotiate(&accepting(header)), expected, "{header:?}");
        }
        assert_eq!(negotiate(&HeaderMap::new()), None);
    }

    #[test]
    fn every_coding_decodes_back_to_the_body() {
        let body = br#"{"items": [1, 2, 3]}"#.repeat(200);
        for effort in [Effort::Best, Effort::Fast] {
            let gzip = compress(&body, Coding::Gzip, effort).unwrap();
            let mut decoded = Vec::new();
            flate2::read::GzDecoder::new(&gzip[..])
                .read_to_end(&mut decoded)
                .unwrap();
            assert_eq!(decoded, body);
            let br = compress(&body, Coding::Brotli, effort).unwrap();
            let mut decoded = Vec::new();
            brotli::Decompressor::new(&br[..], 4096)
                .read_to_end(&mut decoded)
                .unwrap();
            assert_eq!(decoded, body);
            assert!(br.len() < body.len() / 10 && gzip.len() < body.len() / 10);
        }
    }
}
