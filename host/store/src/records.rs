//! Values: the store's own serde records, kept apart from the domain types
//! (which carry no serde on purpose), and the functions that turn one into
//! the other.
//!
//! Every value is one record-version byte followed by the record in postcard.
//! postcard is compact and fast, but not self-describing: a record's bytes
//! mean something only together with the exact struct that wrote them. So:
//!
//! - a record struct, once released, is frozen. Changing what a record holds
//!   means a new struct (`StationV2`), a new version byte written by
//!   `encode_*`, and a `match` arm in `decode_*` that still reads the old one;
//! - enum variants are stored by position: add new ones at the end, never
//!   reorder or remove;
//! - a second release of a record (`StationV2`, `TransactionV2`) holds the
//!   first as its leading field and adds fields after it (postcard writes a
//!   nested struct as its fields in order, with no framing), so both are
//!   read by one code path;
//! - text fields are `Cow<str>` so encoding borrows from the domain value
//!   instead of copying it; decoding always yields owned text.
//!
//! Decoding never panics: bad bytes become [`StorageError::Corrupt`].

use std::borrow::Cow;

use domain::StorageError;
use domain::connector::{ConnectorState, ConnectorStatus, EvseConnector};
use domain::device_model::{
    ReportedVariable, VariableAddress, VariableAttribute, VariableCharacteristics,
};
use domain::event::{DeviceEvent, StationEvent, StationEventKind};
use domain::meter::MeterSample;
use domain::operator::{ApiKeyRecord, ConfigurationKey, Scope};
use domain::pricing::{
    Price, PriceLine, PricedBy, Pricing, RunningCost, TariffAssignment, TariffScope,
};
use domain::reservation::{Reservation, ReservationState};
use domain::station::{
    BootInfo, OperationStatus, ProtocolVersion, Registration, Station, StationId,
};
use domain::time::Timestamp;
use domain::token::{AuthorizationStatus, IdToken, IdTokenRecord, IdTokenType, TokenStatus};
use domain::transaction::{
    RegisterReading, Transaction, TransactionEventRecord, TransactionEventType, TransactionState,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The version byte of the first release of every record.
const RECORD_V1: u8 = 1;

/// The version byte of a record's second release (format 3: stations with
/// a group, transactions with their pricing).
const RECORD_V2: u8 = 2;

/// Writes a version-1 `record` after its version byte.
fn encode<T: Serialize>(what: &'static str, record: &T) -> Result<Vec<u8>, StorageError> {
    encode_as(RECORD_V1, what, record)
}

/// Writes `record` after the version byte `version`.
fn encode_as<T: Serialize>(
    version: u8,
    what: &'static str,
    record: &T,
) -> Result<Vec<u8>, StorageError> {
    let mut bytes = Vec::with_capacity(128);
    bytes.push(version);
    postcard::to_extend(record, bytes)
        .map_err(|e| StorageError::Backend(format!("could not encode a {what} record: {e}")))
}

/// The version byte of a value and the record after it.
fn split_version<'b>(what: &'static str, bytes: &'b [u8]) -> Result<(u8, &'b [u8]), StorageError> {
    match bytes.split_first() {
        Some((&version, body)) => Ok((version, body)),
        None => Err(corrupt(what, "the value is empty".to_owned())),
    }
}

/// Reads a record body; leftover bytes are corrupt.
fn decode_body<'b, T: Deserialize<'b>>(what: &'static str, body: &'b [u8]) -> Result<T, StorageError> {
    let (record, rest) =
        postcard::take_from_bytes(body).map_err(|e| corrupt(what, e.to_string()))?;
    if !rest.is_empty() {
        return Err(corrupt(
            what,
            format!("{} bytes follow the record", rest.len()),
        ));
    }
    Ok(record)
}

/// Reads a version-1 record; anything else, or leftover bytes, is corrupt.
fn decode_v1<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, StorageError> {
    match split_version(what, bytes)? {
        (RECORD_V1, body) => decode_body(what, body),
        (version, _) => Err(unknown_version(what, version)),
    }
}

fn unknown_version(what: &'static str, version: u8) -> StorageError {
    corrupt(what, format!("unknown record version {version}"))
}

pub(crate) fn corrupt(what: &'static str, detail: String) -> StorageError {
    StorageError::Corrupt { what, detail }
}

fn text(s: &str) -> Cow<'_, str> {
    Cow::Borrowed(s)
}

fn opt_text(s: &Option<String>) -> Option<Cow<'_, str>> {
    s.as_deref().map(Cow::Borrowed)
}

fn owned(s: Option<Cow<'_, str>>) -> Option<String> {
    s.map(Cow::into_owned)
}

fn time(millis: i64) -> Timestamp {
    Timestamp::from_unix_millis(millis)
}

fn station_id(what: &'static str, id: &str) -> Result<StationId, StorageError> {
    StationId::parse(id).map_err(|e| corrupt(what, e.to_string()))
}

/// Declares a record enum that mirrors a domain enum of unit variants, and
/// the conversions both ways. The variants' order is their on-disk encoding.
macro_rules! mirror_enum {
    ($(#[$doc:meta])* $record:ident <=> $domain:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Serialize, Deserialize)]
        enum $record {
            $($variant),+
        }

        impl From<$domain> for $record {
            fn from(value: $domain) -> Self {
                match value {
                    $($domain::$variant => $record::$variant),+
                }
            }
        }

        impl From<$record> for $domain {
            fn from(value: $record) -> Self {
                match value {
                    $($record::$variant => $domain::$variant),+
                }
            }
        }
    };
}

mirror_enum!(
    /// [`Registration`] on disk.
    RegistrationV1 <=> Registration { Accepted, Pending, Rejected }
);
mirror_enum!(
    /// [`ProtocolVersion`] on disk.
    ProtocolV1 <=> ProtocolVersion { Ocpp16, Ocpp201 }
);
mirror_enum!(
    /// [`ConnectorState`] on disk.
    ConnectorStateV1 <=> ConnectorState {
        Available, Preparing, Charging, SuspendedEv, SuspendedEvse, Finishing, Reserved, Unavailable, Faulted, Occupied,
    }
);
mirror_enum!(
    /// [`IdTokenType`] on disk.
    IdTokenTypeV1 <=> IdTokenType { Central, EMaid, Iso14443, Iso15693, KeyCode, Local, MacAddress, NoAuthorization }
);
mirror_enum!(
    /// [`TokenStatus`] on disk.
    TokenStatusV1 <=> TokenStatus { Accepted, Blocked }
);
mirror_enum!(
    /// [`AuthorizationStatus`] on disk.
    AuthorizationStatusV1 <=> AuthorizationStatus { Accepted, Blocked, Expired, Invalid, Unknown, ConcurrentTx }
);
mirror_enum!(
    /// [`TransactionState`] on disk.
    TransactionStateV1 <=> TransactionState { Active, Ended }
);
mirror_enum!(
    /// [`TransactionEventType`] on disk.
    TransactionEventTypeV1 <=> TransactionEventType { Started, Updated, Ended }
);
mirror_enum!(
    /// [`ReservationState`] on disk.
    ReservationStateV1 <=> ReservationState { Requested, Active, Refused, Cancelled, Used, Expired }
);
mirror_enum!(
    /// [`Scope`] on disk.
    ScopeV1 <=> Scope { Read, Operate, Admin }
);

// ---------------------------------------------------------------- stations

#[derive(Serialize, Deserialize)]
struct StationV1<'a> {
    id: Cow<'a, str>,
    registration: RegistrationV1,
    password_hash: Option<Cow<'a, str>>,
    created_at: i64,
    protocol: Option<ProtocolV1>,
    boot: Option<BootInfoV1<'a>>,
    booted_at: Option<i64>,
    firmware_status: Option<OperationStatusV1<'a>>,
    diagnostics_status: Option<OperationStatusV1<'a>>,
    log_status: Option<OperationStatusV1<'a>>,
}

