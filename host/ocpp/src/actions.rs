//! Which actions each version defines, and who sends them.
//!
//! Each version module ([`crate::v16`], [`crate::v201`]) declares its table
//! once with [`action_table!`]: the action's name, its direction, and (by
//! naming convention) its two vendored schema files, so the list of actions
//! and the list of schemas cannot drift apart.

use crate::OcppVersion;
use crate::schema::ActionSchemas;

/// Who sends an action's request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The charging station sends it; the CSMS answers.
    ToCsms,
    /// The CSMS sends it; the charging station answers.
    ToStation,
    /// Either side may send it (`DataTransfer`).
    Both,
}

impl Direction {
    /// Whether a charging station may send this action's request.
    pub fn sent_by_station(self) -> bool {
        matches!(self, Direction::ToCsms | Direction::Both)
    }

    /// Whether the CSMS may send this action's request.
    pub fn sent_by_csms(self) -> bool {
        matches!(self, Direction::ToStation | Direction::Both)
    }
}

/// One action of an OCPP version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ActionInfo {
    /// The action's name as it appears in a CALL, e.g. `BootNotification`.
    pub name: &'static str,
    /// Who sends its request.
    pub direction: Direction,
}

/// Every action of `version`, sorted by name: 39 for 1.6 (with the Security
/// Whitepaper's), 64 for 2.0.1.
pub fn actions(version: OcppVersion) -> &'static [ActionInfo] {
    tables(version).0
}

/// The action named `name` in `version`, if there is one. Names are
/// case-sensitive, as on the wire.
pub fn action(version: OcppVersion, name: &str) -> Option<&'static ActionInfo> {
    index_of(version, name).and_then(|index| actions(version).get(index))
}

/// Where `name` sits in `version`'s tables.
fn index_of(version: OcppVersion, name: &str) -> Option<usize> {
    actions(version)
        .binary_search_by(|action| action.name.cmp(name))
        .ok()
}

/// The request and response schemas of the action named `name`.
pub(crate) fn schemas(version: OcppVersion, name: &str) -> Option<&'static ActionSchemas> {
    index_of(version, name).and_then(|index| tables(version).1.get(index))
}

/// The schemas of every action of `version`.
pub(crate) fn all_schemas(version: OcppVersion) -> &'static [ActionSchemas] {
    tables(version).1
}

/// A version's action table and its schemas, index for index.
fn tables(version: OcppVersion) -> (&'static [ActionInfo], &'static [ActionSchemas]) {
    match version {
        OcppVersion::V16 => (crate::v16::ACTIONS, &crate::v16::SCHEMAS),
        OcppVersion::V201 => (crate::v201::ACTIONS, &crate::v201::SCHEMAS),
    }
}

