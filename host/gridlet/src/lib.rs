//! Gridlet, an OCPP charging station management system: the program.
//!
//! This crate is glue. It reads the configuration ([`config`]), opens the
//! store, and either serves ([`serve`]: OCPP, health and the REST API) or
//! runs an operator command ([`commands`]) on the data directory or, with
//! `--api`, through a running server's API ([`client`]) — plugins and
//! tariffs in [`plugins`]; `gridlet sim`
//! hands over to the simulator. [`cli`] defines the command line.

pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod plugins;
pub mod serve;
