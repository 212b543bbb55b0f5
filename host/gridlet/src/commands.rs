//! Operator commands: stations, ID tokens, transactions, API keys, and
//! commands to stations.
//!
//! Each works on one of two [`Backend`]s with the same rules and the same
//! output: the data directory itself (the server must be stopped: the store
//! allows one process at a time), or, with `--api URL` (or
//! `GRIDLET_API_URL`) and `GRIDLET_API_KEY`, a running server's REST API.
//! Both go through the rules in [`api::operations`] and show the API's
//! views ([`api::wire`]), so the CLI and the API validate, refuse and
//! report alike. Commands to stations need a running server, so only the
//! API mode has them.

use std::io::BufRead;

use anyhow::{Context, bail};
use reqwest::Method;

use api::operations::{self, OperationError, keys as key_ops, stations as station_ops, tokens as token_ops};
use api::wire::{
    ApiKeyCreated, ApiKeyView, ConnectorView, IdTokenFields, IdTokenInput, IdTokenRecordView, ImportResult,
    LogEntryView, LogEvent, NewApiKey, NewStation, RepriceRequest, StationChange, StationDetail, StationSaved, StationSummary,
    TransactionDetail, TransactionView,
};
use domain::{StationId, Storage, TransactionQuery};

use crate::backend::{Backend, now, read_input, with};
use crate::flags::{ApiKeyCommand, PasswordArgs, SendArgs, StationCommand, TokenCommand, TransactionCommand};
use crate::client::{ApiClient, Body, encode};
use crate::config::Config;
use crate::output::or_dash;

impl Backend {
    async fn add_station(&self, new: &NewStation) -> anyhow::Result<StationSaved> {
        match self {
            Backend::Local { store, allow_without_password, .. } => {
                let (station, generated_password) =
                    station_ops::add_station(store.as_ref(), new, *allow_without_password, now()).await?;
                Ok(StationSaved { station: station_ops::detail(store.as_ref(), &station, None)?, generated_password })
            }
            Backend::Remote(client) => client.call(Method::POST, "/stations", new).await,
        }
    }

    async fn change_station(&self, id: &str, change: &StationChange) -> anyhow::Result<StationSaved> {
        match self {
            Backend::Local { store, allow_without_password, .. } => {
                let id = station_ops::station_id("id", id)?;
                let (station, generated_password) =
                    station_ops::change_station(store.as_ref(), &id, change, *allow_without_password).await?;
                Ok(StationSaved { station: station_ops::detail(store.as_ref(), &station, None)?, generated_password })
            }
            Backend::Remote(client) => client.call(Method::PATCH, &format!("/stations/{}", encode(id)), change).await,
        }
    }

    async fn delete_station(&self, id: &str) -> anyhow::Result<()> {
        match self {
            Backend::Local { store, .. } => {
                let id = station_ops::station_id("id", id)?;
                Ok(station_ops::delete_station(store.as_ref(), &id).await?)
            }
            Backend::Remote(client) => {
                client.send(Method::DELETE, &format!("/stations/{}", encode(id)), Body::None).await.map(|_| ())
            }
        }
    }

    async fn stations(&self) -> anyhow::Result<Vec<StationSummary>> {
        match self {
            Backend::Local { store, .. } => {
                let mut all = Vec::new();
                let mut after: Option<StationId> = None;
                loop {
                    let page = store.stations(after.as_ref(), 500)?;
                    let Some(last) = page.last() else { break };
                    after = Some(last.id.clone());
                    for station in &page {
                        all.push(station_ops::summary(store.as_ref(), station, None)?);
                    }
                }
                Ok(all)
            }
            Backend::Remote(client) => client.all("/stations").await,
        }
    }

