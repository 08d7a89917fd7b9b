//! Every request body the API reads, from any bytes: the edge turns it into domain values or
//! refuses it with a 4xx (400 for the shape, 422 for a rule), never a panic or a 5xx.

#![no_main]

use libfuzzer_sys::fuzz_target;
use seckiller_interfaces::fuzzing::{REQUEST_BODIES, request_body};

fuzz_target!(|data: &[u8]| {
    let Some((which, body)) = data.split_first() else {
        return;
    };
    let kind = REQUEST_BODIES[usize::from(*which) % REQUEST_BODIES.len()];
    if let Err(status) = request_body(kind, body) {
        assert!(
            status == 400 || status == 422,
            "{kind:?} refused with {status}: {:?}",
            String::from_utf8_lossy(body)
        );
    }
});
