//! Plugin and tariff commands: `gridlet plugin …`, `gridlet tariff …` and
//! repricing a transaction, on either [`Backend`].
//!
//! On the data directory (the server stopped) they open its plugin
//! registry (`<data-dir>/plugins`, as `gridlet serve` does, installing the
//! default plugins the first time) and go through the same rules as the
//! API ([`api::operations::plugins`], [`api::operations::tariffs`]);
//! through `--api` they call the API's plugin and tariff routes, uploading
//! a package as `multipart/form-data`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use reqwest::{Method, StatusCode};

use api::operations::{plugins as plugin_ops, tariffs as tariff_ops, transactions as transaction_ops};
use api::wire::{PluginView, RepriceRequest, TariffAssignmentView, TariffInput, TransactionView};
use domain::TariffScope;
use plugin_host::{PluginPackage, PluginRegistry};

use crate::backend::{Backend, read_input, with};
use crate::flags::{PluginCommand, TariffCommand, TariffTarget};
use crate::client::{Body, Part, encode};
use crate::config::Config;

/// Opens the plugin registry of the data directory at `data_dir`.
fn open_registry(data_dir: &Path) -> anyhow::Result<Arc<PluginRegistry>> {
    let plugins = pricing::open_plugins(data_dir)
        .with_context(|| format!("cannot open the plugins in {}", data_dir.join(pricing::PLUGINS_DIR).display()))?;
    for (id, reason) in &plugins.default_failures {
        eprintln!("warning: default plugin {id} could not be installed: {reason}");
    }
    Ok(plugins.registry)
}

impl TariffTarget {
    /// The scope it names, checked.
    fn scope(&self) -> anyhow::Result<TariffScope> {
        Ok(match (&self.group, &self.station) {
            (Some(group), _) => tariff_ops::group_scope("--group", group)?,
            (None, Some(station)) => tariff_ops::station_scope("--station", station)?,
            (None, None) => TariffScope::Default,
        })
    }

    /// Its path below `/tariff-assignments`.
    fn path(&self) -> String {
        match (&self.group, &self.station) {
            (Some(group), _) => format!("/tariff-assignments/groups/{}", encode(group)),
            (None, Some(station)) => format!("/tariff-assignments/stations/{}", encode(station)),
            (None, None) => "/tariff-assignments/default".to_owned(),
        }
    }
}

impl Backend {
    /// The registry of the data directory (local) or `None` (remote).
    fn registry(&self) -> anyhow::Result<Option<Arc<PluginRegistry>>> {
        match self {
            Backend::Local { data_dir, .. } => open_registry(data_dir).map(Some),
            Backend::Remote(_) => Ok(None),
        }
    }

    async fn plugins(&self) -> anyhow::Result<Vec<PluginView>> {
        match (self, self.registry()?) {
            (Backend::Remote(client), _) => client.all("/plugins").await,
            (_, Some(registry)) => Ok(plugin_ops::list(&registry)),
            _ => bail!("no plugin registry"),
        }
    }

    async fn plugin(&self, id: &str) -> anyhow::Result<PluginView> {
        match (self, self.registry()?) {
            (Backend::Remote(client), _) => client.get(&format!("/plugins/{}", encode(id))).await,
            (_, Some(registry)) => Ok(plugin_ops::show(&registry, id)?),
            _ => bail!("no plugin registry"),
        }
    }

    /// Installs (or upgrades to) `package`; returns the plugin and whether it is new.
    async fn install_plugin(&self, package: PluginPackage, grant: Option<String>) -> anyhow::Result<(PluginView, bool)> {
        match (self, self.registry()?) {
            (Backend::Remote(client), _) => {
                let mut parts = vec![
                    Part {
                        name: "manifest",
                        file_name: Some("gridlet-plugin.toml".to_owned()),
                        content_type: "application/toml",
                        bytes: package.manifest_text().as_bytes().to_vec(),
                    },
                    Part {
                        name: "component",
                        file_name: Some(package.manifest().component.clone()),
                        content_type: "application/wasm",
                        bytes: package.component().to_vec(),
                    },
                ];
                if let Some(grant) = grant {
                    parts.push(Part { name: "grant", file_name: None, content_type: "application/json", bytes: grant.into_bytes() });
                }
                let (status, value) = client.send(Method::POST, "/plugins", Body::Multipart(parts)).await?;
                let view = serde_json::from_value(value).context("unexpected answer to the upload")?;
                Ok((view, status == StatusCode::CREATED))
            }
            (_, Some(registry)) => {
                let granted = plugin_ops::grant("--grant", grant.as_deref())?;
                let manifest = package.manifest_text().to_owned();
                let component = package.component().to_vec();
                Ok(plugin_ops::install(registry, manifest, component, granted).await?)
            }
            _ => bail!("no plugin registry"),
        }
    }

