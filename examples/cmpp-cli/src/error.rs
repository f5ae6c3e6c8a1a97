//! Errors a user can act on: one line each, with a distinct exit code.

use std::fmt;

/// Exit codes of the `cmpp` binary (2 is clap's usage error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)]
pub enum Exit {
    /// Something failed that has no more specific code.
    Failure = 1,
    /// Bad input data: a file or argument that cannot be read or parsed.
    Input = 3,
    /// The gateway cannot be reached.
    Unreachable = 4,
    /// The gateway refused the login.
    LoginRefused = 5,
    /// The journal folder cannot be opened or written.
    Journal = 6,
    /// The configuration file is malformed.
    Config = 7,
    /// Some message ended without an outcome.
    Incomplete = 8,
    /// `cmpp send` sent nothing at all: every message was refused or none could be sent.
    NothingSent = 9,
}

/// An error with the message printed to the user and the exit code.
#[derive(Debug)]
pub struct CliError {
    exit: Exit,
    message: String,
}

#[allow(dead_code)]
impl CliError {
    /// A new error of the given kind.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        CliError {
            exit,
            message: message.into(),
        }
    }
    /// Bad input data.
    pub fn input(message: impl Into<String>) -> Self {
        Self::new(Exit::Input, message)
    }
    /// A failure with no more specific code.
    pub fn failure(message: impl Into<String>) -> Self {
        Self::new(Exit::Failure, message)
    }
    /// The process exit code.
    pub fn code(&self) -> u8 {
        self.exit as u8
    }
    /// The kind of error.
    pub fn exit(&self) -> Exit {
        self.exit
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line: a multi-line cause would read like a backtrace.
        f.write_str(&self.message.replace('\n', " "))
    }
}

impl std::error::Error for CliError {}
