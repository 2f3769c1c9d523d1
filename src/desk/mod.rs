//! The signing desk's server side: drafts that officials co-sign before a
//! statement goes on the ledger, and the dry run that tells whether an
//! envelope would be accepted.
//!
//! A draft is not a ledger entry: it lives in its own table, changes (it
//! gains signatures, is withdrawn, expires) and is never part of the log
//! or the state hash. What it still lacks comes from the same rules that
//! judge appends ([`crate::governance::State::assess`]); once nothing is
//! missing it is appended and records the entry it became.

mod error;

pub use self::error::DeskError;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::governance::Governance;
use crate::governance::apply::{Assessment, Missing};
use crate::governance::views::Words;
use crate::ledger::entry::{format_time, parse_time};
use crate::ledger::rules::Refusal;
use crate::ledger::statement::{
    Envelope, EnvelopeError, EnvelopeSignature, PAYLOAD_TYPE, VerifiedEnvelope, pae,
};
use crate::ledger::{Ledger, LedgerError, Prospect};
use crate::store::{DraftFilter, DraftRow};

/// How long a draft waits for its signatures by default.
pub const DEFAULT_DRAFT_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);
/// How many pending drafts one key may have opened at a time, by default.
pub const DEFAULT_PENDING_PER_KEY: u64 = 50;
/// The most drafts one listing returns.
pub const MAX_LISTED: u64 = 200;
/// The DSSE payload type of a draft's withdrawal (docs/FORMAT.md §9).
pub const WITHDRAWAL_PAYLOAD_TYPE: &str = "application/vnd.prasasti.draft-withdrawal";

/// The desk's limits.
#[derive(Clone, Debug)]
pub struct DeskLimits {
    /// How long a draft waits for its signatures.
    pub draft_lifetime: Duration,
    /// Pending drafts per opening key.
    pub pending_per_key: u64,
}

impl Default for DeskLimits {
    fn default() -> DeskLimits {
        DeskLimits {
            draft_lifetime: DEFAULT_DRAFT_LIFETIME,
            pending_per_key: DEFAULT_PENDING_PER_KEY,
        }
    }
}

/// Where a draft is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DraftStatus {
    /// Waiting for signatures.
    Pending,
    /// On the ledger (`entry`).
    Submitted,
    /// Its time ran out before it was complete.
    Expired,
    /// One of its signers withdrew it.
    Withdrawn,
}

impl DraftStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DraftStatus::Pending => "pending",
            DraftStatus::Submitted => "submitted",
            DraftStatus::Expired => "expired",
            DraftStatus::Withdrawn => "withdrawn",
        }
    }

    fn parse(text: &str) -> Option<DraftStatus> {
        [
            DraftStatus::Pending,
            DraftStatus::Submitted,
            DraftStatus::Expired,
            DraftStatus::Withdrawn,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// Who signed a draft, and what their key proves now.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SignedBy {
    /// The key.
    pub keyid: String,
    /// The holder's name, if the key is bound to a mandate.
    pub name: Option<String>,
    /// The offices it signs for now.
    pub offices: Vec<String>,
    /// Whether it is a registrar key.
    pub registrar: bool,
}

/// A draft as the API shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Draft {
    /// The draft's id.
    pub id: String,
    /// The envelope with every signature so far.
    pub envelope: Envelope,
    /// The statement being signed.
    #[schema(value_type = Object)]
    pub statement: Map<String, Value>,
    /// What the statement says, in words.
    pub words: Words,
    /// The signers so far.
    pub signed_by: Vec<SignedBy>,
    /// What it still lacks (empty once submitted).
    pub missing: Vec<Missing>,
    /// Where it is.
    pub status: DraftStatus,
    /// The ledger entry it became, once submitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<u64>,
    /// When it was opened (UTC).
    pub created_at: String,
    /// When it expires unless it is complete (UTC).
    pub expires_at: String,
}

/// What a dry run found.
#[derive(Debug)]
pub enum Verdict {
    /// Appending it now would be accepted.
    Acceptable,
    /// The identical envelope is already this entry.
    InLog(u64),
    /// The rules would refuse it (`refusal`) for want of signatures.
    Lacking {
        /// The refusal an append would meet now.
        refusal: Refusal,
        /// Each need no signature meets yet.
        missing: Vec<Missing>,
        /// A refusal that would follow even with those signatures.
        then: Option<Refusal>,
    },
}

/// The desk: drafts over a ledger and its governance.
#[derive(Clone)]
pub struct Desk {
    ledger: Ledger,
    governance: Governance,
    limits: DeskLimits,
}

impl Desk {
    /// A desk for `ledger`, judged by `governance`.
    pub fn new(ledger: Ledger, governance: Governance, limits: DeskLimits) -> Desk {
        Desk {
            ledger,
            governance,
            limits,
        }
    }

