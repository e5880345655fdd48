//! Writing trust data (spec §5.1, §6.3, §6.7): the atomic publish, one multipart
//! `POST <server>/v2/<GUN>/_trust/tuf/` carrying every changed role file, and
//! `DELETE <server>/v2/<GUN>/_trust/tuf/`, which removes all trust data of a GUN.
//!
//! The multipart body is byte-for-byte what Go's `mime/multipart` writer produces for the Go
//! client (`storage/httpstore.go SetMulti`): a boundary of 30 random bytes in hex, one part
//! per file named `files` with the role as file name, and nothing after a file's bytes
//! (trap T11: the server stores every byte of a part).

use reqwest::Method;
use ring::rand::{SecureRandom, SystemRandom};

use super::{NotaryServer, ServerError};
use crate::metadata::{Gun, RoleName};

/// The most bytes read from a publish or delete response (a success body is empty).
const RESPONSE_LIMIT: u64 = 64 << 10;

/// Random bytes in a boundary (Go's `randomBoundary`: 30 bytes, 60 hex digits).
const BOUNDARY_BYTES: usize = 30;

/// How many boundaries are drawn before giving up on finding one that occurs in no file (a
/// collision of 240 random bits is never expected: only a broken generator gets here).
const BOUNDARY_ATTEMPTS: usize = 16;

impl NotaryServer {
    /// Publishes `files` (role, exact file bytes) to `gun` atomically: one multipart
    /// `POST tuf/` with token scope `push,pull` (spec §5.1). The server validates the whole
    /// update, signs a new timestamp (and a snapshot when none is uploaded and it holds the
    /// snapshot key), and stores everything or nothing.
    ///
    /// The bytes are sent exactly as given (send nothing after the JSON value: the server would
    /// store it). Refused before any request, as [`ServerError::Config`]: a `timestamp` part
    /// (the server always makes the timestamp and would silently ignore it) and a role given
    /// twice. The server's refusals are [`ServerError::Rejected`]: a role version that is not
    /// newer than the stored one is `400 VERSION` ([`ServerError::is_version_conflict`]), an
    /// invalid update `400 INVALID_UPDATE` with the validation error in
    /// [`ServerError::errcode`]. A publish is never retried automatically.
    pub async fn publish(&self, gun: &Gun, files: &[(RoleName, Vec<u8>)]) -> Result<(), ServerError> {
        check_files(gun, files)?;
        let boundary = choose_boundary(files, random_boundary)?;
        let body = multipart_body(files, &boundary);
        let content_type = format!("multipart/form-data; boundary={boundary}");
        self.send(gun, Method::POST, "", Some((&content_type, &body)), &["push", "pull"], RESPONSE_LIMIT).await?;
        Ok(())
    }

    /// Deletes all trust data of `gun` on the server (`DELETE tuf/`, token scope `*`), as
    /// `notary delete --remote` does (spec §6.7). Deleting a GUN the server does not know
    /// succeeds too.
    pub async fn delete_trust_data(&self, gun: &Gun) -> Result<(), ServerError> {
        self.send(gun, Method::DELETE, "", None, &["*"], RESPONSE_LIMIT).await?;
        Ok(())
    }
}

/// Refuses an upload the Go client never makes: a `timestamp` part, or a role twice.
fn check_files(gun: &Gun, files: &[(RoleName, Vec<u8>)]) -> Result<(), ServerError> {
    for (i, (role, _)) in files.iter().enumerate() {
        if *role == RoleName::timestamp() {
            return Err(ServerError::config(format!(
                "{gun}: cannot publish a timestamp file: the notary server always signs the timestamp itself and \
                 ignores an uploaded one; leave it out of the publish"
            )));
        }
        if files[..i].iter().any(|(earlier, _)| earlier == role) {
            return Err(ServerError::config(format!(
                "{gun}: cannot publish role {role} twice in one update; upload each role's file once"
            )));
        }
    }
    Ok(())
}

/// A fresh boundary: 30 random bytes from the system's generator, hex-encoded.
fn random_boundary() -> Result<String, ServerError> {
    let mut bytes = [0u8; BOUNDARY_BYTES];
    SystemRandom::new().fill(&mut bytes).map_err(|_| {
        ServerError::config("the system random number generator failed while building a publish request")
    })?;
    Ok(hex::encode(bytes))
}