    async fn station(&self, id: &str) -> anyhow::Result<StationDetail> {
        match self {
            Backend::Local { store, .. } => {
                let id = station_ops::station_id("id", id)?;
                let station = station_ops::existing(store.as_ref(), &id)?;
                Ok(station_ops::detail(store.as_ref(), &station, None)?)
            }
            Backend::Remote(client) => client.get(&format!("/stations/{}", encode(id))).await,
        }
    }

    /// The station's latest `last` status reports and log entries.
    async fn station_history(&self, id: &str, last: usize) -> anyhow::Result<(Vec<ConnectorView>, Vec<LogEntryView>)> {
        match self {
            Backend::Local { store, .. } => {
                let id = station_ops::station_id("id", id)?;
                let statuses = store.status_history(&id, last)?.iter().map(Into::into).collect();
                let log = store.station_events(&id, last)?.iter().map(Into::into).collect();
                Ok((statuses, log))
            }
            Backend::Remote(client) => {
                let id = encode(id);
                let mut statuses: Vec<ConnectorView> = client.all(&format!("/stations/{id}/status-history")).await?;
                let mut log: Vec<LogEntryView> = client.all(&format!("/stations/{id}/log")).await?;
                statuses.drain(..statuses.len().saturating_sub(last));
                log.drain(..log.len().saturating_sub(last));
                Ok((statuses, log))
            }
        }
    }

    async fn put_token(&self, input: &IdTokenInput) -> anyhow::Result<IdTokenRecordView> {
        match self {
            Backend::Local { store, .. } => Ok((&token_ops::put(store.as_ref(), input).await?.0).into()),
            Backend::Remote(client) => {
                let fields = IdTokenFields {
                    kind: input.kind.clone(),
                    status: input.status.clone(),
                    expires_at: input.expires_at.clone(),
                    group_id: input.group_id.clone(),
                    concurrent_transactions: input.concurrent_transactions,
                };
                client.call(Method::PUT, &format!("/id-tokens/{}", encode(&input.value)), &fields).await
            }
        }
    }

    async fn delete_token(&self, value: &str) -> anyhow::Result<()> {
        match self {
            Backend::Local { store, .. } => token_ops::delete(store.as_ref(), value).await.map(|_| ()).map_err(Into::into),
            Backend::Remote(client) => {
                client.send(Method::DELETE, &format!("/id-tokens/{}", encode(value)), Body::None).await.map(|_| ())
            }
        }
    }

    async fn tokens(&self) -> anyhow::Result<Vec<IdTokenRecordView>> {
        match self {
            Backend::Local { store, .. } => {
                let mut all = Vec::new();
                let mut after: Option<String> = None;
                loop {
                    let page = store.id_tokens(after.as_deref(), 500)?;
                    let Some(last) = page.last() else { break };
                    after = Some(last.value.clone());
                    all.extend(page.iter().map(IdTokenRecordView::from));
                }
                Ok(all)
            }
            Backend::Remote(client) => client.all("/id-tokens").await,
        }
    }

    async fn import_tokens(&self, text: String, json: bool) -> anyhow::Result<ImportResult> {
        match self {
            Backend::Local { store, .. } => {
                let rows: Vec<IdTokenInput> = if json {
                    api::extract::parse_json(text.as_bytes()).map_err(|e| anyhow::anyhow!("{}", e.message))?
                } else {
                    token_ops::parse_csv(&text)?
                };
                Ok(token_ops::import(store.as_ref(), &rows).await?)
            }
            Backend::Remote(client) => {
                let content_type = if json { "application/json" } else { "text/csv" };
                let (_, value) = client.send(Method::POST, "/id-tokens/import", Body::Text(content_type, text)).await?;
                serde_json::from_value(value).context("unexpected answer to the import")
            }
        }
    }

