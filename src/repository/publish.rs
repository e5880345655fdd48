//! Publishing (spec §6.3, §5.1): download and verify the current state, apply the staged
//! changes, sign every changed role, upload everything in one multipart `POST`. A `400
//! VERSION` means another signer published first: the state is downloaded again and the
//! changes re-applied, a bounded number of times, so concurrent signers all end up published.

use std::time::Duration;

use ring::rand::{SecureRandom, SystemRandom};

use super::editor::{Editor, Files, Thresholds, refs};
use super::{Change, PublishError, Repository};
use crate::metadata::{RoleName, Root, Signed, Snapshot, Targets};
use crate::server::{MetadataName, limits};
use crate::trusted::TrustError;

/// What a publish uploaded.
#[derive(Clone, Default)]
pub struct Published {
    /// The files sent, in upload order (role, exact bytes). Empty when the changes were
    /// already in effect and nothing needed uploading.
    pub files: Vec<(RoleName, Vec<u8>)>,
    /// Attempts made (more than one after version conflicts).
    pub attempts: u32,
}

impl Published {
    /// The bytes uploaded for `role`, if it was.
    pub fn file(&self, role: &RoleName) -> Option<&[u8]> {
        self.files.iter().find(|(r, _)| r == role).map(|(_, b)| b.as_slice())
    }
}

/// Role files signed by some of their keys, to be co-signed by other key holders and then
/// published: how a role with threshold > 1 gets its signatures (notary cannot do this).
///
/// A draft is plain files: hand [`Draft::files`] to the next signer however suits (a CI
/// artifact, a directory), rebuild it with [`Draft::from_files`], then
/// [`Repository::cosign`] and finally [`Repository::publish_draft`].
#[derive(Clone)]
pub struct Draft {
    files: Vec<(RoleName, Vec<u8>)>,
}

/// Role names and sizes: the files themselves can be megabytes.
fn files_summary(files: &[(RoleName, Vec<u8>)]) -> Vec<String> {
    files.iter().map(|(role, bytes)| format!("{role} ({} bytes)", bytes.len())).collect()
}

impl std::fmt::Debug for Published {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Published")
            .field("files", &files_summary(&self.files))
            .field("attempts", &self.attempts)
            .finish()
    }
}

impl std::fmt::Debug for Draft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Draft").field("files", &files_summary(&self.files)).finish()
    }
}

impl Draft {
    /// A draft from role files (targets or delegations).
    pub fn from_files(files: Vec<(RoleName, Vec<u8>)>) -> Self {
        Draft { files }
    }

    /// The role files.
    pub fn files(&self) -> &[(RoleName, Vec<u8>)] {
        &self.files
    }

    fn parsed(&self) -> Result<Vec<Signed<Targets>>, PublishError> {
        let mut out = Vec::with_capacity(self.files.len());
        for (role, bytes) in &self.files {
            if !role.is_targets_like() {
                return Err(PublishError::InvalidChange {
                    role: role.to_string(),
                    reason: "a draft carries targets and delegation files only".into(),
                });
            }
            out.push(Signed::<Targets>::parse(role.clone(), bytes)?);
        }
        Ok(out)
    }
}

