//! The report as one document of [`Block`]s, in the reader's language:
//! said once here, written out as Markdown or HTML by [`super::markup`].

use super::{Block, Item, Labels, Span, change_words, item, list, rupiah, short, text};
use crate::auditor::report::AuditReport;

/// The report as a document, in the reader's language.
pub(super) fn document(r: &AuditReport, l: Labels) -> Vec<Block> {
    let mut doc = Vec::new();
    checkpoints(&mut doc, r, l);
    verification(&mut doc, r, l);
    terms(&mut doc, r, l);
    programmes(&mut doc, r, l);
    open_matters(&mut doc, r, l);
    every_entry(&mut doc, r, l);
    doc
}

/// The title, the range, and the two checkpoints with the proof between them.
fn checkpoints(doc: &mut Vec<Block>, r: &AuditReport, l: Labels) {
    let entries = l.t("entri", "entries");
    doc.extend([
        Block::Heading(
            1,
            format!(
                "{} {}",
                l.t("Laporan audit buku besar", "Audit report of the ledger"),
                r.origin
            ),
        ),
        Block::Para(vec![text(format!(
            "{} {} → {} {entries}{}",
            l.t("Entri", "Entries"),
            r.from.tree_size,
            r.to.tree_size,
            r.as_of
                .as_ref()
                .map(|t| format!(" · {} {t}", l.t("per", "as of")))
                .unwrap_or_default()
        ))]),
        Block::Heading(2, l.t("Checkpoint", "Checkpoints").to_owned()),
    ]);
    let head = |label: &str, h: &crate::auditor::report::Head| {
        item(vec![
            text(format!(
                "{label}: {} {entries}, {} ",
                h.tree_size,
                l.t("akar", "root")
            )),
            Span::Code(h.root_hash.clone()),
        ])
    };
    let mut proof = vec![text(format!(
        "{}: ",
        l.t("Bukti konsistensi", "Consistency proof")
    ))];
    if r.consistency_proof.is_empty() {
        proof.push(text(l.t("(kosong)", "(empty)")));
    }
    for h in &r.consistency_proof {
        proof.extend([Span::Code(h.clone()), text(" ")]);
    }
    doc.push(Block::List(vec![
        head(l.t("Dari", "From"), &r.from),
        head(l.t("Sampai", "To"), &r.to),
        item(proof),
    ]));
    for note in [&r.from.checkpoint, &r.to.checkpoint].into_iter().flatten() {
        doc.push(Block::Pre(note.clone()));
    }
}

/// The audit's findings: the whole log verified, who witnessed it, and
/// entries signed with a key after its declared compromise.
fn verification(doc: &mut Vec<Block>, r: &AuditReport, l: Labels) {
    let v = &r.verification;
    doc.push(Block::Heading(
        2,
        l.t("Verifikasi", "Verification").to_owned(),
    ));
    let mut found = vec![
        item(vec![text(format!(
            "{} {} {}, {} {}",
            l.t("Seluruh log terverifikasi:", "The whole log verifies:"),
            v.entries,
            l.t("entri", "entries"),
            v.signatures,
            l.t("tanda tangan", "signatures")
        ))]),
        item(vec![
            text(format!("{}: ", l.t("Hash keadaan", "State hash"))),
            Span::Code(v.state_hash.clone()),
            text(format!(" ({})", v.state_check)),
        ]),
    ];
    for c in &v.cosigners {
        found.push(item(vec![text(format!(
            "{} {} ({})",
            l.t("Disaksikan oleh", "Witnessed by"),
            c.name,
            unix_time(c.time)
        ))]));
    }
    for f in &v.signed_after_compromise {
        found.push(Item {
            line: vec![
                Span::Strong(l.t("PERINGATAN", "FLAG").to_owned()),
                text(format!(
                    " #{}: {} ",
                    f.index,
                    l.t("ditandatangani dengan kunci", "signed with key")
                )),
                Span::Code(short(&f.keyid).to_owned()),
                text(format!(
                    " ({} {}, #{})",
                    l.t("bocor sejak", "compromised since"),
                    f.compromised_since,
                    f.revoked_by
                )),
            ],
            flag: true,
            under: Vec::new(),
        });
    }
    doc.push(Block::List(found));
}

