//! sms-journal
