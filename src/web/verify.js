// prasasti: verification in the visitor's own browser.
//
// Trusts nothing the server says beyond bytes: the checkpoint is checked
// against the log key the visitor accepts, the entry's leaf hash is
// recomputed from its canonical JSON, its inclusion proof is checked
// against the signed root, its DSSE signatures are checked, and the new
// checkpoint must be consistent with the last one this browser saw.
// WebCrypto (SHA-256, Ed25519) and the code below; nothing else.
"use strict";

(function () {
  const enc = new TextEncoder();
  // Failure messages in the page's language, from the form's data-messages.
  let messages = {};
  function say(key, values) {
    let text = messages[key] || key;
    for (const [k, v] of Object.entries(values || {})) text = text.replace("{" + k + "}", v);
    return new Error(text);
  }

  const { b64decode, b64encode, hex, unhex, concat, equal, sha256 } = window.prasastiBytes;
  async function ed25519Verify(publicKey, signature, message) {
    const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
  }

  // RFC 9162 hashing.
  const leafHash = (bytes) => sha256(concat(new Uint8Array([0]), bytes));
  const nodeHash = (l, r) => sha256(concat(new Uint8Array([1]), l, r));
  const odd = (n) => n % 2 === 1;
  const half = (n) => Math.floor(n / 2);

  // RFC 9162 §2.1.3.2.
  async function rootFromInclusion(index, size, leaf, path) {
    if (index >= size) throw say("malformed");
    let fn = index, sn = size - 1, r = leaf;
    for (const p of path) {
      if (sn === 0) throw say("bad_proof");
      if (odd(fn) || fn === sn) {
        r = await nodeHash(p, r);
        if (!odd(fn)) while (!odd(fn) && fn !== 0) { fn = half(fn); sn = half(sn); }
      } else {
        r = await nodeHash(r, p);
      }
      fn = half(fn); sn = half(sn);
    }
    if (sn !== 0) throw say("bad_proof");
    return r;
  }

  function isPowerOfTwo(n) {
    while (n > 1 && n % 2 === 0) n /= 2;
    return n === 1;
  }

  // RFC 9162 §2.1.4.2.
  async function verifyConsistency(first, second, firstRoot, secondRoot, path) {
    if (first > second) return false;
    if (first === second) return path.length === 0 && equal(firstRoot, secondRoot);
    if (first === 0) return path.length === 0;
    if (path.length === 0) return false;
    if (isPowerOfTwo(first)) path = [firstRoot, ...path];
    let fn = first - 1, sn = second - 1;
    while (odd(fn)) { fn = half(fn); sn = half(sn); }
    let fr = path[0], sr = path[0];
    for (const c of path.slice(1)) {
      if (sn === 0) return false;
      if (odd(fn) || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        if (!odd(fn)) while (!odd(fn) && fn !== 0) { fn = half(fn); sn = half(sn); }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn = half(fn); sn = half(sn);
    }
    return sn === 0 && equal(fr, firstRoot) && equal(sr, secondRoot);
  }

  // RFC 8785 canonical JSON: keys sorted by UTF-16 code units; strings and
  // numbers as ECMAScript's JSON.stringify writes them.
  function canonical(value) {
    if (value === null || typeof value !== "object") return JSON.stringify(value);
    if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
  }

  // C2SP signed-note verifier keys: name+hexid+base64(0x01 || key).
  async function parseVerifierKey(text) {
    // The name has no "+"; the base64 key may.
    const m = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(text.trim());
    if (!m) throw say("bad_key");
    const [, name, id, b64] = m;
    const raw = b64decode(b64);
    if (raw.length !== 33 || raw[0] !== 1) throw say("bad_key");
    const hash = await sha256(concat(enc.encode(name + "\n"), raw));
    if (hex(hash.slice(0, 4)) !== id) throw say("bad_key");
    return { name, id: hash.slice(0, 4), key: raw.slice(1) };
  }

  // C2SP signed note + tlog-checkpoint.
  async function openCheckpoint(note, vkey) {
    const split = note.lastIndexOf("\n\n");
    if (split < 0) throw say("not_signed");
    const body = note.slice(0, split + 1);
    const lines = note.slice(split + 2).split("\n").filter((l) => l.length > 0);
    let verified = false;
    for (const line of lines) {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m || m[1] !== vkey.name) continue;
      const sig = b64decode(m[2]);
      if (sig.length !== 68 || !equal(sig.slice(0, 4), vkey.id)) continue;
      if (await ed25519Verify(vkey.key, sig.slice(4), enc.encode(body))) verified = true;
    }
    if (!verified) throw say("not_signed_by", { name: vkey.name });
    const [origin, size, root] = body.split("\n");
    if (origin !== vkey.name) throw say("other_log", { name: origin });
    if (!/^[0-9]+$/.test(size)) throw say("malformed");
    const rootBytes = b64decode(root);
    if (rootBytes.length !== 32) throw say("malformed");
    return { origin, size: Number(size), root: rootBytes, body, lines };
  }

  // Witness keys (c2sp.org/tlog-cosignature): name+hexid+base64(0x04 || key).
  async function parseWitnessKey(text) {
    const m = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(text);
    if (!m) return null;
    const [, name, id, b64] = m;
    let raw;
    try { raw = b64decode(b64); } catch (e) { return null; }
    if (raw.length !== 33 || raw[0] !== 4) return null;
    const hash = await sha256(concat(enc.encode(name + "\n"), raw));
    if (hex(hash.slice(0, 4)) !== id) return null;
    return { name, id: hash.slice(0, 4), key: raw.slice(1) };
  }

  // A witness policy (c2sp.org/tlog-policy): log, witness, group and
  // quorum lines. Each witness counts once however many groups name it.
  async function parsePolicy(text, vkey) {
    const witnesses = [], groups = new Map();
    let quorum;
    const bad = (line, problem) => say("bad_policy", { line, problem });
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const words = lines[i].split("#")[0].trim().split(/\s+/).filter((w) => w);
      if (words.length === 0) continue;
      const defined = (n) => witnesses.some((w) => w.name === n) || groups.has(n);
      if (words[0] === "log") {
        const m = /^([^+]+)\+/.exec(words[1] || "");
        if (m && m[1] === vkey.name && words[1] !== vkey.text) throw say("policy_other_key");
      } else if (words[0] === "witness" && (words.length === 3 || words.length === 4)) {
        const key = await parseWitnessKey(words[2]);
        if (!key) throw bad(i + 1, words[2]);
        if (defined(words[1])) throw bad(i + 1, words[1]);
        witnesses.push({ name: words[1], key });
      } else if (words[0] === "group" && words.length >= 4) {
        const members = words.slice(3);
        if (defined(words[1]) || members.some((m) => !defined(m)) || new Set(members).size !== members.length) {
          throw bad(i + 1, words[1]);
        }
        const k = words[2] === "any" ? 1 : words[2] === "all" ? members.length : Number(words[2]);
        if (!Number.isInteger(k) || k < 1 || k > members.length) throw bad(i + 1, words[2]);
        groups.set(words[1], { k, members });
      } else if (words[0] === "quorum" && words.length === 2 && quorum === undefined) {
        if (words[1] !== "none" && !defined(words[1])) throw bad(i + 1, words[1]);
        quorum = words[1];
      } else {
        throw bad(i + 1, words[0]);
      }
    }
    if (quorum === undefined) throw bad(0, "quorum");
    const holds = (name, cosigned) => {
      const group = groups.get(name);
      if (!group) return cosigned.has(name);
      return group.members.filter((m) => holds(m, cosigned)).length >= group.k;
    };
    return { witnesses, satisfied: (cosigned) => quorum === "none" || holds(quorum, cosigned) };
  }

  // The time of a witness's valid cosignature among the note's lines, or
  // null: keyid || 8-byte big-endian time || Ed25519 signature over
  // "cosignature/v1\ntime <t>\n" and the checkpoint's body.
  async function cosignatureTime(checkpoint, witness) {
    for (const line of checkpoint.lines) {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m || m[1] !== witness.key.name) continue;
      let sig;
      try { sig = b64decode(m[2]); } catch (e) { continue; }
      if (sig.length !== 76 || !equal(sig.slice(0, 4), witness.key.id)) continue;
      let time = 0n;
      for (const b of sig.slice(4, 12)) time = (time << 8n) | BigInt(b);
      const message = enc.encode("cosignature/v1\ntime " + time + "\n" + checkpoint.body);
      if (await ed25519Verify(witness.key.key, sig.slice(12), message)) return time;
    }
    return null;
  }

  // One step per witness (before the quorum step), then the quorum.
  async function checkWitnesses(form, vkey, checkpoint) {
    for (const li of document.querySelectorAll("[data-step^='witness:']")) li.remove();
    const text = form.policy ? form.policy.value : "";
    if (text.trim() === "") {
      const li = document.querySelector('[data-step="quorum"]');
      li.dataset.result = "skipped";
      li.querySelector(".result").textContent = li.dataset.skipped;
      li.querySelector(".detail").textContent = messages.no_policy;
      return;
    }
    let policy;
    try {
      policy = await parsePolicy(text, vkey);
    } catch (e) {
      step("quorum", false, e.message);
      return;
    }
    const quorumStep = document.querySelector('[data-step="quorum"]');
    const cosigned = new Set();
    const names = [];
    const now = BigInt(Math.floor(Date.now() / 1000));
    for (const witness of policy.witnesses) {
      const li = quorumStep.cloneNode(true);
      li.dataset.step = "witness:" + witness.name;
      li.querySelector(".label").textContent = form.dataset.witnessLabel.replace("{name}", witness.name);
      quorumStep.before(li);
      const time = await cosignatureTime(checkpoint, witness);
      if (time === null) {
        step(li, false, say("no_cosignature", { name: witness.key.name }).message);
      } else if (time > now + 300n) {
        step(li, false, say("future", { name: witness.name }).message);
      } else {
        cosigned.add(witness.name);
        names.push(witness.name);
        step(li, true, new Date(Number(time) * 1000).toISOString());
      }
    }
    if (policy.satisfied(cosigned)) {
      step("quorum", true, names.join(", "));
    } else {
      step("quorum", false, say("quorum_unmet", { names: names.length ? names.join(", ") : messages.nobody }).message);
    }
  }

  function pae(type, body) {
    const t = enc.encode(type);
    return concat(enc.encode("DSSEv1 " + t.length + " "), t, enc.encode(" " + body.length + " "), body);
  }

  async function fetchText(path) {
    const response = await fetch(path, { cache: "no-store" });
    if (!response.ok) throw say("http", { path: path, status: response.status });
    return response.text();
  }
  async function fetchJson(path) {
    return JSON.parse(await fetchText(path));
  }

  // Marks a step (its name, or its element) as passed or failed.
  function step(name, ok, detail) {
    const li = typeof name === "string" ? document.querySelector('[data-step="' + name + '"]') : name;
    if (!li) return;
    const result = li.querySelector(".result");
    li.dataset.result = ok ? "pass" : "fail";
    result.textContent = ok ? li.dataset.pass : li.dataset.fail;
    result.className = "result badge " + (ok ? "good" : "bad");
    const d = li.querySelector(".detail");
    if (d) d.textContent = detail || "";
  }

  // The key's fingerprint, to read aloud or compare with a printed one:
  // the first 16 bytes of SHA-256 of the whole verifier key, in groups.
  async function fingerprint(vkeyText) {
    const digest = hex((await sha256(enc.encode(vkeyText.trim()))).slice(0, 16));
    return digest.match(/.{4}/g).join(" ");
  }

  // Trust on first use: the first log key used for an origin is
  // remembered; a different one later is shown as a warning.
  function checkRememberedKey(form, vkey, vkeyText) {
    const warning = document.getElementById("key-warning");
    const keyStore = "prasasti:key:" + vkey.name;
    const remembered = localStorage.getItem(keyStore);
    if (remembered && remembered !== vkeyText.trim()) {
      warning.textContent = form.dataset.keyChanged.replace("{old}", remembered);
      warning.hidden = false;
    } else {
      warning.hidden = true;
      warning.textContent = "";
      localStorage.setItem(keyStore, vkeyText.trim());
    }
  }

  // Shows the statement whose leaf, inclusion and signatures were checked.
  function showStatement(entry) {
    const section = document.getElementById("verified");
    if (!section) return;
    let statement;
    try {
      statement = JSON.parse(new TextDecoder().decode(b64decode(entry.envelope.payload)));
    } catch (e) {
      return;
    }
    document.getElementById("verified-summary").textContent =
      "#" + entry.index + " · " + statement.type + " · " + statement.id + " · " + entry.recorded_at;
    document.getElementById("verified-statement").textContent = JSON.stringify(statement, null, 2);
    section.hidden = false;
  }

  async function run(form) {
    for (const li of document.querySelectorAll("[data-step]")) {
      delete li.dataset.result;
      li.querySelector(".result").textContent = li.dataset.waiting;
      li.querySelector(".result").className = "result badge neutral";
      li.querySelector(".detail").textContent = "";
    }
    const done = document.getElementById("verify-done");
    done.textContent = "";
    const verified = document.getElementById("verified");
    if (verified) verified.hidden = true;
    let vkey, checkpoint;
    try {
      vkey = await parseVerifierKey(form.vkey.value);
      vkey.text = form.vkey.value.trim();
      document.getElementById("key-fingerprint").textContent = await fingerprint(form.vkey.value);
      checkRememberedKey(form, vkey, form.vkey.value);
      checkpoint = await openCheckpoint(await fetchText("/checkpoint"), vkey);
      step("checkpoint", true, checkpoint.size + " · " + b64encode(checkpoint.root));
    } catch (e) {
      step("checkpoint", false, e.message);
      done.textContent = form.dataset.stopped;
      return;
    }
    await checkWitnesses(form, vkey, checkpoint);
    const index = form.entry.value === "" ? checkpoint.size - 1 : Number(form.entry.value);
    let entry, leaf;
    try {
      const answer = await fetchJson("/api/v1/entries/" + index);
      entry = answer.entry;
      leaf = await leafHash(enc.encode(canonical(entry)));
      if (entry.index !== index) throw say("wrong_index", { index: entry.index });
      step("leaf", true, hex(leaf));
    } catch (e) {
      step("leaf", false, e.message);
    }
    try {
      if (!leaf) throw say("no_entry");
      const proof = await fetchJson("/api/v1/proofs/inclusion?index=" + index + "&tree_size=" + checkpoint.size);
      const root = await rootFromInclusion(index, checkpoint.size, leaf, proof.hashes.map(b64decode));
      if (!equal(root, checkpoint.root)) throw say("wrong_root", { root: b64encode(root) });
      step("inclusion", true, proof.hashes.length + " hashes");
    } catch (e) {
      step("inclusion", false, e.message);
    }
    try {
      if (!entry) throw say("no_entry");
      const env = entry.envelope;
      const body = b64decode(env.payload);
      const message = pae(env.payloadType, body);
      if (env.signatures.length === 0) throw say("unsigned");
      for (const s of env.signatures) {
        if (!(await ed25519Verify(unhex(s.keyid), b64decode(s.sig), message))) {
          throw say("bad_signature", { key: s.keyid.slice(0, 16) + "…" });
        }
      }
      step("signatures", true, env.signatures.length + "");
      if (leaf) showStatement(entry);
    } catch (e) {
      step("signatures", false, e.message);
    }
    const storeKey = "prasasti:" + vkey.name;
    try {
      const seen = JSON.parse(localStorage.getItem(storeKey) || "null");
      if (seen && seen.size > checkpoint.size) {
        throw new Error(form.dataset.rollback.replace("{old}", seen.size).replace("{new}", checkpoint.size));
      }
      if (seen && seen.size > 0) {
        const oldRoot = b64decode(seen.root);
        const proof = seen.size === checkpoint.size ? { hashes: [] }
          : await fetchJson("/api/v1/proofs/consistency?old=" + seen.size + "&new=" + checkpoint.size);
        const ok = await verifyConsistency(seen.size, checkpoint.size, oldRoot, checkpoint.root, proof.hashes.map(b64decode));
        if (!ok) throw new Error(form.dataset.forked.replace("{old}", seen.size));
        step("consistency", true, seen.size + " → " + checkpoint.size);
      } else {
        step("consistency", true, form.dataset.first);
      }
      localStorage.setItem(storeKey, JSON.stringify({ size: checkpoint.size, root: b64encode(checkpoint.root) }));
    } catch (e) {
      step("consistency", false, e.message);
    }
    done.textContent = form.dataset.finished;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("verify-form");
    if (!form) return;
    messages = JSON.parse(form.dataset.messages || "{}");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      run(form);
    });
    if (form.dataset.autorun === "true") run(form);
  });
})();