    /// Whether appending `envelope` now would be accepted, and if not, what
    /// it lacks; a refusal no signature can mend is an error, with the code
    /// the append would answer. Nothing is written.
    pub async fn check(&self, envelope: &VerifiedEnvelope) -> Result<Verdict, DeskError> {
        let entry = match self.ledger.prospect(envelope).await? {
            Prospect::InLog(index) => return Ok(Verdict::InLog(index)),
            Prospect::Next(entry) => entry,
        };
        Ok(match self.governance.assess(&entry, envelope).await? {
            Assessment::Acceptable => Verdict::Acceptable,
            Assessment::Lacking {
                refusal,
                missing,
                then,
            } => Verdict::Lacking {
                refusal,
                missing,
                then,
            },
        })
    }

    /// Opens a draft with an envelope signed at least once by a key that
    /// holds an office (or is a registrar's). An envelope that is complete
    /// already is appended at once.
    pub async fn open(&self, envelope: VerifiedEnvelope) -> Result<Draft, DeskError> {
        let now = Utc::now();
        let signed_by = self.signed_by(&envelope, now).await?;
        if !signed_by
            .iter()
            .any(|s| s.registrar || !s.offices.is_empty())
        {
            return Err(DeskError::NoMandate);
        }
        if let Some(existing) = self
            .ledger
            .store()
            .pending_draft_of(envelope.statement_id())
            .await?
            && !is_past(&existing.expires_at, now)
        {
            return Err(DeskError::DraftExists(existing.id));
        }
        let opener = envelope
            .envelope()
            .signatures
            .first()
            .map(|s| s.keyid.clone())
            .unwrap_or_default();
        self.ledger.store().expire_drafts(&format_time(now)).await?;
        if self.ledger.store().pending_drafts_by(&opener).await? >= self.limits.pending_per_key {
            return Err(DeskError::TooManyDrafts(self.limits.pending_per_key));
        }
        let expires = now
            + chrono::Duration::from_std(self.limits.draft_lifetime)
                .unwrap_or(chrono::Duration::MAX);
        let mut row = DraftRow {
            id: new_id()?,
            statement_id: envelope.statement_id().to_owned(),
            statement_type: envelope.statement_type().to_owned(),
            payload: envelope.envelope().payload.clone(),
            signatures: String::new(),
            created_by: opener,
            missing: String::new(),
            offices: String::new(),
            status: DraftStatus::Pending.as_str().to_owned(),
            entry_index: None,
            created_at: format_time(now),
            expires_at: format_time(expires),
            updated_at: format_time(now),
            version: 0,
        };
        match self.check(&envelope).await? {
            Verdict::InLog(index) => return Err(DeskError::InLedger(index)),
            Verdict::Acceptable => {
                let appended = self.ledger.submit(envelope.clone()).await?;
                row.status = DraftStatus::Submitted.as_str().to_owned();
                row.entry_index = Some(to_i64(appended.index));
                self.fill(&mut row, &envelope, &[], now).await?;
            }
            Verdict::Lacking {
                then: Some(refusal),
                ..
            } => return Err(LedgerError::Refused(refusal).into()),
            Verdict::Lacking { missing, .. } => {
                self.fill(&mut row, &envelope, &missing, now).await?
            }
        }
        if !self.ledger.store().insert_draft(row.clone()).await? {
            return Err(DeskError::DraftExists(
                self.ledger
                    .store()
                    .pending_draft_of(envelope.statement_id())
                    .await?
                    .map(|d| d.id)
                    .unwrap_or_default(),
            ));
        }
        self.view(row, now).await
    }

    /// One draft.
    pub async fn get(&self, id: &str) -> Result<Draft, DeskError> {
        let now = Utc::now();
        let row = self.row(id, now).await?;
        self.view(row, now).await
    }

    /// Drafts matching `filter`, newest first.
    pub async fn list(&self, filter: &DraftFilter) -> Result<Vec<Draft>, DeskError> {
        let now = Utc::now();
        let store = self.ledger.store();
        store.expire_drafts(&format_time(now)).await?;
        let mut drafts = Vec::new();
        for row in store.drafts(filter, MAX_LISTED).await? {
            drafts.push(self.view(row, now).await?);
        }
        Ok(drafts)
    }

