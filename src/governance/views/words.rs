//! Statements in words: one sentence a statement, in Bahasa Indonesia and
//! in English, naming things by their titles and holders rather than ids,
//! and the ledger's times in the government's time zone. The one renderer
//! behind the signing desk, the ledger explorer, the home page and the
//! Atom feed.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::governance::model::*;
use crate::governance::state::*;

/// A sentence in both languages of the site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Words {
    /// In Bahasa Indonesia.
    pub id: String,
    /// In English.
    pub en: String,
}

impl Words {
    fn new(id: impl Into<String>, en: impl Into<String>) -> Words {
        Words {
            id: id.into(),
            en: en.into(),
        }
    }
}

impl State {
    /// What a statement object (`type`, `ledger`, `id` and its fields) says,
    /// in words. One the rules cannot read is named by its type.
    pub fn words_of(&self, object: &Map<String, Value>) -> Words {
        let kind = object.get("type").and_then(Value::as_str).unwrap_or("?");
        match Statement::parse(kind, object) {
            Ok(statement) => self.words(&statement),
            Err(_) => Words::new(format!("Pernyataan {kind}"), format!("Statement {kind}")),
        }
    }

    /// What a statement says, in words.
    pub fn words(&self, statement: &Statement) -> Words {
        let q = |s: &str| format!("«{s}»");
        let head = self.head_office_name();
        match statement {
            Statement::Genesis(p) => Words::new(
                format!(
                    "Buku besar {} dimulai, dengan {} registrar",
                    p.government.name,
                    p.registrars.keys.len()
                ),
                format!(
                    "The ledger of {} begins, with {} registrars",
                    p.government.name,
                    p.registrars.keys.len()
                ),
            ),
            Statement::RegistrarsUpdate(p) => Words::new(
                format!(
                    "Registrar diganti: {} kunci, {} tanda tangan diperlukan",
                    p.keys.len(),
                    p.threshold
                ),
                format!(
                    "The registrars change: {} keys, {} signatures needed",
                    p.keys.len(),
                    p.threshold
                ),
            ),
            Statement::OfficeEstablish(p) => Words::new(
                format!("Jabatan {} ({}) dibentuk", p.office.name, p.office.unit),
                format!(
                    "The office {} ({}) is established",
                    p.office.name, p.office.unit
                ),
            ),
            Statement::MandateBegin(p) => {
                let office = self.office_title(p.mandate.office.as_str());
                Words::new(
                    format!(
                        "{} mulai menjabat {office} ({}) sejak {}",
                        p.mandate.holder.name,
                        kind_id(p.mandate.kind),
                        p.mandate.from
                    ),
                    format!(
                        "{} takes office as {office} ({}) from {}",
                        p.mandate.holder.name,
                        kind_en(p.mandate.kind),
                        p.mandate.from
                    ),
                )
            }
            Statement::MandateEnd(p) => {
                let who = self.mandate_title(p.mandate.as_str());
                Words::new(
                    format!("Masa jabatan {who} berakhir pada {}", p.at),
                    format!("The mandate of {who} ends on {}", p.at),
                )
            }
            Statement::KeyAdd(p) => {
                let who = self.mandate_title(p.mandate.as_str());
                Words::new(
                    format!("Kunci baru ditambahkan untuk {who}"),
                    format!("A new key is added for {who}"),
                )
            }
            Statement::KeyRevoke(p) => {
                let key = short(p.key.as_str());
                Words::new(
                    format!("Kunci {key} dicabut: {}", p.reason),
                    format!("Key {key} is revoked: {}", p.reason),
                )
            }
            Statement::DocumentRegister(p) => Words::new(
                format!(
                    "Dokumen {} {} didaftarkan",
                    serde_name(&p.document.kind),
                    q(p.document.title.as_str())
                ),
                format!(
                    "The {} {} is registered",
                    serde_name(&p.document.kind),
                    q(p.document.title.as_str())
                ),
            ),
            Statement::ProgrammeRegister(p) => Words::new(
                format!("Program {} didaftarkan", q(p.programme.title.as_str())),
                format!(
                    "The programme {} is registered",
                    q(p.programme.title.as_str())
                ),
            ),
            Statement::ProgrammeUpdate(p) => Words::new(
                format!("Program {} diperbarui", q(p.programme.title.as_str())),
                format!("The programme {} is updated", q(p.programme.title.as_str())),
            ),
            Statement::CommitmentMake(p) => {
                let programme = q(&self.programme_title(p.commitment.programme.as_str()));
                let title = q(p.commitment.title.as_str());
                let amount = rupiah(p.commitment.budget.amount.as_str());
                Words::new(
                    format!(
                        "Komitmen {title} dibuat dalam program {programme}, anggaran {amount}, tenggat {}",
                        p.commitment.due
                    ),
                    format!(
                        "The commitment {title} is made in the programme {programme}, budget {amount}, due {}",
                        p.commitment.due
                    ),
                )
            }
            Statement::CommitmentAmend(p) => {
                let title = q(&self.commitment_title(p.commitment.as_str()));
                Words::new(
                    format!("Komitmen {title} diubah: {}", p.justification),
                    format!("The commitment {title} is amended: {}", p.justification),
                )
            }
            Statement::CommitmentReaffirm(p) => {
                let title = q(&self.commitment_title(p.commitment.as_str()));
                Words::new(
                    format!("{head} menegaskan kembali komitmen {title}"),
                    format!("The {head} reaffirms the commitment {title}"),
                )
            }
            Statement::CommitmentDiscontinue(p) => {
                let title = q(&self.commitment_title(p.commitment.as_str()));
                Words::new(
                    format!("Komitmen {title} dihentikan: {}", p.justification),
                    format!(
                        "The commitment {title} is discontinued: {}",
                        p.justification
                    ),
                )
            }
            Statement::CommitmentComplete(p) => {
                let title = q(&self.commitment_title(p.commitment.as_str()));
                Words::new(
                    format!("Komitmen {title} dinyatakan selesai"),
                    format!("The commitment {title} is completed"),
                )
            }
            Statement::MilestoneSchedule(p) => {
                let title = q(p.milestone.title.as_str());
                Words::new(
                    format!("Tonggak {title} dijadwalkan, tenggat {}", p.milestone.due),
                    format!(
                        "The milestone {title} is scheduled, due {}",
                        p.milestone.due
                    ),
                )
            }
            Statement::MilestoneReschedule(p) => {
                let title = q(&self.milestone_title(p.milestone.as_str()));
                Words::new(
                    format!(
                        "Tonggak {title} dijadwal ulang ke {}: {}",
                        p.due, p.justification
                    ),
                    format!(
                        "The milestone {title} is rescheduled to {}: {}",
                        p.due, p.justification
                    ),
                )
            }
            Statement::MilestoneReport(p) => {
                let title = q(&self.milestone_title(p.milestone.as_str()));
                let (id, en) = match p.status {
                    Assessment::Met => ("tercapai", "met"),
                    Assessment::PartiallyMet => ("tercapai sebagian", "partially met"),
                    Assessment::NotMet => ("tidak tercapai", "not met"),
                };
                Words::new(
                    format!(
                        "Laporan tonggak {title}: {id}, fisik {}%, keuangan {}%",
                        p.progress.physical_pct, p.progress.financial_pct
                    ),
                    format!(
                        "Report on the milestone {title}: {en}, physical {}%, financial {}%",
                        p.progress.physical_pct, p.progress.financial_pct
                    ),
                )
            }
            Statement::MilestoneApprove(p) => {
                let title = q(&self.milestone_title(p.milestone.as_str()));
                match p.decision {
                    Decision::Approve => Words::new(
                        format!("Laporan tonggak {title} (entri #{}) disetujui", p.report),
                        format!(
                            "The report on the milestone {title} (entry #{}) is approved",
                            p.report
                        ),
                    ),
                    Decision::Reject => Words::new(
                        format!("Laporan tonggak {title} (entri #{}) ditolak", p.report),
                        format!(
                            "The report on the milestone {title} (entry #{}) is rejected",
                            p.report
                        ),
                    ),
                }
            }
            Statement::HandoverRecord(p) => {
                let office = self.office_title(p.office.as_str());
                let from = self.holder_name(p.outgoing.as_str());
                let to = self.holder_name(p.incoming.as_str());
                let open = p.open_commitments.len();
                Words::new(
                    format!(
                        "Serah terima jabatan {office} dari {from} kepada {to}, dengan {open} komitmen berjalan"
                    ),
                    format!(
                        "Handover of the office {office} from {from} to {to}, with {open} open commitments"
                    ),
                )
            }
            Statement::AuditNote(p) => {
                let subject = self.subject_title(&p.subject);
                Words::new(
                    format!(
                        "Inspektorat mencatat temuan (tingkat {}) tentang {subject}",
                        severity_id(p.severity)
                    ),
                    format!(
                        "The Inspectorate records a finding ({} severity) on {subject}",
                        serde_name(&p.severity)
                    ),
                )
            }
            Statement::AuditResponse(p) => Words::new(
                format!("Tanggapan atas catatan pemeriksaan entri #{}", p.note),
                format!("Response to the audit note of entry #{}", p.note),
            ),
        }
    }

