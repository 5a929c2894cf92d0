//! Reply addresses: each recipient of a request's mail gets a Reply-To of their own on the
//! configured inbound address, `local+{request}-{token}@domain`, plus-addressing that every
//! mail server delivers to `local@domain`. `{request}` is the request's id (32 hex digits);
//! `{token}` an HMAC-SHA256 of the request and the recipient's address under the service's
//! key (db `service_keys`, made on first start), cut to 16 hex digits. Nothing per address is
//! stored, only changedesk can make one, and a reply to it counts only from the address it was
//! made for: a forwarded mail answered by someone else does not speak for the recipient.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The name of the key in `service_keys`.
pub const KEY_NAME: &str = "reply_addresses";

const TOKEN_HEX: usize = 16;

#[derive(Clone)]
pub struct ReplyAddresses {
    local: String,
    domain: String,
    /// Keyed with the service's key, cloned for each address.
    keyed: Hmac<Sha256>,
}

/// What an address says about a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addressed {
    /// Not a reply address of ours.
    NotOurs,
    /// A reply to this request (its id), from the address the reply address was made for.
    Request(String),
    /// Ours in form, but its token was not made for this request and sender.
    Forged,
}

impl std::fmt::Debug for ReplyAddresses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReplyAddresses({}@{}, key: [hidden])", self.local, self.domain)
    }
}

impl ReplyAddresses {
    /// From the inbound address (`changedesk@example.org`); none when it is not an address.
    pub fn new(address: &str, key: Vec<u8>) -> Option<Self> {
        let (local, domain) = address.trim().rsplit_once('@')?;
        let ok = !local.is_empty() && !local.contains('+') && (domain.contains('.') || domain == "localhost");
        let keyed = Hmac::<Sha256>::new_from_slice(&key).ok()?;
        ok.then(|| Self { local: local.to_lowercase(), domain: domain.to_lowercase(), keyed })
    }

    /// The inbound address itself.
    pub fn address(&self) -> String {
        format!("{}@{}", self.local, self.domain)
    }

    /// The address `recipient` replies to for the request with id `request_id`.
    pub fn for_recipient(&self, request_id: &str, recipient: &str) -> String {
        let request = request_id.replace('-', "");
        format!("{}+{request}-{}@{}", self.local, self.token(&request, recipient), self.domain)
    }

    /// Reads an address a mail was sent to, for a reply from `sender`.
    pub fn read(&self, address: &str, sender: &str) -> Addressed {
        let address = address.trim().to_lowercase();
        let Some((local, domain)) = address.rsplit_once('@') else { return Addressed::NotOurs };
        let Some((base, tag)) = local.split_once('+') else { return Addressed::NotOurs };
        if base != self.local || domain != self.domain {
            return Addressed::NotOurs;
        }
        let Some((request, token)) = tag.split_once('-') else { return Addressed::Forged };
        let well_formed = request.len() == 32 && request.bytes().all(|b| b.is_ascii_hexdigit());
        // The comparison of the tokens goes through the MAC's own constant-time check.
        if !well_formed || !self.verify(request, sender, token) {
            return Addressed::Forged;
        }
        let r = request;
        Addressed::Request(format!("{}-{}-{}-{}-{}", &r[..8], &r[8..12], &r[12..16], &r[16..20], &r[20..]))
    }

    fn mac(&self, request: &str, recipient: &str) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(request.as_bytes());
        mac.update(b"\n");
        mac.update(recipient.trim().to_lowercase().as_bytes());
        mac
    }

    fn token(&self, request: &str, recipient: &str) -> String {
        hex::encode(self.mac(request, recipient).finalize().into_bytes())[..TOKEN_HEX].to_owned()
    }

    fn verify(&self, request: &str, sender: &str, token: &str) -> bool {
        match hex::decode(token) {
            Ok(bytes) if token.len() == TOKEN_HEX => self.mac(request, sender).verify_truncated_left(&bytes).is_ok(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUEST: &str = "019aff3c-6f2e-7c1a-9d4b-2f0e8a7c5b31";

    fn addresses() -> ReplyAddresses {
        ReplyAddresses::new("Desk@Example.org", b"a key for the tests".to_vec()).unwrap()
    }

    #[test]
    fn a_reply_address_names_its_request_only_for_its_recipient() {
        let a = addresses();
        let mine = a.for_recipient(REQUEST, "Ann@Example.org");
        assert!(mine.starts_with("desk+019aff3c6f2e7c1a9d4b2f0e8a7c5b31-"), "{mine}");
        assert!(mine.split('@').next().unwrap().len() <= 64, "a local part fits RFC 5321: {mine}");
        assert_eq!(a.read(&mine, "ann@example.org"), Addressed::Request(REQUEST.into()));
        assert_eq!(a.read(&mine.to_uppercase(), "ANN@example.org"), Addressed::Request(REQUEST.into()));
        // Someone else answering a forwarded mail, or a token changed by one digit.
        assert_eq!(a.read(&mine, "bob@example.org"), Addressed::Forged);
        let (head, tail) = mine.split_once('@').unwrap();
        let last = head.chars().last().unwrap();
        let other = if last == '0' { '1' } else { '0' };
        let tampered = format!("{}{other}@{tail}", &head[..head.len() - 1]);
        assert_eq!(a.read(&tampered, "ann@example.org"), Addressed::Forged);
        // Another key (another installation) made it.
        let elsewhere = ReplyAddresses::new("desk@example.org", b"another key".to_vec()).unwrap();
        assert_eq!(elsewhere.read(&mine, "ann@example.org"), Addressed::Forged);
    }

    #[test]
    fn other_addresses_are_not_ours() {
        let a = addresses();
        for other in ["desk@example.org", "someone+x-y@example.org", "desk+1-2@example.com", "not an address"] {
            assert_eq!(a.read(other, "ann@example.org"), Addressed::NotOurs, "{other}");
        }
        assert_eq!(a.read("desk+garbage@example.org", "ann@example.org"), Addressed::Forged);
        assert!(ReplyAddresses::new("no-at-sign", vec![1]).is_none());
    }
}