    /// Adds a signature over the draft's exact payload. The draft is judged
    /// again, and appended once nothing is missing. A signature that meets
    /// nothing the draft lacks is refused.
    pub async fn sign(&self, id: &str, signature: EnvelopeSignature) -> Result<Draft, DeskError> {
        loop {
            let now = Utc::now();
            let row = self.row(id, now).await?;
            pending(&row)?;
            let mut envelope = row_envelope(&row)?;
            if envelope
                .signatures
                .iter()
                .any(|s| s.keyid == signature.keyid)
            {
                return Err(DeskError::AlreadySigned(signature.keyid));
            }
            envelope.signatures.push(signature.clone());
            let origin = self.ledger.origin().to_owned();
            let envelope = VerifiedEnvelope::check(envelope, &origin)?;
            let before: Vec<Missing> = serde_json::from_str(&row.missing).unwrap_or_default();
            let verdict = self.check(&envelope).await?;
            let after = match &verdict {
                Verdict::Lacking { then: Some(r), .. } => {
                    return Err(LedgerError::Refused(r.clone()).into());
                }
                Verdict::Lacking { missing, .. } => missing.clone(),
                _ => Vec::new(),
            };
            if !after.is_empty() && after == before {
                return Err(DeskError::NotNeeded {
                    keyid: signature.keyid.clone(),
                    missing: before,
                });
            }
            let mut next = row.clone();
            next.version += 1;
            next.updated_at = format_time(now);
            self.fill(&mut next, &envelope, &after, now).await?;
            if !self
                .ledger
                .store()
                .update_draft(next.clone(), row.version)
                .await?
            {
                continue; // another signature came first: judge again
            }
            if let Verdict::Acceptable = verdict {
                let appended = self.ledger.submit(envelope).await?;
                let mut done = next.clone();
                done.version += 1;
                done.status = DraftStatus::Submitted.as_str().to_owned();
                done.entry_index = Some(to_i64(appended.index));
                // Whoever records it first, the entry is the same.
                self.ledger.store().update_draft(done, next.version).await?;
            }
            return self.get(id).await;
        }
    }

    /// Withdraws a pending draft. `signature` is by one of its signers over
    /// the withdrawal message of docs/FORMAT.md §9.
    pub async fn withdraw(
        &self,
        id: &str,
        signature: EnvelopeSignature,
    ) -> Result<Draft, DeskError> {
        let now = Utc::now();
        let row = self.row(id, now).await?;
        pending(&row)?;
        let envelope = row_envelope(&row)?;
        if !envelope
            .signatures
            .iter()
            .any(|s| s.keyid == signature.keyid)
        {
            return Err(DeskError::NotASigner(signature.keyid));
        }
        let message = withdrawal_message(self.ledger.origin(), &row.id, &row.statement_id);
        verify(&signature, &message)?;
        let mut next = row.clone();
        next.version += 1;
        next.status = DraftStatus::Withdrawn.as_str().to_owned();
        next.updated_at = format_time(now);
        if !self.ledger.store().update_draft(next, row.version).await? {
            return Err(DeskError::Changed);
        }
        self.get(id).await
    }

    /// The row of draft `id`, with a pending draft whose statement reached
    /// the ledger (a server stopped between the append and the update)
    /// brought up to date.
    async fn row(&self, id: &str, now: DateTime<Utc>) -> Result<DraftRow, DeskError> {
        let store = self.ledger.store();
        let mut row = store
            .draft(id)
            .await?
            .ok_or_else(|| DeskError::NotFound(id.to_owned()))?;
        if row.status == DraftStatus::Pending.as_str() {
            if let Some(stored) = store.entry_by_statement(&row.statement_id).await? {
                let mut next = row.clone();
                next.version += 1;
                next.status = DraftStatus::Submitted.as_str().to_owned();
                next.entry_index = Some(to_i64(stored.index));
                next.missing = "[]".into();
                next.updated_at = format_time(now);
                store.update_draft(next, row.version).await?;
                row = store
                    .draft(id)
                    .await?
                    .ok_or_else(|| DeskError::NotFound(id.to_owned()))?;
            } else if is_past(&row.expires_at, now) {
                store.expire_drafts(&format_time(now)).await?;
                row.status = DraftStatus::Expired.as_str().to_owned();
            }
        }
        Ok(row)
    }

    /// Fills a row's signatures, what it lacks and the offices it concerns.
    async fn fill(
        &self,
        row: &mut DraftRow,
        envelope: &VerifiedEnvelope,
        missing: &[Missing],
        now: DateTime<Utc>,
    ) -> Result<(), DeskError> {
        row.signatures = serde_json::to_string(&envelope.envelope().signatures)
            .map_err(|e| DeskError::Internal(e.to_string()))?;
        row.missing =
            serde_json::to_string(missing).map_err(|e| DeskError::Internal(e.to_string()))?;
        let folded = self.governance.current().await?;
        let mut offices: Vec<String> = self
            .signed_by(envelope, now)
            .await?
            .into_iter()
            .flat_map(|s| s.offices)
            .collect();
        for m in missing {
            offices.extend(folded.state.offices_meeting(&m.any_of, now));
        }
        offices.sort();
        offices.dedup();
        row.offices = format!(" {} ", offices.join(" "));
        Ok(())
    }

