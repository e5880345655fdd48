//! Server-managed keys (spec §5, trap T15): `GET <role>.key` fetches (and on first use
//! creates) the public key of the timestamp or snapshot key the server holds; `POST` rotates it.

use reqwest::Method;

use super::{NotaryServer, ServerError, limits};
use crate::metadata::{Gun, PublicKey, RoleName};

/// Parses a key response, `{"keytype":"ecdsa","keyval":{"public":"<base64>","private":null}}`
/// (the metadata key object); a private part, an unknown key type or bad base64 is malformed.
pub(crate) fn parse_key(body: &[u8], resource: &str) -> Result<PublicKey, ServerError> {
    let malformed = |reason: String| ServerError::Malformed { resource: resource.to_owned(), reason };
    let key: PublicKey = serde_json::from_slice(body)
        .map_err(|e| malformed(format!("expected {{\"keytype\":…,\"keyval\":{{\"public\":…}}}} ({e})")))?;
    if key.has_private() {
        return Err(malformed("the key response carries a private key; refusing it".to_owned()));
    }
    if key.public().is_empty() {
        return Err(malformed("keyval.public is empty".to_owned()));
    }
    Ok(key)
}

impl NotaryServer {
    /// The public key the server holds for `role` of `gun` (`timestamp` or `snapshot`),
    /// created by the server on first request (token scope `push,pull`, as the server demands).
    pub async fn get_key(&self, gun: &Gun, role: &RoleName) -> Result<PublicKey, ServerError> {
        self.key_request(gun, role, Method::GET, &["push", "pull"]).await
    }

    /// Makes the server create a new key for `role` of `gun` (`timestamp` or `snapshot`) and
    /// returns its public part; the old key stays in use until a root listing the new one is
    /// published (token scope `*`).
    pub async fn rotate_key(&self, gun: &Gun, role: &RoleName) -> Result<PublicKey, ServerError> {
        self.key_request(gun, role, Method::POST, &["*"]).await
    }

    async fn key_request(
        &self,
        gun: &Gun,
        role: &RoleName,
        method: Method,
        actions: &[&str],
    ) -> Result<PublicKey, ServerError> {
        let path = format!("{role}.key");
        let url = self.tuf_url(gun, &path)?;
        let resource = format!("{gun}: {role} key ({url})");
        let body = self.send(gun, method, &path, None, actions, limits::KEY).await?;
        parse_key(&body, &resource)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::KeyType;

    /// The body captured from notary-server (GET-timestamp.key.txt).
    const CAPTURED: &[u8] = br#"{"keytype":"ecdsa","keyval":{"public":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEyRQYcciQ8gIDuDr/cpl+D6Di3dajRkZJsJWAAsdTsFjDsMAynZAp6VJP69CULW6dmdf0E0vggABeYb8MWNEdVg==","private":null}}"#;

    #[test]
    fn captured_key_response() {
        let key = parse_key(CAPTURED, "r").unwrap();
        assert_eq!(key.key_type(), KeyType::Ecdsa);
        assert_eq!(key.public().len(), 91, "DER SPKI of a P-256 key");
        // The ID in the captured root.json that lists this timestamp key.
        assert_eq!(key.id().as_str(), "58d85e7d48ff51e129ef5b3755835c460f0e09d5a408c516de27f1b4cde822ea");
        // Member order and a missing `private` do not matter.
        let reordered = br#"{"keyval":{"public":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEyRQYcciQ8gIDuDr/cpl+D6Di3dajRkZJsJWAAsdTsFjDsMAynZAp6VJP69CULW6dmdf0E0vggABeYb8MWNEdVg=="},"keytype":"ecdsa"}"#;
        assert_eq!(parse_key(reordered, "r").unwrap(), key);
    }

    #[test]
    fn malformed_key_responses() {
        for body in [
            &b"not json"[..],
            br#"{"keytype":"dsa","keyval":{"public":"AAAA"}}"#,
            br#"{"keytype":"ecdsa","keyval":{"public":"!!"}}"#,
            br#"{"keytype":"ecdsa","keyval":{"public":""}}"#,
            br#"{"keytype":"ecdsa","keyval":{"public":"AAAA","private":"AAAA"}}"#,
            br#"{"keytype":"ecdsa"}"#,
        ] {
            let e = parse_key(body, "gun: timestamp key").unwrap_err();
            assert!(matches!(e, ServerError::Malformed { .. }), "{e}");
            assert!(e.to_string().starts_with("gun: timestamp key: malformed"), "{e}");
        }
    }
}