#[derive(Serialize, Deserialize)]
struct BootInfoV1<'a> {
    vendor: Cow<'a, str>,
    model: Cow<'a, str>,
    serial_number: Option<Cow<'a, str>>,
    charge_box_serial_number: Option<Cow<'a, str>>,
    firmware_version: Option<Cow<'a, str>>,
    iccid: Option<Cow<'a, str>>,
    imsi: Option<Cow<'a, str>>,
    meter_type: Option<Cow<'a, str>>,
    meter_serial_number: Option<Cow<'a, str>>,
    reason: Option<Cow<'a, str>>,
}

#[derive(Serialize, Deserialize)]
struct OperationStatusV1<'a> {
    status: Cow<'a, str>,
    request_id: Option<i64>,
    received_at: i64,
}

impl<'a> OperationStatusV1<'a> {
    fn of(status: &'a OperationStatus) -> Self {
        OperationStatusV1 {
            status: text(&status.status),
            request_id: status.request_id,
            received_at: status.received_at.unix_millis(),
        }
    }

    fn into_domain(self) -> OperationStatus {
        OperationStatus {
            status: self.status.into_owned(),
            request_id: self.request_id,
            received_at: time(self.received_at),
        }
    }
}

/// Format 3's station: the first release plus the group.
#[derive(Serialize, Deserialize)]
struct StationV2<'a> {
    base: StationV1<'a>,
    group: Option<Cow<'a, str>>,
}

pub(crate) fn encode_station(station: &Station) -> Result<Vec<u8>, StorageError> {
    let boot = station.boot.as_ref().map(|boot| BootInfoV1 {
        vendor: text(&boot.vendor),
        model: text(&boot.model),
        serial_number: opt_text(&boot.serial_number),
        charge_box_serial_number: opt_text(&boot.charge_box_serial_number),
        firmware_version: opt_text(&boot.firmware_version),
        iccid: opt_text(&boot.iccid),
        imsi: opt_text(&boot.imsi),
        meter_type: opt_text(&boot.meter_type),
        meter_serial_number: opt_text(&boot.meter_serial_number),
        reason: opt_text(&boot.reason),
    });
    let base = StationV1 {
        id: text(station.id.as_str()),
        registration: station.registration.into(),
        password_hash: opt_text(&station.password_hash),
        created_at: station.created_at.unix_millis(),
        protocol: station.protocol.map(Into::into),
        boot,
        booted_at: station.booted_at.map(Timestamp::unix_millis),
        firmware_status: station.firmware_status.as_ref().map(OperationStatusV1::of),
        diagnostics_status: station
            .diagnostics_status
            .as_ref()
            .map(OperationStatusV1::of),
        log_status: station.log_status.as_ref().map(OperationStatusV1::of),
    };
    let record = StationV2 {
        base,
        group: opt_text(&station.group),
    };
    encode_as(RECORD_V2, "station", &record)
}

pub(crate) fn decode_station(bytes: &[u8]) -> Result<Station, StorageError> {
    let what = "station";
    let (base, group) = match split_version(what, bytes)? {
        (RECORD_V1, body) => (decode_body::<StationV1<'_>>(what, body)?, None),
        (RECORD_V2, body) => {
            let record: StationV2<'_> = decode_body(what, body)?;
            (record.base, owned(record.group))
        }
        (version, _) => return Err(unknown_version(what, version)),
    };
    let boot = base.boot.map(|boot| BootInfo {
        vendor: boot.vendor.into_owned(),
        model: boot.model.into_owned(),
        serial_number: owned(boot.serial_number),
        charge_box_serial_number: owned(boot.charge_box_serial_number),
        firmware_version: owned(boot.firmware_version),
        iccid: owned(boot.iccid),
        imsi: owned(boot.imsi),
        meter_type: owned(boot.meter_type),
        meter_serial_number: owned(boot.meter_serial_number),
        reason: owned(boot.reason),
    });
    Ok(Station {
        id: station_id(what, &base.id)?,
        registration: base.registration.into(),
        password_hash: owned(base.password_hash),
        created_at: time(base.created_at),
        protocol: base.protocol.map(Into::into),
        boot,
        booted_at: base.booted_at.map(time),
        firmware_status: base.firmware_status.map(OperationStatusV1::into_domain),
        diagnostics_status: base.diagnostics_status.map(OperationStatusV1::into_domain),
        log_status: base.log_status.map(OperationStatusV1::into_domain),
        group,
    })
}

/// A bare time (a station's last-seen time).
pub(crate) fn encode_timestamp(at: Timestamp) -> Result<Vec<u8>, StorageError> {
    encode("timestamp", &at.unix_millis())
}

pub(crate) fn decode_timestamp(bytes: &[u8]) -> Result<Timestamp, StorageError> {
    decode_v1("timestamp", bytes).map(time)
}

/// A transaction number (the value of the transaction indexes).
pub(crate) fn encode_number(number: u64) -> Result<Vec<u8>, StorageError> {
    encode("transaction number", &number)
}

pub(crate) fn decode_number(bytes: &[u8]) -> Result<u64, StorageError> {
    decode_v1("transaction number", bytes)
}

/// The value of an index entry whose key says everything.
pub(crate) fn encode_marker() -> Vec<u8> {
    vec![RECORD_V1]
}

// ---------------------------------------------------------------- connectors

#[derive(Serialize, Deserialize)]
struct ConnectorStatusV1<'a> {
    station: Cow<'a, str>,
    evse: u32,
    connector: u32,
    state: ConnectorStateV1,
    error_code: Option<Cow<'a, str>>,
    info: Option<Cow<'a, str>>,
    vendor_id: Option<Cow<'a, str>>,
    vendor_error_code: Option<Cow<'a, str>>,
    reported_at: Option<i64>,
    received_at: i64,
}

