//! Tariffs end to end, a module per promise: a real server on
//! `127.0.0.1:0` with its plugin registry ([`crate::harness::TestServer::start_priced_in`]),
//! real sled and plugin directories in temp dirs, the real default plugins
//! (`plugin-artifacts`), simulated stations (`sim`).
//!
//! - `priced`: 1.6 and 2.0.1 sessions priced when they end, with
//!   provenance; the same price as the registry gives for the same facts;
//!   2.0.1 `totalCost`; the stored price reproduced from stored inputs.
//! - `running_cost`: CostUpdated and the 1.6 RunningCost/FinalCost
//!   DataTransfers, rate-limited, switchable, not repeated to a station
//!   that refuses them.
//! - `failures`: a failing tariff leaves the transaction unpriced with the
//!   reason; the operator prices it again; no tariff, no pricing.
//! - `precedence`: station beats group beats default.
//! - `upgrade`: a tariff upgraded while sessions run.
//! - `restart`: a restart on the same data directory with installed,
//!   configured plugins.

mod failures;
mod harness;
mod precedence;
mod priced;
mod restart;
mod running_cost;
mod upgrade;

use domain::Scope;

use crate::harness::TestServer;

/// The in-process server started with plugins wires them as `gridlet
/// serve` does: the API manages the registry the sessions price with.
#[tokio::test]
async fn the_api_manages_the_registry_the_server_prices_with() {
    let server = TestServer::start_priced_in(tempfile::tempdir().unwrap(), |_| {}).await;
    let admin = server.client(Scope::Admin).await;
    let ids: Vec<String> =
        admin.all("/plugins", 10).await.iter().filter_map(|p| p["id"].as_str().map(str::to_owned)).collect();
    assert_eq!(ids, ["simple-tariff", "tou-tariff"]);
    let registry = &server.plugins.as_ref().unwrap().registry;
    assert_eq!(admin.request("POST", "/plugins/tou-tariff/disable", None).await.expect(200)["status"], "disabled");
    let disabled = registry.list().into_iter().find(|p| p.id == "tou-tariff").unwrap();
    assert_eq!(disabled.status, plugin_host::PluginStatus::Disabled, "the API disabled the plugin the server prices with");
    server.shutdown().await;
}
