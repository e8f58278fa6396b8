//! Protection of the NIR at rest: authenticated encryption, and a keyed hash for exact search;
//! and secrets the server derives again on demand (agenda feed tokens).
//!
//! Every key derives from one 32-byte master key from configuration, with distinct labels, so a
//! leak of the hashes alone reveals nothing and the operator manages a single secret.

use aes_gcm_siv::aead::{Aead, KeyInit};
use aes_gcm_siv::{Aes256GcmSiv, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use relais_domain::Nir;
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const NONCE_LEN: usize = 12;

/// Why a master key was refused.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the NIR key must be 32 bytes (base64), got {0} bytes")]
    WrongLength(usize),
}

/// Encrypts, decrypts and hashes NIRs. Cheap to clone.
#[derive(Clone)]
pub struct NirVault {
    cipher: Aes256GcmSiv,
    hash_key: SecretSlice<u8>,
    secrets_key: SecretSlice<u8>,
    /// The key NIRs were sealed with before a rotation (`relais keys rotate-nir`), until every
    /// NIR is sealed again with the current one.
    previous: Option<Box<(Aes256GcmSiv, SecretSlice<u8>)>>,
}

impl std::fmt::Debug for NirVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NirVault([redacted])")
    }
}

impl NirVault {
    /// Builds the vault from the 32-byte master key.
    pub fn new(master: &[u8]) -> Result<Self, KeyError> {
        if master.len() != 32 {
            return Err(KeyError::WrongLength(master.len()));
        }
        let (cipher, hash_key) = nir_keys(master)?;
        let secrets_key = derive(master, b"relais/derived-secrets/v1");
        Ok(Self {
            cipher,
            hash_key,
            secrets_key: SecretSlice::from(secrets_key),
            previous: None,
        })
    }

    /// The same vault deriving its other secrets (partners' webhook keys, agenda feed tokens)
    /// from `master` instead: the key they were made with, kept when the NIR key rotates.
    pub fn with_secrets_from(mut self, master: &[u8]) -> Result<Self, KeyError> {
        if master.len() != 32 {
            return Err(KeyError::WrongLength(master.len()));
        }
        self.secrets_key = SecretSlice::from(derive(master, b"relais/derived-secrets/v1"));
        Ok(self)
    }

    /// The same vault also reading NIRs sealed with the `previous` master key, and searching
    /// by both hashes, until a rotation has sealed every NIR again.
    pub fn with_previous(mut self, previous: &[u8]) -> Result<Self, KeyError> {
        self.previous = Some(Box::new(nir_keys(previous)?));
        Ok(self)
    }

    /// Whether a previous key is configured (a rotation is under way).
    pub fn rotating(&self) -> bool {
        self.previous.is_some()
    }

    /// The NIR of `sealed` when it was sealed with the previous key (it must be sealed again);
    /// `None` when it is sealed with the current one, or with neither.
    pub fn sealed_with_previous(&self, sealed: &[u8]) -> Option<Nir> {
        if open(&self.cipher, sealed).is_some() {
            return None;
        }
        self.previous
            .as_ref()
            .and_then(|previous| open(&previous.0, sealed))
    }

    /// Every hash a stored NIR may have: the current key's, and the previous key's during a
    /// rotation.
    pub fn search_hashes(&self, nir: &Nir) -> Vec<Vec<u8>> {
        let mut hashes = vec![self.search_hash(nir)];
        if let Some(previous) = &self.previous {
            hashes.push(hash_with(previous.1.expose_secret(), nir));
        }
        hashes
    }

    /// A fresh random master key, for development clusters.
    pub fn generate_master() -> [u8; 32] {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        key
    }

    /// Nonce followed by the ciphertext of the canonical NIR.
    pub fn encrypt(&self, nir: &Nir) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        // Encryption with a valid key and an in-memory buffer cannot fail.
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), nir.as_str().as_bytes())
            .unwrap_or_default();
        out.extend_from_slice(&sealed);
        out
    }

    /// The NIR back, or `None` when the bytes were not sealed with this key (nor, during a
    /// rotation, with the previous one).
    pub fn decrypt(&self, sealed: &[u8]) -> Option<Nir> {
        open(&self.cipher, sealed).or_else(|| {
            self.previous
                .as_ref()
                .and_then(|previous| open(&previous.0, sealed))
        })
    }

    /// The keyed hash used for exact-match search and uniqueness.
    pub fn search_hash(&self, nir: &Nir) -> Vec<u8> {
        hash_with(self.hash_key.expose_secret(), nir)
    }

    /// A 32-byte secret for `purpose`, derived from the master key and `input`: the server can
    /// compute it again from `input`, nobody can without the key. Agenda feed tokens are made
    /// so from a random salt stored beside their hash, and `GET /v1/me` shows the feed URL again
    /// while the database alone holds no token.
    pub fn derive_secret(&self, purpose: &str, input: &[u8]) -> [u8; 32] {
        let mut mac = mac_with(self.secrets_key.expose_secret());
        mac.update(purpose.as_bytes());
        // The separator keeps (purpose, input) pairs from running into each other.
        mac.update(&[0]);
        mac.update(input);
        mac.finalize().into_bytes().into()
    }
}