pub(crate) fn encode_status(status: &ConnectorStatus) -> Result<Vec<u8>, StorageError> {
    let record = ConnectorStatusV1 {
        station: text(status.station.as_str()),
        evse: status.location.evse,
        connector: status.location.connector,
        state: status.state.into(),
        error_code: opt_text(&status.error_code),
        info: opt_text(&status.info),
        vendor_id: opt_text(&status.vendor_id),
        vendor_error_code: opt_text(&status.vendor_error_code),
        reported_at: status.reported_at.map(Timestamp::unix_millis),
        received_at: status.received_at.unix_millis(),
    };
    encode("connector status", &record)
}

pub(crate) fn decode_status(bytes: &[u8]) -> Result<ConnectorStatus, StorageError> {
    let record: ConnectorStatusV1<'_> = decode_v1("connector status", bytes)?;
    Ok(ConnectorStatus {
        station: station_id("connector status", &record.station)?,
        location: EvseConnector {
            evse: record.evse,
            connector: record.connector,
        },
        state: record.state.into(),
        error_code: owned(record.error_code),
        info: owned(record.info),
        vendor_id: owned(record.vendor_id),
        vendor_error_code: owned(record.vendor_error_code),
        reported_at: record.reported_at.map(time),
        received_at: time(record.received_at),
    })
}

// ---------------------------------------------------------------- tokens

#[derive(Serialize, Deserialize)]
struct IdTokenRecordV1<'a> {
    value: Cow<'a, str>,
    kind: Option<IdTokenTypeV1>,
    status: TokenStatusV1,
    expires_at: Option<i64>,
    group_id: Option<Cow<'a, str>>,
    concurrent_transactions: bool,
}

pub(crate) fn encode_id_token(token: &IdTokenRecord) -> Result<Vec<u8>, StorageError> {
    let record = IdTokenRecordV1 {
        value: text(&token.value),
        kind: token.kind.map(Into::into),
        status: token.status.into(),
        expires_at: token.expires_at.map(Timestamp::unix_millis),
        group_id: opt_text(&token.group_id),
        concurrent_transactions: token.concurrent_transactions,
    };
    encode("id token", &record)
}

pub(crate) fn decode_id_token(bytes: &[u8]) -> Result<IdTokenRecord, StorageError> {
    let record: IdTokenRecordV1<'_> = decode_v1("id token", bytes)?;
    Ok(IdTokenRecord {
        value: record.value.into_owned(),
        kind: record.kind.map(Into::into),
        status: record.status.into(),
        expires_at: record.expires_at.map(time),
        group_id: owned(record.group_id),
        concurrent_transactions: record.concurrent_transactions,
    })
}

/// A token as presented (inside a transaction).
#[derive(Serialize, Deserialize)]
struct IdTokenV1<'a> {
    value: Cow<'a, str>,
    kind: Option<IdTokenTypeV1>,
}

impl<'a> IdTokenV1<'a> {
    fn of(token: &'a IdToken) -> Self {
        IdTokenV1 {
            value: text(&token.value),
            kind: token.kind.map(Into::into),
        }
    }

    fn into_domain(self) -> IdToken {
        IdToken {
            value: self.value.into_owned(),
            kind: self.kind.map(Into::into),
        }
    }
}

// ---------------------------------------------------------------- transactions

#[derive(Serialize, Deserialize)]
struct RegisterReadingV1 {
    at: i64,
    wh: f64,
}

impl RegisterReadingV1 {
    fn of(reading: &RegisterReading) -> Self {
        RegisterReadingV1 {
            at: reading.at.unix_millis(),
            wh: reading.wh,
        }
    }

