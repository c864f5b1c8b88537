//! The one error type of the command line: a message for standard error and an exit
//! code from core's [`ErrorCode`] (see `skyport --help` for the table).

use skyport_core::error::{Coded, ErrorCode, ErrorPayload};

#[derive(Debug)]
pub struct CliError {
    pub code: ErrorCode,
    pub message: String,
    /// Overrides the exit code of `code` (0 when standard output was closed).
    pub exit: Option<i32>,
}

impl CliError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            exit: None,
        }
    }

    /// A usage problem found after parsing (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Validation, message)
    }

    /// A plain failure (exit 1).
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::PlatformError, message)
    }

    pub fn cancelled(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Cancelled, message)
    }

    /// Standard output was closed (e.g. `skyport ps | head -1`): stop quietly, exit 0.
    pub fn closed_output() -> Self {
        Self {
            code: ErrorCode::Io,
            message: String::new(),
            exit: Some(0),
        }
    }

    /// The failures were already printed one by one; only the exit code is left.
    pub fn reported(code: ErrorCode) -> Self {
        Self::new(code, String::new())
    }

    pub fn exit_code(&self) -> i32 {
        self.exit.unwrap_or_else(|| self.code.exit_code())
    }

    pub fn from_coded<E: Coded + ?Sized>(e: &E) -> Self {
        let p = ErrorPayload::from_coded(e);
        Self::new(p.code, p.message)
    }
}

impl<E: Coded> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError::from_coded(&e)
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;
