//! Identity state in the ledger's column families.
//!
//! | cf | key | value | in the state tree |
//! |---|---|---|---|
//! | `dids` | DID (20) | [`DidRecord`] | yes |
//! | `did_history` | DID ‖ version_be | [`DidRecord`] | no (derivable) |
//! | `credential_types` | name | [`CredentialType`] | yes |
//! | `accreditations` | issuer ‖ name | [`Accreditation`] | yes |
//! | `issuer_trees` | issuer | [`IssuerTree`] | yes |
//! | `issuer_roots` | issuer ‖ root | [`RootRecord`] | yes |
//! | `tree_nodes` | issuer ‖ level ‖ index_be | node (32) | no (root authenticated) |
//! | `issued_commitments` | issuer ‖ commitment | leaf index u32_be | no |
//! | `meta` `root_authority` | | DID ‖ sequence_be | yes |
//! | `nullifiers` | scope ‖ nullifier | time_be | no: node-local verifier state |

use veil_circuits::field;
use veil_circuits::Fr;

use veil_codec::{DecodeExt, Encode, EncodeError, Reader};
use veil_identity::did::DidId;
use veil_identity::schema::CredentialType;
use veil_identity::state::{
    Accreditation, DidRecord, Effect, IdentityState, IssuerTree, RootRecord,
};
use veil_identity::tree::NodeId;

use super::chain::Ledger;
use super::store::{Cf, StoreError, WriteSet};

/// `meta` key of the root authority: DID ‖ last trust sequence (big-endian).
pub const META_ROOT_AUTHORITY: &[u8] = b"root_authority";

fn log_none<T>(e: StoreError) -> Option<T> {
    tracing::error!(error = %e, "identity state read failed; treating as absent");
    None
}

/// `issuer ‖ level ‖ index_be`.
pub fn node_key(issuer: &DidId, (level, index): NodeId) -> Vec<u8> {
    [&issuer.0[..], &[level], &index.to_be_bytes()].concat()
}

/// `DID ‖ version_be`.
pub fn history_key(did: &DidId, version: u64) -> Vec<u8> {
    [&did.0[..], &version.to_be_bytes()].concat()
}

fn pair_key(issuer: &DidId, rest: &[u8]) -> Vec<u8> {
    [&issuer.0[..], rest].concat()
}

impl Ledger {
    /// A committed record, storage errors logged and read as absent.
    pub(crate) fn get_or_log(&self, cf: Cf, key: &[u8]) -> Option<Vec<u8>> {
        self.store().get(cf, key).unwrap_or_else(log_none)
    }

    /// A DID's record at `version` (historical resolution).
    pub fn did_version(&self, did: &DidId, version: u64) -> Option<DidRecord> {
        self.get_or_log(Cf::DidHistory, &history_key(did, version))
            .and_then(|b| DidRecord::decode(&b).ok())
    }

    /// Every credential type.
    pub fn credential_types(&self) -> Result<Vec<CredentialType>, StoreError> {
        self.store()
            .scan(Cf::CredentialTypes, b"", b"", 1024)?
            .into_iter()
            .map(|(_, v)| {
                CredentialType::decode(&v).map_err(|e| StoreError::Corrupt {
                    cf: "credential_types",
                    source: e,
                })
            })
            .collect()
    }

    /// An issuer's accreditations: type name and record.
    pub fn accreditations_of(
        &self,
        issuer: &DidId,
    ) -> Result<Vec<(String, Accreditation)>, StoreError> {
        self.store()
            .scan(Cf::Accreditations, &issuer.0, b"", 1024)?
            .into_iter()
            .filter_map(|(k, v)| {
                let name = String::from_utf8(k.get(20..)?.to_vec()).ok()?;
                Some(Accreditation::decode(&v).map(|a| (name, a)).map_err(|e| {
                    StoreError::Corrupt {
                        cf: "accreditations",
                        source: e,
                    }
                }))
            })
            .collect()
    }

    /// Whether this node's verifier consumed `nullifier` in `scope`, and
    /// records it if not (the caller serializes calls).
    pub fn consume_nullifier(
        &self,
        scope: &Fr,
        nullifier: &Fr,
        now_ms: u64,
    ) -> Result<bool, StoreError> {
        let key = [field::to_bytes(scope), field::to_bytes(nullifier)].concat();
        if self.store().get(Cf::Nullifiers, &key)?.is_some() {
            return Ok(false);
        }
        let mut w = WriteSet::new();
        w.put(Cf::Nullifiers, key, now_ms.to_be_bytes().to_vec());
        self.store().write(w)?;
        Ok(true)
    }

    /// Whether `nullifier` was consumed in `scope`.
    pub fn nullifier_used(&self, scope: &Fr, nullifier: &Fr) -> Result<bool, StoreError> {
        let key = [field::to_bytes(scope), field::to_bytes(nullifier)].concat();
        Ok(self.store().get(Cf::Nullifiers, &key)?.is_some())
    }
}

/// Identity state read from its records through `get` (a column family
/// and key to the stored bytes): the committed store for [`Ledger`], or a
/// block's pending writes over it during execution, so identity effects are
/// interpreted once, as the records they write.
pub struct IdentityRecords<F>(pub F);

impl<F: Fn(Cf, &[u8]) -> Option<Vec<u8>>> IdentityState for IdentityRecords<F> {
    fn did(&self, id: &DidId) -> Option<DidRecord> {
        (self.0)(Cf::Dids, &id.0).and_then(|b| DidRecord::decode(&b).ok())
    }

    fn root_authority(&self) -> Option<(DidId, u64)> {
        let b = (self.0)(Cf::Meta, META_ROOT_AUTHORITY)?;
        let mut r = Reader::new(&b);
        Some((
            DidId(r.array("did").ok()?),
            u64::from_be_bytes(r.array("seq").ok()?),
        ))
    }

