//! The error a plugin returns when it cannot do what it was asked, mirroring
//! `plugin-error` in `gridlet:types`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What kind of failure a plugin reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    /// The input cannot be handled (e.g. a session without a stop reading).
    InvalidInput,
    /// The configuration is wrong or incomplete.
    InvalidConfig,
    /// This plugin does not do what was asked.
    Unsupported,
    /// A remote service the plugin depends on failed.
    Upstream,
    /// Any other failure inside the plugin.
    Internal,
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorCode::InvalidInput => "invalid input",
            ErrorCode::InvalidConfig => "invalid config",
            ErrorCode::Unsupported => "unsupported",
            ErrorCode::Upstream => "upstream failure",
            ErrorCode::Internal => "internal error",
        })
    }
}

/// A failure reported by a plugin itself (as opposed to a trap, which the
/// host reports on its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct PluginError {
    /// What kind of failure.
    pub code: ErrorCode,
    /// A human-readable explanation, shown to operators.
    pub message: String,
}

impl PluginError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The input cannot be handled.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    /// The configuration is wrong.
    pub fn invalid_config(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidConfig, message)
    }

    /// Not supported by this plugin.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unsupported, message)
    }

    /// Any other failure.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
}

impl From<crate::money::MoneyError> for PluginError {
    fn from(e: crate::money::MoneyError) -> Self {
        match e {
            crate::money::MoneyError::InvalidCurrency(_)
            | crate::money::MoneyError::InvalidRate(_) => {
                PluginError::invalid_config(e.to_string())
            }
            _ => PluginError::internal(e.to_string()),
        }
    }
}
