//! Hardware (MAC) address text.

/// Six octets as two hex digits each, colon-separated, in upper case when `upper`.
fn colon_hex(mac: [u8; 6], upper: bool) -> String {
    let octets: Vec<String> = mac
        .iter()
        .map(|b| {
            if upper {
                format!("{b:02X}")
            } else {
                format!("{b:02x}")
            }
        })
        .collect();
    octets.join(":")
}

/// `02:42:C6:12:00:02`: nmap's spelling, used by `table` and `xml`.
pub(crate) fn upper(mac: [u8; 6]) -> String {
    colon_hex(mac, true)
}

/// `02:42:c6:12:00:02`: the spelling of the JSON report.
pub(crate) fn lower(mac: [u8; 6]) -> String {
    colon_hex(mac, false)
}

#[cfg(test)]
mod tests {
    use super::{lower, upper};

    #[test]
    fn mac_text_is_colon_separated_hex_pairs() {
        let mac = [0x02, 0x42, 0xc6, 0x12, 0x00, 0x02];
        assert_eq!(upper(mac), "02:42:C6:12:00:02");
        assert_eq!(lower(mac), "02:42:c6:12:00:02");
        assert_eq!(upper([0; 6]), "00:00:00:00:00:00");
        assert_eq!(lower([0xff; 6]), "ff:ff:ff:ff:ff:ff");
    }
}
