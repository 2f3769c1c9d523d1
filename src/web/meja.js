// prasasti: the officials' signing desk (Meja Tanda Tangan).
//
// The private key never leaves this page: a key file is imported into
// WebCrypto as a non-extractable Ed25519 key (kept in this browser's
// IndexedDB, or only in this page's memory for a session), and every
// signature is made here over the exact bytes shown on the review screen.
// The server receives statements, public keys and signatures; nothing else.
// The forms are built from the statement types' JSON Schemas
// (GET /api/v1/statement-types), so every type and field is covered.
"use strict";

(function () {
  const desk = document.getElementById("desk");
  if (!desk) return;
  const lang = document.documentElement.lang === "en" ? "en" : "id";
  const enc = new TextEncoder();
  const PAYLOAD_TYPE = "application/vnd.prasasti.statement+json";
  const WITHDRAWAL_TYPE = "application/vnd.prasasti.draft-withdrawal";
  const PKCS8_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

  // ---- words -------------------------------------------------------------
  const WORDS = {
    id: {
      insecure: "Penandatanganan memerlukan koneksi aman (HTTPS, atau 127.0.0.1/localhost). Halaman ini dibuka lewat HTTP biasa dari alamat lain, sehingga peramban tidak mengizinkan kunci dipakai. Hubungi pengelola server.",
      no_webcrypto: "Peramban ini tidak mendukung tanda tangan Ed25519. Pakai Chromium/Chrome 137+, Firefox 129+ atau Safari 17+.",
      no_keys: "Belum ada kunci di perangkat ini.",
      no_storage: "Peramban ini tidak mengizinkan penyimpanan kunci di perangkat; kunci hanya dapat dipakai untuk sesi ini.",
      use: "Pakai", forget: "Lupakan kunci", active: "aktif",
      kept_device: "disimpan di perangkat ini", kept_session: "hanya sesi ini",
      forget_confirm: "Hapus kunci ini dari perangkat ini? Tanpa berkas kuncinya, Anda tidak dapat menandatangani lagi dari sini.",
      loaded: "Kunci dimuat. Kunci pribadi tidak dapat dibaca lagi oleh siapa pun, termasuk halaman ini.",
      bad_file: "Berkas ini bukan kunci pribadi prasasti (baris PRIVATE+KEY+… dari prasasti keygen).",
      generated: "Kunci dibuat di perangkat ini. Serahkan berkas pendaftaran kepada registrar; kunci pribadinya tidak pernah meninggalkan peramban ini.",
      enrolment: "Unduh berkas pendaftaran",
      whoami_none: "Pilih atau muat kunci untuk mulai.",
      unregistered: "Kunci ini belum terikat pada mandat mana pun. Registrar mencatatnya dengan pernyataan mandate.begin atau key.add, yang juga Anda tandatangani (bukti kepemilikan).",
      valid: "berlaku sekarang", revoked: "DICABUT", ended: "mandat berakhir", grace: "mandat berakhir; masih boleh menandatangani serah terima sampai {until}",
      registrar: "Registrar", key: "Kunci",
      inbox_empty: "Tidak ada yang menunggu Anda.",
      inbox_draft: "Draf menunggu tanda tangan Anda: {what}",
      inbox_mine: "Draf yang sudah Anda tandatangani, menunggu {missing}",
      inbox_reaffirm: "Komitmen warisan menunggu keputusan Bupati: {title}",
      inbox_approve: "Laporan tonggak menunggu persetujuan kantor Anda: {title}",
      inbox_due: "Tonggak kantor Anda jatuh tempo {due} tanpa laporan: {title}",
      inbox_overdue: "Tonggak kantor Anda TERLAMBAT sejak {due} tanpa laporan: {title}",
      inbox_handover: "Serah terima jabatan {office} dari {from} kepada {to} belum dicatat",
      record_handover: "Catat serah terima",
      reaffirm: "Tegaskan", amend: "Ubah", discontinue: "Hentikan", report: "Laporkan", approve: "Setujui", open: "Buka", withdraw: "Tarik draf",
      choose_type: "— pilih jenis pernyataan —",
      add: "Tambah", remove: "Hapus", optional: "tidak wajib", required: "wajib",
      file_hash: "atau pilih berkas untuk dihitung SHA-256-nya",
      review_title: "Yang akan Anda tandatangani",
      review_hash: "SHA-256 pernyataan",
      review_json: "JSON kanonik (persis byte yang ditandatangani)",
      sign: "Tandatangani", cancel: "Batal",
      signing: "Menandatangani…",
      missing: "Masih perlu tanda tangan: {missing}",
      submitted: "Tercatat di buku besar sebagai entri #{entry}.",
      verify_link: "Verifikasi entri ini di peramban Anda",
      pending: "Draf {id} menunggu tanda tangan lain.",
      withdrawn: "Draf ditarik.",
      refused: "Ditolak: {message}",
      field_missing: "Isian wajib: {field}",
      bad_number: "Bukan angka: {field}",
      need_key: "Muat atau pilih kunci dulu.",
      rupiah: "Rp {amount}",
      draft_open_failed: "Draf tidak dapat dibuka: {message}",
      advice_unauthorized_signer: "Minta pemegang jabatan yang disebut di atas ikut menandatangani draf ini; bila ia sudah menandatangani, mandatnya mungkin telah berakhir atau kuncinya dicabut.",
      advice_invalid_statement: "Perbaiki isian yang disebut di atas, lalu tinjau dan tandatangani lagi.",
      advice_statement_id_conflict: "Kode pernyataan ini sudah dipakai pernyataan lain; susun ulang pernyataannya (kode baru dibuat otomatis).",
      advice_signature_not_needed: "Kunci ini tidak memenuhi satu pun yang masih diperlukan draf ini; yang perlu menandatangani tercantum di atas.",
      advice_signer_without_mandate: "Kunci ini belum terikat pada mandat yang berlaku; hubungi registrar.",
      advice_draft_exists: "Pernyataan ini sudah menunggu tanda tangan dalam draf lain; buka draf itu dari kotak masuk.",
      advice_too_many_drafts: "Selesaikan atau tarik beberapa draf yang menunggu lebih dulu.",
      advice_draft_expired: "Draf ini kedaluwarsa; susun dan tandatangani pernyataannya lagi.",
    },
    en: {
      insecure: "Signing needs a secure connection (HTTPS, or 127.0.0.1/localhost). This page was opened over plain HTTP from another address, so the browser does not let keys be used. Contact the server's operator.",
      no_webcrypto: "This browser does not support Ed25519 signatures. Use Chromium/Chrome 137+, Firefox 129+ or Safari 17+.",
      no_keys: "No key on this device yet.",
      no_storage: "This browser does not let keys be kept on the device; keys can be used for this session only.",
      use: "Use", forget: "Forget key", active: "active",
      kept_device: "kept on this device", kept_session: "this session only",
      forget_confirm: "Delete this key from this device? Without its key file you cannot sign from here again.",
      loaded: "Key loaded. Nobody can read the private key any more, this page included.",
      bad_file: "This file is not a prasasti private key (the PRIVATE+KEY+… line prasasti keygen writes).",
      generated: "Key made on this device. Hand the enrolment file to the registrars; the private key never leaves this browser.",
      enrolment: "Download the enrolment file",
      whoami_none: "Choose or load a key to begin.",
      unregistered: "This key is not bound to any mandate yet. The registrars record it with a mandate.begin or key.add statement, which you co-sign too (proof of possession).",
      valid: "valid now", revoked: "REVOKED", ended: "mandate ended", grace: "mandate ended; may still sign the handover until {until}",
      registrar: "Registrar", key: "Key",
      inbox_empty: "Nothing is waiting for you.",
      inbox_draft: "Draft waiting for your signature: {what}",
      inbox_mine: "Draft you signed, waiting for {missing}",
      inbox_reaffirm: "Inherited commitment awaiting the head's decision: {title}",
      inbox_approve: "Milestone report awaiting your office's approval: {title}",
      inbox_due: "Your office's milestone is due {due} with no report: {title}",
      inbox_overdue: "Your office's milestone is OVERDUE since {due} with no report: {title}",
      inbox_handover: "The handover of {office} from {from} to {to} is not recorded yet",
      record_handover: "Record the handover",
      reaffirm: "Reaffirm", amend: "Amend", discontinue: "Discontinue", report: "Report", approve: "Approve", open: "Open", withdraw: "Withdraw draft",
      choose_type: "— choose a kind of statement —",
      add: "Add", remove: "Remove", optional: "optional", required: "required",
      file_hash: "or pick the file to compute its SHA-256",
      review_title: "What you are signing",
      review_hash: "SHA-256 of the statement",
      review_json: "Canonical JSON (exactly the bytes signed)",
      sign: "Sign", cancel: "Cancel",
      signing: "Signing…",
      missing: "Still needs signatures: {missing}",
      submitted: "Recorded in the ledger as entry #{entry}.",
      verify_link: "Verify this entry in your browser",
      pending: "Draft {id} is waiting for other signatures.",
      withdrawn: "Draft withdrawn.",
      refused: "Refused: {message}",
      field_missing: "Required: {field}",
      bad_number: "Not a number: {field}",
      need_key: "Load or choose a key first.",
      rupiah: "Rp {amount}",
      draft_open_failed: "The draft could not be opened: {message}",
      advice_unauthorized_signer: "Ask the holder of the office named above to co-sign this draft; if they did sign, their mandate may have ended or their key been revoked.",
      advice_invalid_statement: "Correct the field named above, then review and sign again.",
      advice_statement_id_conflict: "This statement id is taken by another statement; draft the statement again (a new id is made for you).",
      advice_signature_not_needed: "This key meets nothing the draft still needs; who must sign is listed above.",
      advice_signer_without_mandate: "This key is not bound to a current mandate; contact the registrars.",
      advice_draft_exists: "This statement is already waiting for signatures in another draft; open that draft from the inbox.",
      advice_too_many_drafts: "Complete or withdraw some of your pending drafts first.",
      advice_draft_expired: "This draft expired; draft and sign the statement again.",
    },
  };
  function t(key, values) {
    let text = WORDS[lang][key] || key;
    for (const [k, v] of Object.entries(values || {})) text = text.split("{" + k + "}").join(String(v));
    return text;
  }

  // What each statement type does, in words, for the type picker.
  const TYPES = {
    "ledger.genesis": ["Awal buku besar (genesis)", "Ledger genesis"],
    "registrars.update": ["Mengganti registrar", "Change the registrars"],
    "office.establish": ["Membentuk jabatan", "Establish an office"],
    "mandate.begin": ["Memulai mandat (pelantikan)", "Begin a mandate (appointment)"],
    "mandate.end": ["Mengakhiri mandat", "End a mandate"],
    "key.add": ["Menambah kunci pada mandat", "Add a key to a mandate"],
    "key.revoke": ["Mencabut kunci", "Revoke a key"],
    "document.register": ["Mendaftarkan dokumen", "Register a document"],
    "programme.register": ["Mendaftarkan program", "Register a programme"],
    "programme.update": ["Memperbarui program", "Update a programme"],
    "commitment.make": ["Membuat komitmen", "Make a commitment"],
    "commitment.amend": ["Mengubah komitmen", "Amend a commitment"],
    "commitment.reaffirm": ["Menegaskan kembali komitmen warisan", "Reaffirm an inherited commitment"],
    "commitment.discontinue": ["Menghentikan komitmen", "Discontinue a commitment"],
    "commitment.complete": ["Menyatakan komitmen selesai", "Complete a commitment"],
    "milestone.schedule": ["Menjadwalkan tonggak", "Schedule a milestone"],
    "milestone.reschedule": ["Menjadwal ulang tonggak", "Reschedule a milestone"],
    "milestone.report": ["Melaporkan tonggak", "Report a milestone"],
    "milestone.approve": ["Menyetujui/menolak laporan tonggak", "Approve or reject a milestone report"],
    "handover.record": ["Mencatat serah terima jabatan", "Record a handover"],
    "audit.note": ["Catatan pemeriksaan Inspektorat", "Inspectorate audit note"],
    "audit.response": ["Tanggapan atas catatan pemeriksaan", "Response to an audit note"],
  };
  function typeName(type) {
    const names = TYPES[type];
    return names ? names[lang === "en" ? 1 : 0] : null;
  }

  // Every field name of every statement, in plain words with what it means.
  const FIELDS = {
    amount: ["Jumlah (rupiah)", "Amount (rupiah)"],
    approvers: ["Kantor penyetuju laporan", "Offices that approve the report"],
    at: ["Tanggal", "Date"],
    baseline: ["Nilai awal", "Baseline"],
    basis: ["Dasar hukum (keputusan, berita acara)", "Legal basis (decree, minutes)"],
    budget: ["Anggaran", "Budget"],
    changes: ["Perubahan", "Changes"],
    commitment: ["Komitmen", "Commitment"],
    compromised_since: ["Diduga bocor sejak", "Possibly compromised since"],
    currency: ["Mata uang (IDR)", "Currency (IDR)"],
    date: ["Tanggal", "Date"],
    date_met: ["Tanggal tercapai", "Date met"],
    decision: ["Keputusan", "Decision"],
    description: ["Uraian", "Description"],
    document: ["Dokumen", "Document"],
    documents: ["Dokumen dasar", "Documents it rests on"],
    due: ["Tenggat", "Due date"],
    evidence: ["Bukti", "Evidence"],
    financial_pct: ["Realisasi keuangan (%)", "Budget spent (%)"],
    finding: ["Temuan", "Finding"],
    from: ["Mulai", "From"],
    government: ["Pemerintah daerah", "Regional government"],
    holder: ["Pemegang jabatan", "Holder"],
    horizon: ["Jangka peta jalan", "Roadmap horizon"],
    id: ["Kode (huruf, angka, titik, tanda hubung)", "Id (letters, digits, dots, dashes)"],
    incoming: ["Mandat yang masuk", "Incoming mandate"],
    indicators: ["Indikator kinerja", "Performance indicators"],
    justification: ["Alasan", "Justification"],
    key: ["Kunci publik (64 digit heksadesimal)", "Public key (64 hex digits)"],
    keys: ["Kunci publik", "Public keys"],
    kind: ["Jenis", "Kind"],
    mandate: ["Mandat", "Mandate"],
    milestone: ["Tonggak", "Milestone"],
    name: ["Nama", "Name"],
    name_en: ["Nama (bahasa Inggris)", "Name (English)"],
    name_id: ["Nama (bahasa Indonesia)", "Name (Indonesian)"],
    nip: ["NIP (18 digit)", "NIP (18 digits)"],
    note: ["Catatan", "Note"],
    notes: ["Catatan", "Notes"],
    number: ["Nomor", "Number"],
    office: ["Jabatan", "Office"],
    open_commitments: ["Komitmen yang masih berjalan", "Commitments still open"],
    outgoing: ["Mandat yang keluar", "Outgoing mandate"],
    owner: ["Kantor pemilik", "Owning office"],
    period: ["Periode", "Period"],
    person: ["Kode orang (tanpa NIP, mis. kepala daerah terpilih)", "Person id (without NIP, e.g. an elected head)"],
    physical_pct: ["Realisasi fisik (%)", "Physical progress (%)"],
    pillar: ["Pilar smart city", "Smart-city pillar"],
    pillars: ["Pilar smart city", "Smart-city pillars"],
    programme: ["Program", "Programme"],
    progress: ["Kemajuan", "Progress"],
    reason: ["Alasan", "Reason"],
    recommendation: ["Rekomendasi", "Recommendation"],
    region_code: ["Kode wilayah Kemendagri", "Kemendagri region code"],
    registrars: ["Registrar", "Registrars"],
    report: ["Laporan (nomor entri)", "Report (entry number)"],
    response: ["Tanggapan", "Response"],
    role: ["Peran", "Role"],
    severity: ["Tingkat", "Severity"],
    sha256: ["SHA-256 berkas", "SHA-256 of the file"],
    source: ["Sumber dana (APBD, DAK, …)", "Source (APBD, DAK, …)"],
    status: ["Status", "Status"],
    subject: ["Pokok", "Subject"],
    target: ["Target", "Target"],
    threshold: ["Jumlah tanda tangan yang diperlukan", "Signatures needed"],
    timezone: ["Zona waktu", "Time zone"],
    title: ["Judul", "Title"],
    type: ["Jenis", "Type"],
    unit: ["Satuan / unit kerja", "Unit"],
    until: ["Sampai", "Until"],
    uri: ["Alamat (URL)", "Address (URL)"],
  };
  function fieldName(name) {
    const names = FIELDS[name];
    return names ? names[lang === "en" ? 1 : 0] : null;
  }
  // What the less obvious fields mean, in plain words; the model's own
  // (English) description is shown where there is none.
  const HINTS = {
    id: ["Kode singkat yang unik, mis. portal-satu-data. Tidak dapat diubah kemudian.", "A short unique code, e.g. portal-satu-data. It cannot be changed later."],
    amount: ["Dalam rupiah, angka saja tanpa titik: 1250000000.", "In rupiah, digits only: 1250000000."],
    currency: ["Selalu IDR.", "Always IDR."],
    sha256: ["Sidik jari berkas: pilih berkasnya dan peramban menghitungnya; berkas tidak dikirim.", "The file's fingerprint: pick the file and the browser computes it; the file is not sent."],
    basis: ["Surat keputusan, berita acara atau persetujuan yang menjadi dasar.", "The decree, minutes or approval this rests on."],
    key: ["Kunci publik pejabat (keyid), 64 karakter, dari berkas pendaftaran.", "The official's public key (keyid), 64 characters, from the enrolment file."],
    keys: ["Kunci publik pejabat (keyid); setiap pemilik kunci ikut menandatangani.", "The officials' public keys (keyid); each key's holder co-signs."],
    nip: ["18 digit tanpa spasi, untuk ASN.", "18 digits without spaces, for civil servants."],
    person: ["Untuk kepala daerah terpilih tanpa NIP; sama di setiap mandatnya.", "For an elected head without a NIP; the same in each of their mandates."],
    approvers: ["Kantor yang harus menyetujui laporan (bawaan: Bappeda dan Inspektorat).", "Offices that must approve the report (by default Bappeda and the Inspectorate)."],
    report: ["Nomor entri laporan yang diputuskan (diisi dari kotak masuk).", "The entry number of the report decided on (filled in from the inbox)."],
    open_commitments: ["Setiap komitmen yang masih berjalan dan diserahkan kepada pejabat baru.", "Every commitment still open, handed to the new holder."],
    justification: ["Alasan yang akan dibaca publik.", "The reason the public will read."],
    due: ["Tanggal tenggat.", "The due date."],
    physical_pct: ["0 sampai 100.", "0 to 100."],
    financial_pct: ["0 sampai 100.", "0 to 100."],
    threshold: ["Berapa registrar yang harus menandatangani.", "How many registrars must sign."],
  };

  // Fields whose choices come from the ledger's state.
  const CHOICES = {
    programme: "programmes", commitment: "commitments", milestone: "milestones",
    office: "offices", owner: "offices", approvers: "offices", mandate: "mandates",
    outgoing: "mandates", incoming: "mandates", document: "documents",
    documents: "documents", open_commitments: "commitments", pillar: "pillars",
  };
  const LONG_TEXT = new Set(["description", "justification", "finding", "response", "note", "notes", "reason", "recommendation"]);

  // ---- bytes -------------------------------------------------------------
  const { b64decode, b64encode, hex, concat, sha256 } = window.prasastiBytes;
  // RFC 8785: object keys sorted by UTF-16 code units, strings as
  // JSON.stringify writes them, integers only (amounts are strings).
  function canonical(value) {
    if (value === null || typeof value === "boolean") return JSON.stringify(value);
    if (typeof value === "number") {
      if (!Number.isFinite(value)) throw new Error("not a JSON number");
      return JSON.stringify(value);
    }
    if (typeof value === "string") return JSON.stringify(value);
    if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
    const keys = Object.keys(value).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
  }
  function pae(type, body) {
    const head = enc.encode("DSSEv1 " + enc.encode(type).length + " " + type + " " + body.length + " ");
    return concat(head, body);
  }

  // ---- keys on this device ------------------------------------------------
  // IndexedDB holds {keyid, label, key: CryptoKey (non-extractable)}; the
  // session's keys live in this Map only.
  const sessionKeys = new Map();
  let active = null;

  // Whether this browser lets the desk keep keys (IndexedDB may be blocked
  // or unavailable, as in some private windows): then keys are for the
  // session only.
  let deviceStorage = true;
  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open("prasasti-desk", 1);
      request.onupgradeneeded = () => request.result.createObjectStore("keys", { keyPath: "keyid" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error("blocked"));
      setTimeout(() => reject(new Error("IndexedDB did not answer")), 5000);
    });
  }
  async function store(mode, fn) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const tx = db.transaction("keys", mode);
      const request = fn(tx.objectStore("keys"));
      tx.oncomplete = () => { db.close(); resolve(request && request.result); };
      tx.onerror = () => { db.close(); reject(tx.error); };
    });
  }
  async function deviceKeys() {
    if (!deviceStorage) return [];
    try {
      return (await store("readonly", (s) => s.getAll())) || [];
    } catch (error) {
      deviceStorage = false;
      $("keep-session").checked = true;
      $("keep-device").disabled = true;
      say("key-message", t("no_storage"), "bad");
      return [];
    }
  }
  async function allKeys() {
    const kept = (await deviceKeys()).map((k) => Object.assign({ kept: "device" }, k));
    return kept.concat(Array.from(sessionKeys.values()).map((k) => Object.assign({ kept: "session" }, k)));
  }

  // A key file is one line: PRIVATE+KEY+<name>+<8 hex>+base64(0x01 || seed).
  function parseKeyFile(text) {
    // The name and the hash have no '+'; the base64 after them may.
    const match = /^PRIVATE\+KEY\+([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+=*)$/.exec(text.trim());
    if (!match) throw new Error(t("bad_file"));
    const parts = [null, null, match[1], match[2], match[3]];
    let raw;
    try { raw = b64decode(parts[4]); } catch (e) { throw new Error(t("bad_file")); }
    if (raw.length !== 33 || raw[0] !== 1) throw new Error(t("bad_file"));
    return { label: parts[2], seed: raw.slice(1) };
  }

  // Imports a seed as a non-extractable signing key, and learns its public
  // key through a short-lived extractable copy that is dropped at once.
  async function importSeed(seed) {
    const pkcs8 = concat(new Uint8Array(PKCS8_PREFIX), seed);
    const temporary = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
    const jwk = await crypto.subtle.exportKey("jwk", temporary);
    const key = await crypto.subtle.importKey(
      "jwk", { kty: "OKP", crv: "Ed25519", d: jwk.d, x: jwk.x }, { name: "Ed25519" }, false, ["sign"]);
    jwk.d = "";
    const publicKey = b64decode(jwk.x.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (jwk.x.length % 4)) % 4));
    return { key, keyid: hex(publicKey) };
  }

  async function keep(entry, where) {
    if (where === "device" && deviceStorage) await store("readwrite", (s) => s.put(entry));
    else sessionKeys.set(entry.keyid, entry);
    await choose(entry.keyid);
  }

  async function sign(bytes) {
    if (!active) throw new Error(t("need_key"));
    const sig = await crypto.subtle.sign({ name: "Ed25519" }, active.key, bytes);
    return { keyid: active.keyid, sig: b64encode(new Uint8Array(sig)) };
  }

  // ---- the server ---------------------------------------------------------
  async function api(path, body) {
    const init = body === undefined ? {} : {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
    };
    const response = await fetch(path, init);
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      const error = new Error((data && data.error && data.error.message) || ("HTTP " + response.status));
      error.code = data && data.error && data.error.code;
      error.details = data && data.error && data.error.details;
      error.status = response.status;
      throw error;
    }
    return data;
  }

  let origin = "";
  let types = null;
  let choices = {};
  let me = { offices: [], leaving: [], registrar: false, holder: null };

  async function loadState() {
    const [log, offices, programmes, catalogue] = await Promise.all([
      api("/api/v1/log"), api("/api/v1/offices"), api("/api/v1/programmes?per_page=100"),
      types ? Promise.resolve(types) : api("/api/v1/statement-types"),
    ]);
    origin = log.origin;
    types = catalogue;
    const views = await Promise.all(programmes.items.map((p) => api("/api/v1/programmes/" + encodeURIComponent(p.id))));
    const charter = await api("/api/v1/charter").catch(() => null);
    choices = {
      offices: offices.map((o) => [o.id, o.name]),
      mandates: offices.flatMap((o) => o.holders.map((h) => [h.id, h.holder.name + " — " + o.name])),
      programmes: views.map((p) => [p.id, p.title]),
      commitments: views.flatMap((p) => p.commitment_details.map((c) => [c.id, (c.versions[c.versions.length - 1] || {}).title || c.id])),
      milestones: views.flatMap((p) => p.commitment_details.flatMap((c) => c.milestone_details.map((m) => [m.id, m.title]))),
      documents: views.flatMap((p) => (p.documents || []).map((d) => [d.id || d, d.title || d.id || d])),
      pillars: charter ? charter.pillars.map((p) => [p.id, lang === "en" ? p.name_en : p.name_id]) : [],
    };
    return { offices, views };
  }

  // ---- the page -----------------------------------------------------------
  const $ = (id) => document.getElementById(id);
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }
  function say(id, text, kind) {
    const node = $(id);
    node.textContent = text;
    node.className = kind || "";
  }

  async function showKeys() {
    const list = $("key-list");
    list.replaceChildren();
    const keys = await allKeys();
    if (keys.length === 0) list.append(el("li", { class: "muted", text: t("no_keys") }));
    for (const k of keys) {
      const isActive = active && active.keyid === k.keyid;
      list.append(el("li", { "data-keyid": k.keyid },
        el("strong", { text: k.label }), " ",
        el("code", { class: "hash", text: k.keyid.slice(0, 16) + "…" }), " ",
        el("span", { class: "badge neutral", text: t(k.kept === "device" ? "kept_device" : "kept_session") }), " ",
        isActive ? el("span", { class: "badge good", text: t("active") })
          : el("button", { type: "button", class: "use-key", onclick: () => choose(k.keyid), text: t("use") }), " ",
        el("button", { type: "button", class: "forget-key", onclick: () => forget(k), text: t("forget") })));
    }
  }

  // Which key is active is remembered (a public key id, nothing secret).
  const ACTIVE = "prasasti-desk-active";
  async function choose(keyid) {
    const keys = await allKeys();
    active = keys.find((k) => k.keyid === keyid) || null;
    if (active) localStorage.setItem(ACTIVE, active.keyid);
    await showKeys();
    await showMe();
  }

  async function forget(k) {
    if (!window.confirm(t("forget_confirm"))) return;
    if (k.kept === "device") await store("readwrite", (s) => s.delete(k.keyid));
    sessionKeys.delete(k.keyid);
    if (active && active.keyid === k.keyid) active = null;
    await showKeys();
    await showMe();
  }

  const MANDATE_KINDS = {
    definitive: ["definitif", "definitive"], acting: ["Plt.", "acting (Plt.)"],
    daily: ["Plh.", "daily (Plh.)"], caretaker: ["Pj.", "caretaker (Pj.)"],
  };
  function mandateKind(kind) {
    return (MANDATE_KINDS[kind] || [kind, kind])[lang === "en" ? 1 : 0];
  }

  function graceUntil(ended) {
    const end = new Date(ended);
    end.setDate(end.getDate() + 90);
    return end;
  }

  async function showMe() {
    const box = $("whoami");
    box.replaceChildren();
    me = { offices: [], leaving: [], registrar: false, holder: null };
    if (!active) {
      box.append(el("p", { class: "muted", text: t("whoami_none") }));
      $("inbox").replaceChildren();
      return;
    }
    let view = null;
    try { view = await api("/api/v1/keys/" + active.keyid); } catch (e) { view = null; }
    box.append(el("p", {}, t("key") + " ", el("code", { class: "hash", id: "active-keyid", text: active.keyid })));
    if (!view) {
      box.append(el("p", { id: "whoami-status", text: t("unregistered") }));
    } else {
      me.registrar = !!view.registrar;
      if (view.registrar) box.append(el("p", {}, el("span", { class: "badge good", text: t("registrar") })));
      const now = new Date();
      for (const m of view.mandate_details || []) {
        const office = (choices.offices.find((o) => o[0] === m.office) || [m.office, m.office])[1];
        const ended = m.ended ? new Date(m.ended.at) : (m.until ? new Date(m.until) : null);
        let status = t("valid");
        let kind = "good";
        if (view.revoked) { status = t("revoked"); kind = "bad"; }
        else if (ended && ended <= now) {
          const grace = graceUntil(ended);
          if (grace > now) { status = t("grace", { until: grace.toISOString().slice(0, 10) }); kind = "warn"; }
          else { status = t("ended"); kind = "bad"; }
        }
        if (kind === "good") me.offices.push(m.office);
        if (kind === "warn") me.leaving.push(m.office);
        me.holder = m.holder.name;
        box.append(el("p", { class: "whoami-mandate" },
          el("strong", { class: "holder-name", text: m.holder.name }), " — ",
          el("span", { class: "office-name", text: office }), " (" + mandateKind(m.kind) + ", " + m.from + (m.until ? " – " + m.until : "") + ") ",
          el("span", { class: "badge " + kind, id: "whoami-status", text: status })));
      }
    }
    await showInbox();
  }

  // ---- inbox --------------------------------------------------------------
  async function showInbox() {
    const list = $("inbox");
    list.replaceChildren();
    const state = await loadState();
    const offices = me.offices.slice();
    if (me.registrar) offices.push("registrars");
    const seen = new Set();
    const items = [];
    for (const office of offices) {
      const drafts = await api("/api/v1/drafts?status=pending&office=" + encodeURIComponent(office));
      for (const d of drafts) {
        if (seen.has(d.id)) continue;
        seen.add(d.id);
        const signed = d.signed_by.some((s) => s.keyid === active.keyid);
        const missing = d.missing.map(missingWords).join("; ");
        items.push(el("li", { class: "inbox-draft", "data-draft": d.id },
          signed ? t("inbox_mine", { missing }) : t("inbox_draft", { what: d.words[lang] }), " ",
          el("button", { type: "button", class: "open-draft", onclick: () => openDraft(d.id), text: t("open") })));
      }
    }
    const isHead = state.offices.some((o) => o.role === "head_of_region" && me.offices.includes(o.id));
    if (isHead) {
      const continuity = await api("/api/v1/continuity");
      const term = continuity.terms[continuity.terms.length - 1];
      if (term) {
        const decided = new Set([].concat(term.reaffirmed, term.amended, term.discontinued, term.completed).map((c) => c.commitment));
        for (const id of term.inherited.filter((c) => !decided.has(c))) {
          const title = (choices.commitments.find((c) => c[0] === id) || [id, id])[1];
          items.push(el("li", { class: "inbox-reaffirm", "data-commitment": id }, t("inbox_reaffirm", { title }), " ",
            el("button", { type: "button", onclick: () => compose("commitment.reaffirm", { commitment: id }), text: t("reaffirm") }), " ",
            el("button", { type: "button", onclick: () => compose("commitment.amend", { commitment: id }), text: t("amend") }), " ",
            el("button", { type: "button", onclick: () => compose("commitment.discontinue", { commitment: id }), text: t("discontinue") })));
        }
      }
    }
    // A change of holder within the 90 days of grace, with no handover yet.
    const graceStart = new Date(Date.now() - 90 * 24 * 3600 * 1000);
    for (const office of state.offices.filter((o) => me.offices.includes(o.id) || me.leaving.includes(o.id))) {
      const holders = office.holders;
      for (let i = 1; i < holders.length; i++) {
        const [outgoing, incoming] = [holders[i - 1], holders[i]];
        const recorded = office.handovers.some((h) => h.outgoing === outgoing.id && h.incoming === incoming.id);
        if (!recorded && new Date(incoming.from) >= graceStart) {
          items.push(el("li", { class: "inbox-handover", "data-office": office.id },
            t("inbox_handover", { office: office.name, from: outgoing.holder.name, to: incoming.holder.name }), " ",
            el("button", { type: "button", onclick: () => compose("handover.record", { office: office.id, outgoing: outgoing.id, incoming: incoming.id, at: incoming.from }), text: t("record_handover") })));
        }
      }
    }
    const soon = new Date(Date.now() + 30 * 24 * 3600 * 1000);
    for (const p of state.views) {
      for (const c of p.commitment_details) {
        for (const m of c.milestone_details) {
          const report = (m.reports || [])[(m.reports || []).length - 1];
          const decided = report && (report.approvals || []).some((a) => me.offices.includes(a.office));
          if (m.shown_status === "pending_approval" && report && !decided && (m.approvers || []).some((a) => me.offices.includes(a))) {
            items.push(el("li", { class: "inbox-approve", "data-milestone": m.id }, t("inbox_approve", { title: m.title }), " ",
              el("button", { type: "button", onclick: () => compose("milestone.approve", { milestone: m.id, report: report.entry, decision: "approve" }), text: t("approve") })));
          }
          const unreported = !m.reports || m.reports.length === 0;
          if (me.offices.includes(p.owner) && unreported && ["scheduled", "overdue"].includes(m.shown_status) && new Date(m.due) <= soon) {
            const key = new Date(m.due) < new Date() ? "inbox_overdue" : "inbox_due";
            items.push(el("li", { class: "inbox-due", "data-milestone": m.id }, t(key, { title: m.title, due: m.due }), " ",
              el("button", { type: "button", onclick: () => compose("milestone.report", { milestone: m.id }), text: t("report") })));
          }
        }
      }
    }
    if (items.length === 0) list.append(el("li", { class: "muted", text: t("inbox_empty") }));
    list.append(...items);
  }

  // What a draft still lacks, in the page's language, from the rules'
  // machine-readable needs (their words, in English, where there are none).
  const ROLES = {
    head_of_region: ["Bupati (kepala daerah)", "the head of region (Bupati)"],
    deputy_head: ["Wakil Bupati", "the deputy head"],
    secretary: ["Sekretaris Daerah", "the regional secretary (Sekda)"],
    planning: ["Kepala Bappeda", "the head of planning (Bappeda)"],
    inspectorate: ["Inspektur (Inspektorat)", "the Inspectorate"],
    opd_head: ["kepala OPD", "a head of a regional agency (OPD)"],
    sub_district_head: ["Camat", "a sub-district head (Camat)"],
    village_head: ["Kepala Desa", "a village head"],
    other: ["pejabat lain", "another office"],
  };
  function needWords(need) {
    const pick = (pair) => pair[lang === "en" ? 1 : 0];
    if (need === "registrars") return pick(["tanda tangan registrar", "the registrars' signatures"]);
    if (need.office) return (choices.offices.find((o) => o[0] === need.office) || [null, need.office])[1];
    if (need.role) return pick(ROLES[need.role] || [need.role, need.role]);
    if (need.key) return t("key") + " " + need.key.slice(0, 16) + "…";
    return "?";
  }
  function missingWords(m) {
    if (lang === "en" || m.any_of.length === 0) return m.needed;
    const words = m.any_of.map(needWords).join(" atau ");
    const counted = m.any_of.includes("registrars") && /\((\d+) so far\)/.exec(m.needed);
    const threshold = /^(\d+) registrar/.exec(m.needed);
    return threshold ? words + " (" + threshold[1] + " diperlukan, " + (counted ? counted[1] : 0) + " sudah)" : words;
  }

  // A statement named by its type, when the server's words cannot be had.
  function describe(statement) {
    const name = typeName(statement.type) || statement.type;
    const subject = statement.commitment || statement.milestone || statement.mandate || statement.office || statement.programme || statement.document || statement.note;
    const title = subject && typeof subject === "object" ? (subject.title || subject.name || subject.id) : subject;
    const label = title && (choices.commitments.concat(choices.milestones, choices.programmes, choices.offices, choices.mandates).find((c) => c[0] === title) || [title, title])[1];
    return name + (label ? " «" + label + "»" : "");
  }

  // ---- forms built from the schemas ---------------------------------------
  function resolve(schema) {
    while (schema && schema.$ref) schema = types.schemas[schema.$ref.split("/").pop()];
    return schema || {};
  }
  // A field of `schema`: optional when it is `oneOf [X, null]` or not required.
  function unwrap(schema) {
    if (schema.oneOf) {
      const real = schema.oneOf.find((s) => s.type !== "null");
      return { schema: Object.assign({}, real, { description: real.description || schema.description }), nullable: true };
    }
    if (Array.isArray(schema.type) && schema.type.includes("null")) {
      return { schema: Object.assign({}, schema, { type: schema.type.find((x) => x !== "null") }), nullable: true };
    }
    return { schema, nullable: false };
  }
  function refName(schema) {
    return schema.$ref ? schema.$ref.split("/").pop() : null;
  }

  // Fields in the order the model declares the required ones (the
  // `required` list keeps it), then the optional ones.
  function ordered(schema) {
    const props = Object.entries(schema.properties || {});
    const required = schema.required || [];
    const rank = (k) => (required.includes(k) ? required.indexOf(k) : required.length);
    return props.sort((a, b) => rank(a[0]) - rank(b[0]) || (a[0] < b[0] ? -1 : 1));
  }

  let fieldCounter = 0;
  // Builds the input for one value; returns {node, read()}.
  function widget(name, schema, value, path) {
    const ref = refName(schema);
    const s = resolve(schema);
    const id = "f" + (++fieldCounter);
    if (s.type === "object") {
      const parts = ordered(s).map(([k, sub]) => {
        const { schema: inner, nullable } = unwrap(sub);
        const required = (s.required || []).includes(k) && !nullable;
        return [k, field(k, inner, value ? value[k] : undefined, required, path.concat(k))];
      });
      const node = el("fieldset", { "data-path": path.join(".") }, name ? el("legend", { text: fieldName(name) || name }) : null);
      for (const [, f] of parts) node.append(f.node);
      return { node, read: () => {
        const out = {};
        for (const [k, f] of parts) { const v = f.read(); if (v !== undefined) out[k] = v; }
        return out;
      } };
    }
    if (s.type === "array") {
      const items = [];
      const node = el("div", { class: "array", "data-path": path.join(".") });
      const list = el("div", {});
      const addOne = (v) => {
        const w = widget(null, s.items, v, path.concat(String(items.length)));
        const row = el("div", { class: "array-item" }, w.node);
        const entry = { w, row };
        row.append(el("button", { type: "button", class: "remove", onclick: () => { items.splice(items.indexOf(entry), 1); row.remove(); }, text: t("remove") }));
        items.push(entry);
        list.append(row);
      };
      (Array.isArray(value) ? value : []).forEach(addOne);
      node.append(list, el("button", { type: "button", class: "add", onclick: () => addOne(undefined), text: t("add") }));
      return { node, read: () => items.map((e) => e.w.read()) };
    }
    const choiceSet = CHOICES[name];
    let input;
    if (s.enum) {
      input = el("select", { id, name: path.join(".") }, el("option", { value: "", text: "—" }));
      for (const v of s.enum) input.append(el("option", { value: v, text: v, selected: value === v }));
    } else if (ref === "Date") {
      input = el("input", { id, type: "date", name: path.join("."), value: value || "" });
    } else if (s.type === "integer" || s.type === "number") {
      input = el("input", { id, type: "number", name: path.join("."), step: s.type === "integer" ? "1" : "any", min: s.minimum, value: value === undefined ? "" : value });
    } else if (s.type === "boolean") {
      input = el("input", { id, type: "checkbox", name: path.join("."), checked: !!value });
    } else if (LONG_TEXT.has(name)) {
      input = el("textarea", { id, name: path.join("."), rows: "3" });
      input.value = value || "";
    } else {
      input = el("input", { id, type: "text", name: path.join("."), value: value || "", spellcheck: "false", inputmode: ref === "Amount" ? "numeric" : null });
      if (choiceSet && choices[choiceSet]) {
        const listId = "list-" + choiceSet;
        if (!document.getElementById(listId)) {
          const datalist = el("datalist", { id: listId });
          for (const [v, label] of choices[choiceSet]) datalist.append(el("option", { value: v, label }));
          document.body.append(datalist);
        }
        input.setAttribute("list", listId);
      }
    }
    const extras = [];
    if (ref === "Amount") {
      const shown = el("span", { class: "muted rupiah" });
      const update = () => { shown.textContent = /^\d+$/.test(input.value) ? t("rupiah", { amount: Number(input.value).toLocaleString("id-ID") }) : ""; };
      input.addEventListener("input", update);
      update();
      extras.push(shown);
    }
    if (ref === "Sha256") {
      const file = el("input", { type: "file", "aria-label": t("file_hash") });
      file.addEventListener("change", async () => {
        if (file.files[0]) input.value = hex(await sha256(new Uint8Array(await file.files[0].arrayBuffer())));
      });
      extras.push(el("span", { class: "muted" }, " " + t("file_hash") + " ", file));
    }
    const node = el("span", { class: "widget" }, input, ...extras);
    return { node, input, read: () => {
      if (s.type === "boolean") return input.checked;
      const v = input.value.trim();
      if (v === "") return undefined;
      if (s.type === "integer" || s.type === "number") {
        const n = Number(v);
        if (!Number.isFinite(n)) throw fieldError(path, t("bad_number", { field: fieldName(name) || name }));
        return n;
      }
      return v;
    } };
  }
  function fieldError(path, message) {
    const error = new Error(message);
    error.field = path.join(".");
    return error;
  }
  function field(name, schema, value, required, path) {
    const w = widget(name, schema, value, path);
    const s = resolve(schema);
    const label = fieldName(name);
    const hint = HINTS[name];
    const help = hint ? hint[lang === "en" ? 1 : 0] : (lang === "en" ? schema.description || s.description || "" : "");
    const wrapper = el("div", { class: "field", "data-field": path.join("."), "data-label": label ? "ok" : "missing" });
    if (s.type !== "object") {
      wrapper.append(el("label", { for: w.input ? w.input.id : null },
        el("span", { class: "field-name", text: label || name }), " ",
        el("span", { class: "muted", text: "(" + (required ? t("required") : t("optional")) + ")" })));
    }
    wrapper.append(w.node);
    if (help) wrapper.append(el("small", { class: "muted help", text: help }));
    wrapper.append(el("small", { class: "field-error", role: "alert" }));
    return { node: wrapper, read: () => {
      const v = w.read();
      const empty = v === undefined || (s.type === "object" && Object.keys(v).length === 0);
      if (required && empty) throw fieldError(path, t("field_missing", { field: label || name }));
      return empty && !required ? undefined : v;
    } };
  }

  let form = null;
  function compose(type, preset) {
    $("statement-type").value = type;
    buildForm(type, preset || {});
    $("desk-compose").scrollIntoView();
  }
  function buildForm(type, preset) {
    const host = $("statement-fields");
    host.replaceChildren();
    form = null;
    if (!type) return;
    const info = types.types.find((x) => x.type === type);
    const top = resolve(info.schema);
    const parts = ordered(top).map(([k, sub]) => {
      const { schema, nullable } = unwrap(sub);
      const required = (top.required || []).includes(k) && !nullable;
      return [k, field(k, schema, preset[k], required, [k])];
    });
    for (const [, f] of parts) host.append(f.node);
    form = { type, parts };
  }
  function readForm() {
    document.querySelectorAll(".field-error").forEach((n) => { n.textContent = ""; });
    const statement = { type: form.type, ledger: origin, id: form.type.replace(/\./g, "-") + "-" + hex(crypto.getRandomValues(new Uint8Array(8))) };
    for (const [k, f] of form.parts) {
      const v = f.read();
      if (v !== undefined) statement[k] = v;
    }
    return statement;
  }
  function showFieldError(path, message) {
    let best = null;
    for (const node of document.querySelectorAll("#statement-fields [data-field]")) {
      const p = node.getAttribute("data-field");
      if (path === p || path.startsWith(p + ".")) best = node;
    }
    if (best) {
      best.querySelector(".field-error").textContent = message;
      best.scrollIntoView();
    }
    return !!best;
  }

  // ---- review and signing -------------------------------------------------
  // What the review screen is about to sign: a new statement, a draft to
  // co-sign, or a draft to withdraw.
  let pendingSign = null;
  async function review(statement, action) {
    const bytes = enc.encode(canonical(statement));
    pendingSign = { statement, bytes, action };
    // In words, from the same renderer as the ledger's pages.
    let words = describe(statement);
    try { words = (await api("/api/v1/statements/words", statement))[lang]; } catch (e) { /* the type's name will do */ }
    $("review-words").textContent = words;
    $("review-json").textContent = new TextDecoder().decode(bytes);
    $("review-sha").textContent = hex(await sha256(bytes));
    $("desk-review").hidden = false;
    $("desk-review").scrollIntoView();
    $("sign-button").focus();
  }

  async function signReviewed() {
    const job = pendingSign;
    if (!job) return;
    say("result", t("signing"));
    try {
      const signature = await sign(pae(PAYLOAD_TYPE, job.bytes));
      let draft;
      if (job.action.kind === "new") {
        const envelope = { payloadType: PAYLOAD_TYPE, payload: b64encode(job.bytes), signatures: [signature] };
        draft = await api("/api/v1/drafts", envelope);
      } else {
        draft = await api("/api/v1/drafts/" + encodeURIComponent(job.action.id) + "/signatures", signature);
      }
      $("desk-review").hidden = true;
      pendingSign = null;
      showResult(draft);
      await showInbox();
    } catch (error) {
      showRefusal(error);
    }
  }

  function showResult(draft) {
    const box = $("result");
    box.replaceChildren();
    box.className = "";
    if (draft.status === "submitted") {
      box.append(el("p", { class: "ok", id: "result-entry", "data-entry": draft.entry, text: t("submitted", { entry: draft.entry }) }),
        el("p", {}, el("a", { href: "/verifikasi?entry=" + draft.entry + (lang === "en" ? "&lang=en" : ""), text: t("verify_link") })));
    } else if (draft.status === "withdrawn") {
      box.append(el("p", { text: t("withdrawn") }));
    } else {
      box.append(el("p", { id: "result-pending", "data-draft": draft.id, text: t("pending", { id: draft.id }) }),
        el("ul", { id: "result-missing" }, ...draft.missing.map((m) => el("li", { text: missingWords(m) }))));
    }
  }

  function showRefusal(error) {
    const message = t("refused", { message: error.message });
    const field = error.details && error.details.field;
    const box = $("result");
    box.replaceChildren(el("p", { class: "bad", id: "refusal", "data-code": error.code || "", role: "alert", text: message }));
    if (error.details && error.details.needed) box.append(el("p", { text: t("missing", { missing: error.details.needed }) }));
    const advice = error.code && WORDS[lang]["advice_" + error.code];
    if (advice) box.append(el("p", { class: "advice", text: advice }));
    if (field && form) showFieldError(field, message);
  }

  async function openDraft(id) {
    try {
      const draft = await api("/api/v1/drafts/" + encodeURIComponent(id));
      const statement = JSON.parse(new TextDecoder().decode(b64decode(draft.envelope.payload)));
      const signed = active && draft.signed_by.some((s) => s.keyid === active.keyid);
      const box = $("result");
      box.replaceChildren(el("p", { class: "lead", text: draft.words[lang] }),
        el("ul", {}, ...draft.missing.map((m) => el("li", { text: t("missing", { missing: missingWords(m) }) }))));
      if (signed) {
        box.append(el("button", { type: "button", id: "withdraw-button", onclick: () => withdraw(draft, statement), text: t("withdraw") }));
      } else {
        await review(statement, { kind: "cosign", id: draft.id });
      }
    } catch (error) {
      say("result", t("draft_open_failed", { message: error.message }), "bad");
    }
  }

  async function withdraw(draft, statement) {
    try {
      const body = enc.encode("prasasti draft withdrawal\n" + origin + "\n" + draft.id + "\n" + statement.id + "\n");
      const signature = await sign(pae(WITHDRAWAL_TYPE, body));
      showResult(await api("/api/v1/drafts/" + encodeURIComponent(draft.id) + "/withdraw", signature));
      await showInbox();
    } catch (error) {
      showRefusal(error);
    }
  }

  // ---- wiring --------------------------------------------------------------
  async function start() {
    if (!window.isSecureContext) {
      $("insecure").textContent = t("insecure");
      $("insecure").hidden = false;
      return;
    }
    if (!crypto.subtle || !indexedDB) {
      $("insecure").textContent = t("no_webcrypto");
      $("insecure").hidden = false;
      return;
    }
    await loadState();
    const picker = $("statement-type");
    picker.append(el("option", { value: "", text: t("choose_type") }));
    for (const info of types.types) {
      picker.append(el("option", { value: info.type, "data-named": typeName(info.type) ? "ok" : "missing", text: (typeName(info.type) || info.type) + " (" + info.type + ")" }));
    }
    picker.addEventListener("change", () => buildForm(picker.value, {}));

    $("key-load").addEventListener("submit", async (event) => {
      event.preventDefault();
      const file = $("key-file").files[0];
      if (!file) return;
      try {
        const { label, seed } = parseKeyFile(await file.text());
        const { key, keyid } = await importSeed(seed);
        seed.fill(0);
        const where = $("keep-session").checked ? "session" : "device";
        await keep({ keyid, label, key }, where);
        $("key-file").value = "";
        say("key-message", t("loaded"), "ok");
      } catch (error) {
        say("key-message", error.message, "bad");
      }
    });
    $("key-generate").addEventListener("click", async () => {
      const label = ($("key-label").value || "kunci").trim().replace(/[\s+/]/g, "-");
      const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
      const keyid = hex(new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)));
      const where = $("keep-session").checked ? "session" : "device";
      await keep({ keyid, label, key: pair.privateKey }, where);
      const enrolment = JSON.stringify({
        format: "prasasti key enrolment v1", name: label, keyid,
        note: "Registrars: put this keyid in mandate.begin keys or key.add key; its holder co-signs that draft at the desk (proof of possession).",
      }, null, 2) + "\n";
      const link = $("enrolment-link");
      link.href = URL.createObjectURL(new Blob([enrolment], { type: "application/json" }));
      link.download = label + ".enrolment.json";
      link.textContent = t("enrolment");
      link.hidden = false;
      say("key-message", t("generated"), "ok");
    });
    $("statement-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!form) return;
      try {
        await review(readForm(), { kind: "new" });
      } catch (error) {
        if (!(error.field && showFieldError(error.field, error.message))) showRefusal(error);
      }
    });
    $("sign-button").addEventListener("click", signReviewed);
    $("cancel-button").addEventListener("click", () => { $("desk-review").hidden = true; pendingSign = null; });
    $("draft-open").addEventListener("submit", (event) => {
      event.preventDefault();
      openDraft($("draft-id").value.trim());
    });
    const keys = await allKeys();
    const remembered = keys.find((k) => k.keyid === localStorage.getItem(ACTIVE));
    if (keys.length > 0) await choose((remembered || keys[0]).keyid);
    else { await showKeys(); await showMe(); }
    desk.setAttribute("data-ready", "true");
  }
  start().catch((error) => {
    say("result", error.message, "bad");
    desk.setAttribute("data-ready", "error");
  });
})();
