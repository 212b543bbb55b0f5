//! Bindings for `gridlet:tariff/tariff-plugin@0.1.0`, generated from the
//! frozen files in `wit/types/0.1.0` and `wit/tariff/0.1.0`.

wasmtime::component::bindgen!({
    path: ["../../wit/types/0.1.0", "../../wit/tariff/0.1.0"],
    world: "gridlet:tariff/tariff-plugin@0.1.0",
});

use crate::sandbox::CallState;

pub(crate) use exports::gridlet::tariff::tariff as api;
pub(crate) use gridlet::types::types as shared;

impl gridlet::types::types::Host for CallState {}

impl gridlet::types::log::Host for CallState {
    fn log(&mut self, level: gridlet::types::log::Level, message: String) {
        use gridlet::types::log::Level;
        let level = match level {
            Level::Trace => tracing::Level::TRACE,
            Level::Debug => tracing::Level::DEBUG,
            Level::Info => tracing::Level::INFO,
            Level::Warn => tracing::Level::WARN,
            Level::Error => tracing::Level::ERROR,
        };
        CallState::log(self, level, &message);
    }
}

impl gridlet::types::config::Host for CallState {
    fn get(&mut self) -> String {
        self.config_json.to_string()
    }
}
