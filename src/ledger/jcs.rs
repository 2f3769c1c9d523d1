//! RFC 8785 canonical JSON (the JSON Canonicalization Scheme), written in
//! one pass.
//!
//! Statements, envelopes and governance objects hold strings, booleans,
//! integers, arrays and objects with ASCII keys. For those the canonical
//! form is the shortest JSON with object members in key order: strings
//! escaped as `serde_json` escapes them (`\"`, `\\`, `\b`, `\f`, `\n`,
//! `\r`, `\t`, other control characters as `\u00xx`, nothing else) and
//! integers in decimal. This module writes that directly. A value outside
//! that shape — a number that is not an integer of at most 2^53 in
//! magnitude (RFC 8785 writes numbers as ECMAScript doubles), or an object
//! key with a character at or above U+E000 (RFC 8785 orders keys by UTF-16
//! code units, which differs from code-point order only there) — goes to
//! the general canonicaliser, whose output the fast path equals everywhere
//! else (a property test checks it).

use serde::Serialize;
use serde_json::{Map, Value};

/// The largest integer magnitude written as is: 2^53, the last one every
/// double represents exactly.
const MAX_EXACT: u64 = 1 << 53;

/// The canonical JSON of a serialisable value.
pub fn to_vec(value: &impl Serialize) -> Vec<u8> {
    match serde_json::to_value(value) {
        Ok(value) => value_to_vec(&value),
        Err(_) => general(value),
    }
}

/// The canonical JSON of a JSON value.
pub fn value_to_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    if write(&mut out, value) {
        out
    } else {
        general(value)
    }
}

/// The canonical JSON of a JSON object.
pub fn map_to_vec(map: &Map<String, Value>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    if write_object(&mut out, map) {
        out
    } else {
        general(map)
    }
}

fn general(value: &impl Serialize) -> Vec<u8> {
    serde_json_canonicalizer::to_vec(value).expect("a JSON value always canonicalizes")
}

/// Appends `s` as a JSON string.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail");
}

/// How many bytes [`write_str`] writes for `s`, without writing them: the
/// quotes, two for `"`, `\\` and the control characters with a short
/// escape, six for the other control characters (`\u00XX`), and every
/// other byte as it is.
pub fn str_len(s: &str) -> usize {
    2 + s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\x08' | b'\x0c' | b'\n' | b'\r' | b'\t' => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum::<usize>()
}

/// Writes `value`; `false` (with `out` in any state) when it is outside
/// the shape this writer handles.
fn write(out: &mut Vec<u8>, value: &Value) -> bool {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(u) = n.as_u64().filter(|u| *u <= MAX_EXACT) {
                out.extend_from_slice(u.to_string().as_bytes());
            } else if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= MAX_EXACT) {
                out.extend_from_slice(i.to_string().as_bytes());
            } else {
                return false;
            }
        }
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if !write(out, item) {
                    return false;
                }
            }
            out.push(b']');
        }
        Value::Object(map) => return write_object(out, map),
    }
    true
}

fn write_object(out: &mut Vec<u8>, map: &Map<String, Value>) -> bool {
    if map.keys().any(|k| k.chars().any(|c| c >= '\u{E000}')) {
        return false;
    }
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    if !members.is_sorted_by(|a, b| a.0 <= b.0) {
        members.sort_by(|a, b| a.0.cmp(b.0));
    }
    out.push(b'{');
    for (i, (key, value)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, key);
        out.push(b':');
        if !write(out, value) {
            return false;
        }
    }
    out.push(b'}');
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn general_of(value: &Value) -> Vec<u8> {
        serde_json_canonicalizer::to_vec(value).expect("canonical")
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z_]{0,8}",
            "[a-zA-Z0-9 \"\\\\\u{0}-\u{1f}\u{7f}é]{0,6}",
            // Where UTF-16 order and code-point order part: U+E000..U+FFFF
            // against characters beyond U+FFFF.
            "[a\u{e000}\u{ffff}\u{10000}\u{1f600}]{1,3}",
        ]
    }

    fn number() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-(1i64 << 54)..(1i64 << 54)).prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            Just(Value::from(0.5)),
            Just(Value::from(1e21)),
            Just(Value::from(-0.0)),
        ]
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            number(),
            key().prop_map(Value::String),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(key(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn str_len_is_the_length_written(s in "(.|[\u{0}-\u{1f}\u{7f}\"\\\\])*") {
            let mut out = Vec::new();
            write_str(&mut out, &s);
            prop_assert_eq!(str_len(&s), out.len());
        }

        #[test]
        fn equals_the_general_canonicaliser(value in json()) {
            prop_assert_eq!(value_to_vec(&value), general_of(&value));
            if let Value::Object(map) = &value {
                prop_assert_eq!(map_to_vec(map), general_of(&value));
            }
        }
    }

    #[test]
    fn the_edges_go_to_the_general_canonicaliser() {
        for text in [
            r#"{"a":9007199254740993}"#,
            r#"{"a":-9007199254740993}"#,
            r#"{"a":1.5e300,"b":0.1}"#,
            r#"{"\ue000":1,"\ud83d\ude00":2}"#,
            r#"[18446744073709551615,-0.0,1e21]"#,
        ] {
            let value: Value = serde_json::from_str(text).expect("json");
            assert_eq!(value_to_vec(&value), general_of(&value), "{text}");
        }
        let value: Value =
            serde_json::from_str(r#"{"b":"\u001f\"\\/","a":[true,null,9007199254740992]}"#)
                .expect("json");
        assert_eq!(
            value_to_vec(&value),
            br#"{"a":[true,null,9007199254740992],"b":"\u001f\"\\/"}"#
        );
    }
}
