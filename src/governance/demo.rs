//! A realistic demonstration ledger for Kabupaten Karanganyar, with
//! fictional people: offices, mandates, smart-city programmes in all six
//! pillars and all horizons, commitments, milestones reported and approved,
//! an audit note, and three changes of regional head (definitive → acting →
//! caretaker → newly elected) with handovers and continuity decisions.
//!
//! Demo keys are derived at run time from a public formula
//! ([`demo_key`]): anyone can sign as a demo official, which is exactly
//! why a demo ledger proves nothing and is marked as such in its charter.

use ed25519_dalek::SigningKey;
use serde_json::{Map, Value, json};

use crate::ledger::statement::{VerifiedEnvelope, cosign, keyid_of, seal};
use crate::ledger::{Ledger, LedgerError};
use crate::tlog::hash::sha256;

/// One statement of the story and the demo keys that sign it.
#[derive(Clone, Debug)]
pub struct Step {
    /// The statement, with `type`, `ledger` and `id`.
    pub statement: Map<String, Value>,
    /// Names of the demo keys that sign it, in order.
    pub signers: Vec<&'static str>,
}

/// The demo key called `name` for the ledger `origin`: SHA-256 of a public
/// label. Never use a demo key for anything real.
pub fn demo_key(origin: &str, name: &str) -> SigningKey {
    let seed = sha256(format!("prasasti demo key, not secret/{origin}/{name}").as_bytes());
    SigningKey::from_bytes(&seed.0)
}

/// Every demo key name.
pub const KEY_NAMES: [&str; 18] = [
    "registrar-setda",
    "registrar-bkpsdm",
    "registrar-diskominfo",
    "hartono",
    "sri",
    "bambang",
    "rina",
    "agus",
    "joko",
    "joko-2",
    "dewi",
    "yusuf",
    "ratna",
    "hendra",
    "siti",
    "wahyu",
    "sumarno",
    "intruder",
];

struct Story {
    origin: String,
    steps: Vec<Step>,
}

const SHA_A: &str = "3b8e2f2c5a1d4e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7";

impl Story {
    fn key(&self, name: &str) -> String {
        keyid_of(&demo_key(&self.origin, name).verifying_key())
    }