    async fn configure_plugin(&self, id: &str, config: serde_json::Value) -> anyhow::Result<PluginView> {
        match (self, self.registry()?) {
            (Backend::Remote(client), _) => client.call(Method::PUT, &format!("/plugins/{}/config", encode(id)), &config).await,
            (_, Some(registry)) => Ok(plugin_ops::configure(registry, id.to_owned(), config).await?),
            _ => bail!("no plugin registry"),
        }
    }

    /// `enable`, `disable` or `rollback`.
    async fn plugin_action(&self, id: &str, action: &str) -> anyhow::Result<PluginView> {
        match (self, self.registry()?) {
            (Backend::Remote(client), _) => {
                let (_, value) = client.send(Method::POST, &format!("/plugins/{}/{action}", encode(id)), Body::None).await?;
                serde_json::from_value(value).context("unexpected answer")
            }
            (_, Some(registry)) => {
                let id = id.to_owned();
                Ok(match action {
                    "enable" => plugin_ops::enable(registry, id).await?,
                    "disable" => plugin_ops::disable(registry, id).await?,
                    "rollback" => plugin_ops::rollback(registry, id).await?,
                    other => bail!("unknown plugin action {other}"),
                })
            }
            _ => bail!("no plugin registry"),
        }
    }

    async fn uninstall_plugin(&self, id: &str) -> anyhow::Result<()> {
        match (self, self.registry()?) {
            (Backend::Remote(client), _) => {
                client.send(Method::DELETE, &format!("/plugins/{}", encode(id)), Body::None).await.map(|_| ())
            }
            (_, Some(registry)) => plugin_ops::uninstall(registry, id.to_owned()).await.map(|_| ()).map_err(Into::into),
            _ => bail!("no plugin registry"),
        }
    }

    async fn tariffs(&self) -> anyhow::Result<Vec<TariffAssignmentView>> {
        match self {
            Backend::Local { store, .. } => Ok(tariff_ops::list(store.as_ref())?),
            Backend::Remote(client) => client.all("/tariff-assignments").await,
        }
    }

    async fn assign_tariff(&self, target: &TariffTarget, input: &TariffInput) -> anyhow::Result<TariffAssignmentView> {
        match (self, self.registry()?) {
            (Backend::Remote(client), _) => client.call(Method::PUT, &target.path(), input).await,
            (Backend::Local { store, .. }, Some(registry)) => {
                Ok(tariff_ops::assign(store.as_ref(), &registry, target.scope()?, input).await?)
            }
            _ => bail!("no plugin registry"),
        }
    }

    async fn unassign_tariff(&self, target: &TariffTarget) -> anyhow::Result<()> {
        match self {
            Backend::Local { store, .. } => tariff_ops::unassign(store.as_ref(), target.scope()?).await.map(|_| ()).map_err(Into::into),
            Backend::Remote(client) => client.send(Method::DELETE, &target.path(), Body::None).await.map(|_| ()),
        }
    }

    /// Prices ended transaction `number` again.
    pub(crate) async fn reprice(&self, number: u64, request: &RepriceRequest) -> anyhow::Result<TransactionView> {
        match (self, self.registry()?) {
            (Backend::Remote(client), _) => client.call(Method::POST, &format!("/transactions/{number}/reprice"), request).await,
            (Backend::Local { store, .. }, Some(registry)) => {
                Ok(transaction_ops::reprice(store.as_ref(), registry, number, request, server::now()).await?)
            }
            _ => bail!("no plugin registry"),
        }
    }
}

fn print_plugins(plugins: &[PluginView]) {
    println!("{:<28} {:<8} {:<10} {:<14} {:<20} HASH", "PLUGIN", "KIND", "VERSION", "STATUS", "HISTORY");
    for p in plugins {
        println!(
            "{:<28} {:<8} {:<10} {:<14} {:<20} {}",
            p.id,
            p.kind,
            p.version,
            p.status,
            if p.history.is_empty() { "-".to_owned() } else { p.history.join(",") },
            p.hash.get(..19).unwrap_or(&p.hash)
        );
    }
}

