//! The plugin manifest, `gridlet-plugin.toml`: who a plugin is, which WIT
//! world and version it implements, what it asks for, and how it is
//! configured.
//!
//! ```toml
//! id = "simple-tariff"            # [a-z0-9-], at most 64 characters
//! name = "Energy and time"
//! version = "1.2.0"               # semver of the plugin itself
//! kind = "tariff"                 # tariff | payment | load-management | report
//! wit = "0.1.0"                   # version of the kind's WIT package it targets
//! component = "simple_tariff.wasm" # the component, next to this file
//!
//! [limits]                        # optional; never above the host's maxima
//! memory-mib = 16
//! timeout-ms = 50
//! fuel = 20_000_000
//!
//! [capabilities]                  # optional; tariffs may ask for none
//! http-hosts = ["api.example-psp.com"]
//!
//! [config.schema]                 # JSON Schema of the configuration, as TOML
//! type = "object"
//! required = ["currency"]
//! [config.default]                # optional configuration used until the operator sets one
//! currency = "EUR"
//! ```

use serde::{Deserialize, Serialize};

/// The file name of a manifest inside a plugin package directory.
pub const MANIFEST_FILE: &str = "gridlet-plugin.toml";

/// Why a manifest was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Not valid TOML, or a field has the wrong type.
    #[error("invalid manifest: {0}")]
    Parse(#[from] toml::de::Error),
    /// A field has a value the host does not accept.
    #[error("invalid manifest field `{field}`: {reason}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

fn field_error(field: &'static str, reason: impl Into<String>) -> ManifestError {
    ManifestError::Field {
        field,
        reason: reason.into(),
    }
}

/// The four kinds of plugin, one WIT package each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PluginKind {
    /// Prices charging sessions (`gridlet:tariff`).
    Tariff,
    /// Talks to a payment gateway (`gridlet:payment`).
    Payment,
    /// Shares a site's power between connectors (`gridlet:load-management`).
    LoadManagement,
    /// Builds reports (`gridlet:report`).
    Report,
}

impl PluginKind {
    /// The WIT package name, e.g. `gridlet:tariff`.
    pub fn wit_package(self) -> &'static str {
        match self {
            PluginKind::Tariff => "gridlet:tariff",
            PluginKind::Payment => "gridlet:payment",
            PluginKind::LoadManagement => "gridlet:load-management",
            PluginKind::Report => "gridlet:report",
        }
    }
}

impl std::fmt::Display for PluginKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PluginKind::Tariff => "tariff",
            PluginKind::Payment => "payment",
            PluginKind::LoadManagement => "load-management",
            PluginKind::Report => "report",
        })
    }
}

/// Limits a plugin asks for; each is lowered to the host's maximum.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RequestedLimits {
    /// Linear memory, in MiB.
    pub memory_mib: Option<u64>,
    /// Wall-clock deadline of one call, in milliseconds.
    pub timeout_ms: Option<u64>,
    /// Fuel (roughly: wasm instructions) for one call.
    pub fuel: Option<u64>,
}

/// What a plugin asks to be allowed beyond computing. Nothing is granted by
/// default; the operator approves each item when installing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Capabilities {
    /// Hosts a payment plugin may send HTTPS requests to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http_hosts: Vec<String>,
    /// Read the wall clock (never for tariffs).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub clock: bool,
    /// Read random numbers (never for tariffs).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub random: bool,
}

impl Capabilities {
    /// True when nothing is requested.
    pub fn is_empty(&self) -> bool {
        self.http_hosts.is_empty() && !self.clock && !self.random
    }

    /// The items of `self` that `granted` does not cover.
    pub fn not_covered_by(&self, granted: &Capabilities) -> Vec<String> {
        let mut missing: Vec<String> = self
            .http_hosts
            .iter()
            .filter(|h| !granted.http_hosts.contains(h))
            .map(|h| format!("http host {h}"))
            .collect();
        if self.clock && !granted.clock {
            missing.push("clock".into());
        }
        if self.random && !granted.random {
            missing.push("random".into());
        }
        missing
    }
}

/// The configuration section: a JSON Schema and an optional default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigSection {
    /// JSON Schema (written as TOML) every configuration must satisfy.
    #[serde(default)]
    pub schema: Option<toml::Table>,
    /// The configuration used until the operator sets one.
    #[serde(default)]
    pub default: Option<toml::Table>,
}

/// A parsed and checked `gridlet-plugin.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Stable identifier; also the directory name in the registry.
    pub id: String,
    /// Human-readable name.
    #[serde(default)]
    pub name: String,
    /// Human-readable summary.
    #[serde(default)]
    pub description: String,
    /// The plugin's own version.
    pub version: semver::Version,
    /// Which kind of plugin.
    pub kind: PluginKind,
    /// The version of the kind's WIT package the component implements.
    pub wit: semver::Version,
    /// The component's file name, next to the manifest.
    #[serde(default = "default_component")]
    pub component: String,
    /// Requested per-call limits.
    #[serde(default)]
    pub limits: RequestedLimits,
    /// Requested capabilities.
    #[serde(default)]
    pub capabilities: Capabilities,
    /// Configuration schema and default.
    #[serde(default)]
    pub config: ConfigSection,
}

