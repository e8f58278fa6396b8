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
        let enc_key = derive(master, b"relais/nir/encryption/v1");
        let hash_key = derive(master, b"relais/nir/search/v1");
        let secrets_key = derive(master, b"relais/derived-secrets/v1");
        let cipher = Aes256GcmSiv::new_from_slice(&enc_key)
            .map_err(|_| KeyError::WrongLength(enc_key.len()))?;
        Ok(Self {
            cipher,
            hash_key: SecretSlice::from(hash_key),
            secrets_key: SecretSlice::from(secrets_key),
        })
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

    /// The NIR back, or `None` when the bytes were not sealed with this key.
    pub fn decrypt(&self, sealed: &[u8]) -> Option<Nir> {
        if sealed.len() <= NONCE_LEN {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let plain = self.cipher.decrypt(Nonce::from_slice(nonce), body).ok()?;
        Nir::parse(std::str::from_utf8(&plain).ok()?).ok()
    }

    /// The keyed hash used for exact-match search and uniqueness.
    pub fn search_hash(&self, nir: &Nir) -> Vec<u8> {
        let mut mac = mac_with(self.hash_key.expose_secret());
        mac.update(nir.as_str().as_bytes());
        mac.finalize().into_bytes().to_vec()
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
}