/// Declares a version's `ACTIONS` table (sorted by name) and, index for
/// index, its `SCHEMAS`: `schemas/<dir>/<Action><request suffix>.json` and
/// `schemas/<dir>/<Action><response suffix>.json`, embedded in the binary.
macro_rules! action_table {
    (
        dir: $dir:literal,
        request_suffix: $request:literal,
        response_suffix: $response:literal,
        actions: [$($name:literal => $direction:ident,)*]
    ) => {
        /// Every action of this version, sorted by name.
        pub(crate) const ACTIONS: &[$crate::ActionInfo] = &[$(
            $crate::ActionInfo { name: $name, direction: $crate::Direction::$direction },
        )*];

        /// The schemas of each action in [`ACTIONS`], in the same order.
        pub(crate) static SCHEMAS: [$crate::schema::ActionSchemas; ACTIONS.len()] = [$(
            $crate::schema::ActionSchemas {
                request: $crate::schema::Schema::new(
                    concat!($dir, "/", $name, $request, ".json"),
                    include_str!(concat!(
                        env!("CARGO_MANIFEST_DIR"), "/schemas/", $dir, "/", $name, $request, ".json"
                    )),
                ),
                response: $crate::schema::Schema::new(
                    concat!($dir, "/", $name, $response, ".json"),
                    include_str!(concat!(
                        env!("CARGO_MANIFEST_DIR"), "/schemas/", $dir, "/", $name, $response, ".json"
                    )),
                ),
            },
        )*];
    };
}
pub(crate) use action_table;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    fn names(version: OcppVersion, direction: Direction) -> Vec<&'static str> {
        actions(version)
            .iter()
            .filter(|action| action.direction == direction)
            .map(|action| action.name)
            .collect()
    }

    #[test]
    fn tables_are_sorted_and_complete() {
        for version in OcppVersion::ALL {
            let table = actions(version);
            assert!(
                table.windows(2).all(|pair| pair[0].name < pair[1].name),
                "{version}"
            );
            assert_eq!(table.len(), tables(version).1.len());
        }
        assert_eq!(actions(OcppVersion::V16).len(), 39);
        assert_eq!(actions(OcppVersion::V201).len(), 64);
    }

    /// Directions as listed in `shared/ocpp-scope.md`.
    #[test]
    fn directions_match_the_specifications() {
        assert_eq!(
            names(OcppVersion::V16, Direction::ToCsms),
            [
                "Authorize",
                "BootNotification",
                "DiagnosticsStatusNotification",
                "FirmwareStatusNotification",
                "Heartbeat",
                "LogStatusNotification",
                "MeterValues",
                "SecurityEventNotification",
                "SignCertificate",
                "SignedFirmwareStatusNotification",
                "StartTransaction",
                "StatusNotification",
                "StopTransaction",
            ]
        );
        assert_eq!(names(OcppVersion::V16, Direction::Both), ["DataTransfer"]);
        assert_eq!(names(OcppVersion::V16, Direction::ToStation).len(), 25);
        assert_eq!(
            names(OcppVersion::V201, Direction::ToCsms),
            [
                "Authorize",
                "BootNotification",
                "ClearedChargingLimit",
                "FirmwareStatusNotification",
                "Get15118EVCertificate",
                "GetCertificateStatus",
                "Heartbeat",
                "LogStatusNotification",
                "MeterValues",
                "NotifyChargingLimit",
                "NotifyCustomerInformation",
                "NotifyDisplayMessages",
                "NotifyEVChargingNeeds",
                "NotifyEVChargingSchedule",
                "NotifyEvent",
                "NotifyMonitoringReport",
                "NotifyReport",
                "PublishFirmwareStatusNotification",
                "ReportChargingProfiles",
                "ReservationStatusUpdate",
                "SecurityEventNotification",
                "SignCertificate",
                "StatusNotification",
                "TransactionEvent",
            ]
        );
        assert_eq!(names(OcppVersion::V201, Direction::Both), ["DataTransfer"]);
        assert_eq!(names(OcppVersion::V201, Direction::ToStation).len(), 39);
    }

    #[test]
    fn looks_actions_up_by_exact_name() {
        let boot = action(OcppVersion::V201, "BootNotification").expect("known action");
        assert_eq!(
            (boot.name, boot.direction),
            ("BootNotification", Direction::ToCsms)
        );
        let reset = action(OcppVersion::V16, "Reset").expect("known action");
        assert_eq!(reset.direction, Direction::ToStation);
        for (version, name) in [
            (OcppVersion::V16, "TransactionEvent"),
            (OcppVersion::V201, "StartTransaction"),
            (OcppVersion::V16, "bootnotification"),
            (OcppVersion::V16, ""),
            (OcppVersion::V201, "NotifyPeriodicEventStream"),
        ] {
            assert_eq!(action(version, name), None, "{version} {name}");
        }
    }

    #[test]
    fn directions_say_who_may_send() {
        assert!(Direction::ToCsms.sent_by_station() && !Direction::ToCsms.sent_by_csms());
        assert!(!Direction::ToStation.sent_by_station() && Direction::ToStation.sent_by_csms());
        assert!(Direction::Both.sent_by_station() && Direction::Both.sent_by_csms());
    }

    /// The vendored schema folders hold exactly a request and a response
    /// schema for every action in the tables, and nothing else.
    #[test]
    fn tables_and_schema_files_agree() {
        for (version, dir, request, response) in [
            (OcppVersion::V16, "v16", ".json", "Response.json"),
            (OcppVersion::V201, "v201", "Request.json", "Response.json"),
        ] {
            let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("schemas")
                .join(dir);
            let on_disk: BTreeSet<String> = std::fs::read_dir(&folder)
                .unwrap()
                .map(|entry| entry.unwrap().file_name().into_string().unwrap())
                .collect();
            let from_tables: BTreeSet<String> = actions(version)
                .iter()
                .flat_map(|action| {
                    [
                        format!("{}{request}", action.name),
                        format!("{}{response}", action.name),
                    ]
                })
                .collect();
            assert_eq!(on_disk, from_tables, "{version}");
            for (action, schemas) in actions(version).iter().zip(tables(version).1) {
                assert_eq!(
                    schemas.request.file,
                    format!("{dir}/{}{request}", action.name)
                );
                assert_eq!(
                    schemas.response.file,
                    format!("{dir}/{}{response}", action.name)
                );
            }
        }
    }
}
