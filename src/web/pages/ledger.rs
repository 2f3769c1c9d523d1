//! The ledger explorer: entries newest first, and one entry decoded with its proof.

use super::*;

fn key_holder(state: &GovState, keyid: &str) -> String {
    let Some(key) = state.keys.get(keyid) else {
        return format!("{}…", &keyid[..16.min(keyid.len())]);
    };
    let mut parts: Vec<String> = key
        .mandates
        .iter()
        .filter_map(|m| state.mandates.get(m))
        .map(|m| {
            format!(
                "{} ({})",
                m.spec.holder.name,
                office_name(state, m.spec.office.as_str())
            )
        })
        .collect();
    parts.dedup();
    if key.registrar {
        parts.push("registrar".into());
    }
    if parts.is_empty() {
        format!("{}…", &keyid[..16.min(keyid.len())])
    } else {
        parts.join("; ")
    }
}

pub(in crate::web) async fn ledger(
    State(ledger): State<Ledger>,
    Current(folded): Current,
    Query(q): Query<LedgerQuery>,
    lang: Lang,
) -> Page {
    let state = &folded.state;
    let size = ledger
        .latest_checkpoint()
        .await
        .or_internal(lang)?
        .tree_size;
    let end = q.before.unwrap_or(size).min(size);
    // The whole log, or the entries that concerned one programme.
    let (title, rows, older) = match &q.program {
        None => {
            let start = end.saturating_sub(LEDGER_PAGE);
            let rows = ledger
                .store()
                .entries(start, end - start)
                .await
                .or_internal(lang)?;
            let older = (start > 0).then(|| format!("/ledger?before={start}"));
            (lang.t("Buku besar", "Ledger").to_owned(), rows, older)
        }
        Some(id) => {
            let programme = state
                .programmes
                .get(id)
                .ok_or_else(|| no_programme(lang, id))?;
            let page = state
                .histories
                .programme_entries_before(id, end, LEDGER_PAGE as usize);
            let mut oldest_first = page.indexes.clone();
            oldest_first.reverse();
            let rows = ledger
                .store()
                .entries_at(&oldest_first)
                .await
                .or_internal(lang)?;
            let older = oldest_first.first().and_then(|&first| {
                let more = !state
                    .histories
                    .programme_entries_before(id, first, 1)
                    .indexes
                    .is_empty();
                more.then(|| format!("/ledger?program={}&before={first}", id))
            });
            let title = format!(
                "{}: {}",
                lang.t("Entri program", "Entries of the programme"),
                programme.spec.title
            );
            (title, rows, older)
        }
    };
    let body = html! {
        h1 { (title) }
        @if let Some(id) = &q.program {
            p { (state.histories.programme_entries(id, 0, 0).total) " " (lang.t("entri menyentuh program ini, terbaru di atas.", "entries concerned this programme, newest first.")) " "
                a href=(lang.link(&format!("/program/{}", id))) { (lang.t("Kembali ke program", "Back to the programme")) } }
        } @else {
            p { (size) " " (lang.t("entri, terbaru di atas.", "entries, newest first.")) }
        }
        table {
            thead { tr {
                th.num { "#" } th { (lang.t("Pernyataan", "Statement")) } th { (lang.t("Penanda tangan", "Signers")) }
                th.wide { (lang.t("Dicatat", "Recorded")) } th.wide { (lang.t("Hash daun", "Leaf hash")) }
                th.wide { (lang.t("Hash sebelumnya", "Prev")) }
            } }
            tbody {
                @for e in rows.iter().rev() {
                    @let entry = Entry::parse(&e.body).ok();
                    tr {
                        td.num { (entry_link(lang, e.index)) }
                        td { (entry.as_ref().map(|x| entry_words(state, lang, x)).unwrap_or_default()) " " small.muted { (entry.as_ref().map(statement_type).unwrap_or_default()) } }
                        td { @if let Some(entry) = &entry {
                            (entry.envelope.signatures.iter().map(|s| key_holder(state, &s.keyid)).collect::<Vec<_>>().join(", "))
                        } }
                        td.wide { (entry.as_ref().map(|x| entry_time(state, x)).unwrap_or_default()) }
                        td.wide.hash { (e.leaf_hash.to_hex()[..16].to_owned()) "…" }
                        td.wide.hash { (entry.as_ref().map(|x| x.prev.to_hex().chars().take(16).collect::<String>()).unwrap_or_default()) "…" }
                    }
                }
            }
        }
        @if let Some(older) = older {
            a rel="next" href=(lang.link(&older)) { (lang.t("Entri lebih lama", "Older entries")) " →" }
        }
    };
    section(lang, Nav::Ledger, body)
}

