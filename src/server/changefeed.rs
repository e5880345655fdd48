//! The changefeed (`server/handlers/changefeed.go`): the log of published and deleted trust
//! data, per GUN or for the whole server.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;

use super::auth::Scope;
use super::client::Call;
use super::{NotaryServer, ServerError, limits};
use crate::metadata::{Gun, clip};

/// One page of the changefeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changefeed {
    /// How many records this page has (`count`).
    pub count: u64,
    /// The changes, oldest first.
    pub records: Vec<Change>,
}

/// One change: a new timestamp for a GUN, or the deletion of its trust data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The change ID, to pass as `change_id` for the next page.
    pub id: String,
    /// When the server recorded it.
    pub created_at: DateTime<Utc>,
    /// The repository.
    pub gun: String,
    /// The timestamp version (0 for deletions).
    pub version: u64,
    /// The hex SHA-256 of the timestamp (empty for deletions).
    pub sha256: String,
    /// What happened.
    pub category: ChangeCategory,
}

/// What a [`Change`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChangeCategory {
    /// `update`: a new timestamp was published.
    Update,
    /// `deletion`: the GUN's trust data was deleted.
    Deletion,
    /// A category this client does not know.
    Other(String),
}

#[derive(Deserialize)]
struct WireFeed {
    count: u64,
    #[serde(default)]
    records: Option<Vec<WireChange>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireChange {
    #[serde(rename = "ID")]
    id: String,
    created_at: String,
    #[serde(rename = "GUN")]
    gun: String,
    version: u64,
    #[serde(rename = "SHA256", default)]
    sha256: String,
    category: String,
}

/// Parses a changefeed body.
pub(crate) fn parse_changefeed(body: &[u8], resource: &str) -> Result<Changefeed, ServerError> {
    let malformed = |reason: String| ServerError::Malformed { resource: resource.to_owned(), reason };
    let wire: WireFeed = serde_json::from_slice(body).map_err(|e| malformed(format!("not a changefeed ({e})")))?;
    let records = wire
        .records
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            let (id, at) = (clip(&c.id), clip(&c.created_at));
            let created_at = DateTime::parse_from_rfc3339(&c.created_at)
                .map_err(|e| malformed(format!("record {id}: CreatedAt {at:?} is not a time ({e})")))?
                .with_timezone(&Utc);
            let category = match c.category.as_str() {
                "update" => ChangeCategory::Update,
                "deletion" => ChangeCategory::Deletion,
                _ => ChangeCategory::Other(c.category),
            };
            Ok(Change { id: c.id, created_at, gun: c.gun, version: c.version, sha256: c.sha256, category })
        })
        .collect::<Result<Vec<_>, ServerError>>()?;
    Ok(Changefeed { count: wire.count, records })
}

impl NotaryServer {
    /// A page of the changefeed: of `gun` (token scope `repository:<GUN>:pull`) or, with
    /// `None`, of the whole server (scope `registry:catalog:*`, usually for admins only).
    ///
    /// `change_id` is where to start (`"0"` or `""` for the beginning, otherwise the ID of the
    /// last record seen); `records` is the page size (0 = the server's default of 100). A
    /// negative `records` pages backwards: the `-records` changes before `change_id`, still
    /// oldest first; use `change_id` `"-1"` for the newest changes (notary 0.7's memory store
    /// fails on `"0"` with a negative `records`).
    pub async fn changefeed(
        &self,
        gun: Option<&Gun>,
        change_id: &str,
        records: i64,
    ) -> Result<Changefeed, ServerError> {
        let (mut url, scope, who) = match gun {
            Some(gun) => (self.gun_url(gun, "changefeed")?, Scope::repository(gun, &["pull"]), gun.to_string()),
            None => (self.global_url("changefeed")?, Scope::catalog(), "all repositories".to_owned()),
        };
        url.query_pairs_mut().append_pair("change_id", change_id).append_pair("records", &records.to_string());
        let resource = format!("{who}: changefeed ({url})");
        let call = Call { method: Method::GET, url, scope, body: None, limit: limits::MAX_DOWNLOAD, resource };
        let body = self.call(&call).await?;
        parse_changefeed(&body, &call.resource)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_changefeed() {
        let body = br#"{"count":2,"records":[{"ID":"1","CreatedAt":"2026-11-26T15:26:46.297480237Z","GUN":"localhost:5000/demo/app","Version":1,"SHA256":"5b4c14ef122a667959b05f5227553c4ed21ed7aee38b9a0b4800af8f48a5d4fa","Category":"update"},{"ID":"7","CreatedAt":"2026-11-26T15:27:13.264620752Z","GUN":"localhost:5000/demo/app","Version":0,"SHA256":"","Category":"deletion"}]}"#;
        let feed = parse_changefeed(body, "r").unwrap();
        assert_eq!(feed.count, 2);
        assert_eq!(feed.records[0].id, "1");
        assert_eq!(feed.records[0].gun, "localhost:5000/demo/app");
        assert_eq!(feed.records[0].version, 1);
        assert_eq!(feed.records[0].category, ChangeCategory::Update);
        assert_eq!(feed.records[0].created_at.to_rfc3339(), "2026-11-26T15:26:46.297480237+00:00");
        assert_eq!(feed.records[1].category, ChangeCategory::Deletion);
        let empty = parse_changefeed(br#"{"count":0,"records":null}"#, "r").unwrap();
        assert!(empty.records.is_empty());
        let other = parse_changefeed(
            br#"{"count":1,"records":[{"ID":"1","CreatedAt":"2026-11-26T15:26:46Z","GUN":"g","Version":1,"SHA256":"","Category":"weird"}]}"#,
            "r",
        )
        .unwrap();
        assert_eq!(other.records[0].category, ChangeCategory::Other("weird".into()));
        assert!(parse_changefeed(b"[]", "r").is_err());
        let e = parse_changefeed(
            br#"{"count":1,"records":[{"ID":"9","CreatedAt":"yesterday","GUN":"g","Version":1,"SHA256":"","Category":"update"}]}"#,
            "r",
        )
        .unwrap_err();
        assert!(e.to_string().contains("record 9"), "{e}");
        let body = format!(
            r#"{{"count":1,"records":[{{"ID":"{}","CreatedAt":"{}","GUN":"g","Version":1,"Category":"update"}}]}}"#,
            "i".repeat(100_000),
            "t".repeat(100_000)
        );
        let e = parse_changefeed(body.as_bytes(), "r").unwrap_err().to_string();
        assert!(e.len() < 1000 && e.contains("100000 bytes in all"), "{}", e.len());
    }
}
