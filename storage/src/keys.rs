//! Key and value bytes of every column family (SCHEMA.md is the reference).
//!
//! Numbers are big-endian and fixed width, so byte order is numeric order
//! and a prefix scan over leading components is a range scan.

use engine::validity::Validity;

use crate::validity;
use crate::PermissionChange;

/// Width of an interned value id.
pub(crate) const ID_LEN: usize = 8;

/// Width of the `(first, action)` pair that leads a permission key; the
/// prefix extractor of `perm_fwd` and `perm_rev` cuts keys there.
pub(crate) const PAIR_LEN: usize = 2 * ID_LEN;

/// Dictionary row tag: canonical text → id.
const DICT_BY_TEXT: u8 = 0x01;
/// Dictionary row tag: id → canonical text.
const DICT_BY_ID: u8 = 0x02;

/// Change-log tag of a grant.
const GRANT: u8 = b'+';
/// Change-log tag of a revoke.
const REVOKE: u8 = b'-';
/// Change-log tag of a regrant (a present tuple's validity changed).
const REGRANT: u8 = b'~';

/// Bytes of a change-log value before its validity: the tag and three ids.
const CHANGE_HEAD_LEN: usize = 1 + 3 * ID_LEN;

/// A big-endian u64 from exactly eight bytes.
pub(crate) fn read_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

/// A big-endian u32 from exactly four bytes.
pub(crate) fn read_u32(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.try_into().ok()?))
}

/// `dict` key of the row that maps canonical text to its id.
pub(crate) fn dict_text_key(text: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + text.len());
    key.push(DICT_BY_TEXT);
    key.extend_from_slice(text.as_bytes());
    key
}

/// `dict` key of the row that maps an id back to its canonical text.
pub(crate) fn dict_id_key(id: u64) -> [u8; 1 + ID_LEN] {
    let mut key = [DICT_BY_ID; 1 + ID_LEN];
    key[1..].copy_from_slice(&id.to_be_bytes());
    key
}

/// The id of a `dict` id → text key, if `key` is one.
pub(crate) fn dict_id_of_key(key: &[u8]) -> Option<u64> {
    match key.split_first() {
        Some((&DICT_BY_ID, id)) => read_u64(id),
        _ => None,
    }
}

/// Whether `key` is a `dict` text → id key.
pub(crate) fn is_dict_text_key(key: &[u8]) -> bool {
    key.first() == Some(&DICT_BY_TEXT)
}

/// `perm_fwd` / `perm_rev` prefix: the first component and the action.
pub(crate) fn pair(first: u64, action: u64) -> [u8; PAIR_LEN] {
    let mut key = [0; PAIR_LEN];
    key[..ID_LEN].copy_from_slice(&first.to_be_bytes());
    key[ID_LEN..].copy_from_slice(&action.to_be_bytes());
    key
}

/// A permission key: `first | action | canonical text of the last value`.
/// `perm_fwd` uses (actor, action, resource), `perm_rev` (resource, action,
/// actor).
pub(crate) fn perm_key(first: u64, action: u64, last: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(PAIR_LEN + last.len());
    key.extend_from_slice(&pair(first, action));
    key.extend_from_slice(last.as_bytes());
    key
}

/// Splits a permission key into its two ids and the canonical text bytes.
pub(crate) fn split_perm_key(key: &[u8]) -> Option<(u64, u64, &[u8])> {
    if key.len() <= PAIR_LEN {
        return None;
    }
    let first = read_u64(&key[..ID_LEN])?;
    let action = read_u64(&key[ID_LEN..PAIR_LEN])?;
    Some((first, action, &key[PAIR_LEN..]))
}

/// A permission key as it appears in messages: `first | action | text`
/// (or its bytes, if it does not split).
pub(crate) fn show_perm_key(key: &[u8]) -> String {
    match split_perm_key(key) {
        Some((first, action, text)) => {
            format!("{first} | {action} | {}", String::from_utf8_lossy(text))
        }
        None => format!("{key:?}"),
    }
}

/// A `facts` key: the predicate id, then one id per argument.
pub(crate) fn fact_key(predicate: u64, args: &[u64]) -> Vec<u8> {
    let mut key = Vec::with_capacity(ID_LEN * (1 + args.len()));
    key.extend_from_slice(&predicate.to_be_bytes());
    for arg in args {
        key.extend_from_slice(&arg.to_be_bytes());
    }
    key
}

/// Splits a `facts` key into the predicate id and the argument ids.
pub(crate) fn split_fact_key(key: &[u8]) -> Option<(u64, Vec<u64>)> {
    if key.is_empty() || !key.len().is_multiple_of(ID_LEN) {
        return None;
    }
    let mut ids = key.chunks_exact(ID_LEN).map(read_u64);
    let predicate = ids.next()??;
    let args = ids.collect::<Option<Vec<u64>>>()?;
    Some((predicate, args))
}

/// A `changes` key: the epoch, then the sequence number within the epoch.
pub(crate) fn change_key(epoch: u64, seq: u64) -> [u8; 2 * ID_LEN] {
    pair(epoch, seq)
}