    /// A ledger time in the government's time zone, to the minute:
    /// `2026-11-28 09:25 WIB`.
    pub fn local_time(&self, time: DateTime<Utc>) -> String {
        let tz = self.time_zone();
        let zone = match tz.local_minus_utc() / 3600 {
            7 => "WIB",
            8 => "WITA",
            9 => "WIT",
            _ => "UTC",
        };
        format!(
            "{} {zone}",
            time.with_timezone(&tz).format("%Y-%m-%d %H:%M")
        )
    }

    fn head_office_name(&self) -> String {
        self.offices_with_role(Role::HeadOfRegion)
            .first()
            .map_or_else(|| "Bupati".to_owned(), |o| o.spec.name.to_string())
    }

    fn office_title(&self, id: &str) -> String {
        self.offices
            .get(id)
            .map_or_else(|| id.to_owned(), |o| o.spec.name.to_string())
    }

    fn holder_name(&self, mandate: &str) -> String {
        self.mandates
            .get(mandate)
            .map_or_else(|| mandate.to_owned(), |m| m.spec.holder.name.to_string())
    }

    fn mandate_title(&self, id: &str) -> String {
        match self.mandates.get(id) {
            Some(m) => format!(
                "{} ({})",
                m.spec.holder.name,
                self.office_title(m.spec.office.as_str())
            ),
            None => id.to_owned(),
        }
    }

