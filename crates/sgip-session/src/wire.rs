//! Framing for the core's link task: every SGIP end reads 20-byte-header frames of at most
//! 2048 bytes and decodes them with `sgip-codec`.

use bytes::Bytes;
use sgip_codec::{decode, CommandId, Packet, DEFAULT_MAX_FRAME_LEN, HEADER_LEN};
use sms_session::link::{FrameReader, Wire};

use crate::proto::{SmgMo, SmgMt, SpMo, SpMt};

/// A reader for SGIP frames (Message Length checked against the spec's 2048-byte limit).
pub fn frame_reader() -> FrameReader {
    FrameReader::new(HEADER_LEN, DEFAULT_MAX_FRAME_LEN, plausible_command)
}

/// True for the commands SGIP defines (the SMG⇄GNS ones included): anything else in a
/// header means the stream is out of step.
pub fn plausible_command(command: u32) -> bool {
    let c = CommandId(command);
    c.is_known() || c.gns_name().is_some()
}

fn decode_frame(frame: Bytes) -> Result<Packet, String> {
    decode(frame).map_err(|e| e.to_string())
}

macro_rules! wire {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            const HEADER_LEN: usize = HEADER_LEN;

            fn decode(&self, frame: Bytes) -> Result<Packet, String> {
                decode_frame(frame)
            }

            fn plausible_command(command: u32) -> bool {
                plausible_command(command)
            }
        }
    )*};
}

wire!(SpMt, SpMo, SmgMt, SmgMo);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plausible_commands_are_sgip_and_gns_ids() {
        for c in [
            0x1,
            0x8000_0001,
            0x3,
            0x5,
            0x11,
            0x1000,
            0x8000_1000,
            0x6,
            0x8000_000E,
        ] {
            assert!(plausible_command(c), "{c:#x}");
        }
        for c in [0x0, 0x12, 0x8000_0012, 0x2000, 0xdead_beef] {
            assert!(!plausible_command(c), "{c:#x}");
        }
    }
}