    async fn signed_by(
        &self,
        envelope: &VerifiedEnvelope,
        now: DateTime<Utc>,
    ) -> Result<Vec<SignedBy>, DeskError> {
        let folded = self.governance.current().await?;
        let keys: Vec<String> = envelope
            .envelope()
            .signatures
            .iter()
            .map(|s| s.keyid.clone())
            .collect();
        Ok(folded
            .state
            .standings(&keys, now)
            .into_iter()
            .map(|s| SignedBy {
                keyid: s.keyid,
                name: s.name,
                offices: s.offices.into_iter().map(|(o, _)| o).collect(),
                registrar: s.registrar,
            })
            .collect())
    }

    async fn view(&self, row: DraftRow, now: DateTime<Utc>) -> Result<Draft, DeskError> {
        let envelope = row_envelope(&row)?;
        let verified = VerifiedEnvelope::from_own_log_without_signature_checks(
            envelope.clone(),
            self.ledger.origin(),
        )?;
        let status = DraftStatus::parse(&row.status).ok_or_else(|| {
            DeskError::Internal(format!("draft {} has status {}", row.id, row.status))
        })?;
        let status = if status == DraftStatus::Pending && is_past(&row.expires_at, now) {
            DraftStatus::Expired
        } else {
            status
        };
        let folded = self.governance.current().await?;
        Ok(Draft {
            words: folded.state.words_of(verified.statement()),
            signed_by: self.signed_by(&verified, now).await?,
            statement: verified.statement().clone(),
            missing: if status == DraftStatus::Submitted {
                Vec::new()
            } else {
                serde_json::from_str(&row.missing).unwrap_or_default()
            },
            id: row.id,
            envelope,
            status,
            entry: row.entry_index.and_then(|i| u64::try_from(i).ok()),
            created_at: row.created_at,
            expires_at: row.expires_at,
        })
    }
}

/// The message a signer of a draft signs to withdraw it: the DSSE
/// pre-authentication encoding of [`WITHDRAWAL_PAYLOAD_TYPE`] and
/// `prasasti draft withdrawal\n<origin>\n<draft id>\n<statement id>\n`.
pub fn withdrawal_message(origin: &str, draft: &str, statement_id: &str) -> Vec<u8> {
    let body = format!("prasasti draft withdrawal\n{origin}\n{draft}\n{statement_id}\n");
    pae(WITHDRAWAL_PAYLOAD_TYPE, body.as_bytes())
}

fn verify(signature: &EnvelopeSignature, message: &[u8]) -> Result<(), DeskError> {
    let key: [u8; 32] = hex::decode(&signature.keyid)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(EnvelopeError::BadKeyId { position: 0 })?;
    let key =
        VerifyingKey::from_bytes(&key).map_err(|_| EnvelopeError::BadKeyId { position: 0 })?;
    let sig = STANDARD
        .decode(signature.sig.as_bytes())
        .ok()
        .and_then(|b| Signature::from_slice(&b).ok())
        .ok_or(EnvelopeError::BadSignatureEncoding { position: 0 })?;
    key.verify_strict(message, &sig)
        .map_err(|_| EnvelopeError::InvalidSignature {
            keyid: signature.keyid.clone(),
        })?;
    Ok(())
}

fn pending(row: &DraftRow) -> Result<(), DeskError> {
    match DraftStatus::parse(&row.status) {
        Some(DraftStatus::Pending) => Ok(()),
        Some(status) => Err(DeskError::NotPending {
            status,
            entry: row.entry_index.and_then(|i| u64::try_from(i).ok()),
        }),
        None => Err(DeskError::Internal(format!(
            "draft {} has status {}",
            row.id, row.status
        ))),
    }
}

fn row_envelope(row: &DraftRow) -> Result<Envelope, DeskError> {
    Ok(Envelope {
        payload_type: PAYLOAD_TYPE.to_owned(),
        payload: row.payload.clone(),
        signatures: serde_json::from_str(&row.signatures)
            .map_err(|e| DeskError::Internal(format!("draft {}: {e}", row.id)))?,
    })
}

fn is_past(time: &str, now: DateTime<Utc>) -> bool {
    parse_time(time).is_some_and(|t| t <= now)
}

/// A draft's id: 16 random bytes in hex.
fn new_id() -> Result<String, DeskError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| DeskError::Internal(format!("no randomness: {e}")))?;
    Ok(hex::encode(bytes))
}

fn to_i64(index: u64) -> i64 {
    i64::try_from(index).unwrap_or(i64::MAX)
}
