//! sea-orm entities of the log's tables (see `migrations/`).

/// `entries`: one row per log entry.
pub mod entry {
    use sea_orm::entity::prelude::*;

    /// A stored entry.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "entries")]
    pub struct Model {
        /// Position in the log.
        #[sea_orm(primary_key, auto_increment = false)]
        pub idx: i64,
        /// The statement `id`, unique in the ledger.
        #[sea_orm(unique)]
        pub statement_id: String,
        /// SHA-256 of the envelope's canonical JSON.
        pub digest: Vec<u8>,
        /// Merkle leaf hash of `body`.
        pub leaf_hash: Vec<u8>,
        /// The entry's `recorded_at`.
        pub recorded_at: String,
        /// The entry's canonical JSON: the leaf.
        pub body: Vec<u8>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `tree_nodes`: hashes of complete subtrees.
pub mod tree_node {
    use sea_orm::entity::prelude::*;

    /// A stored subtree hash.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tree_nodes")]
    pub struct Model {
        /// Height of the subtree.
        #[sea_orm(primary_key, auto_increment = false)]
        pub level: i16,
        /// Index of the subtree within its level.
        #[sea_orm(primary_key, auto_increment = false)]
        pub idx: i64,
        /// The subtree's Merkle hash.
        pub hash: Vec<u8>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `checkpoints`: every signed tree head the ledger issued.
pub mod checkpoint {
    use sea_orm::entity::prelude::*;

    /// A stored signed checkpoint.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "checkpoints")]
    pub struct Model {
        /// Tree size the checkpoint covers.
        #[sea_orm(primary_key, auto_increment = false)]
        pub tree_size: i64,
        /// Root hash at that size.
        pub root_hash: Vec<u8>,
        /// The signed note, verbatim.
        pub note: String,
        /// When it was signed (RFC 3339 UTC).
        pub signed_at: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `ledger_meta`: facts fixed at the ledger's creation, such as its origin.
pub mod meta {
    use sea_orm::entity::prelude::*;

    /// A name and its value.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ledger_meta")]
    pub struct Model {
        /// The fact's name.
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        /// Its value.
        pub value: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `governance_objects`: the governance state, one row per object.
pub mod governance_object {
    use sea_orm::entity::prelude::*;

    /// One object of the folded state.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "governance_objects")]
    pub struct Model {
        /// Which collection it belongs to (office, mandate, …).
        #[sea_orm(primary_key, auto_increment = false)]
        pub kind: String,
        /// Its id in that collection.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// Its JSON.
        pub body: String,
        /// Index of the last entry that changed it.
        pub last_index: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `governance_head`: how many entries the projection covers.
pub mod governance_head {
    use sea_orm::entity::prelude::*;

    /// The single row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "governance_head")]
    pub struct Model {
        /// Always 1.
        #[sea_orm(primary_key, auto_increment = false)]
        pub one: i16,
        /// Entries folded into the projection.
        pub tree_size: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `drafts`: statements waiting for co-signatures (not part of the log).
pub mod draft {
    use sea_orm::entity::prelude::*;

    /// One draft.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "drafts")]
    pub struct Model {
        /// Random id, 32 hex digits.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// The statement's `id`.
        pub statement_id: String,
        /// The statement's `type`.
        pub statement_type: String,
        /// Base64 of the statement's canonical bytes (the DSSE payload).
        pub payload: String,
        /// JSON array of the DSSE signatures so far.
        pub signatures: String,
        /// Keyid of the signer who opened it.
        pub created_by: String,
        /// JSON array of what it still lacks.
        pub missing: String,
        /// The office ids it concerns, each between spaces (" a b ").
        pub offices: String,
        /// pending, submitted, expired or withdrawn.
        pub status: String,
        /// The ledger entry, once submitted.
        pub entry_index: Option<i64>,
        /// When it was opened (RFC 3339).
        pub created_at: String,
        /// When it expires unless submitted (RFC 3339).
        pub expires_at: String,
        /// When it last changed (RFC 3339).
        pub updated_at: String,
        /// Bumped by every change: a change names the version it read.
        pub version: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `witness_heads`: what a witness last cosigned, per log.
pub mod witness_head {
    use sea_orm::entity::prelude::*;

    /// One log's latest cosigned checkpoint.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "witness_heads")]
    pub struct Model {
        /// The log's origin.
        #[sea_orm(primary_key, auto_increment = false)]
        pub origin: String,
        /// Its size.
        pub size: i64,
        /// Its root hash, base64.
        pub root: String,
        /// The signed checkpoint as received.
        pub checkpoint: String,
        /// When it was cosigned (RFC 3339).
        pub updated_at: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `witnessed_checkpoints`: the log's checkpoints whose cosignatures
/// satisfied its witness policy, with those cosignatures.
pub mod witnessed_checkpoint {
    use sea_orm::entity::prelude::*;

    /// A witnessed checkpoint.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "witnessed_checkpoints")]
    pub struct Model {
        /// Tree size the checkpoint covers.
        #[sea_orm(primary_key, auto_increment = false)]
        pub tree_size: i64,
        /// Root hash at that size.
        pub root_hash: Vec<u8>,
        /// The signed note with the log's signature and the cosignatures.
        pub note: String,
        /// When the quorum was reached (RFC 3339 UTC).
        pub witnessed_at: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
