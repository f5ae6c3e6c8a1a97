//! Property test: random interleavings of submits, responses, DELIVERs, acceptances,
//! timeouts, closes and link drops keep the client state machine's invariants (see
//! `client_model/harness.rs`, shared with the fuzz target `client_session`).

mod client_model {
    pub mod harness;
}

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn the_client_session_keeps_its_invariants(script in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Err(broken) = client_model::harness::run(&script) {
            prop_assert!(false, "{}", broken);
        }
    }
}

/// A hand-written script through every kind of step, so that the harness itself is known
/// to exercise them (submits fill the window, responses, a DELIVER accepted and answered).
#[test]
fn a_known_script_passes() {
    let script = [
        0, 0, 0, 0, 0, 1, // four submits (the fifth is refused: window 4), written
        2, 0, 3, 1, 4, 0, // a response, a result 8, a duplicate
        5, 3, 5, 3, 1, 6, 0, 1, // a DELIVER twice, one accepted and answered
        7, 200, 1, 7, 200, // time passes: re-sends, timeouts
        9, 0, 5, // a graceful close
    ];
    client_model::harness::run(&script).unwrap();
}
