//! A plugin package: a manifest plus the component bytes it names, and the
//! content hash that identifies those bytes everywhere (compile cache,
//! registry, every price's provenance).
//!
//! On disk a package is a directory holding `gridlet-plugin.toml` and the
//! `.wasm` file its `component` field names.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::manifest::{MANIFEST_FILE, Manifest, ManifestError};

/// Why a package could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The manifest is invalid.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The component is bigger than the host accepts.
    #[error("component is {size} bytes, more than the {limit} bytes allowed")]
    TooLarge {
        /// Size of the component.
        size: usize,
        /// The host's limit.
        limit: usize,
    },
}

/// The largest component the host accepts, in bytes.
pub const MAX_COMPONENT_BYTES: usize = 64 * 1024 * 1024;

/// The SHA-256 of a component's bytes, shown as `sha256:<hex>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContentHash([u8; 32]);

impl ContentHash {
    /// Hashes component bytes.
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// Lower-case hex, without the `sha256:` prefix.
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex())
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl TryFrom<String> for ContentHash {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        let hex = text.strip_prefix("sha256:").unwrap_or(&text);
        if hex.len() != 64 {
            return Err(format!("{text:?} is not a sha256 hash"));
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16)
                .map_err(|_| format!("{text:?} is not a sha256 hash"))?;
        }
        Ok(Self(out))
    }
}

impl From<ContentHash> for String {
    fn from(h: ContentHash) -> String {
        h.to_string()
    }
}

/// A manifest and its component, not yet compiled.
#[derive(Clone)]
pub struct PluginPackage {
    manifest: Manifest,
    manifest_text: String,
    component: Vec<u8>,
    hash: ContentHash,
}

impl fmt::Debug for PluginPackage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginPackage")
            .field("id", &self.manifest.id)
            .field("version", &self.manifest.version.to_string())
            .field("hash", &self.hash)
            .field("bytes", &self.component.len())
            .finish()
    }
}

impl PluginPackage {
    /// A package from a manifest's text and the component's bytes (e.g. an
    /// upload through the API).
    pub fn from_parts(manifest_text: &str, component: Vec<u8>) -> Result<Self, PackageError> {
        let manifest = Manifest::parse(manifest_text)?;
        if component.len() > MAX_COMPONENT_BYTES {
            return Err(PackageError::TooLarge {
                size: component.len(),
                limit: MAX_COMPONENT_BYTES,
            });
        }
        let hash = ContentHash::of(&component);
        Ok(Self {
            manifest,
            manifest_text: manifest_text.to_owned(),
            component,
            hash,
        })
    }

    /// Reads a package directory: `gridlet-plugin.toml` and its component.
    pub fn from_dir(dir: &Path) -> Result<Self, PackageError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| PackageError::Io {
                path: path.display().to_string(),
                source,
            })
        };
        let manifest_path = dir.join(MANIFEST_FILE);
        let manifest_text = String::from_utf8_lossy(&read(&manifest_path)?).into_owned();
        let manifest = Manifest::parse(&manifest_text)?;
        let component = read(&dir.join(&manifest.component))?;
        Self::from_parts(&manifest_text, component)
    }

    /// The parsed manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The manifest exactly as written.
    pub fn manifest_text(&self) -> &str {
        &self.manifest_text
    }

    /// The component bytes.
    pub fn component(&self) -> &[u8] {
        &self.component
    }

    /// The SHA-256 of the component bytes.
    pub fn hash(&self) -> ContentHash {
        self.hash
    }
}