    /// Adds a step and returns its entry index (the story starts an empty log).
    fn add(&mut self, kind: &str, id: &str, fields: Value, signers: &[&'static str]) -> u64 {
        let mut statement = match fields {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        statement.insert("type".into(), kind.into());
        statement.insert("ledger".into(), self.origin.clone().into());
        statement.insert("id".into(), format!("demo:{id}").into());
        self.steps.push(Step {
            statement,
            signers: signers.to_vec(),
        });
        self.steps.len() as u64 - 1
    }

    fn office(&mut self, id: &str, name: &str, unit: &str, role: &str) {
        self.add(
            "office.establish",
            &format!("office:{id}"),
            json!({"office": {"id": id, "name": name, "unit": unit, "role": role}}),
            &["registrar-setda", "registrar-bkpsdm"],
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn mandate(
        &mut self,
        id: &str,
        office: &str,
        name: &str,
        nip: Option<&str>,
        kind: &str,
        from: &str,
        until: Option<&str>,
        basis: (&str, &str),
        key: &'static str,
    ) {
        let mut holder = json!({"name": name});
        match nip {
            Some(nip) => holder["nip"] = nip.into(),
            // Elected holders have no NIP; each demo person has one key.
            None => holder["person"] = key.into(),
        }
        let mut mandate = json!({
            "id": id, "office": office, "holder": holder, "kind": kind, "from": from,
            "basis": {"kind": basis.0, "number": basis.1, "date": from},
        });
        if let Some(until) = until {
            mandate["until"] = until.into();
        }
        let keys = json!([self.key(key)]);
        self.add(
            "mandate.begin",
            &format!("mandate:{id}"),
            json!({"mandate": mandate, "keys": keys}),
            &["registrar-setda", "registrar-bkpsdm", key],
        );
    }

    fn end(&mut self, mandate: &str, at: &str, reason: &str) {
        self.add(
            "mandate.end",
            &format!("mandate-end:{mandate}"),
            json!({"mandate": mandate, "at": at, "reason": reason}),
            &["registrar-setda", "registrar-bkpsdm"],
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn programme(
        &mut self,
        id: &str,
        title: &str,
        pillar: &str,
        horizon: &str,
        owner: &str,
        period: (&str, &str),
        description: &str,
        head: &'static str,
    ) {
        self.add(
            "programme.register",
            &format!("programme:{id}"),
            json!({"programme": {
                "id": id, "title": title, "pillar": pillar, "horizon": horizon, "owner": owner,
                "period": {"from": period.0, "until": period.1}, "description": description,
                "documents": ["masterplan-smart-city-2021"],
            }}),
            &[head, "dewi"],
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn commitment(
        &mut self,
        id: &str,
        programme: &str,
        title: &str,
        description: &str,
        indicator: (&str, &str, &str, &str),
        amount: &str,
        due: &str,
        signers: &[&'static str],
    ) {
        self.add(
            "commitment.make",
            &format!("commitment:{id}"),
            json!({"commitment": {
                "id": id, "programme": programme, "title": title, "description": description,
                "indicators": [{"id": "i1", "name": indicator.0, "unit": indicator.1, "baseline": indicator.2, "target": indicator.3}],
                "budget": {"amount": amount, "currency": "IDR", "source": "APBD Kabupaten Karanganyar"},
                "due": due,
            }}),
            signers,
        );
    }

    fn milestone(
        &mut self,
        id: &str,
        commitment: &str,
        title: &str,
        kind: &str,
        due: &str,
        owner: &'static str,
    ) {
        self.add(
            "milestone.schedule",
            &format!("milestone:{id}"),
            json!({"milestone": {"id": id, "commitment": commitment, "title": title, "type": kind, "due": due}}),
            &[owner],
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn report(
        &mut self,
        milestone: &str,
        n: u32,
        status: &str,
        date_met: Option<&str>,
        pct: (u32, u32),
        evidence: &str,
        owner: &'static str,
    ) -> u64 {
        let mut fields = json!({
            "milestone": milestone, "status": status,
            "progress": {"physical_pct": pct.0, "financial_pct": pct.1},
            "evidence": [{"title": evidence, "sha256": SHA_A}],
        });
        if let Some(d) = date_met {
            fields["date_met"] = d.into();
        }
        self.add(
            "milestone.report",
            &format!("report:{milestone}:{n}"),
            fields,
            &[owner],
        )
    }

    fn approve(&mut self, milestone: &str, report: u64, by: &'static str) {
        self.add(
            "milestone.approve",
            &format!("approve:{milestone}:{report}:{by}"),
            json!({"milestone": milestone, "report": report, "decision": "approve"}),
            &[by],
        );
    }

    fn decide(&mut self, kind: &str, commitment: &str, text: &str, signers: &[&'static str]) {
        let field = if kind == "commitment.reaffirm" || kind == "commitment.complete" {
            "note"
        } else {
            "justification"
        };
        let short = kind.trim_start_matches("commitment.");
        self.add(
            kind,
            &format!("{short}:{commitment}:{}", self.steps.len()),
            json!({"commitment": commitment, field: text}),
            signers,
        );
    }

    fn handover(
        &mut self,
        outgoing: &str,
        incoming: &str,
        at: &str,
        open: &[&str],
        signers: &[&'static str],
    ) {
        self.add(
            "handover.record",
            &format!("handover:{incoming}"),
            json!({
                "office": "bupati", "outgoing": outgoing, "incoming": incoming, "at": at,
                "basis": {"kind": "berita_acara", "number": format!("DEMO/BA/{at}"), "sha256": SHA_A},
                "open_commitments": open,
                "notes": "Memori serah terima jabatan diserahkan dalam upacara sertijab.",
            }),
            signers,
        );
    }
}

/// The whole demonstration story for the ledger `origin`, in order; entry
/// indices in it assume it starts an empty log.
pub fn story(origin: &str) -> Vec<Step> {
    let mut s = Story {
        origin: origin.to_owned(),
        steps: Vec::new(),
    };
    let registrars = json!([
        s.key("registrar-setda"),
        s.key("registrar-bkpsdm"),
        s.key("registrar-diskominfo")
    ]);
    s.add(
        "ledger.genesis",
        "genesis",
        json!({
            "government": {"name": "Pemerintah Kabupaten Karanganyar (DEMO — fictional people, public demo keys)", "region_code": "33.13", "timezone": "Asia/Jakarta"},
            "registrars": {"keys": registrars, "threshold": 2},
        }),
        &["registrar-setda", "registrar-bkpsdm", "registrar-diskominfo"],
    );
    s.office(
        "bupati",
        "Bupati Karanganyar",
        "Pemerintah Kabupaten Karanganyar",
        "head_of_region",
    );
    s.office(
        "wakil-bupati",
        "Wakil Bupati Karanganyar",
        "Pemerintah Kabupaten Karanganyar",
        "deputy_head",
    );
    s.office(
        "sekda",
        "Sekretaris Daerah",
        "Sekretariat Daerah",
        "secretary",
    );
    s.office(
        "bappeda",
        "Kepala Bappeda",
        "Badan Perencanaan Pembangunan Daerah",
        "planning",
    );
    s.office(
        "diskominfo",
        "Kepala Diskominfo",
        "Dinas Komunikasi dan Informatika",
        "opd_head",
    );
    s.office(
        "dispar",
        "Kepala Dinas Pariwisata",
        "Dinas Pariwisata, Pemuda dan Olahraga",
        "opd_head",
    );
    s.office(
        "dinkop-ukm",
        "Kepala Dinas Koperasi dan UKM",
        "Dinas Koperasi, Usaha Kecil dan Menengah",
        "opd_head",
    );
    s.office(
        "inspektorat",
        "Inspektur",
        "Inspektorat Daerah",
        "inspectorate",
    );
    s.office(
        "camat-tawangmangu",
        "Camat Tawangmangu",
        "Kecamatan Tawangmangu",
        "sub_district_head",
    );
    s.office(
        "kades-berjo",
        "Kepala Desa Berjo",
        "Desa Berjo, Kecamatan Ngargoyoso",
        "village_head",
    );

    fn sk(number: &str) -> (&'static str, &str) {
        ("sk_bupati", number)
    }
    s.mandate(
        "bupati-2021",
        "bupati",
        "Drs. Hartono Wibisono",
        None,
        "definitive",
        "2021-02-26",
        None,
        ("keputusan_gubernur", "DEMO/131.33/2021"),
        "hartono",
    );
    s.mandate(
        "wakil-bupati-2021",
        "wakil-bupati",
        "Ir. Sri Lestari Handayani",
        None,
        "definitive",
        "2021-02-26",
        None,
        ("keputusan_gubernur", "DEMO/132.33/2021"),
        "sri",
    );
    s.mandate(
        "sekda-2020",
        "sekda",
        "Drs. Joko Santoso, M.M.",
        Some("196805121990031005"),
        "definitive",
        "2020-06-02",
        None,
        ("keputusan_bupati", "DEMO/821.2/2020"),
        "joko",
    );
    s.mandate(
        "bappeda-2021",
        "bappeda",
        "Dewi Anggraini, S.T., M.T.",
        Some("197503202000032004"),
        "definitive",
        "2021-04-01",
        None,
        sk("DEMO/821.2/041/2021"),
        "dewi",
    );
    s.mandate(
        "diskominfo-2021",
        "diskominfo",
        "Yusuf Hidayat, S.Kom., M.M.",
        Some("197811052003121003"),
        "definitive",
        "2021-04-01",
        None,
        sk("DEMO/821.2/042/2021"),
        "yusuf",
    );
    s.mandate(
        "dispar-2022",
        "dispar",
        "Ratna Purwaningsih, S.Sos.",
        Some("198001172005012006"),
        "definitive",
        "2022-01-03",
        None,
        sk("DEMO/821.2/003/2022"),
        "ratna",
    );
    s.mandate(
        "dinkop-ukm-2021",
        "dinkop-ukm",
        "Hendra Gunawan, S.E.",
        Some("197609092001121002"),
        "definitive",
        "2021-04-01",
        None,
        sk("DEMO/821.2/044/2021"),
        "hendra",
    );
    s.mandate(
        "inspektorat-2021",
        "inspektorat",
        "Siti Rahmawati, S.E., Ak.",
        Some("197204142000032003"),
        "definitive",
        "2021-04-01",
        None,
        sk("DEMO/821.2/045/2021"),
        "siti",
    );
    s.mandate(
        "camat-tawangmangu-2022",
        "camat-tawangmangu",
        "Wahyu Nugroho, S.STP.",
        Some("198506252004121001"),
        "definitive",
        "2022-07-01",
        None,
        sk("DEMO/821.2/077/2022"),
        "wahyu",
    );
    s.mandate(
        "kades-berjo-2019",
        "kades-berjo",
        "Sumarno",
        None,
        "definitive",
        "2019-12-20",
        None,
        ("keputusan_bupati", "DEMO/141/2019"),
        "sumarno",
    );

    s.add(
        "document.register",
        "document:masterplan",
        json!({"document": {"id": "masterplan-smart-city-2021", "kind": "Masterplan", "number": "DEMO/MP-SC/2021", "title": "Masterplan Smart City Kabupaten Karanganyar 2021–2031", "date": "2021-11-30", "sha256": SHA_A}}),
        &["dewi"],
    );
    s.add(
        "document.register",
        "document:rpjmd-2021",
        json!({"document": {"id": "rpjmd-2021-2026", "kind": "RPJMD", "number": "DEMO/PERDA/4/2021", "title": "RPJMD Kabupaten Karanganyar 2021–2026", "date": "2021-08-16", "sha256": SHA_A}}),
        &["dewi"],
    );

    // Programmes across the six pillars and all horizons, under the first head.
    s.programme(
        "e-office",
        "E-office untuk semua OPD",
        "governance",
        "quick_win",
        "diskominfo",
        ("2022-01-01", "2022-12-31"),
        "Surat-menyurat dan disposisi elektronik di seluruh organisasi perangkat daerah.",
        "hartono",
    );
    s.programme(
        "satu-data",
        "Satu Data Karanganyar",
        "governance",
        "short",
        "diskominfo",
        ("2022-01-01", "2024-12-31"),
        "Portal data terpadu dengan standar metadata dan walidata di setiap OPD.",
        "hartono",
    );
    s.programme(
        "e-ticketing-candi",
        "E-ticketing Candi Cetho dan Candi Sukuh",
        "branding",
        "medium",
        "dispar",
        ("2023-01-01", "2026-12-31"),
        "Tiket elektronik dan data kunjungan wisata candi, mendukung kawasan pariwisata Borobudur.",
        "hartono",
    );
    s.programme(
        "literasi-digital-desa",
        "Literasi Digital Desa",
        "society",
        "short",
        "diskominfo",
        ("2023-01-01", "2025-12-31"),
        "Pelatihan literasi digital bagi perangkat desa dan warga di 162 desa dan 15 kelurahan.",
        "hartono",
    );
    s.programme(
        "pasar-umkm",
        "Pasar Daring UMKM Karanganyar",
        "economy",
        "medium",
        "dinkop-ukm",
        ("2023-01-01", "2026-12-31"),
        "Lokapasar bagi UMKM lokal dengan pembayaran digital dan pelatihan pemasaran.",
        "hartono",
    );
    s.programme(
        "ews-longsor",
        "Peringatan Dini Longsor Tawangmangu",
        "living",
        "medium",
        "camat-tawangmangu",
        ("2023-01-01", "2027-12-31"),
        "Sensor pergerakan tanah dan sirene di lereng Lawu, terhubung ke BPBD dan warga.",
        "hartono",
    );
    s.programme(
        "bank-sampah-digital",
        "Bank Sampah Digital Desa",
        "environment",
        "long",
        "kades-berjo",
        ("2023-01-01", "2031-12-31"),
        "Pencatatan setoran sampah warga secara digital dan integrasi dengan TPS3R.",
        "hartono",
    );

    s.commitment(
        "e-office-semua-opd",
        "e-office",
        "Seluruh OPD memakai e-office",
        "Semua 40 OPD dan 17 kecamatan memakai e-office untuk naskah dinas.",
        ("OPD yang memakai e-office", "OPD", "4", "57"),
        "850000000",
        "2022-12-31",
        &["yusuf", "hartono"],
    );
    s.commitment(
        "portal-satu-data",
        "satu-data",
        "Portal Satu Data dengan 300 dataset",
        "Portal data terbuka dengan 300 dataset bermetadata.",
        ("Dataset terbit", "dataset", "0", "300"),
        "1250000000",
        "2024-06-30",
        &["yusuf", "hartono"],
    );
    s.commitment(
        "e-ticket-cetho-sukuh",
        "e-ticketing-candi",
        "E-ticketing di Candi Cetho dan Candi Sukuh",
        "Gerbang tiket elektronik dan pembayaran nontunai di dua candi.",
        ("Candi dengan e-ticketing", "lokasi", "0", "2"),
        "2100000000",
        "2025-06-30",
        &["ratna", "hartono"],
    );
    s.commitment(
        "literasi-177-desa",
        "literasi-digital-desa",
        "Pelatihan literasi digital di 177 desa/kelurahan",
        "Setiap desa dan kelurahan mengirim perangkat dan kader untuk pelatihan.",
        ("Desa/kelurahan terlatih", "desa", "0", "177"),
        "640000000",
        "2025-12-31",
        &["yusuf", "hartono"],
    );
    s.commitment(
        "umkm-2000",
        "pasar-umkm",
        "2.000 UMKM berjualan daring",
        "Pendampingan dan kurasi produk UMKM untuk lokapasar daerah.",
        ("UMKM aktif", "UMKM", "120", "2000"),
        "1800000000",
        "2025-12-31",
        &["hendra", "hartono"],
    );
    s.commitment(
        "sensor-longsor-12",
        "ews-longsor",
        "12 sensor longsor terpasang",
        "Sensor dan sirene di 12 titik rawan di Tawangmangu.",
        ("Sensor aktif", "unit", "0", "12"),
        "2750000000",
        "2026-09-30",
        &["wahyu", "hartono"],
    );
    s.commitment(
        "bank-sampah-berjo",
        "bank-sampah-digital",
        "Bank sampah digital Desa Berjo",
        "Aplikasi setoran dan tabungan sampah untuk seluruh RT di Desa Berjo.",
        ("Rumah tangga terdaftar", "KK", "0", "900"),
        "300000000",
        "2027-12-31",
        &["sumarno", "hartono"],
    );

    s.milestone(
        "e-office-pilot",
        "e-office-semua-opd",
        "Uji coba e-office di 10 OPD",
        "delivery",
        "2022-06-30",
        "yusuf",
    );
    s.milestone(
        "e-office-rollout",
        "e-office-semua-opd",
        "E-office di seluruh OPD dan kecamatan",
        "delivery",
        "2022-12-31",
        "yusuf",
    );
    s.milestone(
        "portal-satu-data-launch",
        "portal-satu-data",
        "Portal Satu Data diluncurkan",
        "delivery",
        "2023-12-15",
        "yusuf",
    );
    s.milestone(
        "e-ticket-procurement",
        "e-ticket-cetho-sukuh",
        "Pengadaan gerbang tiket elektronik",
        "preProcurement",
        "2024-03-31",
        "ratna",
    );
    s.milestone(
        "umkm-onboarding-1000",
        "umkm-2000",
        "1.000 UMKM terdaftar",
        "delivery",
        "2024-12-31",
        "hendra",
    );
    s.milestone(
        "sensor-longsor-install",
        "sensor-longsor-12",
        "Pemasangan 12 sensor",
        "delivery",
        "2026-06-30",
        "wahyu",
    );

    let r = s.report(
        "e-office-pilot",
        1,
        "met",
        Some("2022-06-20"),
        (100, 95),
        "Berita acara uji coba e-office",
        "yusuf",
    );
    s.approve("e-office-pilot", r, "dewi");
    s.approve("e-office-pilot", r, "siti");
    let r = s.report(
        "e-office-rollout",
        1,
        "met",
        Some("2022-12-19"),
        (100, 97),
        "Laporan implementasi e-office 57 unit",
        "yusuf",
    );
    s.approve("e-office-rollout", r, "dewi");
    s.approve("e-office-rollout", r, "siti");
    s.decide(
        "commitment.complete",
        "e-office-semua-opd",
        "Seluruh OPD dan kecamatan telah memakai e-office.",
        &["yusuf", "hartono"],
    );
    let r = s.report(
        "portal-satu-data-launch",
        1,
        "met",
        Some("2023-06-12"),
        (100, 88),
        "Tangkapan layar portal dan daftar dataset",
        "yusuf",
    );
    s.approve("portal-satu-data-launch", r, "dewi");
    s.approve("portal-satu-data-launch", r, "siti");
    s.add(
        "audit.note",
        "audit:portal-satu-data-metadata",
        json!({"subject": {"kind": "commitment", "id": "portal-satu-data"}, "finding": "Sebagian dataset di portal belum memiliki metadata dan walidata yang ditetapkan.", "severity": "medium", "recommendation": "Tetapkan walidata di setiap OPD dan lengkapi metadata sebelum target 300 dataset dihitung."}),
        &["siti"],
    );
    let note = s.steps.len() as u64 - 1;
    s.add(
        "audit.response",
        "audit-response:portal-satu-data-metadata",
        json!({"note": note, "response": "Walidata telah ditetapkan dengan SK Kepala Diskominfo; metadata dilengkapi bertahap hingga akhir triwulan."}),
        &["yusuf"],
    );

    // The Sekda's key is replaced: a new key, then the old one revoked.
    let new_key = s.key("joko-2");
    s.add(
        "key.add",
        "key-add:joko-2",
        json!({"mandate": "sekda-2020", "key": new_key}),
        &["registrar-setda", "registrar-bkpsdm", "joko-2"],
    );
    let old_key = s.key("joko");
    s.add(
        "key.revoke",
        "key-revoke:joko",
        json!({"key": old_key, "reason": "Perangkat penyimpan kunci diganti; kunci lama tidak dipakai lagi."}),
        &["joko"],
    );

    // First change of head: the Bupati resigns, the Wakil Bupati is Plt.
    let open_1 = [
        "e-ticket-cetho-sukuh",
        "literasi-177-desa",
        "portal-satu-data",
        "sensor-longsor-12",
        "umkm-2000",
        "bank-sampah-berjo",
    ];
    s.end(
        "bupati-2021",
        "2023-09-15",
        "Mengundurkan diri (fiktif); DPRD mengumumkan pemberhentian.",
    );
    s.mandate(
        "bupati-2023-plt",
        "bupati",
        "Ir. Sri Lestari Handayani",
        None,
        "acting",
        "2023-09-15",
        None,
        ("keputusan_gubernur", "DEMO/131.33/Plt/2023"),
        "sri",
    );
    s.handover(
        "bupati-2021",
        "bupati-2023-plt",
        "2023-09-18",
        &open_1,
        &["sri", "hartono"],
    );
    s.decide(
        "commitment.reaffirm",
        "portal-satu-data",
        "Dilanjutkan sesuai RPJMD.",
        &["sri"],
    );
    s.decide(
        "commitment.reaffirm",
        "e-ticket-cetho-sukuh",
        "Dilanjutkan; pengadaan tahun anggaran 2024.",
        &["sri"],
    );
    s.decide("commitment.reaffirm", "umkm-2000", "Dilanjutkan.", &["sri"]);
    let r = s.report(
        "e-ticket-procurement",
        1,
        "met",
        Some("2024-03-28"),
        (100, 100),
        "Kontrak pengadaan gerbang tiket",
        "ratna",
    );
    s.approve("e-ticket-procurement", r, "dewi");
    s.approve("e-ticket-procurement", r, "siti");

    // Second change: the Plt ends, a Pj is appointed by the Minister.
    s.end(
        "bupati-2023-plt",
        "2024-09-24",
        "Penjabat Bupati dilantik oleh Gubernur atas nama Menteri Dalam Negeri.",
    );
    s.end(
        "wakil-bupati-2021",
        "2024-09-24",
        "Cuti di luar tanggungan untuk mengikuti pemilihan (fiktif).",
    );
    s.mandate(
        "bupati-2024-pj",
        "bupati",
        "Dr. Bambang Setiadi, M.Si.",
        Some("197002151995031002"),
        "caretaker",
        "2024-09-24",
        None,
        ("keputusan_mendagri", "DEMO/100.2.1.3-4521/2024"),
        "bambang",
    );
    s.handover(
        "bupati-2023-plt",
        "bupati-2024-pj",
        "2024-09-24",
        &open_1,
        &["bambang", "sri"],
    );
    s.decide(
        "commitment.reaffirm",
        "portal-satu-data",
        "Dilanjutkan.",
        &["bambang"],
    );
    s.decide(
        "commitment.reaffirm",
        "e-ticket-cetho-sukuh",
        "Dilanjutkan.",
        &["bambang"],
    );
    let r = s.report(
        "umkm-onboarding-1000",
        1,
        "partiallyMet",
        None,
        (64, 58),
        "Daftar 640 UMKM terverifikasi",
        "hendra",
    );
    s.approve("umkm-onboarding-1000", r, "dewi");
    s.approve("umkm-onboarding-1000", r, "siti");

    // Third change: the newly elected Bupati and Wakil Bupati.
    s.end(
        "bupati-2024-pj",
        "2025-02-20",
        "Bupati hasil pemilihan 2024 dilantik.",
    );
    s.mandate(
        "bupati-2025",
        "bupati",
        "Rina Kusumawardani, S.H., M.H.",
        None,
        "definitive",
        "2025-02-20",
        Some("2030-02-20"),
        ("keputusan_mendagri", "DEMO/100.2.1.3-1021/2025"),
        "rina",
    );
    s.mandate(
        "wakil-bupati-2025",
        "wakil-bupati",
        "Agus Prasetyo, S.E.",
        None,
        "definitive",
        "2025-02-20",
        Some("2030-02-20"),
        ("keputusan_mendagri", "DEMO/100.2.1.3-1022/2025"),
        "agus",
    );
    s.handover(
        "bupati-2024-pj",
        "bupati-2025",
        "2025-02-21",
        &open_1,
        &["rina", "bambang"],
    );
    s.add(
        "document.register",
        "document:rpjmd-2025",
        json!({"document": {"id": "rpjmd-2025-2029", "kind": "RPJMD", "number": "DEMO/PERDA/2/2025", "title": "RPJMD Kabupaten Karanganyar 2025–2029", "date": "2025-08-18", "sha256": SHA_A}}),
        &["dewi"],
    );
    s.decide(
        "commitment.reaffirm",
        "portal-satu-data",
        "Menjadi bagian misi tata kelola RPJMD 2025–2029.",
        &["rina"],
    );
    s.decide(
        "commitment.reaffirm",
        "e-ticket-cetho-sukuh",
        "Diteruskan; mendukung kawasan pariwisata Borobudur.",
        &["rina"],
    );
    s.decide(
        "commitment.reaffirm",
        "sensor-longsor-12",
        "Prioritas kebencanaan.",
        &["rina"],
    );
    s.add(
        "commitment.amend",
        "amend:umkm-2000",
        json!({"commitment": "umkm-2000", "changes": {"due": "2026-12-31", "budget": {"amount": "2100000000", "currency": "IDR", "source": "APBD Kabupaten Karanganyar"}},
               "justification": "Target 2.000 UMKM dipertahankan; tenggat dan anggaran disesuaikan dengan RPJMD 2025–2029 setelah capaian 640 UMKM."}),
        &["hendra", "rina"],
    );
    s.add(
        "commitment.discontinue",
        "discontinue:bank-sampah-berjo",
        json!({"commitment": "bank-sampah-berjo", "justification": "Digabung ke program bank sampah provinsi yang mencakup Desa Berjo; anggaran daerah dialihkan ke TPS3R.",
               "basis": {"kind": "keputusan_bupati", "number": "DEMO/660/117/2025", "sha256": SHA_A}}),
        &["rina", "joko-2"],
    );
    s.milestone(
        "e-ticket-live",
        "e-ticket-cetho-sukuh",
        "Gerbang tiket beroperasi di kedua candi",
        "delivery",
        "2025-06-30",
        "ratna",
    );
    let r = s.report(
        "e-ticket-live",
        1,
        "met",
        Some("2025-06-14"),
        (100, 91),
        "Berita acara serah terima dan data transaksi Juni 2025",
        "ratna",
    );
    s.approve("e-ticket-live", r, "dewi");
    s.approve("e-ticket-live", r, "siti");
    s.decide(
        "commitment.complete",
        "e-ticket-cetho-sukuh",
        "Kedua candi memakai tiket elektronik sejak Juni 2025.",
        &["ratna", "rina"],
    );
    // A report the approvers have not decided yet: in Bappeda's and the
    // Inspektorat's inboxes at the signing desk.
    s.milestone(
        "portal-satu-data-400",
        "portal-satu-data",
        "400 dataset terbit di Portal Satu Data",
        "delivery",
        "2029-12-31",
        "yusuf",
    );
    s.report(
        "portal-satu-data-400",
        1,
        "met",
        Some("2026-10-20"),
        (100, 88),
        "Daftar 412 dataset terbit per 20 Oktober 2026",
        "yusuf",
    );
    // literasi-177-desa is left awaiting reaffirmation, and the landslide
    // sensors' milestone is overdue: both show on the continuity report.
    s.steps
}

/// The demo officials' keys, each with a file name of office and holder
/// (`diskominfo-rina`, `bupati-joko`, `registrar-setda`): what
/// `prasasti demo` writes for trying the signing desk. Public, like every
/// demo key.
pub fn officials(origin: &str) -> Vec<(String, SigningKey)> {
    let mut named: Vec<(String, &'static str)> = Vec::new();
    for step in story(origin) {
        if step.statement.get("type").and_then(Value::as_str) != Some("mandate.begin") {
            continue;
        }
        let office = step.statement["mandate"]["office"]
            .as_str()
            .unwrap_or("office");
        for key in step.statement["keys"].as_array().into_iter().flatten() {
            let Some(name) = KEY_NAMES.iter().find(|n| {
                Some(keyid_of(&demo_key(origin, n).verifying_key()).as_str()) == key.as_str()
            }) else {
                continue;
            };
            if !named.iter().any(|(_, n)| n == name) {
                named.push((format!("{office}-{name}"), name));
            }
        }
    }
    for registrar in KEY_NAMES.iter().filter(|n| n.starts_with("registrar-")) {
        named.push(((*registrar).to_owned(), registrar));
    }
    named
        .into_iter()
        .map(|(file, name)| (file, demo_key(origin, name)))
        .collect()
}

/// Seals a step with the demo keys.
pub fn seal_step(origin: &str, step: &Step) -> crate::ledger::statement::Envelope {
    let mut keys = step.signers.iter().map(|name| demo_key(origin, name));
    let first = keys.next().unwrap_or_else(|| demo_key(origin, "intruder"));
    let mut envelope = seal(&step.statement, &first);
    for key in keys {
        // Cosigning a fresh envelope with distinct keys cannot fail.
        let _ = cosign(&mut envelope, &key);
    }
    envelope
}

/// Writes the story into an empty ledger; does nothing to a ledger that
/// already has entries. Returns the number of entries written.
pub async fn write(
    ledger: &Ledger,
    progress: &crate::ledger::verify::Progress,
) -> Result<u64, LedgerError> {
    if ledger.latest_checkpoint().await?.tree_size > 0 {
        return Ok(0);
    }
    let origin = ledger.origin().to_owned();
    let steps = story(&origin);
    let total = steps.len() as u64;
    for (index, step) in steps.iter().enumerate() {
        let mut envelope = seal_step(&origin, step);
        if index == 0 {
            ledger.consent_to_genesis(&mut envelope)?;
        }
        let verified = VerifiedEnvelope::check(envelope, &origin)
            .map_err(|e| LedgerError::AppendFailed(format!("demo statement: {e}")))?;
        ledger.submit(verified).await?;
        progress.report(index as u64 + 1, total);
    }
    Ok(steps.len() as u64)
}