pub(in crate::web) async fn entry(
    State(ledger): State<Ledger>,
    Current(folded): Current,
    Path(index): Path<String>,
    lang: Lang,
) -> Page {
    let missing = || {
        not_found(
            lang,
            format!("{} {index}", lang.t("Tidak ada entri", "There is no entry")),
        )
    };
    let index: u64 = index.parse().map_err(|_| missing())?;
    let state = &folded.state;
    let size = ledger
        .latest_checkpoint()
        .await
        .or_internal(lang)?
        .tree_size;
    if index >= size {
        return Err(missing());
    }
    let stored = ledger
        .store()
        .entry(index)
        .await
        .or_internal(lang)?
        .ok_or_else(missing)?;
    let entry = Entry::parse(&stored.body).or_internal(lang)?;
    let statement = decode_statement(&entry).unwrap_or_default();
    let pretty = serde_json::to_string_pretty(&statement).unwrap_or_default();
    let envelope = serde_json::to_string_pretty(&entry.envelope).unwrap_or_default();
    let leaf = leaf_hash(&stored.body);
    let checkpoint = ledger.latest_checkpoint().await.or_internal(lang)?;
    let (hashes, _) = ledger
        .inclusion_proof(index, checkpoint.tree_size)
        .await
        .or_internal(lang)?;
    let bundle = crate::tlog::bundle::ProofBundle {
        extra: None,
        index,
        hashes,
        checkpoint: checkpoint.note,
    }
    .to_text();
    let body = html! {
        h1 { (lang.t("Entri", "Entry")) " #" (index) ": " (entry_words(state, lang, &entry)) }
        p.muted { code { (statement_type(&entry)) } }
        dl {
            dt { (lang.t("Dicatat", "Recorded")) } dd { (entry_time(state, &entry)) " " small.muted { "(" (entry.recorded_at) ")" } }
            dt { (lang.t("Hash daun", "Leaf hash")) } dd.hash { (leaf.to_hex()) }
            dt { (lang.t("Hash entri sebelumnya", "Previous entry's hash")) } dd.hash { (entry.prev) }
            dt { (lang.t("Penanda tangan", "Signers")) } dd { ul { @for s in &entry.envelope.signatures {
                li { (key_holder(state, &s.keyid)) " " code { (s.keyid) } }
            } } }
        }
        p {
            @if index > 0 { a href=(lang.link(&format!("/ledger/{}", index - 1))) { "← #" (index - 1) } " " }
            @if index + 1 < size { a href=(lang.link(&format!("/ledger/{}", index + 1))) { "#" (index + 1) " →" } " " }
            a href=(lang.link(&format!("/verifikasi?entry={index}"))) { (lang.t("Verifikasi entri ini di peramban Anda", "Verify this entry in your browser")) }
            " · "
            a href=(format!("/api/v1/entries/{index}/proof")) { (lang.t("Bukti inklusi (tlog-proof)", "Inclusion proof (tlog-proof)")) }
        }
        h2 { (lang.t("Pernyataan", "Statement")) }
        pre { (pretty) }
        h2 { (lang.t("Amplop bertanda tangan (DSSE)", "Signed envelope (DSSE)")) }
        pre { (envelope) }
        h2 { (lang.t("Bukti inklusi terhadap checkpoint terbaru", "Inclusion proof against the latest checkpoint")) }
        pre { (bundle) }
        h2 { (lang.t("Periksa dengan baris perintah", "Check from the command line")) }
        pre {
            "curl -s <URL>/api/v1/entries/" (index) "/proof > " (index) ".tlog-proof\n"
            "curl -s <URL>/api/v1/entries/" (index) " > " (index) ".json\n"
            "prasasti check-proof --vkey ledger.vkey --proof " (index) ".tlog-proof " (index) ".json"
        }
    };
    let (title, path) = (format!("#{index}"), format!("/ledger/{index}"));
    Ok(layout(lang, &title, Some(Nav::Ledger), &path, body))
}
