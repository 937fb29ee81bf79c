//! A document version attached to a payment: the transfer's memo carries
//! the document id, the version and its key, so the payee (and the
//! regulator, whose note carries every memo) can open the document that
//! justifies the payment without the owner granting it on the ledger.
//!
//! # Memo layout (text, so it survives every memo path as UTF-8)
//!
//! ```text
//!   "veil-doc:v1:" ‖ hex(doc) (64) ‖ ":" ‖ decimal version ‖ ":" ‖ hex(key) (64)
//!   [ " " ‖ free text ]
//! ```
//!
//! 144 bytes or so before the text; the memo limit (512) leaves the rest.
//! The memo is inside the encrypted note: an observer sees only the
//! note's length, which is padded to 64 bytes, so a transfer with an
//! attachment looks like one with a memo of similar length. Nobody but the
//! note's readers learns that a document is attached, or which.
//!
//! Whoever displays a memo shows [`display`], which names the document and
//! never its key.

use veil_crypto::secret::Secret;
use veil_vault::{DocContext, DocumentKey};

use super::DocId;

const PREFIX: &str = "veil-doc:v1:";

/// A document version and its key, as a memo carries them.
pub struct Attachment {
    /// The document version.
    pub ctx: DocContext,
    /// Its key.
    pub key: DocumentKey,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("doc", &hex::encode(self.ctx.id))
            .field("version", &self.ctx.version)
            .finish_non_exhaustive()
    }
}

/// The memo attaching `ctx` (with `key`) before `text`.
pub fn memo(ctx: &DocContext, key: &DocumentKey, text: &str) -> Secret<String> {
    let mut m = format!(
        "{PREFIX}{}:{}:{}",
        hex::encode(ctx.id),
        ctx.version,
        hex::encode(key.expose())
    );
    if !text.is_empty() {
        m.push(' ');
        m.push_str(text);
    }
    Secret::new(m)
}

/// The attachment a memo carries, if any, and the memo's text.
pub fn parse(memo: &str) -> (Option<Attachment>, &str) {
    let Some(rest) = memo.strip_prefix(PREFIX) else {
        return (None, memo);
    };
    let (head, text) = rest.split_once(' ').unwrap_or((rest, ""));
    let mut parts = head.split(':');
    let (Some(doc), Some(version), Some(key), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return (None, memo);
    };
    let parsed = (
        veil_codec::hex32(doc),
        version.parse::<u32>().ok().filter(|v| *v >= 1),
        veil_codec::hex32(key).map(Secret::new),
    );
    match parsed {
        (Some(id), Some(version), Some(key)) => (
            Some(Attachment {
                ctx: DocContext { id, version },
                key: DocumentKey::from_bytes(key.expose()),
            }),
            text,
        ),
        _ => (None, memo),
    }
}

/// The memo as people read it: an attachment is named (document id and
/// version), its key never shown.
pub fn display(memo: &str) -> String {
    match parse(memo) {
        (Some(a), text) => {
            let tag = format!("[document {} v{}]", hex::encode(a.ctx.id), a.ctx.version);
            if text.is_empty() {
                tag
            } else {
                format!("{tag} {text}")
            }
        }
        (None, _) => memo.to_owned(),
    }
}

/// The document and version a memo attaches, without its key.
pub fn reference(memo: &str) -> Option<(DocId, u32)> {
    parse(memo).0.map(|a| (a.ctx.id, a.ctx.version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_display_hides_the_key() {
        let ctx = DocContext {
            id: [0x1d; 32],
            version: 3,
        };
        let key = DocumentKey::from_bytes(&[0x4b; 32]);
        let m = memo(&ctx, &key, "invoice 2026-117");
        let (a, text) = parse(m.expose());
        let a = a.unwrap();
        assert_eq!(
            (a.ctx.id, a.ctx.version, text),
            ([0x1d; 32], 3, "invoice 2026-117")
        );
        assert_eq!(a.key.expose(), key.expose());
        let shown = display(m.expose());
        assert!(!shown.contains(&hex::encode([0x4b; 32])), "{shown}");
        assert!(shown.starts_with("[document 1d1d"), "{shown}");
        assert!(!format!("{a:?}").contains("4b4b"));
        assert!(m.expose().len() <= crate::limits::MAX_MEMO);
        // Without text; and memos that only look like one.
        let bare = memo(&ctx, &key, "");
        assert!(parse(bare.expose()).0.is_some());
        for not in [
            "veil-doc:v1:",
            "veil-doc:v1:zz:1:00",
            &format!("veil-doc:v1:{}:0:{}", "11".repeat(32), "22".repeat(32)),
            &format!("veil-doc:v1:{}:1:{}:x", "11".repeat(32), "22".repeat(32)),
            "plain memo",
        ] {
            assert!(parse(not).0.is_none(), "{not}");
            assert_eq!(display(not), not);
        }
    }
}
