//! `gridlet-sdk-macros`: expands the frozen WIT of one plugin world into
//! `wit_bindgen::generate!` inside the plugin's own crate.
//!
//! Plugin authors never call this directly; `gridlet_sdk::register_tariff!`
//! does. It exists because `generate!` must run in the final crate (see
//! `gridlet_sdk::__private`) and needs the WIT's location, which only a crate
//! that sits next to `wit/` knows: this one bakes the absolute path of the
//! repository's `wit/` directory in at its own compile time.

use proc_macro::TokenStream;

/// The repository's `wit/` directory, as seen when this crate was compiled.
const WIT_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../wit");

/// `generate_bindings!(tariff_v0_1_0)` expands to `wit_bindgen::generate!`
/// for that world and version, with the runtime taken from `gridlet_sdk`.
#[proc_macro]
pub fn generate_bindings(input: TokenStream) -> TokenStream {
    let world_key = input.to_string();
    let (packages, world): (&[&str], &str) = match world_key.trim() {
        "tariff_v0_1_0" => (
            &["types/0.1.0", "tariff/0.1.0"],
            "gridlet:tariff/tariff-plugin@0.1.0",
        ),
        "payment_v0_1_0" => (
            &["types/0.1.0", "payment/0.1.0"],
            "gridlet:payment/payment-plugin@0.1.0",
        ),
        "load_management_v0_1_0" => (
            &["types/0.1.0", "load-management/0.1.0"],
            "gridlet:load-management/load-management-plugin@0.1.0",
        ),
        "report_v0_1_0" => (
            &["types/0.1.0", "report/0.1.0"],
            "gridlet:report/report-plugin@0.1.0",
        ),
        other => {
            return format!("compile_error!(\"unknown gridlet plugin world {other:?}\");")
                .parse()
                .unwrap_or_default();
        }
    };
    let paths: Vec<String> = packages
        .iter()
        .map(|p| format!("{:?}", format!("{WIT_ROOT}/{p}")))
        .collect();
    format!(
        "::gridlet_sdk::__private::wit_bindgen::generate!({{
            path: [{paths}],
            world: {world:?},
            runtime_path: \"::gridlet_sdk::__private::wit_bindgen::rt\",
            generate_all,
        }});",
        paths = paths.join(", "),
    )
    .parse()
    .unwrap_or_default()
}
