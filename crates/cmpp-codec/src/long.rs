//! Long messages (stub; being written).