    fn into_domain(self) -> RegisterReading {
        RegisterReading {
            at: time(self.at),
            wh: self.wh,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct TransactionV1<'a> {
    number: u64,
    station: Cow<'a, str>,
    station_tx_id: Cow<'a, str>,
    protocol: ProtocolV1,
    evse: u32,
    connector: u32,
    id_token: Option<IdTokenV1<'a>>,
    group_id: Option<Cow<'a, str>>,
    authorization: Option<AuthorizationStatusV1>,
    started_at: Option<i64>,
    meter_start_wh: Option<f64>,
    ended_at: Option<i64>,
    meter_stop_wh: Option<f64>,
    first_register: Option<RegisterReadingV1>,
    last_register: Option<RegisterReadingV1>,
    stop_reason: Option<Cow<'a, str>>,
    stopped_by: Option<IdTokenV1<'a>>,
    state: TransactionStateV1,
    charging_state: Option<Cow<'a, str>>,
    reservation_id: Option<i64>,
    remote_start_id: Option<i64>,
    last_seq_no: Option<u64>,
    offline: bool,
    created_at: i64,
    updated_at: i64,
}

/// Format 3's transaction: the first release plus the station's group,
/// the pricing and the running cost.
#[derive(Serialize, Deserialize)]
struct TransactionV2<'a> {
    base: TransactionV1<'a>,
    station_group: Option<Cow<'a, str>>,
    pricing: Option<PricingV1<'a>>,
    running_cost: Option<RunningCostV1<'a>>,
}

pub(crate) fn encode_transaction(tx: &Transaction) -> Result<Vec<u8>, StorageError> {
    let base = TransactionV1 {
        number: tx.number,
        station: text(tx.station.as_str()),
        station_tx_id: text(&tx.station_tx_id),
        protocol: tx.protocol.into(),
        evse: tx.location.evse,
        connector: tx.location.connector,
        id_token: tx.id_token.as_ref().map(IdTokenV1::of),
        group_id: opt_text(&tx.group_id),
        authorization: tx.authorization.map(Into::into),
        started_at: tx.started_at.map(Timestamp::unix_millis),
        meter_start_wh: tx.meter_start_wh,
        ended_at: tx.ended_at.map(Timestamp::unix_millis),
        meter_stop_wh: tx.meter_stop_wh,
        first_register: tx.first_register.as_ref().map(RegisterReadingV1::of),
        last_register: tx.last_register.as_ref().map(RegisterReadingV1::of),
        stop_reason: opt_text(&tx.stop_reason),
        stopped_by: tx.stopped_by.as_ref().map(IdTokenV1::of),
        state: tx.state.into(),
        charging_state: opt_text(&tx.charging_state),
        reservation_id: tx.reservation_id,
        remote_start_id: tx.remote_start_id,
        last_seq_no: tx.last_seq_no,
        offline: tx.offline,
        created_at: tx.created_at.unix_millis(),
        updated_at: tx.updated_at.unix_millis(),
    };
    let record = TransactionV2 {
        base,
        station_group: opt_text(&tx.station_group),
        pricing: tx.pricing.as_ref().map(PricingV1::of),
        running_cost: tx.running_cost.as_ref().map(RunningCostV1::of),
    };
    encode_as(RECORD_V2, "transaction", &record)
}

pub(crate) fn decode_transaction(bytes: &[u8]) -> Result<Transaction, StorageError> {
    let what = "transaction";
    let (base, station_group, pricing, running_cost) = match split_version(what, bytes)? {
        (RECORD_V1, body) => (decode_body::<TransactionV1<'_>>(what, body)?, None, None, None),
        (RECORD_V2, body) => {
            let record: TransactionV2<'_> = decode_body(what, body)?;
            (
                record.base,
                owned(record.station_group),
                record.pricing.map(PricingV1::into_domain),
                record.running_cost.map(RunningCostV1::into_domain),
            )
        }
        (version, _) => return Err(unknown_version(what, version)),
    };
    Ok(Transaction {
        number: base.number,
        station: station_id(what, &base.station)?,
        station_tx_id: base.station_tx_id.into_owned(),
        protocol: base.protocol.into(),
        location: EvseConnector {
            evse: base.evse,
            connector: base.connector,
        },
        id_token: base.id_token.map(IdTokenV1::into_domain),
        group_id: owned(base.group_id),
        authorization: base.authorization.map(Into::into),
        started_at: base.started_at.map(time),
        meter_start_wh: base.meter_start_wh,
        ended_at: base.ended_at.map(time),
        meter_stop_wh: base.meter_stop_wh,
        first_register: base.first_register.map(RegisterReadingV1::into_domain),
        last_register: base.last_register.map(RegisterReadingV1::into_domain),
        stop_reason: owned(base.stop_reason),
        stopped_by: base.stopped_by.map(IdTokenV1::into_domain),
        state: base.state.into(),
        charging_state: owned(base.charging_state),
        reservation_id: base.reservation_id,
        remote_start_id: base.remote_start_id,
        last_seq_no: base.last_seq_no,
        offline: base.offline,
        created_at: time(base.created_at),
        updated_at: time(base.updated_at),
        station_group,
        pricing,
        running_cost,
    })
}

// ---------------------------------------------------------------- pricing

#[derive(Serialize, Deserialize)]
struct PriceLineV1<'a> {
    kind: Cow<'a, str>,
    description: Cow<'a, str>,
    quantity_milli: i64,
    unit: Cow<'a, str>,
    amount_minor: i64,
    tax_rate_bp: Option<u32>,
}

#[derive(Serialize, Deserialize)]
struct PriceV1<'a> {
    currency: Cow<'a, str>,
    minor_digits: u32,
    total_minor: i64,
    lines: Vec<PriceLineV1<'a>>,
}

impl<'a> PriceV1<'a> {
    fn of(price: &'a Price) -> Self {
        PriceV1 {
            currency: text(&price.currency),
            minor_digits: price.minor_digits,
            total_minor: price.total_minor,
            lines: price
                .lines
                .iter()
                .map(|line| PriceLineV1 {
                    kind: text(&line.kind),
                    description: text(&line.description),
                    quantity_milli: line.quantity_milli,
                    unit: text(&line.unit),
                    amount_minor: line.amount_minor,
                    tax_rate_bp: line.tax_rate_bp,
                })
                .collect(),
        }
    }