/// The cipher and the search-hash key of a master key.
fn nir_keys(master: &[u8]) -> Result<(Aes256GcmSiv, SecretSlice<u8>), KeyError> {
    if master.len() != 32 {
        return Err(KeyError::WrongLength(master.len()));
    }
    let enc_key = derive(master, b"relais/nir/encryption/v1");
    let cipher =
        Aes256GcmSiv::new_from_slice(&enc_key).map_err(|_| KeyError::WrongLength(enc_key.len()))?;
    Ok((
        cipher,
        SecretSlice::from(derive(master, b"relais/nir/search/v1")),
    ))
}

fn open(cipher: &Aes256GcmSiv, sealed: &[u8]) -> Option<Nir> {
    if sealed.len() <= NONCE_LEN {
        return None;
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let plain = cipher.decrypt(Nonce::from_slice(nonce), body).ok()?;
    Nir::parse(std::str::from_utf8(&plain).ok()?).ok()
}

fn hash_with(key: &[u8], nir: &Nir) -> Vec<u8> {
    let mut mac = mac_with(key);
    mac.update(nir.as_str().as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn mac_with(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length.
    match <HmacSha256 as Mac>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    }
}

fn derive(master: &[u8], label: &[u8]) -> Vec<u8> {
    let mut mac = mac_with(master);
    mac.update(label);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nir() -> Nir {
        Nir::parse("2 69 05 49 588 157 80").expect("valid NIR")
    }

    #[test]
    fn a_nir_round_trips_through_encryption_and_never_appears_in_clear() {
        let vault = NirVault::new(&[7u8; 32]).expect("key");
        let sealed = vault.encrypt(&nir());
        assert!(!sealed.windows(13).any(|w| w == &b"2690549588157"[..]));
        assert_eq!(
            vault.decrypt(&sealed).map(|n| n.as_str().to_owned()),
            Some(nir().as_str().to_owned())
        );
    }

    #[test]
    fn two_encryptions_differ_but_hashes_match() {
        let vault = NirVault::new(&[7u8; 32]).expect("key");
        assert_ne!(vault.encrypt(&nir()), vault.encrypt(&nir()));
        assert_eq!(vault.search_hash(&nir()), vault.search_hash(&nir()));
    }

    #[test]
    fn another_key_cannot_decrypt_and_hashes_differently() {
        let a = NirVault::new(&[7u8; 32]).expect("key");
        let b = NirVault::new(&[8u8; 32]).expect("key");
        assert!(b.decrypt(&a.encrypt(&nir())).is_none());
        assert_ne!(a.search_hash(&nir()), b.search_hash(&nir()));
    }

    #[test]
    fn a_derived_secret_is_reproducible_and_depends_on_key_purpose_and_input() {
        let a = NirVault::new(&[7u8; 32]).expect("key");
        let b = NirVault::new(&[8u8; 32]).expect("key");
        let secret = a.derive_secret("agenda-feed", b"salt");
        assert_eq!(secret, a.derive_secret("agenda-feed", b"salt"));
        assert_ne!(secret, a.derive_secret("agenda-feed", b"other salt"));
        assert_ne!(secret, a.derive_secret("other purpose", b"salt"));
        assert_ne!(secret, b.derive_secret("agenda-feed", b"salt"));
        assert_ne!(&secret[..], &a.search_hash(&nir())[..]);
    }

    #[test]
    fn a_short_key_is_refused() {
        assert!(matches!(
            NirVault::new(&[1u8; 16]),
            Err(KeyError::WrongLength(16))
        ));
    }

    #[test]
    fn a_rotated_vault_reads_the_previous_key_and_keeps_its_derived_secrets() {
        let old = [7u8; 32];
        let new = [9u8; 32];
        let before = NirVault::new(&old).expect("a key");
        let sealed = before.encrypt(&nir());
        let after = NirVault::new(&new)
            .expect("a key")
            .with_previous(&old)
            .expect("a key")
            .with_secrets_from(&old)
            .expect("a key");
        assert!(after.rotating());
        assert_eq!(after.decrypt(&sealed), Some(nir()));
        assert_eq!(after.sealed_with_previous(&sealed), Some(nir()));
        let resealed = after.encrypt(&nir());
        assert_eq!(after.sealed_with_previous(&resealed), None);
        assert_eq!(
            after.search_hashes(&nir()),
            [after.search_hash(&nir()), before.search_hash(&nir())]
        );
        assert_eq!(
            after.derive_secret("feed", b"salt"),
            before.derive_secret("feed", b"salt")
        );
        let done = NirVault::new(&new).expect("a key");
        assert_eq!(done.decrypt(&sealed), None, "once the previous key is gone");
        assert_eq!(done.decrypt(&resealed), Some(nir()));
    }
}
