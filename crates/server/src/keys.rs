//! Development key material kept in the data directory, so tokens and encrypted NIRs survive
//! restarts of the embedded mode. Production deployments configure their keys instead.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use relais_api::oauth::ServiceKeys;
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

/// The file of the development HS256 secret in the data directory.
pub const DEV_SECRET_FILE: &str = "dev-signing-secret";

/// The development HS256 secret of this data directory, created the first time.
pub fn dev_secret(dir: &Path) -> anyhow::Result<SecretString> {
    load_or_create(dir, DEV_SECRET_FILE, || {
        STANDARD.encode(NirVault::generate_master())
    })
}

/// The development secret of this data directory if a server created it there, never
/// creating one: a token signed with a new secret would be refused by the server.
pub fn existing_dev_secret(dir: &Path) -> anyhow::Result<Option<SecretString>> {
    match std::fs::read_to_string(dir.join(DEV_SECRET_FILE)) {
        Ok(secret) => Ok(Some(SecretString::from(secret.trim().to_owned()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The NIR master key of this data directory (base64).
pub fn nir_key(dir: &Path) -> anyhow::Result<SecretString> {
    load_or_create(dir, NIR_KEY_FILE, || {
        STANDARD.encode(NirVault::generate_master())
    })
}

/// Builds the vault from a base64 key.
pub fn vault(key: &SecretString) -> anyhow::Result<NirVault> {
    Ok(NirVault::new(&key_bytes(key, "RELAIS_NIR_KEY")?)?)
}

fn key_bytes(key: &SecretString, name: &str) -> anyhow::Result<Vec<u8>> {
    STANDARD
        .decode(key.expose_secret().trim())
        .map_err(|_| anyhow::anyhow!("{name} must be base64"))
}

/// The files of a rotation of the NIR key in the data directory (embedded mode).
pub const NIR_KEY_FILE: &str = "nir-key";
pub const NIR_PREVIOUS_KEY_FILE: &str = "nir-key.previous";
pub const SECRETS_KEY_FILE: &str = "secrets-key";

/// The vault of a key, reading NIRs sealed with `previous` too, and deriving the other secrets
/// from `secrets` (each when given).
pub fn full_vault(
    key: &SecretString,
    previous: Option<&SecretString>,
    secrets: Option<&SecretString>,
) -> anyhow::Result<NirVault> {
    let mut vault = vault(key)?;
    if let Some(previous) = previous {
        vault = vault.with_previous(&key_bytes(previous, "RELAIS_NIR_PREVIOUS_KEY")?)?;
    }
    if let Some(secrets) = secrets {
        vault = vault.with_secrets_from(&key_bytes(secrets, "RELAIS_SECRETS_KEY")?)?;
    }
    Ok(vault)
}

/// A key file of the data directory, if it exists.
pub fn key_file(dir: &Path, name: &str) -> anyhow::Result<Option<SecretString>> {
    match std::fs::read_to_string(dir.join(name)) {
        Ok(key) => Ok(Some(SecretString::from(key.trim().to_owned()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Starts a rotation of the data directory's NIR key (embedded mode): the other secrets keep
/// deriving from the first key (`secrets-key`, written once), the current key becomes the
/// previous one, and a new key is generated. A rotation already started is left as it is, to
/// be finished.
pub fn start_nir_rotation(dir: &Path) -> anyhow::Result<()> {
    if dir.join(NIR_PREVIOUS_KEY_FILE).exists() {
        return Ok(());
    }
    let current = nir_key(dir)?;
    load_or_create(dir, SECRETS_KEY_FILE, || current.expose_secret().to_owned())?;
    std::fs::rename(dir.join(NIR_KEY_FILE), dir.join(NIR_PREVIOUS_KEY_FILE))?;
    nir_key(dir)?;
    Ok(())
}

/// Ends a rotation of the data directory's NIR key: the previous key is deleted.
pub fn finish_nir_rotation(dir: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(dir.join(NIR_PREVIOUS_KEY_FILE)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

/// The embedded mode's partner-token signing key (Ed25519, PKCS#8 PEM) in the data directory.
pub const OAUTH_KEY_FILE: &str = "oauth-signing-key.pem";
/// The key it replaced at the last `relais keys rotate`: still valid and published.
pub const OAUTH_PREVIOUS_KEY_FILE: &str = "oauth-signing-key.previous.pem";

/// The partner-token signing key of this data directory (PKCS#8 PEM), generated the first time.
pub fn oauth_signing_key(dir: &Path) -> anyhow::Result<SecretString> {
    let path = dir.join(OAUTH_KEY_FILE);
    if !path.exists() {
        let generated = ServiceKeys::generate_pem()?;
        return load_or_create(dir, OAUTH_KEY_FILE, || generated);
    }
    load_or_create(dir, OAUTH_KEY_FILE, String::new)
}

/// The previous signing key of this data directory, when a rotation left one.
pub fn oauth_previous_key(dir: &Path) -> anyhow::Result<Option<SecretString>> {
    match std::fs::read_to_string(dir.join(OAUTH_PREVIOUS_KEY_FILE)) {
        Ok(pem) => Ok(Some(SecretString::from(pem))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What `relais keys rotate` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The `kid` of the new signing key.
    pub kid: String,
    /// The `kid` of the key it replaced, now the previous key (none on a first run).
    pub previous_kid: Option<String>,
}

/// Rotates the data directory's signing key: the current key becomes the previous one (it
/// keeps verifying the tokens it signed, and stays in the JWKS), and a new key signs. A key
/// that was previous before is dropped: rotate at most once per token lifetime. A running
/// server reads its keys when it starts: restart it to sign with the new key.
pub fn rotate_oauth_key(dir: &Path) -> anyhow::Result<Rotation> {
    std::fs::create_dir_all(dir)?;
    let current = dir.join(OAUTH_KEY_FILE);
    let previous_kid = match std::fs::read_to_string(&current) {
        Ok(pem) => Some(
            ServiceKeys::kid_of_pem(&pem)
                .map_err(|e| anyhow::anyhow!("{} is not a signing key: {e}", current.display()))?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let pem = ServiceKeys::generate_pem()?;
    let kid = ServiceKeys::kid_of_pem(&pem)?;
    // Written aside first, so the current key is never a half-written file.
    let fresh = dir.join(format!("{OAUTH_KEY_FILE}.new"));
    match std::fs::remove_file(&fresh) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&fresh)?;
    file.write_all(pem.as_bytes())?;
    file.sync_all()?;
    drop(file);
    if previous_kid.is_some() {
        std::fs::rename(&current, dir.join(OAUTH_PREVIOUS_KEY_FILE))?;
    }
    std::fs::rename(&fresh, &current)?;
    Ok(Rotation { kid, previous_kid })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_signing_key_is_generated_once_and_private_to_its_owner() {
        let dir = tempfile::tempdir().unwrap();
        let first = oauth_signing_key(dir.path()).unwrap();
        let again = oauth_signing_key(dir.path()).unwrap();
        assert_eq!(first.expose_secret().trim(), again.expose_secret().trim());
        assert_eq!(mode(&dir.path().join(OAUTH_KEY_FILE)), 0o600);
        assert!(ServiceKeys::from_pem(first.expose_secret(), None).is_ok());
        assert!(oauth_previous_key(dir.path()).unwrap().is_none());
    }

    #[test]
    fn rotating_keeps_the_current_key_as_the_previous_one() {
        let dir = tempfile::tempdir().unwrap();
        let before = oauth_signing_key(dir.path()).unwrap();
        let before_kid = ServiceKeys::kid_of_pem(before.expose_secret()).unwrap();

        let rotation = rotate_oauth_key(dir.path()).unwrap();
        assert_eq!(rotation.previous_kid.as_deref(), Some(before_kid.as_str()));
        assert_ne!(rotation.kid, before_kid);
        let current = oauth_signing_key(dir.path()).unwrap();
        let previous = oauth_previous_key(dir.path()).unwrap().unwrap();
        assert_eq!(
            previous.expose_secret().trim(),
            before.expose_secret().trim()
        );
        let keys =
            ServiceKeys::from_pem(current.expose_secret(), Some(previous.expose_secret())).unwrap();
        assert_eq!(keys.kid(), rotation.kid);
        assert_eq!(keys.previous_kid(), Some(before_kid.as_str()));
        assert_eq!(mode(&dir.path().join(OAUTH_KEY_FILE)), 0o600);
        assert_eq!(mode(&dir.path().join(OAUTH_PREVIOUS_KEY_FILE)), 0o600);
        assert!(!dir.path().join(format!("{OAUTH_KEY_FILE}.new")).exists());

        // A second rotation drops the oldest key.
        let second = rotate_oauth_key(dir.path()).unwrap();
        assert_eq!(second.previous_kid, Some(rotation.kid));
    }

    #[test]
    fn rotating_without_a_key_creates_the_first_one() {
        let dir = tempfile::tempdir().unwrap();
        let rotation = rotate_oauth_key(&dir.path().join("fresh")).unwrap();
        assert_eq!(rotation.previous_kid, None);
        let current = oauth_signing_key(&dir.path().join("fresh")).unwrap();
        assert_eq!(
            ServiceKeys::kid_of_pem(current.expose_secret()).unwrap(),
            rotation.kid
        );
        assert!(
            oauth_previous_key(&dir.path().join("fresh"))
                .unwrap()
                .is_none()
        );
    }
}
