//! Operator commands that work on the data directory directly. They need
//! the server to be stopped (the store allows one process at a time, and
//! says so clearly otherwise); the REST API will offer the same while it runs.

use std::io::BufRead;
use std::sync::Arc;

use anyhow::{Context, bail};

use domain::station::InvalidStationId;
use domain::token::validate_token;
use domain::{
    Change, ChangeSet, IdTokenRecord, IdTokenType, Registration, Station, StationId, Storage, Timestamp, TokenStatus,
};
use session::auth::{check_password_rules, generate_password, hash_password};
use store::SledStore;

use crate::cli::{PasswordArgs, StationCommand, TokenCommand, TransactionCommand};
use crate::config::Config;

fn open(config: &Config) -> anyhow::Result<Arc<SledStore>> {
    let store = SledStore::open(&config.data_dir, config.store_options())
        .with_context(|| format!("cannot open the data directory {}", config.data_dir.display()))?;
    Ok(Arc::new(store))
}

async fn write(store: &SledStore, changes: ChangeSet) -> anyhow::Result<()> {
    let ticket = store.apply(changes)?;
    store.durable(ticket).await?;
    store.close()?;
    Ok(())
}

fn station_id(id: &str) -> anyhow::Result<StationId> {
    StationId::parse(id).map_err(|e: InvalidStationId| anyhow::anyhow!("{e}"))
}

fn now() -> Timestamp {
    server::now()
}

/// Reads, generates or takes the password; `None` if none was asked for.
fn password(args: &PasswordArgs) -> anyhow::Result<Option<String>> {
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("cannot read the password from standard input")?;
        Some(line.trim_end_matches(['\r', '\n']).to_owned())
    } else if args.generate_password {
        let generated = generate_password();
        println!("generated password: {generated}");
        Some(generated)
    } else {
        args.password.clone()
    };
    if let Some(password) = &password {
        check_password_rules(password)?;
    }
    Ok(password)
}

fn hashed(password: Option<String>) -> anyhow::Result<Option<String>> {
    password.map(|p| hash_password(&p)).transpose().map_err(Into::into)
}

/// `gridlet station …`
pub async fn station(config: &Config, command: StationCommand) -> anyhow::Result<()> {
    match command {
        StationCommand::Add { id, password: args } => {
            let id = station_id(&id)?;
            let password = password(&args)?;
            if password.is_none() && !config.auth.allow_stations_without_password {
                bail!("give the station a password (--password-stdin, --password or --generate-password), or allow password-less stations with auth.allow_stations_without_password");
            }
            let store = open(config)?;
            if store.station(&id)?.is_some() {
                bail!("station {id} exists already; use `gridlet station set-password` or `approve`");
            }
            let station = Station::registered(id.clone(), hashed(password)?, now());
            write(&store, Change::PutStation(station).into()).await?;
            println!("station {id} added (accepted)");
        }
        StationCommand::Approve { id, password: args } => {
            let id = station_id(&id)?;
            let password = password(&args)?;
            let store = open(config)?;
            let mut station = store.station(&id)?.with_context(|| format!("no station {id}"))?;
            if let Some(hash) = hashed(password)? {
                station.password_hash = Some(hash);
            }
            if station.password_hash.is_none() && !config.auth.allow_stations_without_password {
                bail!("station {id} has no password: give it one, or allow password-less stations with auth.allow_stations_without_password");
            }
            station.registration = Registration::Accepted;
            write(&store, Change::PutStation(station).into()).await?;
            println!("station {id} approved; it is accepted at its next boot");
        }
        StationCommand::Reject { id } => {
            let id = station_id(&id)?;
            let store = open(config)?;
            let mut station = store.station(&id)?.with_context(|| format!("no station {id}"))?;
            station.registration = Registration::Rejected;
            write(&store, Change::PutStation(station).into()).await?;
            println!("station {id} rejected");
        }
        StationCommand::SetPassword { id, password: args } => {
            let id = station_id(&id)?;
            let Some(password) = password(&args)? else {
                bail!("give the new password with --password-stdin, --password or --generate-password");
            };
            let store = open(config)?;
            let mut station = store.station(&id)?.with_context(|| format!("no station {id}"))?;
            station.password_hash = Some(hash_password(&password)?);
            write(&store, Change::PutStation(station).into()).await?;
            println!("password of station {id} changed");
        }
        StationCommand::List => {
            let store = open(config)?;
            println!("{:<24} {:<9} {:<6} {:<24} {:<24}", "STATION", "STATUS", "OCPP", "MODEL", "LAST SEEN");
            let mut after: Option<StationId> = None;
            loop {
                let page = store.stations(after.as_ref(), 500)?;
                let Some(last) = page.last() else { break };
                after = Some(last.id.clone());
                for station in &page {
                    let model = station.boot.as_ref().map(|b| format!("{} {}", b.vendor, b.model)).unwrap_or_default();
                    let seen = store.last_seen(&station.id)?.map(|t| t.to_string()).unwrap_or_else(|| "never".into());
                    let protocol = station.protocol.map(|p| p.as_str()).unwrap_or("-");
                    println!(
                        "{:<24} {:<9} {:<6} {:<24} {:<24}",
                        station.id.as_str(),
                        station.registration.as_str(),
                        protocol,
                        model,
                        seen
                    );
                }
            }
            store.close()?;
        }
        StationCommand::Show { id, last } => {
            let id = station_id(&id)?;
            let store = open(config)?;
            let station = store.station(&id)?.with_context(|| format!("no station {id}"))?;
            show_station(store.as_ref(), &station, last)?;
            store.close()?;
        }
    }
    Ok(())
}

