//! What the session core needs to know about one wire protocol.

use std::fmt::Debug;
use std::hash::Hash;

use bytes::BytesMut;

/// The wire details of one protocol, seen from one side of a link.
///
/// The core never parses or builds a protocol's messages itself: it asks the protocol which
/// received packets are responses, inbound requests or control traffic, and has it encode the
/// few control packets the core sends on its own (heartbeats, answers, the closing handshake).
/// An implementation owns the sequence-number counter, so it is also the place to keep what
/// outlives one link (the next number to use after a reconnect).
pub trait Protocol: Debug + Send + 'static {
    /// The sequence number a response is matched on (CMPP/SMGP: 4 bytes; SGIP: 12 bytes).
    type Seq: Copy + Eq + Hash + Ord + Debug + Send + Sync + 'static;
    /// A decoded packet.
    type Packet: Debug + Send;
    /// A response to one of our requests.
    type Response: Debug + Clone + Send;
    /// A request from the peer that the application must take before it is answered
    /// (an MO message, a status report, or on the gateway side a submit).
    type Inbound: Debug + Send;
    /// What answering an inbound request needs to repeat from it (CMPP: the DELIVER's Msg_Id).
    type InboundKey: Copy + Debug + Send;
    /// The application's answer to an inbound request (a result code, or a whole response).
    type Answer: Copy + Debug + Send;

    /// Whether the protocol has a heartbeat (SGIP has none).
    const HEARTBEAT: bool = true;

    /// Sorts a received packet.
    fn classify(&mut self, packet: Self::Packet) -> Incoming<Self>;

    /// The next sequence number to put on a packet we send.
    fn next_sequence(&mut self) -> Self::Seq;

    /// Writes `seq` into an encoded packet.
    fn set_sequence(frame: &mut [u8], seq: Self::Seq);

    /// The sequence number of an encoded packet.
    fn sequence_of(frame: &[u8]) -> Option<Self::Seq>;

    /// The command of an encoded packet if it is a request this side may send with a window
    /// slot (a submit, query, report push, …); `None` refuses the frame.
    fn request_command(frame: &[u8]) -> Option<u32>;

    /// True when the response asks us to slow down and send the same request again later.
    fn is_flow_control(response: &Self::Response) -> bool;

    /// Appends one control packet to `buf`. An error is a bug in the implementation; the core
    /// reports it as a protocol violation instead of panicking.
    fn encode_control(&mut self, control: &Control<Self>, buf: &mut BytesMut)
        -> Result<(), String>;
}

/// A received packet, sorted by [`Protocol::classify`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Incoming<P: Protocol + ?Sized> {
    /// A response to the request of command `answers` sent with `seq`.
    Response {
        /// Its sequence number.
        seq: P::Seq,
        /// The command of the request it answers.
        answers: u32,
        /// Its name, for diagnostics.
        name: &'static str,
        /// The response.
        response: P::Response,
    },
    /// A request from the peer for the application; answered by [`crate::Session::answer`].
    Inbound {
        /// Its sequence number.
        seq: P::Seq,
        /// What the answer repeats.
        key: P::InboundKey,
        /// The request.
        inbound: P::Inbound,
    },
    /// A heartbeat, answered at once by the core.
    Heartbeat {
        /// Its sequence number.
        seq: P::Seq,
    },
    /// The answer to our heartbeat.
    HeartbeatResp,
    /// The peer closes the session; answered at once.
    Terminate {
        /// Its sequence number.
        seq: P::Seq,
    },
    /// The answer to our close request.
    TerminateResp {
        /// Its sequence number.
        seq: P::Seq,
    },
    /// Something this side never expects; ignored and reported.
    Unexpected {
        /// Its sequence number.
        seq: P::Seq,
        /// Its name.
        name: &'static str,
    },
}

/// A packet the core sends on its own, encoded by [`Protocol::encode_control`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Control<P: Protocol + ?Sized> {
    /// Our heartbeat.
    Heartbeat(P::Seq),
    /// The answer to the peer's heartbeat.
    HeartbeatResp(P::Seq),
    /// Our close request.
    Terminate(P::Seq),
    /// The answer to the peer's close request.
    TerminateResp(P::Seq),
    /// The answer to an inbound request.
    Answer {
        /// The request's sequence number.
        seq: P::Seq,
        /// What the answer repeats from the request.
        key: P::InboundKey,
        /// The application's answer.
        answer: P::Answer,
    },
}
