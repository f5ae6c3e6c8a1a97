//! sms-records
