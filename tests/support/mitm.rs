//! A hostile network between the client and the real notary-server: a TLS man in the middle
//! on loopback that forwards every request to the stack's notary-server and answers some of
//! them its own way (other bytes, an error status, a body that never ends, a stalled or reset
//! connection).
//!
//! It presents the stack's own server certificate (issued for 127.0.0.1 by the stack's CA),
//! so a client configured for the stack trusts it exactly as it trusts notary-server: the
//! attacker is on the path, or is the server. It runs on its own thread and runtime, so it
//! keeps answering whatever the test's runtime is doing.
//!
//! Include with `#[path = "support/mitm.rs"] mod mitm;`.
#![allow(dead_code)]

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// Which requests a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Every request.
    Any,
    /// `GET` of a role's file, by name (`<role>.json`) or by hash (`<role>.<sha256>.json`).
    Role(String),
    /// `GET` of exactly this metadata file name (`2.root.json`, `timestamp.key`).
    File(String),
    /// A publish (`POST /v2/<gun>/_trust/tuf/`).
    Publish,
    /// Requests with this method whose path contains this text (registry API calls).
    Request(&'static str, &'static str),
}

/// How the man in the middle answers a matching request.
#[derive(Debug, Clone)]
pub enum Answer {
    /// `200 OK` with these bytes.
    Bytes(Vec<u8>),
    /// This status with a notary-style error body.
    Status(u16),
    /// `200 OK` without a length, then bytes until the client hangs up.
    Endless,
    /// `200 OK` announcing a length of this many bytes (sends them, lazily, if read).
    Length(u64),
    /// Headers of a `200 OK` for these bytes, then one byte per `interval`.
    Slow { bytes: Vec<u8>, interval: Duration },
    /// Reads the request and never answers.
    Hang,
    /// Reads the request and resets the connection (TCP RST).
    Reset,
    /// Forwards the request, then resets the connection instead of answering: the request
    /// took effect, the client never hears so.
    ForwardThenReset,
}

struct Rule {
    target: Target,
    answer: Answer,
    /// How many more requests it answers (`None`: all).
    remaining: Option<usize>,
}

/// One request seen: method, path and how it was answered (`"forwarded"`, `"Bytes"`...).
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub answer: String,
}

/// The man in the middle. Dropping it stops it.
pub struct Mitm {
    url: String,
    rules: Arc<Mutex<Vec<Rule>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Mitm {
    /// In front of a plain-HTTP `upstream` (the stack's registry), itself plain HTTP.
    pub fn start_plain(upstream: &str) -> Mitm {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Mitm::spawn(upstream, None, reqwest::Client::builder().no_proxy().build().expect("upstream client"))
    }

    /// In front of `upstream` (`https://127.0.0.1:<port>`), presenting `server.crt`/`server.key`
    /// of the stack's `tls_dir` and trusting its `ca.crt` upstream.
    pub fn start(upstream: &str, tls_dir: &Path) -> Mitm {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(tls_dir.join("server.crt"))
            .expect("read server.crt")
            .map(|c| c.expect("certificate"))
            .collect();
        let key = PrivateKeyDer::from_pem_file(tls_dir.join("server.key")).expect("read server.key");
        let mut config =
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("TLS versions")
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .expect("server certificate");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let ca = std::fs::read(tls_dir.join("ca.crt")).expect("read ca.crt");
        let client = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("CA"))
            .no_proxy()
            .build()
            .expect("upstream client");
        Mitm::spawn(upstream, Some(acceptor), client)
    }

