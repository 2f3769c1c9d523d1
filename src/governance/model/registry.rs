//! The statement registry: the `statements!` list of every payload, which
//! makes [`Statement`] and [`StatementType`], and the parsing of a
//! statement object into its payload with the field at fault named.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use super::Registrars;
use super::payload::*;

/// Why a statement could not be read: the field and the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Dotted path of the field at fault (`type` for an unknown type).
    pub field: String,
    /// What is wrong.
    pub problem: String,
}

macro_rules! statements {
    ($($variant:ident($payload:ty),)*) => {
        /// Every governance statement: its payload, by type.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Statement {
            $(
                #[doc = concat!("`", stringify!($payload), "`.")]
                $variant($payload),
            )*
        }

        /// The statement types, in the order the ledger documents them.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum StatementType {
            $(
                #[doc = concat!("See [`", stringify!($payload), "`].")]
                $variant,
            )*
        }

        impl StatementType {
            /// Every type.
            pub const ALL: &'static [StatementType] = &[$(StatementType::$variant,)*];

            /// The type as statements name it, such as `commitment.make`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(StatementType::$variant => <$payload as Payload>::TYPE,)*
                }
            }

            /// The fields of this type with placeholder values.
            pub fn template(self) -> Value {
                match self {
                    $(StatementType::$variant => <$payload as Payload>::template(),)*
                }
            }

            /// The JSON Schema of this type's fields (its `$ref`s point
            /// into the schemas [`StatementType::schemas`] collects).
            pub fn schema(self) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                match self {
                    $(StatementType::$variant => <$payload as utoipa::PartialSchema>::schema(),)*
                }
            }

            /// Every named schema the types' fields refer to.
            pub fn schemas() -> Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)> {
                let mut all = Vec::new();
                $(<$payload as utoipa::ToSchema>::schemas(&mut all);)*
                all
            }

            fn parse_payload(self, fields: Value) -> Result<Statement, ParseError> {
                Ok(match self {
                    $(StatementType::$variant => Statement::$variant(read(fields)?),)*
                })
            }
        }

        impl FromStr for StatementType {
            type Err = ParseError;

            fn from_str(text: &str) -> Result<StatementType, ParseError> {
                $(
                    if text == <$payload as Payload>::TYPE {
                        return Ok(StatementType::$variant);
                    }
                )*
                Err(ParseError {
                    field: "type".into(),
                    problem: format!(
                        "unknown statement type {text:?}; this ledger accepts: {}",
                        StatementType::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                })
            }
        }
    };
}

statements! {
    Genesis(Genesis),
    RegistrarsUpdate(Registrars),
    OfficeEstablish(OfficeEstablish),
    MandateBegin(MandateBegin),
    MandateEnd(MandateEnd),
    KeyAdd(KeyAdd),
    KeyRevoke(KeyRevoke),
    DocumentRegister(DocumentRegister),
    ProgrammeRegister(ProgrammeRegister),
    ProgrammeUpdate(ProgrammeUpdate),
    CommitmentMake(CommitmentMake),
    CommitmentAmend(CommitmentAmend),
    CommitmentReaffirm(CommitmentReaffirm),
    CommitmentDiscontinue(CommitmentDiscontinue),
    CommitmentComplete(CommitmentComplete),
    MilestoneSchedule(MilestoneSchedule),
    MilestoneReschedule(MilestoneReschedule),
    MilestoneReport(MilestoneReport),
    MilestoneApprove(MilestoneApprove),
    HandoverRecord(HandoverRecord),
    AuditNote(AuditNote),
    AuditResponse(AuditResponse),
}

impl fmt::Display for StatementType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Statement {
    /// Parses the statement of `statement_type` from its whole object
    /// (`type`, `ledger` and `id` are ignored here: the core checked them).
    pub fn parse(
        statement_type: &str,
        object: &serde_json::Map<String, Value>,
    ) -> Result<Statement, ParseError> {
        let kind: StatementType = statement_type.parse()?;
        let mut fields = object.clone();
        for core in ["type", "ledger", "id"] {
            fields.remove(core);
        }
        kind.parse_payload(Value::Object(fields))
    }
}

fn read<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, ParseError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // serde names unknown and missing fields in the message; put the
        // field itself in the path so the reader sees where to look.
        let field = match (path.as_str(), missing_field(&inner)) {
            (".", Some(name)) => name,
            (p, Some(name)) => format!("{p}.{name}"),
            (".", None) => "(statement)".to_owned(),
            (p, None) => p.to_owned(),
        };
        ParseError {
            field,
            problem: inner,
        }
    })
}

/// serde names a missing field in its message, and the path stops at its
/// parent: the field's own name completes the path.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_parses_back_from_its_name_and_has_a_template() {
        for kind in StatementType::ALL {
            assert_eq!(kind.as_str().parse::<StatementType>(), Ok(*kind));
            assert!(kind.template().is_object(), "{kind}");
        }
        assert_eq!(StatementType::ALL.len(), 22);
        let unknown = "ledger.nonsense".parse::<StatementType>().unwrap_err();
        assert_eq!(unknown.field, "type");
        assert!(unknown.problem.contains("commitment.make"));
    }
}
