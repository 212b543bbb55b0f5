//! Gridlet, an OCPP charging station management system: the program.
//!
//! This crate is glue. It reads the configuration ([`config`]), opens the
//! store, and either serves ([`serve`]) or runs an operator command on the
//! data directory ([`commands`]); `gridlet sim` hands over to the simulator.
//! [`cli`] defines the command line.

pub mod cli;
pub mod commands;
pub mod config;
pub mod serve;