    fn into_domain(self) -> Price {
        Price {
            currency: self.currency.into_owned(),
            minor_digits: self.minor_digits,
            total_minor: self.total_minor,
            lines: self
                .lines
                .into_iter()
                .map(|line| PriceLine {
                    kind: line.kind.into_owned(),
                    description: line.description.into_owned(),
                    quantity_milli: line.quantity_milli,
                    unit: line.unit.into_owned(),
                    amount_minor: line.amount_minor,
                    tax_rate_bp: line.tax_rate_bp,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct PricedByV1<'a> {
    plugin_id: Cow<'a, str>,
    version: Cow<'a, str>,
    hash: Cow<'a, str>,
}

/// [`Pricing`] on disk; variants by position.
#[derive(Serialize, Deserialize)]
enum PricingV1<'a> {
    Priced {
        price: PriceV1<'a>,
        by: PricedByV1<'a>,
        at: i64,
    },
    Unpriced {
        reason: Cow<'a, str>,
        plugin_id: Option<Cow<'a, str>>,
        at: i64,
    },
}

impl<'a> PricingV1<'a> {
    fn of(pricing: &'a Pricing) -> Self {
        match pricing {
            Pricing::Priced { price, by, at } => PricingV1::Priced {
                price: PriceV1::of(price),
                by: PricedByV1 {
                    plugin_id: text(&by.plugin_id),
                    version: text(&by.version),
                    hash: text(&by.hash),
                },
                at: at.unix_millis(),
            },
            Pricing::Unpriced {
                reason,
                plugin_id,
                at,
            } => PricingV1::Unpriced {
                reason: text(reason),
                plugin_id: opt_text(plugin_id),
                at: at.unix_millis(),
            },
        }
    }

    fn into_domain(self) -> Pricing {
        match self {
            PricingV1::Priced { price, by, at } => Pricing::Priced {
                price: price.into_domain(),
                by: PricedBy {
                    plugin_id: by.plugin_id.into_owned(),
                    version: by.version.into_owned(),
                    hash: by.hash.into_owned(),
                },
                at: time(at),
            },
            PricingV1::Unpriced {
                reason,
                plugin_id,
                at,
            } => Pricing::Unpriced {
                reason: reason.into_owned(),
                plugin_id: owned(plugin_id),
                at: time(at),
            },
        }
    }
}

#[derive(Serialize, Deserialize)]
struct RunningCostV1<'a> {
    currency: Cow<'a, str>,
    minor_digits: u32,
    total_minor: i64,
    at: i64,
}

impl<'a> RunningCostV1<'a> {
    fn of(cost: &'a RunningCost) -> Self {
        RunningCostV1 {
            currency: text(&cost.currency),
            minor_digits: cost.minor_digits,
            total_minor: cost.total_minor,
            at: cost.at.unix_millis(),
        }
    }

    fn into_domain(self) -> RunningCost {
        RunningCost {
            currency: self.currency.into_owned(),
            minor_digits: self.minor_digits,
            total_minor: self.total_minor,
            at: time(self.at),
        }
    }
}

/// [`TariffScope`] on disk; variants by position.
#[derive(Serialize, Deserialize)]
enum TariffScopeV1<'a> {
    Station(Cow<'a, str>),
    Group(Cow<'a, str>),
    Default,
}

#[derive(Serialize, Deserialize)]
struct TariffAssignmentV1<'a> {
    scope: TariffScopeV1<'a>,
    plugin_id: Cow<'a, str>,
    currency: Cow<'a, str>,
}

pub(crate) fn encode_tariff_assignment(
    assignment: &TariffAssignment,
) -> Result<Vec<u8>, StorageError> {
    let scope = match &assignment.scope {
        TariffScope::Station(station) => TariffScopeV1::Station(text(station.as_str())),
        TariffScope::Group(group) => TariffScopeV1::Group(text(group)),
        TariffScope::Default => TariffScopeV1::Default,
    };
    let record = TariffAssignmentV1 {
        scope,
        plugin_id: text(&assignment.plugin_id),
        currency: text(&assignment.currency),
    };
    encode("tariff assignment", &record)
}

pub(crate) fn decode_tariff_assignment(bytes: &[u8]) -> Result<TariffAssignment, StorageError> {
    let what = "tariff assignment";
    let record: TariffAssignmentV1<'_> = decode_v1(what, bytes)?;
    let scope = match record.scope {
        TariffScopeV1::Station(station) => TariffScope::Station(station_id(what, &station)?),
        TariffScopeV1::Group(group) => TariffScope::Group(group.into_owned()),
        TariffScopeV1::Default => TariffScope::Default,
    };
    Ok(TariffAssignment {
        scope,
        plugin_id: record.plugin_id.into_owned(),
        currency: record.currency.into_owned(),
    })
}

#[derive(Serialize, Deserialize)]
struct TransactionEventRecordV1<'a> {
    seq_no: u64,
    event_type: TransactionEventTypeV1,
    trigger_reason: Cow<'a, str>,
    timestamp: i64,
    offline: bool,
    received_at: i64,
}

pub(crate) fn encode_tx_event(event: &TransactionEventRecord) -> Result<Vec<u8>, StorageError> {
    let record = TransactionEventRecordV1 {
        seq_no: event.seq_no,
        event_type: event.event_type.into(),
        trigger_reason: text(&event.trigger_reason),
        timestamp: event.timestamp.unix_millis(),
        offline: event.offline,
        received_at: event.received_at.unix_millis(),
    };
    encode("transaction event", &record)
}

pub(crate) fn decode_tx_event(bytes: &[u8]) -> Result<TransactionEventRecord, StorageError> {
    let record: TransactionEventRecordV1<'_> = decode_v1("transaction event", bytes)?;
    Ok(TransactionEventRecord {
        seq_no: record.seq_no,
        event_type: record.event_type.into(),
        trigger_reason: record.trigger_reason.into_owned(),
        timestamp: time(record.timestamp),
        offline: record.offline,
        received_at: time(record.received_at),
    })
}

// ---------------------------------------------------------------- meter readings

/// The readings measured at one instant (of a transaction, or of an EVSE),
/// kept as one value so that a MeterValues message costs one write per
/// instant, not one per reading.
#[derive(Serialize, Deserialize)]
struct SampleGroupV1<'a> {
    timestamp: i64,
    samples: Vec<SampleV1<'a>>,
}

/// A reading without its time, which its group holds.
#[derive(Serialize, Deserialize)]
struct SampleV1<'a> {
    measurand: Cow<'a, str>,
    phase: Option<Cow<'a, str>>,
    location: Option<Cow<'a, str>>,
    context: Option<Cow<'a, str>>,
    value: Option<f64>,
    unit: Option<Cow<'a, str>>,
    signed_data: Option<Cow<'a, str>>,
}

/// Encodes readings that all have the time `at`.
pub(crate) fn encode_samples(
    at: Timestamp,
    samples: &[MeterSample],
) -> Result<Vec<u8>, StorageError> {
    let record = SampleGroupV1 {
        timestamp: at.unix_millis(),
        samples: samples
            .iter()
            .map(|sample| SampleV1 {
                measurand: text(&sample.measurand),
                phase: opt_text(&sample.phase),
                location: opt_text(&sample.location),
                context: opt_text(&sample.context),
                value: sample.value,
                unit: opt_text(&sample.unit),
                signed_data: opt_text(&sample.signed_data),
            })
            .collect(),
    };
    encode("meter readings", &record)
}

pub(crate) fn decode_samples(bytes: &[u8]) -> Result<Vec<MeterSample>, StorageError> {
    let record: SampleGroupV1<'_> = decode_v1("meter readings", bytes)?;
    Ok(record
        .samples
        .into_iter()
        .map(|sample| MeterSample {
            timestamp: time(record.timestamp),
            measurand: sample.measurand.into_owned(),
            phase: owned(sample.phase),
            location: owned(sample.location),
            context: owned(sample.context),
            value: sample.value,
            unit: owned(sample.unit),
            signed_data: owned(sample.signed_data),
        })
        .collect())
}

// ---------------------------------------------------------------- station log

#[derive(Serialize, Deserialize)]
struct StationEventV1<'a> {
    station: Cow<'a, str>,
    received_at: i64,
    kind: StationEventKindV1<'a>,
}

/// [`StationEventKind`] on disk. Variants are stored by position: append only.
#[derive(Serialize, Deserialize)]
enum StationEventKindV1<'a> {
    Connected {
        protocol: ProtocolV1,
    },
    Disconnected {
        reason: Cow<'a, str>,
    },
    Booted {
        reason: Option<Cow<'a, str>>,
        answered: Cow<'a, str>,
    },
    DataTransfer {
        vendor_id: Cow<'a, str>,
        message_id: Option<Cow<'a, str>>,
        data: Option<Cow<'a, str>>,
        answered: Cow<'a, str>,
    },
    FirmwareStatus {
        status: Cow<'a, str>,
        request_id: Option<i64>,
    },
    DiagnosticsStatus {
        status: Cow<'a, str>,
    },
    LogStatus {
        status: Cow<'a, str>,
        request_id: Option<i64>,
    },
    SecurityEvent {
        event_type: Cow<'a, str>,
        timestamp: i64,
        tech_info: Option<Cow<'a, str>>,
    },
    DeviceEvent(DeviceEventV1<'a>),
    /// Added in format 2.
    WentOffline {
        last_heard: i64,
    },
}