fn show_station(store: &dyn Storage, station: &Station, last: usize) -> anyhow::Result<()> {
    println!("station        {}", station.id);
    println!("registration   {}", station.registration.as_str());
    println!("password       {}", if station.password_hash.is_some() { "set" } else { "none" });
    println!("created        {}", station.created_at);
    println!("last seen      {}", store.last_seen(&station.id)?.map(|t| t.to_string()).unwrap_or_else(|| "never".into()));
    if let Some(boot) = &station.boot {
        println!("ocpp           {}", station.protocol.map(|p| p.as_str()).unwrap_or("-"));
        println!("vendor/model   {} {}", boot.vendor, boot.model);
        println!("serial         {}", boot.serial_number.as_deref().unwrap_or("-"));
        println!("firmware       {}", boot.firmware_version.as_deref().unwrap_or("-"));
        println!("booted         {}", station.booted_at.map(|t| t.to_string()).unwrap_or_default());
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
    for status in store.connector_statuses(&station.id)? {
        let error = status.error_code.as_deref().map(|e| format!(" error {e}")).unwrap_or_default();
        println!("  {:<24} {:<14}{error}  since {}", status.location.to_string(), status.state.as_str(), status.received_at);
    }
    println!("\nstatus history (latest {last}):");
    for status in store.status_history(&station.id, last)? {
        println!("  {}  {:<24} {}", status.received_at, status.location.to_string(), status.state.as_str());
    }
    println!("\nlog (latest {last}):");
    for event in store.station_events(&station.id, last)? {
        println!("  {}  {:?}", event.received_at, event.kind);
    }
    let variables = store.reported_variables(&station.id)?;
    if !variables.is_empty() {
        println!("\ndevice model: {} reported variables", variables.len());
    }
    Ok(())
}

/// `gridlet token …`
pub async fn token(config: &Config, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Add { token, kind, blocked, expires, group, concurrent } => {
            let mut record = IdTokenRecord::accepted(&token)?;
            record.kind = match kind {
                Some(kind) => Some(IdTokenType::parse(&kind).with_context(|| {
                    format!("unknown token type {kind:?}; use ISO14443, ISO15693, KeyCode, eMAID, MacAddress, Central or Local")
                })?),
                None => None,
            };
            record.status = if blocked { TokenStatus::Blocked } else { TokenStatus::Accepted };
            record.expires_at = match expires {
                Some(text) => Some(Timestamp::from_unix_millis(
                    ocpp::parse_rfc3339_millis(&text)
                        .with_context(|| format!("--expires {text:?} is not an RFC 3339 time like 2027-01-01T00:00:00Z"))?,
                )),
                None => None,
            };
            if let Some(group) = &group {
                validate_token(group).context("invalid --group")?;
            }
            record.group_id = group;
            record.concurrent_transactions = concurrent;
            let store = open(config)?;
            let value = record.value.clone();
            write(&store, Change::PutIdToken(record).into()).await?;
            println!("token {value} saved");
        }
        TokenCommand::Remove { token } => {
            let store = open(config)?;
            let record = store.id_token(&token)?.with_context(|| format!("no token {token}"))?;
            write(&store, Change::DeleteIdToken(record.key()).into()).await?;
            println!("token {token} removed");
        }
        TokenCommand::List => {
            let store = open(config)?;
            println!("{:<38} {:<10} {:<9} {:<26} {:<20}", "TOKEN", "TYPE", "STATUS", "EXPIRES", "GROUP");
            let mut after: Option<String> = None;
            loop {
                let page = store.id_tokens(after.as_deref(), 500)?;
                let Some(last) = page.last() else { break };
                after = Some(last.key());
                for record in &page {
                    println!(
                        "{:<38} {:<10} {:<9} {:<26} {:<20}",
                        record.value,
                        record.kind.map(|k| k.as_str()).unwrap_or("any"),
                        record.status.as_str(),
                        record.expires_at.map(|t| t.to_string()).unwrap_or_else(|| "never".into()),
                        record.group_id.as_deref().unwrap_or("-")
                    );
                }
            }
            store.close()?;
        }
    }
    Ok(())
}

