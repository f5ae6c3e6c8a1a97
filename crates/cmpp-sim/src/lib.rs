//! cmpp-sim