#[derive(Serialize, Deserialize)]
struct DeviceEventV1<'a> {
    event_id: i64,
    timestamp: i64,
    trigger: Cow<'a, str>,
    cause: Option<i64>,
    actual_value: Cow<'a, str>,
    tech_code: Option<Cow<'a, str>>,
    tech_info: Option<Cow<'a, str>>,
    cleared: Option<bool>,
    transaction_id: Option<Cow<'a, str>>,
    variable_monitoring_id: Option<i64>,
    notification_type: Cow<'a, str>,
    component: Cow<'a, str>,
    variable: Cow<'a, str>,
}

impl<'a> StationEventKindV1<'a> {
    fn of(kind: &'a StationEventKind) -> Self {
        match kind {
            StationEventKind::Connected { protocol } => StationEventKindV1::Connected {
                protocol: (*protocol).into(),
            },
            StationEventKind::Disconnected { reason } => StationEventKindV1::Disconnected {
                reason: text(reason),
            },
            StationEventKind::WentOffline { last_heard } => StationEventKindV1::WentOffline {
                last_heard: last_heard.unix_millis(),
            },
            StationEventKind::Booted { reason, answered } => StationEventKindV1::Booted {
                reason: opt_text(reason),
                answered: text(answered),
            },
            StationEventKind::DataTransfer {
                vendor_id,
                message_id,
                data,
                answered,
            } => StationEventKindV1::DataTransfer {
                vendor_id: text(vendor_id),
                message_id: opt_text(message_id),
                data: opt_text(data),
                answered: text(answered),
            },
            StationEventKind::FirmwareStatus { status, request_id } => {
                StationEventKindV1::FirmwareStatus {
                    status: text(status),
                    request_id: *request_id,
                }
            }
            StationEventKind::DiagnosticsStatus { status } => {
                StationEventKindV1::DiagnosticsStatus {
                    status: text(status),
                }
            }
            StationEventKind::LogStatus { status, request_id } => StationEventKindV1::LogStatus {
                status: text(status),
                request_id: *request_id,
            },
            StationEventKind::SecurityEvent {
                event_type,
                timestamp,
                tech_info,
            } => StationEventKindV1::SecurityEvent {
                event_type: text(event_type),
                timestamp: timestamp.unix_millis(),
                tech_info: opt_text(tech_info),
            },
            StationEventKind::DeviceEvent(event) => {
                StationEventKindV1::DeviceEvent(DeviceEventV1 {
                    event_id: event.event_id,
                    timestamp: event.timestamp.unix_millis(),
                    trigger: text(&event.trigger),
                    cause: event.cause,
                    actual_value: text(&event.actual_value),
                    tech_code: opt_text(&event.tech_code),
                    tech_info: opt_text(&event.tech_info),
                    cleared: event.cleared,
                    transaction_id: opt_text(&event.transaction_id),
                    variable_monitoring_id: event.variable_monitoring_id,
                    notification_type: text(&event.notification_type),
                    component: text(&event.component),
                    variable: text(&event.variable),
                })
            }
        }
    }

    fn into_domain(self) -> StationEventKind {
        match self {
            StationEventKindV1::Connected { protocol } => StationEventKind::Connected {
                protocol: protocol.into(),
            },
            StationEventKindV1::Disconnected { reason } => StationEventKind::Disconnected {
                reason: reason.into_owned(),
            },
            StationEventKindV1::WentOffline { last_heard } => StationEventKind::WentOffline {
                last_heard: time(last_heard),
            },
            StationEventKindV1::Booted { reason, answered } => StationEventKind::Booted {
                reason: owned(reason),
                answered: answered.into_owned(),
            },
            StationEventKindV1::DataTransfer {
                vendor_id,
                message_id,
                data,
                answered,
            } => StationEventKind::DataTransfer {
                vendor_id: vendor_id.into_owned(),
                message_id: owned(message_id),
                data: owned(data),
                answered: answered.into_owned(),
            },
            StationEventKindV1::FirmwareStatus { status, request_id } => {
                StationEventKind::FirmwareStatus {
                    status: status.into_owned(),
                    request_id,
                }
            }
            StationEventKindV1::DiagnosticsStatus { status } => {
                StationEventKind::DiagnosticsStatus {
                    status: status.into_owned(),
                }
            }
            StationEventKindV1::LogStatus { status, request_id } => StationEventKind::LogStatus {
                status: status.into_owned(),
                request_id,
            },
            StationEventKindV1::SecurityEvent {
                event_type,
                timestamp,
                tech_info,
            } => StationEventKind::SecurityEvent {
                event_type: event_type.into_owned(),
                timestamp: time(timestamp),
                tech_info: owned(tech_info),
            },
            StationEventKindV1::DeviceEvent(event) => StationEventKind::DeviceEvent(DeviceEvent {
                event_id: event.event_id,
                timestamp: time(event.timestamp),
                trigger: event.trigger.into_owned(),
                cause: event.cause,
                actual_value: event.actual_value.into_owned(),
                tech_code: owned(event.tech_code),
                tech_info: owned(event.tech_info),
                cleared: event.cleared,
                transaction_id: owned(event.transaction_id),
                variable_monitoring_id: event.variable_monitoring_id,
                notification_type: event.notification_type.into_owned(),
                component: event.component.into_owned(),
                variable: event.variable.into_owned(),
            }),
        }
    }
}

pub(crate) fn encode_station_event(event: &StationEvent) -> Result<Vec<u8>, StorageError> {
    let record = StationEventV1 {
        station: text(event.station.as_str()),
        received_at: event.received_at.unix_millis(),
        kind: StationEventKindV1::of(&event.kind),
    };
    encode("station event", &record)
}

pub(crate) fn decode_station_event(bytes: &[u8]) -> Result<StationEvent, StorageError> {
    let record: StationEventV1<'_> = decode_v1("station event", bytes)?;
    Ok(StationEvent {
        station: station_id("station event", &record.station)?,
        received_at: time(record.received_at),
        kind: record.kind.into_domain(),
    })
}

// ---------------------------------------------------------------- device model

