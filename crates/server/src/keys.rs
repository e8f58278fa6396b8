//! Development key material kept in the data directory, so tokens and encrypted NIRs survive
//! restarts of the embedded mode. Production deployments configure their keys instead.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use relais_store::crypto::NirVault;
use secrecy::{ExposeSecret, SecretString};

/// Reads `name` in `dir`, creating it with `make()` (mode 0600) the first time.
fn load_or_create(
    dir: &Path,
    name: &str,
    make: impl FnOnce() -> String,
) -> anyhow::Result<SecretString> {
    let path = dir.join(name);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return Ok(SecretString::from(existing.trim().to_owned()));
    }
    std::fs::create_dir_all(dir)?;
    let value = make();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(&path) {
        Ok(mut file) => {
            file.write_all(value.as_bytes())?;
            Ok(SecretString::from(value))
        }
        // Another process created it between our read and our create: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(SecretString::from(
            std::fs::read_to_string(&path)?.trim().to_owned(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// The development HS256 secret of this data directory.
pub fn dev_secret(dir: &Path) -> anyhow::Result<SecretString> {
    load_or_create(dir, "dev-signing-secret", || {
        STANDARD.encode(NirVault::generate_master())
    })
}

/// The NIR master key of this data directory (base64).
pub fn nir_key(dir: &Path) -> anyhow::Result<SecretString> {
    load_or_create(dir, "nir-key", || {
        STANDARD.encode(NirVault::generate_master())
    })
}

/// Builds the vault from a base64 key.
pub fn vault(key: &SecretString) -> anyhow::Result<NirVault> {
    let bytes = STANDARD
        .decode(key.expose_secret().trim())
        .map_err(|_| anyhow::anyhow!("RELAIS_NIR_KEY must be base64"))?;
    Ok(NirVault::new(&bytes)?)
}
