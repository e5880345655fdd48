//! `docker trust inspect`'s two output formats, byte for byte: the JSON (`inspect.Inspect` with
//! Go's `encoding/json`) and the `--pretty` text (`prettyPrintTrustInfo`, its tables laid out
//! by docker's copy of Go's `text/tabwriter`).

use std::fmt::Write as _;

use serde::Serialize;

use super::inspect::{REPO_ADMIN, TrustInspect, natural_cmp};

impl TrustInspect {
    /// `docker trust inspect --pretty NAME`: the signed tags, the signers and their keys, and
    /// the administrative keys of the repository, as docker prints them (headings name
    /// [`TrustInspect::name`], the reference as given). Print it with `print!`; docker puts a
    /// blank line (`"\n\n"`) between the reports of several repositories.
    ///
    /// ```
    /// use notary_client::docker::{KeyRef, SignedTag, SignerKeys, TrustInspect};
    /// let keys = |ids: &[&str]| ids.iter().map(|id| KeyRef { id: id.to_string() }).collect();
    /// let report = TrustInspect {
    ///     name: "example.com/app".into(),
    ///     signed_tags: vec![SignedTag {
    ///         signed_tag: "1.0".into(),
    ///         digest: "c0ffee".into(),
    ///         signers: vec!["alice".into()],
    ///     }],
    ///     signers: vec![SignerKeys { name: "alice".into(), keys: keys(&["d9f762f557ff0123"]) }],
    ///     administrative_keys: vec![
    ///         SignerKeys { name: "Root".into(), keys: keys(&["9f8e"]) },
    ///         SignerKeys { name: "Repository".into(), keys: keys(&["1b2c"]) },
    ///     ],
    /// };
    /// assert_eq!(
    ///     report.pretty(),
    ///     concat!(
    ///         "\nSignatures for example.com/app\n\n",
    ///         "SIGNED TAG   DIGEST    SIGNERS\n",
    ///         "1.0          c0ffee    alice\n",
    ///         "\nList of signers and their keys for example.com/app\n\n",
    ///         "SIGNER    KEYS\n",
    ///         "alice     d9f762f557ff\n",
    ///         "\nAdministrative keys for example.com/app\n\n",
    ///         "  Repository Key:\t1b2c\n",
    ///         "  Root Key:\t9f8e\n",
    ///     )
    /// );
    /// ```
    pub fn pretty(&self) -> String {
        let name = &self.name;
        let mut out = String::new();
        if self.signed_tags.is_empty() {
            let _ = write!(out, "\nNo signatures for {name}\n\n");
        } else {
            let _ = write!(out, "\nSignatures for {name}\n\n");
            let mut rows = vec![vec!["SIGNED TAG".to_owned(), "DIGEST".to_owned(), "SIGNERS".to_owned()]];
            for tag in &self.signed_tags {
                let signers = if tag.signers == [REPO_ADMIN] {
                    format!("({REPO_ADMIN})")
                } else {
                    let mut signers = tag.signers.clone();
                    signers.sort();
                    signers.join(", ")
                };
                rows.push(vec![tag.signed_tag.clone(), tag.digest.clone(), signers]);
            }
            out.push_str(&table(&rows));
        }
        if !self.signers.is_empty() {
            let _ = write!(out, "\nList of signers and their keys for {name}\n\n");
            let mut signers: Vec<_> = self.signers.iter().collect();
            signers.sort_by(|a, b| natural_cmp(&a.name, &b.name));
            let mut rows = vec![vec!["SIGNER".to_owned(), "KEYS".to_owned()]];
            for signer in signers {
                let mut ids: Vec<&str> = signer.keys.iter().map(|k| k.id.as_str()).collect();
                ids.sort_unstable();
                let ids: Vec<&str> = ids.into_iter().map(truncate_id).collect();
                rows.push(vec![signer.name.clone(), ids.join(", ")]);
            }
            out.push_str(&table(&rows));
        }
        let _ = write!(out, "\nAdministrative keys for {name}\n\n");
        // Sorted by role name descending (`targets` before `root`), with literal tabs.
        for (role, label) in [("Repository", "Repository Key"), ("Root", "Root Key")] {
            if let Some(admin) = self.administrative_keys.iter().find(|a| a.name == role) {
                let mut ids: Vec<&str> = admin.keys.iter().map(|k| k.id.as_str()).collect();
                ids.sort_unstable();
                let _ = writeln!(out, "  {label}:\t{}", ids.join(", "));
            }
        }
        out
    }
}