/// The first boundary from `next` that occurs in none of the files (a boundary inside a part
/// would end it early).
fn choose_boundary(
    files: &[(RoleName, Vec<u8>)],
    mut next: impl FnMut() -> Result<String, ServerError>,
) -> Result<String, ServerError> {
    for _ in 0..BOUNDARY_ATTEMPTS {
        let boundary = next()?;
        let needle = boundary.as_bytes();
        if !files.iter().any(|(_, bytes)| bytes.windows(needle.len()).any(|w| w == needle)) {
            return Ok(boundary);
        }
    }
    Err(ServerError::config(format!(
        "no multipart boundary found that occurs in none of the files after {BOUNDARY_ATTEMPTS} attempts"
    )))
}

/// Go's `multipart.Writer` quoting of header parameter values (`escapeQuotes`).
fn escape_quotes(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The `multipart/form-data` body Go's `mime/multipart` writer makes for `files` with
/// `CreateFormFile("files", role)`: the first delimiter without a leading CRLF, headers in
/// sorted order, the file's exact bytes, and the close delimiter `\r\n--B--\r\n` (also for
/// no files at all).
fn multipart_body(files: &[(RoleName, Vec<u8>)], boundary: &str) -> Vec<u8> {
    let size: usize = files.iter().map(|(role, bytes)| bytes.len() + role.as_str().len() + 2 * boundary.len()).sum();
    let mut body = Vec::with_capacity(size + 160 * files.len() + boundary.len() + 8);
    for (i, (role, bytes)) in files.iter().enumerate() {
        if i > 0 {
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n",
                escape_quotes(role.as_str())
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
    }
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The boundary of notary-publish-POST-tuf-targets_releases.txt.
    const CAPTURED_BOUNDARY: &str = "d8d67a824ca559bead90ad3773e018dfaa92672076afb636c0fafe15769d";

    /// The `targets/releases` file of that capture.
    const CAPTURED_RELEASES: &str = r#"{"signed":{"_type":"Targets","delegations":{"keys":{},"roles":[]},"expires":"2029-11-25T15:26:46.42533789Z","targets":{"hello":{"hashes":{"sha256":"ZKtuU6vXWDNktsNqGyx3zD8plW2J/ZxibxAAjZBTnEA=","sha512":"qRQ/BFVYOP+6VojYGrruer5MtF42XVOVTj9VzE1apQ8NsgoCv6woRWYRFtXuul6WgLOCp0qIr2BDNZRD+PO/Aw=="},"length":13},"known":{"hashes":{"sha256":"qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqo="},"length":1234}},"version":1},"signatures":[{"keyid":"6d8b9ef7a904bb0ea1e980108348bfbc8d10fb4b6e7d38c9514076849f4b82dc","method":"ecdsa","sig":"9FOpxW+IGuLGT6+CcYP1Qg1wZRYAAenzbQdg4Sub4z2Gg6Q5sNxtXeH/jbRMLrktBxg84hazr82YrOPv7BtoQw=="}]}"#;

    fn gun() -> Gun {
        Gun::new("localhost:5000/demo/app").unwrap()
    }

    #[test]
    fn body_matches_the_captured_go_request() {
        let files = [(RoleName::releases(), CAPTURED_RELEASES.as_bytes().to_vec())];
        let golden = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"targets/releases\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n{CAPTURED_RELEASES}\r\n--{b}--\r\n",
            b = CAPTURED_BOUNDARY
        );
        let body = multipart_body(&files, CAPTURED_BOUNDARY);
        assert_eq!(String::from_utf8(body.clone()).unwrap(), golden);
        assert_eq!(body, golden.as_bytes());
        // The captured request's Content-Length.
        assert_eq!(body.len(), 868);
    }

    #[test]
    fn empty_body_matches_the_captured_go_request() {
        // notary-publish-POST-tuf-empty.txt: Content-Length 68.
        let boundary = "f5a19309506b1ff1a2c259a37ad49191327579ee119eddcac92faa02ec51";
        let body = multipart_body(&[], boundary);
        assert_eq!(body, format!("\r\n--{boundary}--\r\n").as_bytes());
        assert_eq!(body.len(), 68);
    }

    #[test]
    fn several_parts_in_the_given_order_with_exact_bytes() {
        let files = [
            (RoleName::root(), b"{\"r\":1}".to_vec()),
            (RoleName::targets(), b"{\"t\":2}\n".to_vec()),
            (RoleName::snapshot(), Vec::new()),
        ];
        let body = multipart_body(&files, "B");
        let part = |name: &str, bytes: &str| {
            format!(
                "--B\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n{bytes}"
            )
        };
        let golden = format!(
            "{}\r\n{}\r\n{}\r\n--B--\r\n",
            part("root", "{\"r\":1}"),
            part("targets", "{\"t\":2}\n"),
            part("snapshot", "")
        );
        assert_eq!(String::from_utf8(body).unwrap(), golden);
    }

    #[test]
    fn quotes_are_escaped_as_go_does() {
        assert_eq!(escape_quotes(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape_quotes("targets/releases"), "targets/releases");
    }

    #[test]
    fn random_boundaries_are_60_hex_digits() {
        let a = random_boundary().unwrap();
        let b = random_boundary().unwrap();
        assert_eq!(a.len(), 60);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn a_boundary_inside_a_file_is_replaced() {
        let files = [(RoleName::targets(), b"{\"x\":\"..aaaa..\"}".to_vec())];
        let mut candidates = ["aaaa", "aaaa", "bbbb"].into_iter();
        let chosen = choose_boundary(&files, || Ok(candidates.next().unwrap_or("zzzz").to_owned())).unwrap();
        assert_eq!(chosen, "bbbb");
        // A generator that only ever collides is an error, not a loop.
        let e = choose_boundary(&files, || Ok("aa".to_owned())).unwrap_err();
        assert!(matches!(e, ServerError::Config { .. }), "{e}");
        // A failing generator's error is passed on.
        let e = choose_boundary(&files, || Err(ServerError::config("rng"))).unwrap_err();
        assert!(e.to_string().contains("rng"), "{e}");
        // Without files any boundary does.
        assert_eq!(choose_boundary(&[], || Ok("aaaa".to_owned())).unwrap(), "aaaa");
    }

    #[test]
    fn timestamp_and_duplicate_roles_are_refused() {
        let g = gun();
        let e = check_files(&g, &[(RoleName::targets(), vec![]), (RoleName::timestamp(), vec![])]).unwrap_err();
        assert!(matches!(e, ServerError::Config { .. }), "{e}");
        assert!(e.to_string().contains("timestamp") && e.to_string().contains("localhost:5000/demo/app"), "{e}");
        let e = check_files(
            &g,
            &[(RoleName::targets(), vec![1]), (RoleName::root(), vec![]), (RoleName::targets(), vec![2])],
        )
        .unwrap_err();
        assert!(matches!(e, ServerError::Config { .. }) && e.to_string().contains("targets twice"), "{e}");
        assert!(check_files(&g, &[]).is_ok());
        assert!(
            check_files(
                &g,
                &[(RoleName::root(), vec![]), (RoleName::targets(), vec![]), (RoleName::releases(), vec![])]
            )
            .is_ok()
        );
    }

    #[tokio::test]
    async fn refusals_happen_before_any_request() {
        // A closed port: a request would fail with a network error instead.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let server = NotaryServer::builder(&format!("https://127.0.0.1:{port}")).retries(0).build().unwrap();
        let e = server.publish(&gun(), &[(RoleName::timestamp(), b"{}".to_vec())]).await.unwrap_err();
        assert!(matches!(e, ServerError::Config { .. }), "{e}");
        let twice = [(RoleName::root(), b"{}".to_vec()), (RoleName::root(), b"{}".to_vec())];
        let e = server.publish(&gun(), &twice).await.unwrap_err();
        assert!(matches!(e, ServerError::Config { .. }), "{e}");
        let e = server.publish(&gun(), &[(RoleName::root(), b"{}".to_vec())]).await.unwrap_err();
        assert!(matches!(e, ServerError::Network { .. }), "{e}");
    }
}
