//! What a compromised notary-server can do with notary-signer: ask it to sign any bytes with
//! the keys it holds for a repository (the timestamp key, and the snapshot key when the
//! server manages snapshots).
//!
//! notary-server reaches notary-signer over gRPC with mutual TLS; the stack's harness gives
//! both the same certificate (`tls/server.crt`), so the hostile-server tests present it too.
//! One RPC is needed, `proto.Signer/Sign(SignatureRequest{keyID{ID}, content}) → Signature{…,
//! content}`; its two messages are encoded here by hand (protobuf fields 1–3, all
//! length-delimited) over an `h2` client stream.
//!
//! Include with `#[path = "support/signer_rpc.rs"] mod signer_rpc;`.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use notary_client::keys::{SignError, SignatureMethod, Signer};
use notary_client::metadata::PublicKey;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

/// A gRPC connection to notary-signer with the server's client certificate.
#[derive(Clone)]
pub struct SignerRpc {
    addr: String,
    tls: Arc<rustls::ClientConfig>,
}

impl SignerRpc {
    /// notary-signer at `127.0.0.1:<port>`, with the stack's CA and leaf certificate in `tls_dir`.
    pub fn new(port: &str, tls_dir: &Path) -> SignerRpc {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(tls_dir.join("ca.crt")).expect("read ca.crt") {
            roots.add(cert.expect("CA certificate")).expect("add the stack's CA");
        }
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(tls_dir.join("server.crt"))
            .expect("read server.crt")
            .map(|c| c.expect("leaf certificate"))
            .collect();
        let key = PrivateKeyDer::from_pem_file(tls_dir.join("server.key")).expect("read server.key");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)
            .expect("client certificate");
        config.alpn_protocols = vec![b"h2".to_vec()];
        SignerRpc { addr: format!("127.0.0.1:{port}"), tls: Arc::new(config) }
    }

    /// notary-signer's signature of `content` with key `key_id` (raw r‖s for ECDSA, as notary
    /// writes it into metadata).
    pub async fn sign(&self, key_id: &str, content: &[u8]) -> Result<Vec<u8>, String> {
        let tcp = tokio::net::TcpStream::connect(&self.addr).await.map_err(|e| format!("connect: {e}"))?;
        let name = ServerName::try_from("localhost").expect("server name");
        let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS: {e}"))?;
        let (client, connection) = h2::client::handshake(tls).await.map_err(|e| format!("h2: {e}"))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let mut client = client.ready().await.map_err(|e| format!("h2: {e}"))?;
        let request = http::Request::post("https://localhost/proto.Signer/Sign")
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(())
            .expect("request");
        let (response, mut stream) = client.send_request(request, false).map_err(|e| format!("send: {e}"))?;
        stream.send_data(grpc_frame(&sign_request(key_id, content)).into(), true).map_err(|e| format!("send: {e}"))?;
        let response = response.await.map_err(|e| format!("response: {e}"))?;
        let status_in_headers = grpc_status(response.headers());
        let mut body = response.into_body();
        let mut data = Vec::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk.map_err(|e| format!("body: {e}"))?;
            let _ = body.flow_control().release_capacity(chunk.len());
            data.extend_from_slice(&chunk);
        }
        let trailers = body.trailers().await.map_err(|e| format!("trailers: {e}"))?;
        let status = status_in_headers.or_else(|| trailers.as_ref().and_then(grpc_status));
        match status {
            Some((0, _)) => {}
            Some((code, message)) => return Err(format!("notary-signer: grpc-status {code}: {message}")),
            None => return Err("notary-signer: no grpc-status".into()),
        }
        let message = data.get(5..).ok_or("notary-signer: short gRPC frame")?;
        field(message, 3).ok_or_else(|| "notary-signer: no signature in the response".to_string())
    }

    /// A [`Signer`] for `public` (a key notary-signer holds) that signs through this RPC.
    pub fn signer(&self, public: PublicKey) -> RemoteKey {
        RemoteKey { rpc: self.clone(), public }
    }
}

/// A key held by notary-signer, signing through [`SignerRpc`].
pub struct RemoteKey {
    rpc: SignerRpc,
    public: PublicKey,
}

#[async_trait]
impl Signer for RemoteKey {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn method(&self) -> SignatureMethod {
        SignatureMethod::Ecdsa
    }

    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let id = self.public.id().to_string();
        self.rpc.sign(&id, message).await.map_err(|reason| SignError::Backend { key_id: id, reason })
    }
}

fn grpc_status(headers: &http::HeaderMap) -> Option<(u32, String)> {
    let code = headers.get("grpc-status")?.to_str().ok()?.parse().ok()?;
    let message = headers.get("grpc-message").and_then(|m| m.to_str().ok()).unwrap_or_default().to_owned();
    Some((code, message))
}

/// `SignatureRequest{keyID: KeyID{ID: key_id}, content}`.
fn sign_request(key_id: &str, content: &[u8]) -> Vec<u8> {
    let key = length_delimited(1, key_id.as_bytes());
    let mut out = length_delimited(1, &key);
    out.extend(length_delimited(2, content));
    out
}

fn length_delimited(field: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![(field << 3) | 2];
    varint(bytes.len() as u64, &mut out);
    out.extend_from_slice(bytes);
    out
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The gRPC message frame: uncompressed flag, big-endian length, message.
fn grpc_frame(message: &[u8]) -> Vec<u8> {
    let mut out = vec![0];
    out.extend((message.len() as u32).to_be_bytes());
    out.extend_from_slice(message);
    out
}

/// The bytes of length-delimited field `wanted` of a protobuf message (other fields skipped).
fn field(mut message: &[u8], wanted: u64) -> Option<Vec<u8>> {
    while !message.is_empty() {
        let (key, rest) = read_varint(message)?;
        message = rest;
        match key & 7 {
            0 => message = read_varint(message)?.1,
            2 => {
                let (len, rest) = read_varint(message)?;
                let (value, rest) = rest.split_at_checked(len as usize)?;
                if key >> 3 == wanted {
                    return Some(value.to_vec());
                }
                message = rest;
            }
            _ => return None,
        }
    }
    None
}

fn read_varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut v = 0u64;
    for (i, b) in bytes.iter().enumerate().take(10) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((v, &bytes[i + 1..]));
        }
    }
    None
}
