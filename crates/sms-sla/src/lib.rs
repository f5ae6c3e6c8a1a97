//! sms-sla
