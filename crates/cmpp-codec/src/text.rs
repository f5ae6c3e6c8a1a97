//! Text encodings (stub; being written).
