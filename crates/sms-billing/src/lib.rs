//! sms-billing