    /// The latest `last` transactions, oldest first.
    async fn transactions(&self, last: usize) -> anyhow::Result<Vec<TransactionView>> {
        let mut newest_first: Vec<TransactionView> = match self {
            Backend::Local { store, .. } => {
                let mut query = TransactionQuery::all(last);
                query.newest_first = true;
                store.transactions_matching(&query)?.iter().map(Into::into).collect()
            }
            Backend::Remote(client) => {
                let mut all = Vec::new();
                let mut cursor: Option<String> = None;
                while all.len() < last {
                    let limit = (last - all.len()).min(500);
                    let path = match &cursor {
                        Some(cursor) => format!("/transactions?order=desc&limit={limit}&cursor={cursor}"),
                        None => format!("/transactions?order=desc&limit={limit}"),
                    };
                    let page: api::wire::Page<TransactionView> = client.get(&path).await?;
                    all.extend(page.items);
                    match page.next_cursor {
                        Some(next) => cursor = Some(next),
                        None => break,
                    }
                }
                all
            }
        };
        newest_first.reverse();
        Ok(newest_first)
    }

    async fn transaction(&self, number: u64) -> anyhow::Result<TransactionDetail> {
        match self {
            Backend::Local { store, .. } => Ok(operations::transactions::detail(store.as_ref(), number)?),
            Backend::Remote(client) => client.get(&format!("/transactions/{number}")).await,
        }
    }

    async fn create_api_key(&self, name: &str, scope: &str) -> anyhow::Result<ApiKeyCreated> {
        match self {
            Backend::Local { store, .. } => {
                let scope = key_ops::scope("scope", scope)?;
                let (record, api_key) = key_ops::create(store.as_ref(), name, scope, now()).await?;
                Ok(ApiKeyCreated { key: (&record).into(), api_key })
            }
            Backend::Remote(client) => {
                let new = NewApiKey { name: name.to_owned(), scope: scope.to_owned() };
                client.call(Method::POST, "/api-keys", &new).await
            }
        }
    }

    async fn api_keys(&self) -> anyhow::Result<Vec<ApiKeyView>> {
        match self {
            Backend::Local { store, .. } => Ok(store.api_keys()?.iter().map(Into::into).collect()),
            Backend::Remote(client) => client.all("/api-keys").await,
        }
    }

    async fn revoke_api_key(&self, id: &str) -> anyhow::Result<ApiKeyView> {
        match self {
            Backend::Local { store, .. } => Ok((&key_ops::revoke(store.as_ref(), id, key_ops::Revoker::Operator, now()).await?).into()),
            Backend::Remote(client) => {
                let id = id.strip_prefix(api::auth::KEY_PREFIX).unwrap_or(id);
                let id = id.split('_').next().unwrap_or(id);
                let (_, value) = client.send(Method::DELETE, &format!("/api-keys/{}", encode(id)), Body::None).await?;
                serde_json::from_value(value).context("unexpected answer to the revocation")
            }
        }
    }
}

/// Reads, takes or asks for a generated password, as `args` say.
fn password(args: &PasswordArgs) -> anyhow::Result<(Option<String>, bool)> {
    if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("cannot read the password from standard input")?;
        return Ok((Some(line.trim_end_matches(['\r', '\n']).to_owned()), false));
    }
    Ok((args.password.clone(), args.generate_password))
}

fn print_generated(saved: &StationSaved) {
    if let Some(generated) = &saved.generated_password {
        println!("generated password: {generated}");
    }
}