fn default_component() -> String {
    "plugin.wasm".to_owned()
}

impl Manifest {
    /// Parses and checks a manifest.
    pub fn parse(text: &str) -> Result<Self, ManifestError> {
        let manifest: Manifest = toml::from_str(text)?;
        manifest.check()?;
        Ok(manifest)
    }

    fn check(&self) -> Result<(), ManifestError> {
        check_plugin_id(&self.id).map_err(|reason| field_error("id", reason))?;
        if self.component.is_empty()
            || self.component.contains(['/', '\\'])
            || self.component.starts_with('.')
        {
            return Err(field_error(
                "component",
                "must be a plain file name next to the manifest",
            ));
        }
        if self.kind == PluginKind::Tariff && !self.capabilities.is_empty() {
            return Err(field_error(
                "capabilities",
                "tariff plugins may not request clock, randomness or network: a price must be reproducible",
            ));
        }
        if matches!(self.kind, PluginKind::Report | PluginKind::LoadManagement)
            && !self.capabilities.http_hosts.is_empty()
        {
            return Err(field_error(
                "capabilities.http-hosts",
                format!("{} plugins have no network access", self.kind),
            ));
        }
        for host in &self.capabilities.http_hosts {
            let ok = !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
            if !ok {
                return Err(field_error(
                    "capabilities.http-hosts",
                    format!("{host:?} is not a plain host name"),
                ));
            }
        }
        if self.limits.memory_mib == Some(0)
            || self.limits.timeout_ms == Some(0)
            || self.limits.fuel == Some(0)
        {
            return Err(field_error("limits", "limits must be positive"));
        }
        if let Some(schema) = &self.config.schema {
            let schema = toml_to_json(schema);
            jsonschema::validator_for(&schema).map_err(|e| {
                field_error("config.schema", format!("not a valid JSON Schema: {e}"))
            })?;
        }
        Ok(())
    }

    /// The configuration schema as JSON, if the manifest has one.
    pub fn config_schema(&self) -> Option<serde_json::Value> {
        self.config.schema.as_ref().map(toml_to_json)
    }

    /// The default configuration as JSON (an empty object when none).
    pub fn default_config(&self) -> serde_json::Value {
        self.config
            .default
            .as_ref()
            .map(toml_to_json)
            .unwrap_or_else(|| serde_json::Value::Object(Default::default()))
    }
}

/// Checks a plugin id: 1 to 64 characters of `a-z`, `0-9` and `-`, not
/// starting with `-`. Ids are used as directory names, so nothing else.
pub fn check_plugin_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{id:?} is not a plugin id: use 1-64 characters a-z, 0-9 and '-'"
        ))
    }
}

/// Converts a TOML table into the equivalent JSON value.
pub(crate) fn toml_to_json(table: &toml::Table) -> serde_json::Value {
    fn value(v: &toml::Value) -> serde_json::Value {
        match v {
            toml::Value::String(s) => serde_json::Value::String(s.clone()),
            toml::Value::Integer(i) => serde_json::Value::from(*i),
            toml::Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
            toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
            toml::Value::Array(a) => serde_json::Value::Array(a.iter().map(value).collect()),
            toml::Value::Table(t) => toml_to_json(t),
        }
    }
    serde_json::Value::Object(table.iter().map(|(k, v)| (k.clone(), value(v))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
        id = "my-tariff"
        version = "1.0.0"
        kind = "tariff"
        wit = "0.1.0"
    "#;

    #[test]
    fn minimal_manifest_parses_with_defaults() {
        let m = Manifest::parse(MINIMAL).unwrap();
        assert_eq!(m.component, "plugin.wasm");
        assert_eq!(m.default_config(), serde_json::json!({}));
    }

    #[test]
    fn tariffs_cannot_ask_for_a_clock() {
        let text = format!("{MINIMAL}\n[capabilities]\nclock = true\n");
        let err = Manifest::parse(&text).unwrap_err().to_string();
        assert!(err.contains("reproducible"), "{err}");
    }

    #[test]
    fn ids_and_component_paths_are_checked() {
        assert!(Manifest::parse(&MINIMAL.replace("my-tariff", "../etc")).is_err());
        let text = format!("{MINIMAL}\ncomponent = \"../x.wasm\"\n");
        assert!(Manifest::parse(&text).is_err());
    }

    #[test]
    fn bad_schema_is_rejected() {
        let text = format!("{MINIMAL}\n[config.schema]\ntype = 12\n");
        let err = Manifest::parse(&text).unwrap_err().to_string();
        assert!(err.contains("config.schema"), "{err}");
    }
}
