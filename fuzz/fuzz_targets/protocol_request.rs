//! The daemon's request decoder: never panics on any line a local process
//! may send, and whatever it accepts survives an encode/decode round trip
//! as exactly one line.
#![no_main]

use dctx_ipc::protocol::{decode_request, encode_line};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = decode_request(data) {
        let line = encode_line(&request);
        assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
        assert_eq!(decode_request(&line).as_ref(), Ok(&request));
    }
});