/// Each head-of-region term: its decisions and what it left undone.
fn terms(doc: &mut Vec<Block>, r: &AuditReport, l: Labels) {
    doc.push(Block::Heading(
        2,
        l.t("Masa jabatan kepala daerah", "Terms of the regional head")
            .to_owned(),
    ));
    for t in &r.terms {
        doc.push(Block::Heading(
            3,
            format!(
                "{} ({}, {}) {} – {}",
                t.holder,
                t.mandate,
                l.kind(&t.kind),
                t.from,
                t.until.as_deref().unwrap_or("…")
            ),
        ));
        let mut items: Vec<Item> = t
            .decisions
            .iter()
            .map(|d| {
                let mut line = format!(
                    "#{} {} «{}» ({})",
                    d.index,
                    l.action(&d.action),
                    d.title,
                    d.commitment
                );
                if let Some(text) = &d.text {
                    line.push_str(&format!(": «{text}»"));
                }
                if let Some(basis) = &d.basis {
                    line.push_str(&format!(" — {}: {basis}", l.t("dasar", "basis")));
                }
                item(vec![text(line)])
            })
            .collect();
        if items.is_empty() {
            items.push(item(vec![text(l.t(
                "Tidak ada keputusan dalam rentang ini.",
                "No decision in this range.",
            ))]));
        }
        for (label, list, flag) in [
            (
                l.t(
                    "Warisan tanpa keputusan",
                    "Inherited, left without a decision",
                ),
                &t.left_awaiting,
                true,
            ),
            (
                l.t("Tonggak tercapai", "Milestones met"),
                &t.milestones_met,
                false,
            ),
            (
                l.t("Tonggak tercapai sebagian", "Milestones partially met"),
                &t.milestones_partially_met,
                false,
            ),
            (
                l.t("Tonggak tidak tercapai", "Milestones not met"),
                &t.milestones_not_met,
                false,
            ),
            (
                l.t("Tonggak terlambat", "Overdue milestones"),
                &t.milestones_overdue,
                false,
            ),
        ] {
            if !list.is_empty() {
                items.push(Item {
                    line: vec![text(format!("{label}: {}", list.join(", ")))],
                    flag,
                    under: Vec::new(),
                });
            }
        }
        doc.push(Block::List(items));
    }
}

