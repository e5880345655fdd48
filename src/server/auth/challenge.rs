//! `WWW-Authenticate` challenges (RFC 9110 §11.6.1): `Bearer realm="…",service="…",scope="…"`
//! from notary-server and registries, `Basic realm="…"` from token services and proxies.
//!
//! Parsing is lenient where servers are sloppy (scheme and parameter names in any case, spaces
//! around `=`, unquoted values up to the next comma) and never fails: what cannot be understood
//! is skipped, so an unknown scheme next to a `Bearer` one does not hide the `Bearer` one.

use std::collections::BTreeMap;

/// One challenge of a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The scheme in lower case (`bearer`, `basic`, ...).
    pub scheme: String,
    /// The parameters, names in lower case, values unquoted and unescaped.
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    /// Whether this is a `Bearer` (token service) challenge.
    pub fn is_bearer(&self) -> bool {
        self.scheme == "bearer"
    }

    /// Whether this is a `Basic` challenge.
    pub fn is_basic(&self) -> bool {
        self.scheme == "basic"
    }

    /// A parameter by (case-insensitive) name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    /// `realm`: for `Bearer`, the token service URL.
    pub fn realm(&self) -> Option<&str> {
        self.param("realm")
    }

    /// `service`: the audience the token is asked for.
    pub fn service(&self) -> Option<&str> {
        self.param("service")
    }

    /// `scope`: what the server wants access to (informational; requests use their own scope).
    pub fn scope(&self) -> Option<&str> {
        self.param("scope")
    }

    /// `error` (`invalid_token`, `insufficient_scope`), when the server says why a token failed.
    pub fn error(&self) -> Option<&str> {
        self.param("error")
    }
}

/// Parses every challenge of several `WWW-Authenticate` header values, in order.
pub fn parse_all<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<Challenge> {
    values.into_iter().flat_map(parse).collect()
}

