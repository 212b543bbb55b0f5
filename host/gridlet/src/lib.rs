//! Gridlet, an OCPP charging station management system: the program.
//!
//! This crate is glue. It reads the configuration ([`config`]), opens the
//! store, and either serves ([`serve`]: OCPP, health and the REST API) or
//! runs an operator command ([`commands`]) on the data directory or, with
//! `--api`, through a running server's API ([`client`]) — plugins and
//! tariffs in [`plugins`], both on a [`backend::Backend`]; `gridlet sim`
//! hands over to the simulator. [`flags`] defines the command line's
//! arguments and [`cli`] runs them; the argument types never depend on the
//! code that runs them.

pub mod backend;
pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod flags;
pub mod output;
pub mod plugins;
pub mod serve;