    fn spawn(upstream: &str, acceptor: Option<tokio_rustls::TlsAcceptor>, client: reqwest::Client) -> Mitm {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let scheme = if acceptor.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}", listener.local_addr().expect("local address"));
        let rules: Arc<Mutex<Vec<Rule>>> = Arc::default();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shared = Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            client,
            own_url: url.clone(),
            rules: rules.clone(),
            seen: seen.clone(),
        };
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("proxy runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                let shared = Arc::new(shared);
                tokio::select! {
                    _ = stopped => {}
                    _ = async {
                        loop {
                            let Ok((tcp, _)) = listener.accept().await else { continue };
                            let acceptor = acceptor.clone();
                            let shared = shared.clone();
                            tokio::spawn(async move {
                                match acceptor {
                                    Some(acceptor) => {
                                        if let Ok(tls) = acceptor.accept(tcp).await {
                                            shared.serve(tls).await;
                                        }
                                    }
                                    None => shared.serve(tcp).await,
                                }
                            });
                        }
                    } => {}
                }
            });
            runtime.shutdown_background();
        });
        Mitm { url, rules, seen, stop: Some(stop) }
    }

    /// The URL clients use instead of notary-server's.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Answers every request for `target` with `answer` from now on (added rules are tried
    /// first).
    pub fn always(&self, target: Target, answer: Answer) {
        self.push(target, answer, None);
    }

    /// Answers the next `times` requests for `target` with `answer`, then forwards again.
    pub fn times(&self, times: usize, target: Target, answer: Answer) {
        self.push(target, answer, Some(times));
    }

    /// Serves `bytes` for role `role`'s file, by name and by any hash.
    pub fn serve_role(&self, role: &str, bytes: Vec<u8>) {
        self.always(Target::Role(role.to_owned()), Answer::Bytes(bytes));
    }

    /// Forwards everything again.
    pub fn honest(&self) {
        self.rules.lock().expect("rules").clear();
    }

    /// The requests seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen").clone()
    }

    fn push(&self, target: Target, answer: Answer, remaining: Option<usize>) {
        self.rules.lock().expect("rules").insert(0, Rule { target, answer, remaining });
    }
}

impl Drop for Mitm {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

struct Shared {
    upstream: String,
    client: reqwest::Client,
    /// This man in the middle's URL: upstream `Location`s are rewritten to it (the
    /// registry's upload sessions), so that follow-up requests come here too.
    own_url: String,
    rules: Arc<Mutex<Vec<Rule>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A client connection, over TLS or not.
trait Conn: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {
    fn tcp(&mut self) -> &mut tokio::net::TcpStream;
}

impl Conn for tokio_rustls::server::TlsStream<tokio::net::TcpStream> {
    fn tcp(&mut self) -> &mut tokio::net::TcpStream {
        self.get_mut().0
    }
}

impl Conn for tokio::net::TcpStream {
    fn tcp(&mut self) -> &mut tokio::net::TcpStream {
        self
    }
}

impl Shared {
    /// One request per connection (`Connection: close`).
    async fn serve<C: Conn>(&self, tls: C) {
        let mut reader = BufReader::new(tls);
        let Some(request) = read_request(&mut reader).await else { return };
        let answer = self.answer_for(&request);
        let mut tls = reader.into_inner();
        // Recorded before answering: the client may act on the answer at once.
        let label = match &answer {
            Some(a) => format!("{a:?}").split(['(', ' ', '{']).next().unwrap_or_default().to_owned(),
            None => "forwarded".to_owned(),
        };
        self.record(&request, &label);
        match answer {
            None => match self.forward(&request).await {
                Ok((status, headers, body)) => {
                    let _ = write_response(&mut tls, status, &headers, &body).await;
                }
                Err(e) => {
                    let _ = write_response(&mut tls, 502, &[], e.as_bytes()).await;
                }
            },
            Some(Answer::Bytes(bytes)) => {
                let _ = write_response(&mut tls, 200, &json_type(), &bytes).await;
            }
            Some(Answer::Status(status)) => {
                let body = format!(
                    r#"{{"errors":[{{"code":"UNKNOWN","message":"status {status} from the man in the middle","detail":{{}}}}]}}"#
                );
                let _ = write_response(&mut tls, status, &json_type(), body.as_bytes()).await;
            }
            Some(Answer::Endless) => {
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
                if tls.write_all(head.as_bytes()).await.is_ok() {
                    let chunk = vec![b' '; 64 * 1024];
                    for _ in 0..(1 << 14) {
                        if tls.write_all(&chunk).await.is_err() {
                            break;
                        }
                    }
                }
            }
            Some(Answer::Length(length)) => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
                );
                if tls.write_all(head.as_bytes()).await.is_ok() {
                    let chunk = vec![b' '; 64 * 1024];
                    let mut left = length;
                    while left > 0 {
                        let n = left.min(chunk.len() as u64) as usize;
                        if tls.write_all(&chunk[..n]).await.is_err() {
                            break;
                        }
                        left -= n as u64;
                    }
                }
            }
            Some(Answer::Slow { bytes, interval }) => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    bytes.len()
                );
                if tls.write_all(head.as_bytes()).await.is_ok() && tls.flush().await.is_ok() {
                    for b in &bytes {
                        tokio::time::sleep(interval).await;
                        if tls.write_all(&[*b]).await.is_err() || tls.flush().await.is_err() {
                            break;
                        }
                    }
                }
            }
            Some(Answer::Hang) => tokio::time::sleep(Duration::from_secs(3600)).await,
            Some(Answer::Reset) => reset(tls),
            Some(Answer::ForwardThenReset) => {
                let _ = self.forward(&request).await;
                reset(tls);
            }
        }
    }

    fn record(&self, request: &Request, answer: &str) {
        self.seen.lock().expect("seen").push(Seen {
            method: request.method.clone(),
            path: request.path.clone(),
            answer: answer.to_owned(),
        });
    }

    fn answer_for(&self, request: &Request) -> Option<Answer> {
        let mut rules = self.rules.lock().expect("rules");
        let i = rules.iter().position(|r| r.remaining != Some(0) && matches(&r.target, request))?;
        let rule = &mut rules[i];
        if let Some(n) = rule.remaining.as_mut() {
            *n -= 1;
        }
        Some(rule.answer.clone())
    }

    async fn forward(&self, request: &Request) -> Result<(u16, Vec<(String, String)>, Vec<u8>), String> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|e| e.to_string())?;
        let mut builder = self.client.request(method, format!("{}{}", self.upstream, request.path));
        for (name, value) in &request.headers {
            if !["host", "connection", "content-length", "transfer-encoding"]
                .contains(&name.to_ascii_lowercase().as_str())
            {
                builder = builder.header(name, value);
            }
        }
        let response = builder.body(request.body.clone()).send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter(|(n, _)| !["connection", "content-length", "transfer-encoding"].contains(&n.as_str()))
            .filter_map(|(n, v)| {
                let value = v.to_str().ok()?;
                let value = match n.as_str() {
                    "location" => value.replacen(&self.upstream, &self.own_url, 1),
                    _ => value.to_owned(),
                };
                Some((n.as_str().to_owned(), value))
            })
            .collect();
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        Ok((status, headers, body.to_vec()))
    }
}

