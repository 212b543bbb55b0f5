//! Tariff assignments: which tariff plugin, billing in which currency,
//! prices the transactions of one station, of a group of stations (a site,
//! see a station's `group`), or of every other station (the default).
//! Station beats group beats default; the tariff that applies when a
//! transaction ends prices it.
//!
//! An assignment names an installed tariff plugin, so it is checked
//! against the registry; a plugin uninstalled later leaves the assignment
//! in place and the transactions it would price end unpriced, with the
//! reason, until the operator assigns another tariff and reprices them.

use domain::pricing::InvalidAssignment;
use domain::{Change, Storage, TariffAssignment, TariffScope};
use plugin_host::{PluginKind, PluginRegistry};

use crate::operations::stations::{existing, station_id};
use crate::operations::{OperationError, Resource, write};
use crate::wire::{TariffAssignmentView, TariffInput};

/// The scope of the group named in `field`.
pub fn group_scope(field: &str, group: &str) -> Result<TariffScope, OperationError> {
    match crate::operations::stations::group(field, group)? {
        Some(group) => Ok(TariffScope::Group(group)),
        None => Err(OperationError::invalid(field, "the group name is empty")),
    }
}

/// The scope of the station named in `field` (its id is checked, not that it exists).
pub fn station_scope(field: &str, station: &str) -> Result<TariffScope, OperationError> {
    Ok(TariffScope::Station(station_id(field, station)?))
}

/// What `scope` is called in messages.
fn describe(scope: &TariffScope) -> String {
    match scope {
        TariffScope::Default => "default".to_owned(),
        TariffScope::Group(group) => format!("for group {group}"),
        TariffScope::Station(station) => format!("for station {station}"),
    }
}

/// Every assignment: the default first, then groups, then stations.
pub fn list(storage: &dyn Storage) -> Result<Vec<TariffAssignmentView>, OperationError> {
    Ok(storage.tariff_assignments()?.iter().map(Into::into).collect())
}

/// Checks that `plugin_id` (given in `field`) is an installed tariff plugin.
pub fn check_tariff(registry: &PluginRegistry, field: &str, plugin_id: &str) -> Result<(), OperationError> {
    let Some(info) = registry.info(plugin_id) else {
        return Err(OperationError::invalid(field, format!("no plugin {plugin_id:?} is installed")));
    };
    if info.kind != PluginKind::Tariff {
        return Err(OperationError::invalid(field, format!("plugin {plugin_id:?} is a {} plugin, not a tariff", info.kind)));
    }
    Ok(())
}

/// The assignment of `input` to `scope`, checked: the currency's shape
/// (three upper-case letters) and that the plugin is an installed tariff.
pub fn assignment(
    registry: &PluginRegistry,
    scope: TariffScope,
    input: &TariffInput,
) -> Result<TariffAssignment, OperationError> {
    let assignment = TariffAssignment::new(scope, &input.plugin_id, &input.currency).map_err(|e| {
        let field = match e {
            InvalidAssignment::Currency(_) => "currency",
            InvalidAssignment::EmptyPluginId => "plugin_id",
            InvalidAssignment::EmptyGroup => "group",
        };
        OperationError::invalid(field, e)
    })?;
    check_tariff(registry, "plugin_id", &assignment.plugin_id)?;
    Ok(assignment)
}

/// Assigns the tariff of `input` to `scope`, replacing the one there; a
/// station must be registered.
pub async fn assign(
    storage: &dyn Storage,
    registry: &PluginRegistry,
    scope: TariffScope,
    input: &TariffInput,
) -> Result<TariffAssignmentView, OperationError> {
    if let TariffScope::Station(id) = &scope {
        existing(storage, id)?;
    }
    let assignment = assignment(registry, scope, input)?;
    write(storage, Change::PutTariffAssignment(assignment.clone()).into()).await?;
    Ok((&assignment).into())
}

/// Removes the assignment of `scope`; returns what it was.
pub async fn unassign(storage: &dyn Storage, scope: TariffScope) -> Result<TariffAssignmentView, OperationError> {
    let Some(assignment) = storage.tariff_assignment(&scope)? else {
        return Err(OperationError::not_found(Resource::TariffAssignment, describe(&scope)));
    };
    write(storage, Change::DeleteTariffAssignment(scope).into()).await?;
    Ok((&assignment).into())
}
