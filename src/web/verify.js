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
    return { origin, size: Number(size), root: rootBytes };
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

  function step(name, ok, detail) {
    const li = document.querySelector('[data-step="' + name + '"]');
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
      document.getElementById("key-fingerprint").textContent = await fingerprint(form.vkey.value);
      checkRememberedKey(form, vkey, form.vkey.value);
      checkpoint = await openCheckpoint(await fetchText("/checkpoint"), vkey);
      step("checkpoint", true, checkpoint.size + " · " + b64encode(checkpoint.root));
    } catch (e) {
      step("checkpoint", false, e.message);
      done.textContent = form.dataset.stopped;
      return;
    }
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