/// A `changes` value: the tag (grant, revoke or regrant), the actor, action
/// and resource ids, then (grants and regrants) the new validity's bytes.
pub(crate) fn change_value(change: PermissionChange, ids: [u64; 3], valid: &Validity) -> Vec<u8> {
    let mut value = Vec::with_capacity(CHANGE_HEAD_LEN);
    value.push(match change {
        PermissionChange::Grant => GRANT,
        PermissionChange::Revoke => REVOKE,
        PermissionChange::Regrant => REGRANT,
    });
    for id in ids {
        value.extend_from_slice(&id.to_be_bytes());
    }
    if change != PermissionChange::Revoke {
        value.extend_from_slice(&validity::encode(valid));
    }
    value
}

/// Decodes a `changes` row into its epoch, change, the three ids and the
/// validity bytes (empty for a revoke, and for a grant of format 1).
pub(crate) fn split_change<'v>(
    key: &[u8],
    value: &'v [u8],
) -> Option<(u64, PermissionChange, [u64; 3], &'v [u8])> {
    if key.len() != 2 * ID_LEN || value.len() < CHANGE_HEAD_LEN {
        return None;
    }
    let epoch = read_u64(&key[..ID_LEN])?;
    let (head, valid) = value.split_at(CHANGE_HEAD_LEN);
    let change = match head[0] {
        GRANT => PermissionChange::Grant,
        REVOKE if valid.is_empty() => PermissionChange::Revoke,
        REGRANT => PermissionChange::Regrant,
        _ => return None,
    };
    let id = |i: usize| read_u64(&head[1 + i * ID_LEN..1 + (i + 1) * ID_LEN]);
    Some((epoch, change, [id(0)?, id(1)?, id(2)?], valid))
}

/// The smallest key greater than every key that starts with `prefix`, or
/// `None` when there is none (the prefix is all `0xff`).
pub(crate) fn successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut next = prefix.to_vec();
    while let Some(last) = next.pop() {
        if last < u8::MAX {
            next.push(last + 1);
            return Some(next);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_order_is_numeric_order() {
        let ids = [0, 1, 255, 256, 65_535, 1 << 40, u64::MAX - 1, u64::MAX];
        for w in ids.windows(2) {
            assert!(fact_key(w[0], &[]) < fact_key(w[1], &[]));
            assert!(dict_id_key(w[0]) < dict_id_key(w[1]));
            assert!(change_key(w[0], 9) < change_key(w[1], 0));
            assert!(perm_key(w[0], 7, "b") < perm_key(w[1], 0, "a"));
        }
    }

    #[test]
    fn keys_split_back() {
        let key = perm_key(3, 4, "Repo{\"x\"}");
        assert_eq!(split_perm_key(&key), Some((3, 4, &b"Repo{\"x\"}"[..])));
        assert_eq!(split_perm_key(&pair(3, 4)), None);
        assert_eq!(split_fact_key(&fact_key(9, &[1, 2])), Some((9, vec![1, 2])));
        assert_eq!(split_fact_key(&fact_key(9, &[])), Some((9, vec![])));
        assert_eq!(split_fact_key(&[1, 2, 3]), None);
        assert_eq!(split_fact_key(&[]), None);
        assert_eq!(dict_id_of_key(&dict_id_key(42)), Some(42));
        assert_eq!(dict_id_of_key(&dict_text_key("42")), None);
        assert!(is_dict_text_key(&dict_text_key("42")));
        assert!(!is_dict_text_key(&dict_id_key(42)));
        let later = Validity::from_intervals(engine::validity::Interval::new(10, 20));
        let value = change_value(PermissionChange::Revoke, [5, 6, 7], &later);
        assert_eq!(value.len(), 25);
        assert_eq!(
            split_change(&change_key(2, 1), &value),
            Some((2, PermissionChange::Revoke, [5, 6, 7], &[][..]))
        );
        assert_eq!(split_change(&change_key(2, 1), &value[1..]), None);
        let mut bad = value.clone();
        bad[0] = b'?';
        assert_eq!(split_change(&change_key(2, 1), &bad), None);
        // A revoke carries no validity.
        let mut long = value;
        long.extend_from_slice(&[0; 16]);
        assert_eq!(split_change(&change_key(2, 1), &long), None);
        let value = change_value(PermissionChange::Regrant, [5, 6, 7], &later);
        let encoded = validity::encode(&later);
        assert_eq!(
            split_change(&change_key(2, 1), &value),
            Some((2, PermissionChange::Regrant, [5, 6, 7], &encoded[..]))
        );
        // A format-1 grant (no validity bytes) is a grant for always.
        let value = change_value(PermissionChange::Grant, [5, 6, 7], &Validity::always());
        assert_eq!(value.len(), 25);
        assert_eq!(value[0], b'+');
    }

    #[test]
    fn successor_bounds_a_prefix() {
        assert_eq!(successor(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(successor(&[1, 0xff, 0xff]), Some(vec![2]));
        assert_eq!(successor(&[0xff, 0xff]), None);
        assert_eq!(successor(b"User{"), Some(b"User|".to_vec()));
    }
}
