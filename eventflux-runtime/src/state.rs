//! Operator state encoding: the one place that knows the snapshot format (bincode 2 over serde),
//! so that the format can change here alone.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a snapshot could not be taken or restored.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Encoding failed.
    #[error("cannot encode state: {0}")]
    Encode(String),
    /// The bytes do not hold this operator's state.
    #[error("cannot decode state: {0}")]
    Decode(String),
    /// The snapshot is for a different app.
    #[error("snapshot does not fit this app: {0}")]
    Mismatch(String),
}

/// Encodes `value`.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StateError> {
    bincode::serde::encode_to_vec(value, bincode::config::standard())
        .map_err(|e| StateError::Encode(e.to_string()))
}

/// Decodes what [`encode`] produced.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StateError> {
    bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .map(|(v, _)| v)
        .map_err(|e| StateError::Decode(e.to_string()))
}