/// Parses the challenges of one `WWW-Authenticate` header value, e.g.
/// `Bearer realm="https://auth.example/token",service="notary", Basic realm="x"`.
///
/// ```
/// use notary_client::server::auth::challenge::parse;
/// let c = parse(r#"Bearer realm="https://auth.docker.io/token",service="notary.docker.io""#);
/// assert!(c[0].is_bearer());
/// assert_eq!(c[0].realm(), Some("https://auth.docker.io/token"));
/// assert_eq!(c[0].service(), Some("notary.docker.io"));
/// ```
pub fn parse(header: &str) -> Vec<Challenge> {
    let mut p = Parser { s: header.as_bytes(), i: 0 };
    let mut out: Vec<Challenge> = Vec::new();
    loop {
        p.skip(|b| is_ws(b) || b == b',');
        if p.eof() {
            break;
        }
        let name = p.token();
        if name.is_empty() {
            // Not a token (e.g. a token68 blob or stray punctuation): skip this list element.
            p.skip(|b| b != b',');
            continue;
        }
        let after_name = p.i;
        p.skip(is_ws);
        if p.peek() == Some(b'=') && !out.is_empty() {
            // `name=value`: a parameter of the current challenge.
            p.i += 1;
            p.skip(is_ws);
            let value = if p.peek() == Some(b'"') { p.quoted() } else { p.bare() };
            if let Some(current) = out.last_mut() {
                current.params.entry(name.to_ascii_lowercase()).or_insert(value);
            }
        } else if p.peek() == Some(b'=') {
            // A parameter before any scheme: malformed, skip it.
            p.skip(|b| b != b',');
        } else {
            // A new challenge; its first parameter follows after whitespace, not a comma.
            p.i = after_name;
            out.push(Challenge { scheme: name.to_ascii_lowercase(), params: BTreeMap::new() });
        }
    }
    out
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn eof(&self) -> bool {
        self.i >= self.s.len()
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip(&mut self, mut pred: impl FnMut(u8) -> bool) {
        while self.peek().is_some_and(&mut pred) {
            self.i += 1;
        }
    }

    fn slice(&self, from: usize) -> String {
        String::from_utf8_lossy(self.s.get(from..self.i).unwrap_or_default()).into_owned()
    }

    fn token(&mut self) -> String {
        let start = self.i;
        self.skip(is_tchar);
        self.slice(start)
    }

    /// An unquoted value: lenient, everything up to a comma or whitespace.
    fn bare(&mut self) -> String {
        let start = self.i;
        self.skip(|b| b != b',' && !is_ws(b));
        self.slice(start)
    }

    /// A quoted-string starting at `"`: backslash escapes any byte; an unterminated string
    /// runs to the end of the header.
    fn quoted(&mut self) -> String {
        self.i += 1;
        let mut bytes = Vec::new();
        while let Some(b) = self.peek() {
            self.i += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    if let Some(escaped) = self.peek() {
                        bytes.push(escaped);
                        self.i += 1;
                    }
                }
                _ => bytes.push(b),
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(c: &Challenge) -> Vec<(&str, &str)> {
        c.params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    /// The headers captured from the real stack (token-auth-challenges.txt).
    #[test]
    fn captured_notary_server_challenges() {
        let c =
            parse(r#"Bearer realm="http://127.0.0.1:5011/token",service="notary-server",scope="registry:catalog:*""#);
        assert_eq!(c.len(), 1);
        assert!(c[0].is_bearer());
        assert_eq!(c[0].realm(), Some("http://127.0.0.1:5011/token"));
        assert_eq!(c[0].service(), Some("notary-server"));
        assert_eq!(c[0].scope(), Some("registry:catalog:*"));

        let c = parse(
            r#"Bearer realm="http://127.0.0.1:5011/token",service="notary-server",scope="repository:localhost:5000/demo/app:push,pull""#,
        );
        assert_eq!(c.len(), 1, "the comma inside the quoted scope does not split");
        assert_eq!(c[0].scope(), Some("repository:localhost:5000/demo/app:push,pull"));

        let c = parse(
            r#"Bearer realm="http://127.0.0.1:5011/token",service="notary-server",scope="repository:localhost:5000/demo/app:pull",error="invalid_token""#,
        );
        assert_eq!(c[0].error(), Some("invalid_token"));
        assert_eq!(c[0].params.len(), 4);

        let c = parse(r#"Bearer realm="http://127.0.0.1:5011/token",service="registry""#);
        assert_eq!(params(&c[0]), [("realm", "http://127.0.0.1:5011/token"), ("service", "registry")]);

        // The test token issuer's own challenge.
        let c = parse(r#"Basic realm="token""#);
        assert!(c[0].is_basic());
        assert_eq!(c[0].realm(), Some("token"));
    }

    #[test]
    fn several_challenges_in_one_header() {
        let c = parse(r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple""#);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].scheme, "newauth");
        assert_eq!(params(&c[0]), [("realm", "apps"), ("title", r#"Login to "apps""#), ("type", "1")]);
        assert!(c[1].is_basic());
        assert_eq!(c[1].realm(), Some("simple"));

        let c = parse(r#"Negotiate, BEARER Realm = "https://auth.example/token" , Service=reg"#);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].scheme, "negotiate");
        assert!(c[0].params.is_empty());
        assert!(c[1].is_bearer());
        assert_eq!(c[1].realm(), Some("https://auth.example/token"));
        assert_eq!(c[1].param("SERVICE"), Some("reg"));
    }

    #[test]
    fn several_headers() {
        let c = parse_all([r#"Basic realm="x""#, r#"Bearer realm="https://a/token",service="s""#]);
        assert_eq!(c.len(), 2);
        assert!(c[0].is_basic());
        assert!(c[1].is_bearer());
    }

    #[test]
    fn escapes_and_sloppy_input() {
        let c = parse(r#"Bearer realm="a\\b\"c""#);
        assert_eq!(c[0].realm(), Some(r#"a\b"c"#));
        // Unquoted URL values (not RFC tokens) are taken up to the comma.
        let c = parse("Bearer realm=https://auth.example/token?x=1,service=svc");
        assert_eq!(c[0].realm(), Some("https://auth.example/token?x=1"));
        assert_eq!(c[0].service(), Some("svc"));
        // Unterminated quoted string, token68, garbage: no panic, best effort.
        let c = parse(r#"Bearer realm="unterminated"#);
        assert_eq!(c[0].realm(), Some("unterminated"));
        let c = parse("Negotiate YWJj/ZGVm==, Basic realm=r");
        assert!(c.iter().any(|c| c.is_basic() && c.realm() == Some("r")));
        assert!(parse("").is_empty());
        assert!(parse(" , ,").is_empty());
        assert!(parse("=x, realm=y").is_empty());
        // The first of a repeated parameter wins.
        let c = parse(r#"Bearer realm="a", realm="b""#);
        assert_eq!(c[0].realm(), Some("a"));
    }
}
