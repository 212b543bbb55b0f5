//! Stations: registering, approving, rejecting, re-keying and removing
//! them, the views of them, and their availability.

use domain::uptime::availability;
use domain::{
    Change, ProtocolVersion, Registration, Station, StationEvent, StationId, Storage, StorageError, Timestamp,
    TransactionQuery, TransactionState,
};
use domain::event::StationEventKind;
use server::Connection;
use session::auth::{check_password_rules, generate_password, hash_password};

use crate::operations::{OperationError, Resource, check_name, write};
use crate::wire::{
    AvailabilityView, ConnectorView, NewStation, StationChange, StationDetail, StationSummary, protocol, time,
};

/// A station id given in `field`, checked against OCPP's identity rules.
pub fn station_id(field: &str, id: &str) -> Result<StationId, OperationError> {
    StationId::parse(id).map_err(|e| OperationError::invalid(field, e))
}

/// A registration status given in `field`.
pub fn registration(field: &str, text: &str) -> Result<Registration, OperationError> {
    Registration::parse(text)
        .ok_or_else(|| OperationError::invalid(field, format!("{text:?} is not one of Accepted, Pending, Rejected")))
}

/// The longest group name a station may have.
pub const MAX_GROUP_LEN: usize = 100;

/// A group (site) name given in `field`: 1 to [`MAX_GROUP_LEN`]
/// characters without control characters, neither beginning nor ending
/// with white space; empty means "no group".
pub fn group(field: &str, text: &str) -> Result<Option<String>, OperationError> {
    if text.is_empty() {
        return Ok(None);
    }
    check_name(field, text, MAX_GROUP_LEN)?;
    Ok(Some(text.to_owned()))
}

/// The station `id`, which must exist.
pub fn existing(storage: &dyn Storage, id: &StationId) -> Result<Station, OperationError> {
    storage.station(id)?.ok_or_else(|| OperationError::not_found(Resource::Station, id))
}

/// The password to set, if any: given, or generated (then also returned
/// in clear, to be shown once).
async fn choose_password(
    given: Option<&str>,
    generate: bool,
) -> Result<Option<(String, Option<String>)>, OperationError> {
    let password = match (given, generate) {
        (Some(_), true) => {
            return Err(OperationError::invalid("password", "give a password or generate_password, not both"));
        }
        (Some(password), false) => {
            check_password_rules(password).map_err(|e| OperationError::invalid("password", e))?;
            (password.to_owned(), None)
        }
        (None, true) => {
            let generated = generate_password();
            (generated.clone(), Some(generated))
        }
        (None, false) => return Ok(None),
    };
    let (clear, shown) = password;
    // Argon2id is slow on purpose: keep it off the async workers.
    let hash = tokio::task::spawn_blocking(move || hash_password(&clear))
        .await
        .map_err(|e| OperationError::Internal(format!("password hashing did not finish: {e}")))?
        .map_err(|e| OperationError::Internal(e.to_string()))?;
    Ok(Some((hash, shown)))
}

/// Registers a new station; returns it and the generated password, if one
/// was asked for.
pub async fn add_station(
    storage: &dyn Storage,
    new: &NewStation,
    allow_without_password: bool,
    now: Timestamp,
) -> Result<(Station, Option<String>), OperationError> {
    let id = station_id("id", &new.id)?;
    let registration = match &new.registration {
        Some(text) => registration("registration", text)?,
        None => Registration::Accepted,
    };
    let group = new.group.as_deref().map(|text| group("group", text)).transpose()?.flatten();
    let password = choose_password(new.password.as_deref(), new.generate_password).await?;
    if password.is_none() && !allow_without_password {
        return Err(OperationError::invalid(
            "password",
            "give the station a password (or generate one), or allow password-less stations with auth.allow_stations_without_password",
        ));
    }
    if storage.station(&id)?.is_some() {
        return Err(OperationError::Exists { resource: Resource::Station, id: id.to_string() });
    }
    let (hash, shown) = match password {
        Some((hash, shown)) => (Some(hash), shown),
        None => (None, None),
    };
    let mut station = Station::registered(id, hash, now);
    station.registration = registration;
    station.group = group;
    write(storage, Change::PutStation(station.clone()).into()).await?;
    Ok((station, shown))
}