fn kwh(wh: Option<f64>) -> String {
    wh.map(|wh| format!("{:.3}", wh / 1000.0)).unwrap_or_else(|| "-".into())
}

/// `gridlet transaction …`
pub fn transaction(config: &Config, command: TransactionCommand) -> anyhow::Result<()> {
    let store = open(config)?;
    match command {
        TransactionCommand::List { last } => {
            let mut all = Vec::new();
            let mut after = None;
            loop {
                let page = store.transactions(after, 1000)?;
                let Some(tx) = page.last() else { break };
                after = Some(tx.number);
                all.extend(page);
            }
            let skip = all.len().saturating_sub(last);
            println!(
                "{:>8} {:<20} {:<6} {:<20} {:<7} {:<24} {:>9} {:<14}",
                "NUMBER", "STATION", "EVSE", "TOKEN", "STATE", "STARTED", "KWH", "STOP REASON"
            );
            for tx in &all[skip..] {
                println!(
                    "{:>8} {:<20} {:<6} {:<20} {:<7} {:<24} {:>9} {:<14}",
                    tx.number,
                    tx.station.as_str(),
                    format!("{}/{}", tx.location.evse, tx.location.connector),
                    tx.id_token.as_ref().map(|t| t.value.as_str()).unwrap_or("-"),
                    tx.state.as_str(),
                    tx.started_at.map(|t| t.to_string()).unwrap_or_default(),
                    kwh(tx.energy_wh()),
                    tx.stop_reason.as_deref().unwrap_or("-")
                );
            }
        }
        TransactionCommand::Show { number } => {
            let tx = store.transaction(number)?.with_context(|| format!("no transaction {number}"))?;
            println!("transaction    {} (station's id {})", tx.number, tx.station_tx_id);
            println!("station        {} {}", tx.station, tx.location);
            println!("ocpp           {}", tx.protocol.as_str());
            println!("token          {}", tx.id_token.as_ref().map(|t| t.to_string()).unwrap_or_else(|| "-".into()));
            println!("authorization  {}", tx.authorization.map(|a| a.as_str()).unwrap_or("-"));
            println!("state          {}", tx.state.as_str());
            println!("started        {}", tx.started_at.map(|t| t.to_string()).unwrap_or_else(|| "-".into()));
            println!("ended          {}", tx.ended_at.map(|t| t.to_string()).unwrap_or_else(|| "-".into()));
            println!("energy         {} kWh", kwh(tx.energy_wh()));
            println!("stop reason    {}", tx.stop_reason.as_deref().unwrap_or("-"));
            if let Some(by) = &tx.stopped_by {
                println!("stopped by     {by}");
            }
            println!("offline events {}", if tx.offline { "yes" } else { "no" });
            let events = store.transaction_events(number)?;
            if !events.is_empty() {
                println!("\nevents:");
                for event in events {
                    println!(
                        "  #{:<4} {:<8} {:<22} {}{}",
                        event.seq_no,
                        event.event_type.as_str(),
                        event.trigger_reason,
                        event.timestamp,
                        if event.offline { " (offline)" } else { "" }
                    );
                }
            }
            println!("\nmeter readings:");
            for sample in store.meter_samples(number)? {
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
    store.close()?;
    Ok(())
}

/// The effective configuration as TOML.
pub fn render_config(config: &Config) -> String {
    toml::to_string_pretty(config).unwrap_or_else(|e| format!("# cannot render the configuration: {e}\n"))
}