fn print_plugin(p: &PluginView) {
    println!("plugin         {} ({})", p.id, p.name);
    println!("kind           {}", p.kind);
    println!("version        {}", p.version);
    println!("hash           {}", p.hash);
    println!("wit            {}", p.wit);
    println!("history        {}", if p.history.is_empty() { "-".to_owned() } else { p.history.join(", ") });
    match &p.status_reason {
        Some(reason) => println!("status         {} ({reason})", p.status),
        None => println!("status         {}", p.status),
    }
    let granted = serde_json::to_string(&p.granted).unwrap_or_default();
    println!("granted        {granted}");
    println!(
        "limits         {} MiB memory, {} ms, {} fuel",
        p.limits.memory_bytes / (1024 * 1024),
        p.limits.timeout_ms,
        p.limits.fuel
    );
    let config = serde_json::to_string_pretty(&p.config).unwrap_or_else(|_| p.config.to_string());
    println!("config\n{config}");
}

fn print_assignments(assignments: &[TariffAssignmentView]) {
    println!("{:<8} {:<28} {:<28} CURRENCY", "SCOPE", "WHERE", "PLUGIN");
    for a in assignments {
        let place = a.group.as_deref().or(a.station.as_deref()).unwrap_or("-");
        println!("{:<8} {:<28} {:<28} {}", a.scope, place, a.plugin_id, a.currency);
    }
}

/// `gridlet plugin …`
pub async fn plugin(config: &Config, api: Option<&str>, command: PluginCommand) -> anyhow::Result<()> {
    let backend = || Backend::open(config, api);
    match command {
        PluginCommand::List => print_plugins(&with(backend()?, |b| async move { b.plugins().await }).await?),
        PluginCommand::Show { id } => print_plugin(&with(backend()?, |b| async move { b.plugin(&id).await }).await?),
        PluginCommand::Install { dir, grant } => {
            // read and check the package before touching the data directory
            let package = PluginPackage::from_dir(&dir)
                .with_context(|| format!("{} is not a plugin package", dir.display()))?;
            plugin_ops::grant("--grant", grant.as_deref())?;
            let (plugin, new) = with(backend()?, |b| async move { b.install_plugin(package, grant).await }).await?;
            let what = if new { "installed" } else { "now at" };
            println!("plugin {} {what} version {} ({}), {}", plugin.id, plugin.version, plugin.hash, plugin.status);
        }
        PluginCommand::Configure { id, json, file } => {
            let text = match (json, file) {
                (Some(json), _) => json,
                (None, Some(file)) => read_input(&file)?,
                (None, None) => bail!("give the configuration with --json or --file"),
            };
            let config: serde_json::Value = serde_json::from_str(&text).context("the configuration is not valid JSON")?;
            let plugin = with(backend()?, |b| async move { b.configure_plugin(&id, config).await }).await?;
            println!("plugin {} configured ({})", plugin.id, plugin.status);
        }
        PluginCommand::Enable { id } => {
            let plugin = with(backend()?, |b| async move { b.plugin_action(&id, "enable").await }).await?;
            println!("plugin {} {}", plugin.id, plugin.status);
        }
        PluginCommand::Disable { id } => {
            let plugin = with(backend()?, |b| async move { b.plugin_action(&id, "disable").await }).await?;
            println!("plugin {} {}", plugin.id, plugin.status);
        }
        PluginCommand::Rollback { id } => {
            let plugin = with(backend()?, |b| async move { b.plugin_action(&id, "rollback").await }).await?;
            println!("plugin {} rolled back to version {} ({})", plugin.id, plugin.version, plugin.hash);
        }
        PluginCommand::Uninstall { id } => {
            let shown = id.clone();
            with(backend()?, |b| async move { b.uninstall_plugin(&id).await }).await?;
            println!("plugin {shown} uninstalled");
        }
    }
    Ok(())
}

/// `gridlet tariff …`
pub async fn tariff(config: &Config, api: Option<&str>, command: TariffCommand) -> anyhow::Result<()> {
    match command {
        TariffCommand::List => {
            print_assignments(&with(Backend::open(config, api)?, |b| async move { b.tariffs().await }).await?);
        }
        TariffCommand::Assign { target, plugin, currency } => {
            target.scope()?;
            let input = TariffInput { plugin_id: plugin, currency };
            let saved =
                with(Backend::open(config, api)?, |b| async move { b.assign_tariff(&target, &input).await }).await?;
            let place = saved.group.as_deref().or(saved.station.as_deref()).map(|p| format!(" {p}")).unwrap_or_default();
            println!("tariff {} ({}) assigned to {}{place}", saved.plugin_id, saved.currency, saved.scope);
        }
        TariffCommand::Unassign { target } => {
            target.scope()?;
            with(Backend::open(config, api)?, |b| async move { b.unassign_tariff(&target).await }).await?;
            println!("tariff assignment removed");
        }
    }
    Ok(())
}
