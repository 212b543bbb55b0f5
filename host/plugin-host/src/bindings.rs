//! Generated bindings, one module per released WIT version, and the host's
//! implementations of the interfaces plugins import (`log`, `config`).
//!
//! Architecture invariant: `wasmtime::component::bindgen!` appears only in
//! this module's children, and no generated type is ever returned from a
//! public function of this crate: `tariff.rs` converts at the boundary into
//! `gridlet_sdk`'s plain types. A new WIT version gets a new child module
//! (`tariff_v0_2_0`) next to the old one; both stay.

pub(crate) mod tariff_v0_1_0;