/// `gridlet station …`
pub async fn station(config: &Config, api: Option<&str>, command: StationCommand) -> anyhow::Result<()> {
    // Check what can be checked before touching the data directory.
    let backend = || Backend::open(config, api);
    match command {
        StationCommand::Add { id, password: args, group } => {
            let (password, generate_password) = password(&args)?;
            let new = NewStation { id, password, generate_password, registration: None, group };
            check_station_locally(&new)?;
            let backend = backend()?;
            let saved = backend.add_station(&new).await;
            backend.close()?;
            let saved = saved?;
            print_generated(&saved);
            println!("station {} added ({})", saved.station.id, saved.station.registration.to_lowercase());
        }
        StationCommand::Approve { id, password: args } => {
            let (password, generate_password) = password(&args)?;
            let change =
                StationChange { registration: Some("Accepted".to_owned()), password, generate_password, group: None };
            let saved = with(backend()?, |b| async move { b.change_station(&id, &change).await }).await?;
            print_generated(&saved);
            println!("station {} approved; it is accepted at its next boot", saved.station.id);
        }
        StationCommand::SetGroup { id, group } => {
            let change = StationChange { group: Some(group.unwrap_or_default()), ..StationChange::default() };
            let saved = with(backend()?, |b| async move { b.change_station(&id, &change).await }).await?;
            match &saved.station.group {
                Some(group) => println!("station {} is in group {group}", saved.station.id),
                None => println!("station {} is in no group", saved.station.id),
            }
        }
        StationCommand::Reject { id } => {
            let change = StationChange { registration: Some("Rejected".to_owned()), ..StationChange::default() };
            let saved = with(backend()?, |b| async move { b.change_station(&id, &change).await }).await?;
            println!("station {} rejected", saved.station.id);
        }
        StationCommand::SetPassword { id, password: args } => {
            let (password, generate_password) = password(&args)?;
            if password.is_none() && !generate_password {
                bail!("give the new password with --password-stdin, --password or --generate-password");
            }
            let change = StationChange { registration: None, password, generate_password, group: None };
            let saved = with(backend()?, |b| async move { b.change_station(&id, &change).await }).await?;
            print_generated(&saved);
            println!("password of station {} changed", saved.station.id);
        }
        StationCommand::Delete { id } => {
            let shown = id.clone();
            with(backend()?, |b| async move { b.delete_station(&id).await }).await?;
            println!("station {shown} removed (its transactions, history and log stay)");
        }
        StationCommand::List => {
            let stations = with(backend()?, |b| async move { b.stations().await }).await?;
            print_stations(&stations);
        }
        StationCommand::Show { id, last } => {
            let (detail, (statuses, log)) = with(backend()?, |b| async move {
                let detail = b.station(&id).await?;
                Ok((detail, b.station_history(&id, last).await?))
            })
            .await?;
            print_station(&detail, &statuses, &log, last);
        }
    }
    Ok(())
}

/// The checks of [`station_ops::add_station`] that need no storage, so a
/// mistake is reported without opening the data directory.
fn check_station_locally(new: &NewStation) -> Result<(), OperationError> {
    station_ops::station_id("id", &new.id)?;
    if let Some(password) = &new.password {
        session::auth::check_password_rules(password).map_err(|e| OperationError::invalid("password", e))?;
    }
    Ok(())
}

fn print_stations(stations: &[StationSummary]) {
    println!("{:<24} {:<9} {:<6} {:<9} {:<24} {:<24}", "STATION", "STATUS", "OCPP", "CONNECTED", "MODEL", "LAST SEEN");
    for station in stations {
        let model = match (&station.vendor, &station.model) {
            (Some(vendor), Some(model)) => format!("{vendor} {model}"),
            _ => String::new(),
        };
        println!(
            "{:<24} {:<9} {:<6} {:<9} {:<24} {:<24}",
            station.id,
            station.registration,
            or_dash(station.protocol.as_deref()),
            if station.connected { "yes" } else { "no" },
            model,
            station.last_seen.as_deref().unwrap_or("never"),
        );
    }
}