    fn credential_type(&self, name: &str) -> Option<CredentialType> {
        (self.0)(Cf::CredentialTypes, name.as_bytes()).and_then(|b| CredentialType::decode(&b).ok())
    }

    fn accreditation(&self, issuer: &DidId, credential_type: &str) -> Option<Accreditation> {
        (self.0)(
            Cf::Accreditations,
            &pair_key(issuer, credential_type.as_bytes()),
        )
        .and_then(|b| Accreditation::decode(&b).ok())
    }

    fn issuer_tree(&self, issuer: &DidId) -> Option<IssuerTree> {
        (self.0)(Cf::IssuerTrees, &issuer.0).and_then(|b| IssuerTree::decode(&b).ok())
    }

    fn tree_node(&self, issuer: &DidId, node: NodeId) -> Option<Fr> {
        (self.0)(Cf::TreeNodes, &node_key(issuer, node))
            .and_then(|b| field::from_bytes(&b.try_into().ok()?))
    }

    fn commitment_index(&self, issuer: &DidId, commitment: &Fr) -> Option<u32> {
        (self.0)(
            Cf::IssuedCommitments,
            &pair_key(issuer, &field::to_bytes(commitment)),
        )
        .and_then(|b| Some(u32::from_be_bytes(b.try_into().ok()?)))
    }

    fn root_record(&self, issuer: &DidId, root: &Fr) -> Option<RootRecord> {
        (self.0)(Cf::IssuerRoots, &pair_key(issuer, &field::to_bytes(root)))
            .and_then(|b| RootRecord::decode(&b).ok())
    }
}

impl IdentityState for Ledger {
    fn did(&self, id: &DidId) -> Option<DidRecord> {
        self.identity_records().did(id)
    }

    fn root_authority(&self) -> Option<(DidId, u64)> {
        self.identity_records().root_authority()
    }

    fn credential_type(&self, name: &str) -> Option<CredentialType> {
        self.identity_records().credential_type(name)
    }

    fn accreditation(&self, issuer: &DidId, credential_type: &str) -> Option<Accreditation> {
        self.identity_records()
            .accreditation(issuer, credential_type)
    }

    fn issuer_tree(&self, issuer: &DidId) -> Option<IssuerTree> {
        self.identity_records().issuer_tree(issuer)
    }

    fn tree_node(&self, issuer: &DidId, node: NodeId) -> Option<Fr> {
        self.identity_records().tree_node(issuer, node)
    }

    fn commitment_index(&self, issuer: &DidId, commitment: &Fr) -> Option<u32> {
        self.identity_records().commitment_index(issuer, commitment)
    }

    fn root_record(&self, issuer: &DidId, root: &Fr) -> Option<RootRecord> {
        self.identity_records().root_record(issuer, root)
    }
}

impl Ledger {
    /// Identity state over the committed records.
    pub fn identity_records(&self) -> IdentityRecords<impl Fn(Cf, &[u8]) -> Option<Vec<u8>> + '_> {
        IdentityRecords(move |cf, key: &[u8]| self.get_or_log(cf, key))
    }
}

/// Where effects go: authenticated puts (state tree leaf and record) and
/// plain puts.
pub trait EffectSink {
    /// A record that is also a state-tree leaf.
    fn put_auth(&mut self, cf: Cf, key: Vec<u8>, value: Vec<u8>);
    /// A plain record.
    fn put(&mut self, cf: Cf, key: Vec<u8>, value: Vec<u8>);
}

/// Writes `effects`.
pub fn write_effects(sink: &mut dyn EffectSink, effects: &[Effect]) -> Result<(), EncodeError> {
    for e in effects {
        match e {
            Effect::Did { id, record } => {
                let bytes = record.encode()?;
                sink.put(
                    Cf::DidHistory,
                    history_key(id, record.version),
                    bytes.clone(),
                );
                sink.put_auth(Cf::Dids, id.0.to_vec(), bytes);
            }
            Effect::Authority { id, sequence } => {
                sink.put_auth(
                    Cf::Meta,
                    META_ROOT_AUTHORITY.to_vec(),
                    [&id.0[..], &sequence.to_be_bytes()].concat(),
                );
            }
            Effect::Type(t) => {
                sink.put_auth(Cf::CredentialTypes, t.name.as_bytes().to_vec(), t.encode()?);
            }
            Effect::Accreditation {
                issuer,
                credential_type,
                record,
            } => sink.put_auth(
                Cf::Accreditations,
                pair_key(issuer, credential_type.as_bytes()),
                record.encode()?,
            ),
            Effect::Tree {
                issuer,
                tree,
                nodes,
                issued,
                retired,
                root,
            } => {
                sink.put_auth(Cf::IssuerTrees, issuer.0.to_vec(), tree.encode()?);
                for (id, v) in nodes {
                    sink.put(
                        Cf::TreeNodes,
                        node_key(issuer, *id),
                        field::to_bytes(v).to_vec(),
                    );
                }
                for (c, i) in issued {
                    sink.put(
                        Cf::IssuedCommitments,
                        pair_key(issuer, &field::to_bytes(c)),
                        i.to_be_bytes().to_vec(),
                    );
                }
                if let Some((r, rec)) = retired {
                    sink.put_auth(
                        Cf::IssuerRoots,
                        pair_key(issuer, &field::to_bytes(r)),
                        rec.encode()?,
                    );
                }
                sink.put_auth(
                    Cf::IssuerRoots,
                    pair_key(issuer, &field::to_bytes(&tree.root)),
                    root.encode()?,
                );
            }
        }
    }
    Ok(())
}