#[derive(Serialize, Deserialize)]
struct ReportedVariableV1<'a> {
    component: Cow<'a, str>,
    component_instance: Option<Cow<'a, str>>,
    evse: Option<u32>,
    connector: Option<u32>,
    variable: Cow<'a, str>,
    variable_instance: Option<Cow<'a, str>>,
    attributes: Vec<VariableAttributeV1<'a>>,
    characteristics: Option<VariableCharacteristicsV1<'a>>,
    reported_at: i64,
}

#[derive(Serialize, Deserialize)]
struct VariableAttributeV1<'a> {
    kind: Cow<'a, str>,
    value: Option<Cow<'a, str>>,
    mutability: Option<Cow<'a, str>>,
    persistent: Option<bool>,
    constant: Option<bool>,
}

#[derive(Serialize, Deserialize)]
struct VariableCharacteristicsV1<'a> {
    unit: Option<Cow<'a, str>>,
    data_type: Cow<'a, str>,
    min_limit: Option<f64>,
    max_limit: Option<f64>,
    values_list: Option<Cow<'a, str>>,
    supports_monitoring: bool,
}

pub(crate) fn encode_variable(variable: &ReportedVariable) -> Result<Vec<u8>, StorageError> {
    let address = &variable.address;
    let attributes = variable
        .attributes
        .iter()
        .map(|attribute| VariableAttributeV1 {
            kind: text(&attribute.kind),
            value: opt_text(&attribute.value),
            mutability: opt_text(&attribute.mutability),
            persistent: attribute.persistent,
            constant: attribute.constant,
        })
        .collect();
    let characteristics = variable
        .characteristics
        .as_ref()
        .map(|c| VariableCharacteristicsV1 {
            unit: opt_text(&c.unit),
            data_type: text(&c.data_type),
            min_limit: c.min_limit,
            max_limit: c.max_limit,
            values_list: opt_text(&c.values_list),
            supports_monitoring: c.supports_monitoring,
        });
    let record = ReportedVariableV1 {
        component: text(&address.component),
        component_instance: opt_text(&address.component_instance),
        evse: address.evse,
        connector: address.connector,
        variable: text(&address.variable),
        variable_instance: opt_text(&address.variable_instance),
        attributes,
        characteristics,
        reported_at: variable.reported_at.unix_millis(),
    };
    encode("reported variable", &record)
}

pub(crate) fn decode_variable(bytes: &[u8]) -> Result<ReportedVariable, StorageError> {
    let record: ReportedVariableV1<'_> = decode_v1("reported variable", bytes)?;
    let attributes = record
        .attributes
        .into_iter()
        .map(|attribute| VariableAttribute {
            kind: attribute.kind.into_owned(),
            value: owned(attribute.value),
            mutability: owned(attribute.mutability),
            persistent: attribute.persistent,
            constant: attribute.constant,
        })
        .collect();
    let characteristics = record.characteristics.map(|c| VariableCharacteristics {
        unit: owned(c.unit),
        data_type: c.data_type.into_owned(),
        min_limit: c.min_limit,
        max_limit: c.max_limit,
        values_list: owned(c.values_list),
        supports_monitoring: c.supports_monitoring,
    });
    Ok(ReportedVariable {
        address: VariableAddress {
            component: record.component.into_owned(),
            component_instance: owned(record.component_instance),
            evse: record.evse,
            connector: record.connector,
            variable: record.variable.into_owned(),
            variable_instance: owned(record.variable_instance),
        },
        attributes,
        characteristics,
        reported_at: time(record.reported_at),
    })
}

// ---------------------------------------------------------------- configuration

/// A 1.6 configuration key. The station is the key's, not the record's.
#[derive(Serialize, Deserialize)]
struct ConfigurationKeyV1<'a> {
    key: Cow<'a, str>,
    value: Option<Cow<'a, str>>,
    readonly: bool,
    reported_at: i64,
}

pub(crate) fn encode_configuration_key(key: &ConfigurationKey) -> Result<Vec<u8>, StorageError> {
    let record = ConfigurationKeyV1 {
        key: text(&key.key),
        value: opt_text(&key.value),
        readonly: key.readonly,
        reported_at: key.reported_at.unix_millis(),
    };
    encode("configuration key", &record)
}

/// Decodes a configuration key stored under `station`.
pub(crate) fn decode_configuration_key(
    station: &StationId,
    bytes: &[u8],
) -> Result<ConfigurationKey, StorageError> {
    let record: ConfigurationKeyV1<'_> = decode_v1("configuration key", bytes)?;
    Ok(ConfigurationKey {
        station: station.clone(),
        key: record.key.into_owned(),
        value: owned(record.value),
        readonly: record.readonly,
        reported_at: time(record.reported_at),
    })
}

// ---------------------------------------------------------------- reservations

#[derive(Serialize, Deserialize)]
struct LocationV1 {
    evse: u32,
    connector: u32,
}

#[derive(Serialize, Deserialize)]
struct ReservationV1<'a> {
    id: i64,
    station: Cow<'a, str>,
    location: Option<LocationV1>,
    id_token: IdTokenV1<'a>,
    group_id: Option<Cow<'a, str>>,
    expires_at: i64,
    state: ReservationStateV1,
    refusal: Option<Cow<'a, str>>,
    transaction: Option<u64>,
    created_at: i64,
    updated_at: i64,
}

pub(crate) fn encode_reservation(reservation: &Reservation) -> Result<Vec<u8>, StorageError> {
    let record = ReservationV1 {
        id: reservation.id,
        station: text(reservation.station.as_str()),
        location: reservation.location.map(|location| LocationV1 {
            evse: location.evse,
            connector: location.connector,
        }),
        id_token: IdTokenV1::of(&reservation.id_token),
        group_id: opt_text(&reservation.group_id),
        expires_at: reservation.expires_at.unix_millis(),
        state: reservation.state.into(),
        refusal: opt_text(&reservation.refusal),
        transaction: reservation.transaction,
        created_at: reservation.created_at.unix_millis(),
        updated_at: reservation.updated_at.unix_millis(),
    };
    encode("reservation", &record)
}

pub(crate) fn decode_reservation(bytes: &[u8]) -> Result<Reservation, StorageError> {
    let record: ReservationV1<'_> = decode_v1("reservation", bytes)?;
    Ok(Reservation {
        id: record.id,
        station: station_id("reservation", &record.station)?,
        location: record.location.map(|location| EvseConnector {
            evse: location.evse,
            connector: location.connector,
        }),
        id_token: record.id_token.into_domain(),
        group_id: owned(record.group_id),
        expires_at: time(record.expires_at),
        state: record.state.into(),
        refusal: owned(record.refusal),
        transaction: record.transaction,
        created_at: time(record.created_at),
        updated_at: time(record.updated_at),
    })
}

