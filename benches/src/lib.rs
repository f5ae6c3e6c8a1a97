//! Shared helpers for the workspace benchmarks.

pub mod codec_samples;
pub mod gen;
pub mod journal_setup;
pub mod measure;
pub mod policy_setup;
