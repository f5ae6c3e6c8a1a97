//! Long (concatenated) messages: splitting outgoing text into UDH segments,
//! allocating concatenation references, and reassembling incoming parts.
//!
//! Everything here is sans-IO: time is passed in as [`std::time::Instant`]
//! arguments and nothing reads a clock.

mod reassembly;
mod reference;
mod split;

pub use crate::text::{ConcatInfo, UdhRef};
pub use reassembly::{
    MessageKey, Part, PushOutcome, PushResult, ReassembledMessage, Reassembler, ReassemblerConfig,
    ReassemblerStats, ReassemblyError,
};
pub use reference::{AllocError, AllocatorConfig, ReferenceAllocator, SharedReferences};
pub use split::{split_binary, split_encoded, split_text, Segment, SplitError, MAX_SEGMENTS};