// ---------------------------------------------------------------- API keys

#[derive(Serialize, Deserialize)]
struct ApiKeyV1<'a> {
    id: Cow<'a, str>,
    name: Cow<'a, str>,
    scope: ScopeV1,
    secret_sha256: Cow<'a, str>,
    created_at: i64,
    revoked_at: Option<i64>,
}

pub(crate) fn encode_api_key(key: &ApiKeyRecord) -> Result<Vec<u8>, StorageError> {
    let record = ApiKeyV1 {
        id: text(&key.id),
        name: text(&key.name),
        scope: key.scope.into(),
        secret_sha256: text(&key.secret_sha256),
        created_at: key.created_at.unix_millis(),
        revoked_at: key.revoked_at.map(Timestamp::unix_millis),
    };
    encode("API key", &record)
}

pub(crate) fn decode_api_key(bytes: &[u8]) -> Result<ApiKeyRecord, StorageError> {
    let record: ApiKeyV1<'_> = decode_v1("API key", bytes)?;
    Ok(ApiKeyRecord {
        id: record.id.into_owned(),
        name: record.name.into_owned(),
        scope: record.scope.into(),
        secret_sha256: record.secret_sha256.into_owned(),
        created_at: time(record.created_at),
        revoked_at: record.revoked_at.map(time),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    /// A station as the format-2 build wrote it (record version 1).
    const STATION_V1: &str = "010443502d3100010b246172676f6e326964247880a0abfef9620101010156014d000000000000000001d0afabfef962000000";

    /// A transaction as the format-2 build wrote it (record version 1).
    const TRANSACTION_V1: &str = "012a0443502d310574782d3432010101010354414701020105666c656574010001a0bcacfef962010000000000408f4001a0f6e381fa6201000000000070c74001a0bcacfef9620000000000408f4001a0f6e381fa62000000000070c740010e4556446973636f6e6e65637465640001010b4556436f6e6e656374656400010e010300e8bdacfef962e8f7e381fa62";

    fn golden_station() -> Station {
        let mut station = Station::registered(
            StationId::parse("CP-1").unwrap(),
            Some("$argon2id$x".into()),
            time(1_700_000_000_000),
        );
        station.protocol = Some(ProtocolVersion::Ocpp201);
        station.booted_at = Some(time(1_700_000_001_000));
        station.boot = Some(BootInfo {
            vendor: "V".into(),
            model: "M".into(),
            ..BootInfo::default()
        });
        station
    }

    fn golden_transaction() -> Transaction {
        Transaction {
            number: 42,
            station: StationId::parse("CP-1").unwrap(),
            station_tx_id: "tx-42".into(),
            protocol: ProtocolVersion::Ocpp201,
            location: EvseConnector {
                evse: 1,
                connector: 1,
            },
            id_token: Some(IdToken {
                value: "TAG".into(),
                kind: Some(IdTokenType::Iso14443),
            }),
            group_id: Some("fleet".into()),
            authorization: Some(AuthorizationStatus::Accepted),
            started_at: Some(time(1_700_000_010_000)),
            meter_start_wh: Some(1000.0),
            ended_at: Some(time(1_700_003_610_000)),
            meter_stop_wh: Some(12000.0),
            first_register: Some(RegisterReading {
                at: time(1_700_000_010_000),
                wh: 1000.0,
            }),
            last_register: Some(RegisterReading {
                at: time(1_700_003_610_000),
                wh: 12000.0,
            }),
            stop_reason: Some("EVDisconnected".into()),
            stopped_by: None,
            state: TransactionState::Ended,
            charging_state: Some("EVConnected".into()),
            reservation_id: None,
            remote_start_id: Some(7),
            last_seq_no: Some(3),
            offline: false,
            created_at: time(1_700_000_010_100),
            updated_at: time(1_700_003_610_100),
            station_group: None,
            pricing: None,
            running_cost: None,
        }
    }

    #[test]
    fn records_the_previous_format_wrote_still_decode() {
        assert_eq!(decode_station(&bytes(STATION_V1)).unwrap(), golden_station());
        assert_eq!(
            decode_transaction(&bytes(TRANSACTION_V1)).unwrap(),
            golden_transaction()
        );
    }

    #[test]
    fn version_2_is_version_1_and_the_new_fields() {
        // stations: the group; transactions: group, pricing, running cost
        let mut station = bytes(STATION_V1);
        station[0] = RECORD_V2;
        station.push(0);
        assert_eq!(encode_station(&golden_station()).unwrap(), station);
        let mut tx = bytes(TRANSACTION_V1);
        tx[0] = RECORD_V2;
        tx.extend([0, 0, 0]);
        assert_eq!(encode_transaction(&golden_transaction()).unwrap(), tx);
        // and everything new round-trips
        let mut grouped = golden_station();
        grouped.group = Some("north".into());
        assert_eq!(
            decode_station(&encode_station(&grouped).unwrap()).unwrap(),
            grouped
        );
        let mut priced = golden_transaction();
        priced.station_group = Some("north".into());
        priced.pricing = Some(Pricing::Unpriced {
            reason: "r".into(),
            plugin_id: None,
            at: time(5),
        });
        priced.running_cost = Some(RunningCost {
            currency: "EUR".into(),
            minor_digits: 2,
            total_minor: 7,
            at: time(4),
        });
        assert_eq!(
            decode_transaction(&encode_transaction(&priced).unwrap()).unwrap(),
            priced
        );
    }

    #[test]
    fn unknown_record_versions_are_corrupt() {
        let mut future = bytes(TRANSACTION_V1);
        future[0] = 3;
        assert!(matches!(
            decode_transaction(&future),
            Err(StorageError::Corrupt { .. })
        ));
        assert!(matches!(decode_station(&[]), Err(StorageError::Corrupt { .. })));
    }

    #[test]
    fn log_entry_kinds_keep_their_positions() {
        // variants are stored by position: WentOffline (format 2) went last
        let position = |kind: &StationEventKind| {
            postcard::to_allocvec(&StationEventKindV1::of(kind)).unwrap()[0]
        };
        assert_eq!(
            position(&StationEventKind::Disconnected {
                reason: String::new()
            }),
            1
        );
        assert_eq!(
            position(&StationEventKind::WentOffline {
                last_heard: time(0)
            }),
            9
        );
    }
}
