//! Which tariff prices a station's transactions: its own assignment, else
//! its group's, else the default.

use std::sync::Arc;

use domain::{Pricing, StationId, TariffScope};
use ocpp::OcppVersion;

use super::harness::{Gridlet, TakesCosts};

#[tokio::test]
async fn station_beats_group_beats_default() {
    let gridlet = Gridlet::start().await;
    let own = gridlet.register("CP-OWN", Some("north")).await;
    gridlet.register("CP-NORTH", Some("north")).await;
    gridlet.register("CP-SOUTH", Some("south")).await;
    gridlet.register("CP-NONE", None).await;
    gridlet.assign(TariffScope::Default, "simple-tariff").await;
    gridlet.assign(TariffScope::Group("north".into()), "tou-tariff").await;
    gridlet.assign(TariffScope::Station(own), "flat-tariff").await;
    let manifest = "id = \"flat-tariff\"\nversion = \"0.1.0\"\nkind = \"tariff\"\nwit = \"0.1.0\"\n\
                    [config.default]\nbehaviour = \"well-behaved\"\n";
    let package = plugin_host::PluginPackage::from_parts(
        manifest,
        plugin_artifacts::TEST_MISBEHAVING_TARIFF.component.to_vec(),
    )
    .unwrap();
    gridlet.registry().install(package, &plugin_host::Capabilities::default()).unwrap();

    for (id, group, plugin) in [
        ("CP-OWN", Some("north"), "flat-tariff"),
        ("CP-NORTH", Some("north"), "tou-tariff"),
        ("CP-SOUTH", Some("south"), "simple-tariff"),
        ("CP-NONE", None, "simple-tariff"),
    ] {
        let mut sim = gridlet.station(id, OcppVersion::V201, Arc::new(TakesCosts)).await;
        let handle = sim.charge(1).await;
        let tx = gridlet.transaction(&sim, handle);
        assert_eq!(tx.station, StationId::parse(id).unwrap());
        let Some(Pricing::Priced { by, .. }) = &tx.pricing else { panic!("{id}: {:?}", tx.pricing) };
        assert_eq!(by.plugin_id, plugin, "{id}");
        // the group the tariff was told, kept for pricing it again
        assert_eq!(tx.station_group.as_deref(), group, "{id}");
    }
    gridlet.shutdown().await;
}
