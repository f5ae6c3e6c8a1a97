//! cmpp-codec