fn log_line(entry: &LogEntryView) -> String {
    match &entry.event {
        LogEvent::Connected { protocol } => format!("Connected (OCPP {protocol})"),
        LogEvent::Disconnected { reason } => format!("Disconnected: {reason}"),
        LogEvent::WentOffline { last_heard } => format!("WentOffline (last heard {last_heard})"),
        LogEvent::Booted { reason, answered } => match reason {
            Some(reason) => format!("Booted ({reason}), answered {answered}"),
            None => format!("Booted, answered {answered}"),
        },
        LogEvent::DataTransfer { vendor_id, message_id, answered, .. } => {
            format!("DataTransfer {vendor_id} {}, answered {answered}", or_dash(message_id.as_deref()))
        }
        LogEvent::FirmwareStatus { status, .. } => format!("FirmwareStatus {status}"),
        LogEvent::DiagnosticsStatus { status } => format!("DiagnosticsStatus {status}"),
        LogEvent::LogStatus { status, .. } => format!("LogStatus {status}"),
        LogEvent::SecurityEvent { event_type, tech_info, .. } => {
            format!("SecurityEvent {event_type} {}", or_dash(tech_info.as_deref()))
        }
        LogEvent::DeviceEvent { component, variable, actual_value, .. } => {
            format!("DeviceEvent {component} {variable} = {actual_value}")
        }
    }
}

fn print_station(station: &StationDetail, statuses: &[ConnectorView], log: &[LogEntryView], last: usize) {
    println!("station        {}", station.id);
    println!("registration   {}", station.registration);
    println!("password       {}", if station.password_set { "set" } else { "none" });
    println!("created        {}", station.created_at);
    println!("connected      {}", station.connection.as_ref().map_or("no".to_owned(), |c| format!("since {}", c.connected_at)));
    println!("last seen      {}", station.last_seen.as_deref().unwrap_or("never"));
    println!("group          {}", or_dash(station.group.as_deref()));
    if let Some(boot) = &station.boot {
        println!("ocpp           {}", or_dash(station.protocol.as_deref()));
        println!("vendor/model   {} {}", boot.vendor, boot.model);
        println!("serial         {}", or_dash(boot.serial_number.as_deref()));
        println!("firmware       {}", or_dash(boot.firmware_version.as_deref()));
        println!("booted         {}", or_dash(station.booted_at.as_deref()));
    }
    for (label, status) in [
        ("firmware status", &station.firmware_status),
        ("diagnostics", &station.diagnostics_status),
        ("log upload", &station.log_status),
    ] {
        if let Some(status) = status {
            println!("{label:<14} {} ({})", status.status, status.received_at);
        }
    }
    println!("\nconnectors:");
    for c in &station.connectors {
        let error = c.error_code.as_deref().map(|e| format!(" error {e}")).unwrap_or_default();
        println!("  evse {} connector {}  {:<14}{error}  since {}", c.evse, c.connector, c.status, c.received_at);
    }
    if !station.active_transactions.is_empty() {
        println!("\nactive transactions:");
        for tx in &station.active_transactions {
            println!("  {:>8}  evse {}  {}  since {}", tx.number, tx.evse, token_of(tx), or_dash(tx.started_at.as_deref()));
        }
    }
    println!("\nstatus history (latest {last}):");
    for s in statuses {
        println!("  {}  evse {} connector {}  {}", s.received_at, s.evse, s.connector, s.status);
    }
    println!("\nlog (latest {last}):");
    for entry in log {
        println!("  {}  {}", entry.received_at, log_line(entry));
    }
    if !station.configuration.is_empty() {
        println!("\nconfiguration: {} keys", station.configuration.len());
    }
    if !station.device_model.is_empty() {
        println!("\ndevice model: {} reported variables", station.device_model.len());
    }
}

fn token_of(tx: &TransactionView) -> &str {
    tx.id_token.as_ref().map_or("-", |t| t.value.as_str())
}

