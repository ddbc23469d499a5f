//! Splitting a list of thing names into BIND/UNBIND messages that each stay within a size
//! limit, computed from encoded sizes (wire-format.md §7.4).

use crate::codec::{Gateway, WireString, HEADER_LEN};

/// Encoded size of a BIND/UNBIND message with this gateway info and no names: header, gateway
/// flag, optional gateway name and type, `u16` name count.
pub(crate) fn bind_overhead(gateway: Option<&Gateway>) -> usize {
    let gateway_len = gateway.map_or(0, |g| {
        g.name
            .encoded_len()
            .saturating_add(g.gateway_type.encoded_len())
    });
    HEADER_LEN + 1 + gateway_len + 2
}

/// Splits `names` (in order) into batches whose BIND/UNBIND message is at most `limit` bytes
/// and holds at most 65535 names. A name too long to fit any batch with others goes alone
/// (its message is then multipart, or refused by the size check when sent). Never returns an
/// empty batch.
pub(crate) fn batches(
    names: Vec<WireString>,
    gateway: Option<&Gateway>,
    limit: usize,
) -> Vec<Vec<WireString>> {
    let overhead = bind_overhead(gateway);
    let mut out = Vec::new();
    let mut current: Vec<WireString> = Vec::new();
    let mut size = overhead;
    for name in names {
        let len = name.encoded_len();
        let fits = size.saturating_add(len) <= limit && current.len() < usize::from(u16::MAX);
        if !fits && !current.is_empty() {
            out.push(std::mem::take(&mut current));
            size = overhead;
        }
        size = size.saturating_add(len);
        current.push(name);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize, len: usize) -> Vec<WireString> {
        (0..n)
            .map(|i| WireString::from(format!("{i:0len$}")))
            .collect()
    }

    #[test]
    fn everything_in_one_batch_when_it_fits() {
        let b = batches(names(3, 5), None, 1000);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].len(), 3);
    }

    #[test]
    fn splits_exactly_at_the_limit() {
        // overhead 18, each name 1 + 9 = 10 bytes: 10 names = 118 bytes.
        let b = batches(names(25, 9), None, 118);
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), vec![10, 10, 5]);
        let b = batches(names(25, 9), None, 117);
        assert_eq!(b[0].len(), 9);
    }

    #[test]
    fn gateway_counts_against_the_limit() {
        let gw = Gateway {
            name: "gw".into(),
            gateway_type: "type".into(),
        };
        assert_eq!(bind_overhead(Some(&gw)), 18 + 3 + 5);
        let b = batches(names(10, 9), Some(&gw), 26 + 50);
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), vec![5, 5]);
    }

    #[test]
    fn oversized_name_goes_alone_and_no_batch_is_empty() {
        let mut list = names(2, 3);
        list.insert(1, WireString::from("x".repeat(300)));
        let b = batches(list, None, 100);
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), vec![1, 1, 1]);
        assert!(batches(Vec::new(), None, 100).is_empty());
    }

    #[test]
    fn at_most_65535_names_per_batch() {
        let b = batches(names(70_000, 1), None, usize::MAX);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].len(), 65_535);
    }
}
