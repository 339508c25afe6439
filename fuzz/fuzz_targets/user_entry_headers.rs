//! The path from a kubeconfig user entry to request headers never panics, and a client is
//! only built for a token that fits in a header: `fuzz/properties/user_entry_headers.rs`.
#![no_main]

#[path = "../properties/user_entry_headers.rs"]
mod property;

libfuzzer_sys::fuzz_target!(|data: &[u8]| property::check(data));