/// `gridlet token …`
pub async fn token(config: &Config, api: Option<&str>, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Add { token, kind, blocked, expires, group, concurrent } => {
            let input = IdTokenInput {
                value: token,
                kind,
                status: Some(if blocked { "Blocked" } else { "Accepted" }.to_owned()),
                expires_at: expires,
                group_id: group,
                concurrent_transactions: concurrent,
            };
            // Report every mistake before touching the data directory.
            if let Err(problems) = token_ops::check(&input) {
                let text: Vec<String> = problems.iter().map(|(field, message)| format!("{field}: {message}")).collect();
                bail!("{}", text.join("; "));
            }
            let saved = with(Backend::open(config, api)?, |b| async move { b.put_token(&input).await }).await?;
            println!("token {} saved", saved.value);
        }
        TokenCommand::Remove { token } => {
            let shown = token.clone();
            with(Backend::open(config, api)?, |b| async move { b.delete_token(&token).await }).await?;
            println!("token {shown} removed");
        }
        TokenCommand::List => {
            let tokens = with(Backend::open(config, api)?, |b| async move { b.tokens().await }).await?;
            println!("{:<38} {:<10} {:<9} {:<26} {:<20}", "TOKEN", "TYPE", "STATUS", "EXPIRES", "GROUP");
            for t in &tokens {
                println!(
                    "{:<38} {:<10} {:<9} {:<26} {:<20}",
                    t.value,
                    t.kind.as_deref().unwrap_or("any"),
                    t.status,
                    t.expires_at.as_deref().unwrap_or("never"),
                    or_dash(t.group_id.as_deref())
                );
            }
        }
        TokenCommand::Import { file } => {
            let text = read_input(&file)?;
            let json = file.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) || text.trim_start().starts_with('[');
            let result = with(Backend::open(config, api)?, |b| async move { b.import_tokens(text, json).await }).await?;
            println!("{} tokens imported ({} new, {} replaced)", result.imported, result.created, result.replaced);
        }
    }
    Ok(())
}

fn kwh(wh: Option<f64>) -> String {
    wh.map(|wh| format!("{:.3}", wh / 1000.0)).unwrap_or_else(|| "-".into())
}