/// `docker trust inspect`'s JSON of `reports` (the repositories that could be read), byte for
/// byte without the final newline (print it with `println!`): an array indented by 4 spaces,
/// as Go's `json.Indent`, with `<`, `>`, `&`, U+2028 and U+2029 escaped as Go's encoder
/// escapes them. No repository gives `[]`, as docker prints when none could be read.
///
/// ```
/// use notary_client::docker::{KeyRef, SignerKeys, TrustInspect, inspect_json};
/// let report = TrustInspect {
///     name: "example.com/app".into(),
///     signed_tags: Vec::new(),
///     signers: Vec::new(),
///     administrative_keys: vec![SignerKeys { name: "Root".into(), keys: vec![KeyRef { id: "9f8e".into() }] }],
/// };
/// assert_eq!(
///     inspect_json(&[report])?,
///     r#"[
///     {
///         "Name": "example.com/app",
///         "SignedTags": [],
///         "Signers": [],
///         "AdministrativeKeys": [
///             {
///                 "Name": "Root",
///                 "Keys": [
///                     {
///                         "ID": "9f8e"
///                     }
///                 ]
///             }
///         ]
///     }
/// ]"#
/// );
/// assert_eq!(inspect_json(&[])?, "[]");
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn inspect_json(reports: &[TrustInspect]) -> Result<String, serde_json::Error> {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    reports.serialize(&mut serde_json::Serializer::with_formatter(&mut out, formatter))?;
    // serde_json writes UTF-8 only.
    Ok(go_escape(&String::from_utf8_lossy(&out)))
}

/// The characters Go's JSON encoder escapes and serde_json does not. They can only occur
/// inside strings, so escaping the whole text escapes them there.
fn go_escape(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// docker's table layout (its copy of Go's `text/tabwriter`: minimum width 10, padding 3,
/// the last column unpadded).
fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns.saturating_sub(1))
        .map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count() + 3).max().unwrap_or(0).max(10))
        .collect();
    let mut out = String::new();
    for row in rows {
        for (c, cell) in row.iter().enumerate() {
            match widths.get(c) {
                Some(&width) if c + 1 < row.len() => {
                    let _ = write!(out, "{cell:<width$}");
                }
                _ => out.push_str(cell),
            }
        }
        out.push('\n');
    }
    out
}