/// Each programme touched: its commitments' changes and its milestones.
fn programmes(doc: &mut Vec<Block>, r: &AuditReport, l: Labels) {
    doc.push(Block::Heading(2, l.t("Program", "Programmes").to_owned()));
    for p in &r.programmes {
        doc.push(Block::Heading(
            3,
            format!("{} ({}) — {}", p.title, p.id, p.owner),
        ));
        let mut items = Vec::new();
        for c in &p.commitments {
            items.push(Item {
                line: vec![
                    Span::Strong(c.title.clone()),
                    text(format!(
                        " ({}): {}, {} {}, {} {}",
                        c.id,
                        c.status,
                        l.t("anggaran", "budget"),
                        rupiah(&c.budget),
                        l.t("tenggat", "due"),
                        c.due
                    )),
                ],
                flag: false,
                under: c
                    .changes
                    .iter()
                    .map(|change| vec![text(change_words(l, change))])
                    .collect(),
            });
        }
        for m in &p.milestones {
            items.push(Item {
                line: vec![text(format!(
                    "{} «{}» ({}): {}, {} {}, {}: {}",
                    l.t("Tonggak", "Milestone"),
                    m.title,
                    m.id,
                    m.status,
                    l.t("tenggat", "due"),
                    m.due,
                    l.t("penyetuju", "approvers"),
                    m.approvers.join(", ")
                ))],
                flag: false,
                under: m
                    .reports
                    .iter()
                    .map(|rep| {
                        let mut line = vec![text(format!(
                            "#{} {} {} ({}); {}: ",
                            rep.index,
                            l.t("laporan", "report"),
                            rep.status,
                            rep.outcome,
                            l.t("bukti", "evidence")
                        ))];
                        for e in &rep.evidence {
                            line.extend([Span::Code(short(e).to_owned()), text(" ")]);
                        }
                        line.push(text(format!(
                            "; {}: {}",
                            l.t("persetujuan", "approvals"),
                            rep.approvals
                                .iter()
                                .map(|(o, i)| format!("{o} #{i}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                        line
                    })
                    .collect(),
            });
        }
        doc.push(Block::List(items));
    }
}

/// What is left open or changed hands: commitments awaiting
/// reaffirmation, handovers, key revocations, unanswered audit notes.
fn open_matters(doc: &mut Vec<Block>, r: &AuditReport, l: Labels) {
    doc.push(Block::Heading(
        2,
        l.t(
            "Komitmen warisan menunggu penegasan",
            "Inherited commitments awaiting reaffirmation",
        )
        .to_owned(),
    ));
    doc.push(list(
        l,
        r.awaiting_reaffirmation
            .iter()
            .map(|a| Item {
                line: vec![text(format!(
                    "«{}» ({}, {}): {} {} #{}",
                    a.title,
                    a.commitment,
                    a.programme,
                    a.days,
                    l.t("hari sejak entri", "days since entry"),
                    a.since_index
                ))],
                flag: true,
                under: Vec::new(),
            })
            .collect(),
    ));
    doc.push(Block::Heading(
        2,
        l.t("Serah terima", "Handovers").to_owned(),
    ));
    doc.push(list(
        l,
        r.handovers
            .iter()
            .map(|h| {
                let mut line = vec![text(format!(
                    "#{} {} {} → {}: {} {}",
                    h.index,
                    h.office,
                    h.outgoing,
                    h.incoming,
                    h.listed.len(),
                    l.t("komitmen terbuka dicantumkan", "open commitments listed")
                ))];
                if !h.not_listed.is_empty() {
                    line.push(Span::Strong(format!(
                        "; {}: {}",
                        l.t("tidak dicantumkan", "not listed"),
                        h.not_listed.join(", ")
                    )));
                }
                Item {
                    line,
                    flag: !h.not_listed.is_empty(),
                    under: Vec::new(),
                }
            })
            .collect(),
    ));
    doc.push(Block::Heading(
        2,
        l.t("Pencabutan kunci", "Key revocations").to_owned(),
    ));
    doc.push(list(
        l,
        r.revocations
            .iter()
            .map(|k| {
                item(vec![
                    text(format!("#{} ", k.index)),
                    Span::Code(short(&k.keyid).to_owned()),
                    text(format!(
                        ": «{}»{}",
                        k.reason,
                        k.compromised_since
                            .as_ref()
                            .map(|d| format!(" ({} {d})", l.t("bocor sejak", "compromised since")))
                            .unwrap_or_default()
                    )),
                ])
            })
            .collect(),
    ));
    doc.push(Block::Heading(
        2,
        l.t(
            "Catatan audit tanpa tanggapan",
            "Audit notes without a response",
        )
        .to_owned(),
    ));
    doc.push(list(
        l,
        r.open_audit_notes
            .iter()
            .map(|n| {
                item(vec![text(format!(
                    "#{} {} ({}): «{}»",
                    n.index, n.subject, n.severity, n.finding
                ))])
            })
            .collect(),
    ));
}

/// Every entry of the range, and how to re-check one.
fn every_entry(doc: &mut Vec<Block>, r: &AuditReport, l: Labels) {
    doc.push(Block::Heading(
        2,
        l.t("Semua entri dalam rentang", "Every entry of the range")
            .to_owned(),
    ));
    doc.push(Block::Table(
        vec![
            "#".to_owned(),
            l.t("Hash daun", "Leaf hash").to_owned(),
            l.t("Dicatat", "Recorded").to_owned(),
            l.t("Pernyataan", "Statement").to_owned(),
        ],
        vec!["n", "h", "t", ""],
        r.entries
            .iter()
            .map(|e| {
                vec![
                    vec![text(e.index.to_string())],
                    vec![Span::Code(e.leaf_hash.clone())],
                    vec![text(e.recorded_at.clone())],
                    vec![text(format!("{} ({})", l.summary(e), e.statement_type))],
                ]
            })
            .collect(),
    ));
    doc.push(Block::Heading(
        2,
        l.t("Memeriksa ulang", "Re-checking").to_owned(),
    ));
    doc.push(Block::Para(vec![text(l.t(
        "Setiap baris menyebut nomor entrinya. Unduh bukti entri (atau buat dari cermin dengan prasasti prove) dan periksa tanpa server:",
        "Every line names its entry. Fetch the entry's proof (or make it from a mirror with prasasti prove) and check it without the server:",
    ))]));
    doc.push(Block::Pre(
        "curl -o N.tlog-proof <URL>/api/v1/entries/<N>/proof\ncurl -o N.entry <URL>/api/v1/entries/<N>\nprasasti check-proof --vkey ledger.vkey --proof N.tlog-proof N.entry\n".to_owned(),
    ));
}

/// A Unix time as RFC 3339.
fn unix_time(time: u64) -> String {
    i64::try_from(time)
        .ok()
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map_or_else(
            || time.to_string(),
            |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )
}