/// `gridlet transaction …`
pub async fn transaction(config: &Config, api: Option<&str>, command: TransactionCommand) -> anyhow::Result<()> {
    match command {
        TransactionCommand::List { last } => {
            let all = with(Backend::open(config, api)?, |b| async move { b.transactions(last).await }).await?;
            println!(
                "{:>8} {:<20} {:<6} {:<20} {:<7} {:<24} {:>9} {:<14} PRICE",
                "NUMBER", "STATION", "EVSE", "TOKEN", "STATE", "STARTED", "KWH", "STOP REASON"
            );
            for tx in &all {
                println!(
                    "{:>8} {:<20} {:<6} {:<20} {:<7} {:<24} {:>9} {:<14} {}",
                    tx.number,
                    tx.station,
                    format!("{}/{}", tx.evse, tx.connector),
                    token_of(tx),
                    tx.state,
                    tx.started_at.as_deref().unwrap_or_default(),
                    kwh(tx.energy_wh),
                    or_dash(tx.stop_reason.as_deref()),
                    crate::output::price_summary(tx)
                );
            }
        }
        TransactionCommand::Reprice { number, plugin, currency } => {
            let request = RepriceRequest { plugin_id: plugin, currency };
            let tx = with(Backend::open(config, api)?, |b| async move { b.reprice(number, &request).await }).await?;
            println!("transaction {} priced again", tx.number);
            crate::output::print_pricing(&tx);
        }
        TransactionCommand::Show { number } => {
            let detail = with(Backend::open(config, api)?, |b| async move { b.transaction(number).await }).await?;
            let tx = &detail.transaction;
            println!("transaction    {} (station's id {})", tx.number, tx.station_tx_id);
            println!("station        {} evse {} connector {}", tx.station, tx.evse, tx.connector);
            println!("ocpp           {}", tx.protocol);
            let token = tx.id_token.as_ref().map(|t| match &t.kind {
                Some(kind) => format!("{} ({kind})", t.value),
                None => t.value.clone(),
            });
            println!("token          {}", token.as_deref().unwrap_or("-"));
            println!("authorization  {}", or_dash(tx.authorization.as_deref()));
            println!("state          {}", tx.state);
            println!("started        {}", or_dash(tx.started_at.as_deref()));
            println!("ended          {}", or_dash(tx.ended_at.as_deref()));
            println!("energy         {} kWh", kwh(tx.energy_wh));
            println!("stop reason    {}", or_dash(tx.stop_reason.as_deref()));
            if let Some(by) = &tx.stopped_by {
                println!("stopped by     {}", by.value);
            }
            println!("offline events {}", if tx.offline { "yes" } else { "no" });
            crate::output::print_pricing(tx);
            if !detail.events.is_empty() {
                println!("\nevents:");
                for event in &detail.events {
                    println!(
                        "  #{:<4} {:<8} {:<22} {}{}",
                        event.seq_no,
                        event.event_type,
                        event.trigger_reason,
                        event.timestamp,
                        if event.offline { " (offline)" } else { "" }
                    );
                }
            }
            println!("\nmeter readings:");
            for sample in &detail.meter_samples {
                println!(
                    "  {}  {:<32} {:>12} {:<8} {}",
                    sample.timestamp,
                    sample.measurand,
                    sample.value.map(|v| v.to_string()).unwrap_or_else(|| "signed".into()),
                    sample.unit.as_deref().unwrap_or(""),
                    [sample.phase.as_deref(), sample.context.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ")
                );
            }
        }
    }
    Ok(())
}

/// `gridlet api-key …`
pub async fn api_key(config: &Config, api: Option<&str>, command: ApiKeyCommand) -> anyhow::Result<()> {
    match command {
        ApiKeyCommand::Create { name, scope } => {
            key_ops::scope("--scope", &scope)?;
            let created = with(Backend::open(config, api)?, |b| async move { b.create_api_key(&name, &scope).await }).await?;
            println!("api key {} ({}, scope {}) created; it is shown only now:", created.key.id, created.key.name, created.key.scope);
            println!("{}", created.api_key);
        }
        ApiKeyCommand::List => {
            let keys = with(Backend::open(config, api)?, |b| async move { b.api_keys().await }).await?;
            println!("{:<18} {:<8} {:<26} {:<26} NAME", "ID", "SCOPE", "CREATED", "REVOKED");
            for key in &keys {
                println!(
                    "{:<18} {:<8} {:<26} {:<26} {}",
                    key.id,
                    key.scope,
                    key.created_at,
                    key.revoked_at.as_deref().unwrap_or("-"),
                    key.name
                );
            }
        }
        ApiKeyCommand::Revoke { id } => {
            let revoked = with(Backend::open(config, api)?, |b| async move { b.revoke_api_key(&id).await }).await?;
            println!("api key {} revoked", revoked.id);
        }
    }
    Ok(())
}

/// `gridlet command STATION COMMAND [--json BODY]`: through the API only.
pub async fn send(api: Option<&str>, args: SendArgs) -> anyhow::Result<()> {
    let Some(url) = api else {
        bail!(
            "commands go to a connected station through a running server: give --api URL (or set GRIDLET_API_URL) \
             and set GRIDLET_API_KEY to an operate or admin key"
        );
    };
    let known = api::routes::commands::NAMES;
    if !known.contains(&args.command.as_str()) {
        bail!("unknown command {:?}; the commands are {}", args.command, known.join(", "));
    }
    let body: serde_json::Value = match &args.json {
        Some(text) => serde_json::from_str(text).context("--json is not valid JSON")?,
        None => serde_json::json!({}),
    };
    let client = ApiClient::new(url, std::env::var("GRIDLET_API_KEY").ok())?;
    let path = format!("/stations/{}/commands/{}", encode(&args.station), args.command);
    let (_, answer) = client.send(Method::POST, &path, Body::Json(&body)).await?;
    println!("{}", serde_json::to_string_pretty(&answer).unwrap_or_else(|_| answer.to_string()));
    Ok(())
}

/// The effective configuration as TOML.
pub fn render_config(config: &Config) -> String {
    toml::to_string_pretty(config).unwrap_or_else(|e| format!("# cannot render the configuration: {e}\n"))
}