    fn programme_title(&self, id: &str) -> String {
        self.programmes
            .get(id)
            .map_or_else(|| id.to_owned(), |p| p.spec.title.to_string())
    }

    fn commitment_title(&self, id: &str) -> String {
        self.commitments
            .get(id)
            .and_then(|c| c.versions.last())
            .map_or_else(|| id.to_owned(), |v| v.title.to_string())
    }

    fn milestone_title(&self, id: &str) -> String {
        self.milestones
            .get(id)
            .map_or_else(|| id.to_owned(), |m| m.title.to_string())
    }

    fn subject_title(&self, subject: &Subject) -> String {
        let id = subject.id.as_str();
        match subject.kind {
            SubjectKind::Programme => format!("«{}»", self.programme_title(id)),
            SubjectKind::Commitment => format!("«{}»", self.commitment_title(id)),
            SubjectKind::Milestone => format!("«{}»", self.milestone_title(id)),
            SubjectKind::Entry => format!("#{id}"),
        }
    }
}

/// A vocabulary value as statements spell it.
fn serde_name(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

fn severity_id(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "informasi",
        Severity::Low => "rendah",
        Severity::Medium => "sedang",
        Severity::High => "tinggi",
    }
}

fn kind_id(kind: MandateKind) -> &'static str {
    match kind {
        MandateKind::Definitive => "definitif",
        MandateKind::Acting => "Plt.",
        MandateKind::Daily => "Plh.",
        MandateKind::Caretaker => "Pj.",
    }
}

fn kind_en(kind: MandateKind) -> &'static str {
    match kind {
        MandateKind::Definitive => "definitive",
        MandateKind::Acting => "acting",
        MandateKind::Daily => "daily",
        MandateKind::Caretaker => "caretaker",
    }
}

/// Rupiah with dots between thousands: `Rp 1.250.000.000`.
pub fn rupiah(amount: &str) -> String {
    let digits: Vec<char> = amount.chars().collect();
    let mut out = String::new();
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(*c);
    }
    format!("Rp {out}")
}

fn short(keyid: &str) -> String {
    format!("{}…", &keyid[..keyid.len().min(16)])
}