/// `stringid.TruncateID`: the first 12 characters (after an `algorithm:` prefix).
fn truncate_id(id: &str) -> &str {
    let id = id.split_once(':').map_or(id, |(_, hex)| hex);
    id.get(..12).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::{KeyRef, SignedTag, SignerKeys};

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    fn signer(name: &str, ids: &[&str]) -> SignerKeys {
        SignerKeys { name: name.into(), keys: ids.iter().map(|id| KeyRef { id: id.to_string() }).collect() }
    }

    fn report(signed_tags: Vec<SignedTag>, signers: Vec<SignerKeys>) -> TrustInspect {
        TrustInspect {
            name: "example.com/app".into(),
            signed_tags,
            signers,
            administrative_keys: vec![signer("Root", &["9f8e"]), signer("Repository", &["1b2c"])],
        }
    }

    fn tag(name: &str, signers: &[&str]) -> SignedTag {
        SignedTag { signed_tag: name.into(), digest: "c0ffee".into(), signers: row(signers) }
    }

    #[test]
    fn table_columns_are_at_least_ten_wide() {
        assert_eq!(
            table(&[row(&["SIGNER", "KEYS"]), row(&["alice", "d9f762f557ff"])]),
            "SIGNER    KEYS\nalice     d9f762f557ff\n"
        );
    }

    #[test]
    fn table_columns_are_the_widest_cell_plus_three() {
        assert_eq!(table(&[row(&["SIGNED TAG", "x"]), row(&["1", "y"])]), "SIGNED TAG   x\n1            y\n");
    }

    #[test]
    fn table_last_column_is_not_padded() {
        assert_eq!(
            table(&[row(&["a", "b"]), row(&["c", "a much longer last cell"])]),
            "a         b\nc         a much longer last cell\n"
        );
    }

    #[test]
    fn key_ids_are_truncated_to_twelve_characters_after_the_algorithm() {
        assert_eq!(truncate_id("d9f762f557ff0123456789"), "d9f762f557ff");
        assert_eq!(truncate_id("sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(truncate_id("short"), "short");
    }

    #[test]
    fn pretty_shows_tags_signed_only_by_the_repository_admin_in_parentheses() {
        let text = report(vec![tag("1.0", &[REPO_ADMIN])], Vec::new()).pretty();
        assert!(text.contains("\n1.0          c0ffee    (Repo Admin)\n"), "{text}");
    }

    #[test]
    fn pretty_lists_a_tag_s_signers_sorted_and_comma_separated() {
        let text = report(vec![tag("1.0", &["bob", "alice"])], Vec::new()).pretty();
        assert!(text.contains("\n1.0          c0ffee    alice, bob\n"), "{text}");
    }

    #[test]
    fn pretty_says_no_signatures_when_no_tag_is_signed() {
        let text = report(Vec::new(), Vec::new()).pretty();
        assert!(text.starts_with("\nNo signatures for example.com/app\n\n\nAdministrative keys"), "{text}");
    }

    #[test]
    fn pretty_sorts_signers_naturally() {
        let text = report(Vec::new(), vec![signer("v10", &["b"]), signer("v2", &["a"])]).pretty();
        assert!(text.contains("SIGNER    KEYS\nv2        a\nv10       b\n"), "{text}");
    }

    #[test]
    fn pretty_lists_administrative_keys_repository_first_with_tabs() {
        let text = report(Vec::new(), Vec::new()).pretty();
        assert!(text.ends_with("\n  Repository Key:\t1b2c\n  Root Key:\t9f8e\n"), "{text}");
    }

    #[test]
    fn json_escapes_html_characters_as_go() {
        assert_eq!(go_escape(r#""a<b>&c""#), r#""a\u003cb\u003e\u0026c""#);
    }

    #[test]
    fn json_escapes_line_and_paragraph_separators_as_go() {
        assert_eq!(go_escape("\"\u{2028}\u{2029}\""), r#""\u2028\u2029""#);
    }

    #[test]
    fn json_names_are_escaped_as_go() {
        let json = inspect_json(&[report(Vec::new(), Vec::new())].map(|r| TrustInspect { name: "a<b".into(), ..r }));
        assert!(json.expect("serialise").contains(r#""Name": "a\u003cb""#));
    }

    #[test]
    fn json_leaves_out_an_empty_key_list_as_docker_s_omitempty() {
        let json = inspect_json(&[report(Vec::new(), vec![signer("alice", &[])])]).expect("serialise");
        assert!(json.contains("{\n                \"Name\": \"alice\"\n            }"), "{json}");
    }

    #[test]
    fn json_indents_by_four_spaces() {
        let json = inspect_json(&[report(Vec::new(), Vec::new())]).expect("serialise");
        assert!(json.starts_with("[\n    {\n        \"Name\": \"example.com/app\",\n"), "{json}");
    }
}
