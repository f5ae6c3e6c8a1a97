//! sms-policy
