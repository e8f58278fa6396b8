//! Partner organisations and their credentials.
//!
//! The client secret is stored as its SHA-256 (256 random bits need no slow hash); the webhook
//! signing key is derived from the master key and a stored salt, never stored itself.

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::crypto::NirVault;

/// Purpose label of the webhook signing key derivation.
const WEBHOOK_KEY_PURPOSE: &str = "webhook-signing-key";

/// The 32-byte key that signs a partner's webhooks (Standard Webhooks HMAC-SHA256), from its
/// stored salt. The partner holds it as `whsec_` + base64 of these bytes.
pub fn webhook_signing_key(vault: &NirVault, salt: &[u8]) -> [u8; 32] {
    vault.derive_secret(WEBHOOK_KEY_PURPOSE, salt)
}

/// The SHA-256 of a client secret, as stored.
pub fn client_secret_digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// `n` random bytes (salts, secrets).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}
