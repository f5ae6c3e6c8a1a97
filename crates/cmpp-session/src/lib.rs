//! cmpp-session