/// Changes a station's registration and/or password; returns it and the
/// generated password, if one was asked for.
pub async fn change_station(
    storage: &dyn Storage,
    id: &StationId,
    change: &StationChange,
    allow_without_password: bool,
) -> Result<(Station, Option<String>), OperationError> {
    let registration = change.registration.as_deref().map(|text| registration("registration", text)).transpose()?;
    let new_group = change.group.as_deref().map(|text| group("group", text)).transpose()?;
    let password = choose_password(change.password.as_deref(), change.generate_password).await?;
    let mut station = existing(storage, id)?;
    let mut shown = None;
    if let Some((hash, generated)) = password {
        station.password_hash = Some(hash);
        shown = generated;
    }
    if let Some(registration) = registration {
        if registration == Registration::Accepted && station.password_hash.is_none() && !allow_without_password {
            return Err(OperationError::invalid(
                "password",
                format!("station {id} has no password: give it one, or allow password-less stations with auth.allow_stations_without_password"),
            ));
        }
        station.registration = registration;
    }
    if let Some(new_group) = new_group {
        station.group = new_group;
    }
    write(storage, Change::PutStation(station.clone()).into()).await?;
    Ok((station, shown))
}

/// Removes a station's record. Its transactions, history and log stay; a
/// connection it has now goes on until it ends, and its next one is
/// treated as an unknown station's.
pub async fn delete_station(storage: &dyn Storage, id: &StationId) -> Result<(), OperationError> {
    existing(storage, id)?;
    write(storage, Change::DeleteStation(id.clone()).into()).await?;
    Ok(())
}

/// The list view of `station`; `connection` is its live connection.
pub fn summary(
    storage: &dyn Storage,
    station: &Station,
    connection: Option<&Connection>,
) -> Result<StationSummary, StorageError> {
    let boot = station.boot.as_ref();
    Ok(StationSummary {
        id: station.id.to_string(),
        registration: station.registration.as_str().to_owned(),
        protocol: station.protocol.map(protocol),
        connected: connection.is_some(),
        connection: connection.map(Into::into),
        last_seen: storage.last_seen(&station.id)?.map(time),
        vendor: boot.map(|b| b.vendor.clone()),
        model: boot.map(|b| b.model.clone()),
        firmware_version: boot.and_then(|b| b.firmware_version.clone()),
        booted_at: station.booted_at.map(time),
        connectors: storage.connector_statuses(&station.id)?.iter().map(ConnectorView::from).collect(),
        group: station.group.clone(),
        created_at: time(station.created_at),
    })
}

/// Everything about `station`; `connection` is its live connection.
pub fn detail(
    storage: &dyn Storage,
    station: &Station,
    connection: Option<&Connection>,
) -> Result<StationDetail, StorageError> {
    let mut active = Vec::new();
    let mut query = TransactionQuery::all(100);
    query.station = Some(station.id.clone());
    query.state = Some(TransactionState::Active);
    loop {
        let page = storage.transactions_matching(&query)?;
        let Some(last) = page.last() else { break };
        query.cursor = Some(last.number);
        active.extend(page.iter().map(Into::into));
    }
    let configuration = match station.protocol {
        Some(ProtocolVersion::Ocpp201) => Vec::new(),
        _ => storage.configuration(&station.id)?.iter().map(Into::into).collect(),
    };
    let device_model = match station.protocol {
        Some(ProtocolVersion::Ocpp16) => Vec::new(),
        _ => storage.reported_variables(&station.id)?.iter().map(Into::into).collect(),
    };
    Ok(StationDetail {
        id: station.id.to_string(),
        registration: station.registration.as_str().to_owned(),
        password_set: station.password_hash.is_some(),
        group: station.group.clone(),
        protocol: station.protocol.map(protocol),
        connected: connection.is_some(),
        connection: connection.map(Into::into),
        last_seen: storage.last_seen(&station.id)?.map(time),
        created_at: time(station.created_at),
        boot: station.boot.as_ref().map(Into::into),
        booted_at: station.booted_at.map(time),
        firmware_status: station.firmware_status.as_ref().map(Into::into),
        diagnostics_status: station.diagnostics_status.as_ref().map(Into::into),
        log_status: station.log_status.as_ref().map(Into::into),
        connectors: storage.connector_statuses(&station.id)?.iter().map(ConnectorView::from).collect(),
        active_transactions: active,
        configuration,
        device_model,
    })
}

/// A station's availability over `[from, to)`. `connected_now` says
/// whether it has a live connection: a connection period the log leaves
/// open counts up to now only if it does (after a crash the log may never
/// have recorded the end); otherwise it ends when the station was last seen.
pub fn station_availability(
    storage: &dyn Storage,
    id: &StationId,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
    connected_now: bool,
) -> Result<AvailabilityView, StorageError> {
    let mut log = storage.station_events_since(id, from)?;
    let statuses = storage.status_history_since(id, from)?;
    if !connected_now {
        let open = domain::uptime::connection_periods(&log).last().is_some_and(|p| p.end.is_none());
        if open {
            let last_seen = storage.last_seen(id)?.unwrap_or(from).min(now);
            log.push(StationEvent {
                station: id.clone(),
                received_at: now,
                kind: StationEventKind::WentOffline { last_heard: last_seen },
            });
        }
    }
    let computed = availability(&log, &statuses, from, to, now);
    Ok(AvailabilityView::of(id.as_str(), &computed, connected_now))
}
