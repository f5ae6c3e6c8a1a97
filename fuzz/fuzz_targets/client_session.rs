//! Drives the SP-side `ClientSession` with an arbitrary script of submits, responses,
//! DELIVERs, acceptances, timeouts, closes and link drops, checking its invariants after
//! every step (window never exceeded, every submit completed exactly once, DELIVERs answered
//! only after acceptance). The harness is shared with the property test in
//! `crates/cmpp-session/tests/client_model.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/cmpp-session/tests/client_model/harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = harness::run(data) {
        panic!("invariant broken: {broken}");
    }
});