/// Closes `conn` with a TCP RST (a zero linger; it never blocks).
fn reset<C: Conn>(mut conn: C) {
    #[allow(deprecated)]
    let _ = conn.tcp().set_linger(Some(Duration::ZERO));
    drop(conn);
}

fn json_type() -> Vec<(String, String)> {
    vec![("Content-Type".into(), "application/json".into())]
}

/// Whether `target` covers `request`.
fn matches(target: &Target, request: &Request) -> bool {
    let file = request.path.split_once("/_trust/tuf/").map(|(_, f)| f.split('?').next().unwrap_or(f));
    match target {
        Target::Any => true,
        Target::Publish => request.method == "POST",
        Target::Request(method, text) => request.method == *method && request.path.contains(text),
        Target::File(name) => request.method == "GET" && file == Some(name.as_str()),
        Target::Role(role) => request.method == "GET" && file.is_some_and(|f| role_of(f) == Some(role.as_str())),
    }
}

/// The role a metadata file name is for: `<role>.json` or `<role>.<64 hex>.json`.
fn role_of(file: &str) -> Option<&str> {
    let stem = file.strip_suffix(".json")?;
    match stem.rsplit_once('.') {
        Some((role, hash)) if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => Some(role),
        _ => Some(stem),
    }
}

async fn read_request<C: Conn>(reader: &mut BufReader<C>) -> Option<Request> {
    let mut line = String::new();
    reader.read_line(&mut line).await.ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let header = |n: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.clone());
    let mut body = Vec::new();
    if let Some(length) = header("content-length") {
        body.resize(length.parse().ok()?, 0);
        reader.read_exact(&mut body).await.ok()?;
    } else if header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).await.ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).await.ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    Some(Request { method, path, headers, body })
}

async fn write_response<C: Conn>(
    tls: &mut C,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
    tls.write_all(head.as_bytes()).await?;
    tls.write_all(body).await?;
    tls.flush().await?;
    tls.shutdown().await
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