impl Repository {
    /// Applies `changes` on top of the server's current trust data and publishes them: every
    /// changed role is signed with version + 1 and a fresh expiry, root when it changed or
    /// expires within six months, the snapshot when the keyring holds its key; timestamp is the
    /// server's. On a version conflict the changes are re-applied to the newer state (up to
    /// [`Repository::with_max_attempts`] times). Nothing is uploaded when the changes are
    /// already in effect.
    ///
    /// ```no_run
    /// # async fn f(repo: notary_client::repository::Repository) -> Result<(), Box<dyn std::error::Error>> {
    /// use notary_client::metadata::{FileMeta, RoleName};
    /// use notary_client::repository::Change;
    /// let digest = [0x5a; 32]; // the manifest's sha256
    /// repo.publish(&[Change::add_target(RoleName::releases(), "1.2", FileMeta::sha256_only(digest, 528))]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn publish(&self, changes: &[Change]) -> Result<Published, PublishError> {
        let mut leftovers = Leftovers::default();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let Some(editor) = self.staged(changes, &mut leftovers).await? else {
                self.check_attempts(attempts)?;
                continue; // a role file appeared meanwhile: read again
            };
            if !editor.has_changes() {
                return Ok(Published { files: Vec::new(), attempts });
            }
            let files = editor.sign(&self.keys, Thresholds::Required).await?;
            if self.upload(&files, attempts).await? {
                return Ok(Published { files, attempts });
            }
        }
    }

    /// Like [`Repository::publish`] but uploads nothing: the changed targets and delegation
    /// files are signed with whatever keys the keyring holds (at least one per role) and
    /// returned as a [`Draft`] for the role's other key holders.
    pub async fn prepare(&self, changes: &[Change]) -> Result<Draft, PublishError> {
        let mut leftovers = Leftovers::default();
        let mut attempts = 0;
        let editor = loop {
            attempts += 1;
            if let Some(editor) = self.staged(changes, &mut leftovers).await? {
                break editor;
            }
            self.check_attempts(attempts)?;
        };
        Ok(Draft { files: editor.sign(&self.keys, Thresholds::Partial).await? })
    }

    /// Adds this keyring's signatures to every file of `draft` (other signatures over the same
    /// content are kept). Each file must still be the next version of its role and already
    /// carry a valid signature of one of the role's keys; review its content
    /// ([`Draft::files`]) before co-signing, as with any signature.
    pub async fn cosign(&self, draft: &Draft) -> Result<Draft, PublishError> {
        let editor = self.editor().await?;
        let mut files = Vec::with_capacity(draft.files.len());
        for mut file in draft.parsed()? {
            editor.check_draft(&file, Thresholds::Partial)?;
            let signers = editor.signers(file.role(), &self.keys, Thresholds::Partial)?;
            file.add_signatures(&refs(&signers)).await?;
            files.push((file.role().clone(), file.to_file_bytes()?));
        }
        Ok(Draft { files })
    }

    /// Publishes a co-signed draft as it is: each file must follow the server's current
    /// version of its role and meet the role's threshold (checked here, before upload). The
    /// snapshot is re-signed when the keyring holds its key. A draft that lost a race is
    /// [`PublishError::StaleDraft`]: prepare it again.
    pub async fn publish_draft(&self, draft: &Draft) -> Result<Published, PublishError> {
        let mut editor = self.editor().await?;
        for file in draft.parsed()? {
            editor.put_signed(file)?;
        }
        let files = editor.sign(&self.keys, Thresholds::Required).await?;
        match self.remote.publish(&self.gun, &files).await {
            Ok(()) => Ok(Published { files, attempts: 1 }),
            // Its signatures cannot be re-applied to the newer state: the draft must be redone.
            Err(e) if e.is_version_conflict() => Err(PublishError::StaleDraft {
                gun: self.gun.to_string(),
                reason: "another signer published first; prepare the draft again".into(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// [`Repository::update`] with its error as a [`PublishError`] (for workflows that look at
    /// the current state before publishing).
    pub(crate) async fn verified_state(&self) -> Result<crate::trusted::TrustedRepository, PublishError> {
        self.update()
            .await
            .map_err(|source| PublishError::Update { gun: self.gun.to_string(), source: Box::new(source) })
    }

    /// Uploads `files`: `Ok(false)` after a version conflict (after a randomised pause), or
    /// [`PublishError::Conflict`] once the attempts are used up.
    pub(crate) async fn upload(&self, files: &Files, attempt: u32) -> Result<bool, PublishError> {
        match self.remote.publish(&self.gun, files).await {
            Ok(()) => Ok(true),
            Err(e) if e.is_version_conflict() => {
                self.check_attempts(attempt)?;
                tokio::time::sleep(conflict_backoff(attempt)).await;
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// [`PublishError::Conflict`] once `attempts` reached the limit.
    fn check_attempts(&self, attempts: u32) -> Result<(), PublishError> {
        if attempts >= self.max_attempts {
            return Err(PublishError::Conflict { gun: self.gun.to_string(), attempts });
        }
        Ok(())
    }

    /// The state to edit: the server's, verified; or, when the server has none, the metadata
    /// initialised here and not yet published.
    pub(crate) async fn editor(&self) -> Result<Editor, PublishError> {
        let now = self.clock.now();
        match self.update().await {
            Ok(trusted) if trusted.served_from_cache() => Err(PublishError::Offline {
                gun: self.gun.to_string(),
                reason: trusted.warnings().iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
            }),
            Ok(trusted) => Ok(Editor::from_trusted(&self.gun, &trusted, now)),
            Err(e) if self.server_has_no_repository(&e).await => self.unpublished_editor(now),
            Err(source) => Err(PublishError::Update { gun: self.gun.to_string(), source: Box::new(source) }),
        }
    }

    /// Whether an update failed because the server has no trust data for the GUN (asked
    /// again for `root.json` when only a later file was missing).
    async fn server_has_no_repository(&self, e: &TrustError) -> bool {
        match e.reason() {
            TrustError::RepositoryNotFound { .. } => true,
            TrustError::Server(s) if s.is_not_found() => matches!(
                self.remote.get_metadata(&self.gun, &MetadataName::Current(RoleName::root()), limits::MAX_DOWNLOAD).await,
                Err(e) if e.is_not_found()
            ),
            _ => false,
        }
    }

    /// The cached metadata of [`Repository::init`] (or `notary init`), verified against its own
    /// root.
    fn unpublished_editor(&self, now: chrono::DateTime<chrono::Utc>) -> Result<Editor, PublishError> {
        let not_initialized = || PublishError::NotInitialized { gun: self.gun.to_string() };
        let cache = self.trust_dir.repository(&self.gun)?;
        let source = cache.source();
        let read = |role: &RoleName| -> Result<Option<Vec<u8>>, PublishError> {
            use crate::trusted::MetadataSource;
            source.read(role).map_err(|e| PublishError::InvalidChange { role: role.to_string(), reason: e.to_string() })
        };
        let root_bytes = read(&RoleName::root())?.ok_or_else(not_initialized)?;
        let targets_bytes = read(&RoleName::targets())?.ok_or_else(not_initialized)?;
        let root = Signed::<Root>::parse(RoleName::root(), &root_bytes)?;
        let verify = |role: &str, result: Result<_, crate::metadata::VerifyError>| {
            result.map_err(|e| PublishError::InvalidChange {
                role: role.to_owned(),
                reason: format!("the locally initialised {role}.json does not verify: {e}"),
            })
        };
        verify("root", root.verify(&root.signed().trusted_keys("root")))?;
        let targets = Signed::<Targets>::parse(RoleName::targets(), &targets_bytes)?;
        verify("targets", targets.verify(&root.signed().trusted_keys("targets")))?;
        let snapshot = match read(&RoleName::snapshot())? {
            Some(bytes) => {
                let snapshot = Signed::<Snapshot>::parse(RoleName::snapshot(), &bytes)?;
                verify("snapshot", snapshot.verify(&root.signed().trusted_keys("snapshot")))?;
                Some(snapshot)
            }
            None => None,
        };
        Ok(Editor::unpublished(&self.gun, root, targets, snapshot, now))
    }

    /// The current state with `changes` applied, or `None` when a role file this state lacks
    /// turned out to exist on the server and the state must be read again.
    async fn staged(&self, changes: &[Change], leftovers: &mut Leftovers) -> Result<Option<Editor>, PublishError> {
        let mut editor = self.editor().await?;
        for change in changes {
            editor.apply(change, &self.keys)?;
        }
        for role in editor.new_role_files() {
            let Some((version, file)) = self.server_file(&role).await else { continue };
            if leftovers.get(&role) != Some(&version) {
                // Most likely another signer just published the role's first file: building
                // on an empty file would drop its targets, so read the state again.
                leftovers.insert(role, version);
                return Ok(None);
            }
            // Still not part of the verified state on a fresh read. A file the role's current
            // keys sign may be live data (a lagging read): never overwrite it with an empty one.
            if file.is_some_and(|f| editor.role_keys(&role).is_ok_and(|keys| f.verify(&keys).is_ok())) {
                return Err(PublishError::InvalidChange {
                    role: role.to_string(),
                    reason: format!(
                        "the server holds version {version} of this role, signed by its current keys, which the \
                         verified trust data does not list (a lagging read, or the role deleted and delegated \
                         again to the same keys); refusing to replace it with a new file"
                    ),
                });
            }
            // A file left behind by a deleted delegation: number ours after it so the upload
            // is not refused forever.
            editor.raise_base(&role, version);
        }
        Ok(Some(editor))
    }

    /// The version of `role`'s current file on the server and the file if it parses, read
    /// without verification (only to tell a new role from one the server has a file for).
    async fn server_file(&self, role: &RoleName) -> Option<(u64, Option<Signed<Targets>>)> {
        let name = MetadataName::Current(role.clone());
        let bytes = self.remote.get_metadata(&self.gun, &name, limits::MAX_DOWNLOAD).await.ok()?;
        let version =
            serde_json::from_slice::<serde_json::Value>(&bytes).ok()?.get("signed")?.get("version")?.as_u64()?;
        Some((version, Signed::<Targets>::parse(role.clone(), &bytes).ok()))
    }
}

/// Role files found on the server but not in the verified state, with their versions.
type Leftovers = std::collections::BTreeMap<RoleName, u64>;

/// A randomised pause before retrying after a conflict, growing with the attempt: spreads
/// concurrent signers out so that each round one of them gets through.
fn conflict_backoff(attempt: u32) -> Duration {
    let mut byte = [0u8; 1];
    let jitter = SystemRandom::new().fill(&mut byte).map_or(128, |()| u64::from(byte[0]));
    let base = 10u64 << attempt.min(5);
    Duration::from_millis(base / 2 + base * jitter / 255)
}
