//! The service's own signing keys: Ed25519 (JWS `EdDSA`), for the partner tokens of
//! `POST /v1/oauth/token`.
//!
//! The current key signs; after a rotation the previous key (its public part is enough) still
//! verifies the tokens it signed until they expire, and both are published at
//! `/.well-known/jwks.json`. Each key's `kid` is its RFC 7638 JWK thumbprint, so a key always
//! has the same `kid` wherever it is loaded.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// Why key material was refused.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("not an Ed25519 private key in PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`)")]
    NotPrivateKey,
    #[error(
        "not an Ed25519 key in PEM (a PKCS#8 private key or a SubjectPublicKeyInfo public key)"
    )]
    NotKey,
    #[error("the key could not be encoded: {0}")]
    Encoding(String),
}

/// One public key with its `kid`.
struct PublicKey {
    kid: String,
    /// The raw 32-byte public key, base64url (the JWK's `x`).
    x: String,
    decoding: DecodingKey,
}

impl PublicKey {
    fn new(key: &VerifyingKey) -> Self {
        let x = URL_SAFE_NO_PAD.encode(key.as_bytes());
        Self {
            kid: thumbprint(&x),
            decoding: DecodingKey::from_ed_der(key.as_bytes()),
            x,
        }
    }

    fn jwk(&self) -> PublicJwk {
        PublicJwk {
            kty: "OKP",
            crv: "Ed25519",
            x: self.x.clone(),
            kid: self.kid.clone(),
            key_use: "sig",
            alg: "EdDSA",
        }
    }
}

/// The RFC 7638 thumbprint of an Ed25519 public key: base64url(SHA-256) of its required JWK
/// members, in lexicographic order, without whitespace.
fn thumbprint(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The signing key and, after a rotation, the previous key.
pub struct ServiceKeys {
    current: PublicKey,
    encoding: EncodingKey,
    previous: Option<PublicKey>,
}

impl std::fmt::Debug for ServiceKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceKeys")
            .field("kid", &self.current.kid)
            .field("previous_kid", &self.previous.as_ref().map(|k| &k.kid))
            .finish_non_exhaustive()
    }
}

impl ServiceKeys {
    /// Loads the current key (PKCS#8 PEM, private) and optionally the previous one (private or
    /// public PEM: only its public part is kept).
    pub fn from_pem(current: &str, previous: Option<&str>) -> Result<Self, KeyError> {
        let signing = SigningKey::from_pkcs8_pem(current).map_err(|_| KeyError::NotPrivateKey)?;
        let previous = previous.map(public_of).transpose()?;
        Self::from_signing_key(&signing, previous.as_ref())
    }

    fn from_signing_key(
        signing: &SigningKey,
        previous: Option<&VerifyingKey>,
    ) -> Result<Self, KeyError> {
        let der = signing
            .to_pkcs8_der()
            .map_err(|e| KeyError::Encoding(e.to_string()))?;
        let current = PublicKey::new(&signing.verifying_key());
        // The same key twice (a rotation undone by hand) is published once.
        let previous = previous
            .map(PublicKey::new)
            .filter(|p| p.kid != current.kid);
        Ok(Self {
            current,
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            previous,
        })
    }

    /// A new random signing key, as PKCS#8 PEM.
    pub fn generate_pem() -> Result<String, KeyError> {
        let signing = SigningKey::generate(&mut rand::rngs::OsRng);
        let pem = signing
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| KeyError::Encoding(e.to_string()))?;
        Ok(pem.as_str().to_owned())
    }

    /// The `kid` of the key in `pem` (private or public), e.g. to print it after a rotation.
    pub fn kid_of_pem(pem: &str) -> Result<String, KeyError> {
        Ok(PublicKey::new(&public_of(pem)?).kid)
    }

    /// The `kid` of the signing key.
    pub fn kid(&self) -> &str {
        &self.current.kid
    }

    /// The `kid` of the previous key, when one is kept.
    pub fn previous_kid(&self) -> Option<&str> {
        self.previous.as_ref().map(|k| k.kid.as_str())
    }

    /// The public keys, for `/.well-known/jwks.json`: the current one first.
    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: std::iter::once(&self.current)
                .chain(self.previous.as_ref())
                .map(PublicKey::jwk)
                .collect(),
        }
    }

    /// Signs `claims` with the current key (header `alg: EdDSA`, `typ: JWT`, `kid`).
    pub fn sign(&self, claims: &impl Serialize) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.current.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }

    /// The verification key named `kid`, when it is one of ours.
    pub fn decoding_key(&self, kid: &str) -> Option<&DecodingKey> {
        std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .find(|k| k.kid == kid)
            .map(|k| &k.decoding)
    }
}

/// The public key of a private (PKCS#8) or public (SubjectPublicKeyInfo) PEM.
fn public_of(pem: &str) -> Result<VerifyingKey, KeyError> {
    if let Ok(signing) = SigningKey::from_pkcs8_pem(pem) {
        return Ok(signing.verifying_key());
    }
    VerifyingKey::from_public_key_pem(pem).map_err(|_| KeyError::NotKey)
}

/// A JSON Web Key Set (RFC 7517) of the service's public signing keys.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Jwks {
    /// The current key first, then the previous one while its tokens may still be valid.
    pub keys: Vec<PublicJwk>,
}

/// An Ed25519 public key as a JWK (RFC 8037).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicJwk {
    #[schema(example = "OKP")]
    pub kty: &'static str,
    #[schema(example = "Ed25519")]
    pub crv: &'static str,
    /// The public key, base64url without padding.
    #[schema(example = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")]
    pub x: String,
    /// The RFC 7638 thumbprint of the key; tokens name it in their header.
    #[schema(example = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")]
    pub kid: String,
    #[serde(rename = "use")]
    #[schema(example = "sig")]
    pub key_use: &'static str,
    #[schema(example = "EdDSA")]
    pub alg: &'static str,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// RFC 8037 appendix A.1 private key.
    const RFC8037_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----\n\
        MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n\
        -----END PRIVATE KEY-----\n";

    #[test]
    fn the_kid_is_the_rfc_7638_thumbprint_of_the_rfc_8037_example_key() {
        let keys = ServiceKeys::from_pem(RFC8037_PRIVATE, None).unwrap();
        let jwks = keys.jwks();
        assert_eq!(jwks.keys.len(), 1);
        // RFC 8037 A.2 and A.3.
        assert_eq!(
            jwks.keys[0].x,
            "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
        );
        assert_eq!(keys.kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }

    #[test]
    fn a_generated_key_signs_tokens_its_jwk_verifies() {
        let pem = ServiceKeys::generate_pem().unwrap();
        let keys = ServiceKeys::from_pem(&pem, None).unwrap();
        let token = keys.sign(&serde_json::json!({"sub": "x"})).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.alg, Algorithm::EdDSA);
        assert_eq!(header.kid.as_deref(), Some(keys.kid()));
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(serde_json::to_value(&keys.jwks().keys[0]).unwrap()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::EdDSA);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let key = DecodingKey::from_jwk(&jwk).unwrap();
        jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation).unwrap();
    }

    #[test]
    fn the_previous_key_is_published_and_verifies_from_its_public_pem() {
        let old = ServiceKeys::generate_pem().unwrap();
        let old_keys = ServiceKeys::from_pem(&old, None).unwrap();
        let public_pem = VerifyingKey::from_bytes(
            &URL_SAFE_NO_PAD
                .decode(&old_keys.jwks().keys[0].x)
                .unwrap()
                .try_into()
                .unwrap(),
        )
        .unwrap();
        let public_pem =
            ed25519_dalek::pkcs8::EncodePublicKey::to_public_key_pem(&public_pem, LineEnding::LF)
                .unwrap();
        let new = ServiceKeys::generate_pem().unwrap();
        for previous in [old.as_str(), public_pem.as_str()] {
            let keys = ServiceKeys::from_pem(&new, Some(previous)).unwrap();
            assert_eq!(keys.previous_kid(), Some(old_keys.kid()));
            let kids: Vec<_> = keys.jwks().keys.into_iter().map(|k| k.kid).collect();
            assert_eq!(kids, [keys.kid(), old_keys.kid()]);
            assert!(keys.decoding_key(old_keys.kid()).is_some());
            assert!(keys.decoding_key("unknown").is_none());
        }
        assert_eq!(
            ServiceKeys::kid_of_pem(&public_pem).unwrap(),
            old_keys.kid()
        );
    }

    #[test]
    fn other_key_material_is_refused() {
        assert!(matches!(
            ServiceKeys::from_pem("not a key", None),
            Err(KeyError::NotPrivateKey)
        ));
        let pem = ServiceKeys::generate_pem().unwrap();
        assert!(matches!(
            ServiceKeys::from_pem(&pem, Some("garbage")),
            Err(KeyError::NotKey)
        ));
    }
}
