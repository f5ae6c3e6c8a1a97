//! A message's events as its row keeps them: the JSON array `[[at_ms, event], ...]`
//! in time order, `event` being the event's own JSON (`{"event": "reported", ...}`).

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use sms_records::{CauseClass, EventKind, MessageInfo, ReportOrigin};
use std::borrow::Cow;
use std::fmt;

/// One event of a message: its time in Unix milliseconds, and what happened.
pub(crate) type Entry<'a> = (i64, Cow<'a, EventKind>);

/// What [`merge`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Merge {
    /// Every entry was there already (a replay).
    Unchanged,
    /// New entries, all after the old ones: they start at this index.
    Appended(usize),
    /// New entries, some of them among the old ones.
    Inserted,
}

/// Adds `new` entries to the time-ordered `list`, skipping those already in it
/// (a replayed event); equal times keep their arrival order.
pub(crate) fn merge<'a>(
    list: &mut Vec<Entry<'a>>,
    new: impl IntoIterator<Item = Entry<'a>>,
) -> Merge {
    let old = list.len();
    let mut inserted = false;
    for (at, kind) in new {
        let end = list.partition_point(|(t, _)| *t <= at);
        let start = list[..end].partition_point(|(t, _)| *t < at);
        if list[start..end].iter().any(|(_, k)| *k == kind) {
            continue;
        }
        inserted |= end < old;
        list.insert(end, (at, kind));
    }
    match (list.len() == old, inserted) {
        (true, _) => Merge::Unchanged,
        (false, false) => Merge::Appended(old),
        (false, true) => Merge::Inserted,
    }
}

/// Writes `list` as its JSON array into `buf` (cleared first).
pub(crate) fn encode(buf: &mut Vec<u8>, list: &[Entry<'_>]) -> Result<(), serde_json::Error> {
    buf.clear();
    serde_json::to_writer(&mut *buf, list)
}

/// Writes into `buf` the JSON array `stored` with `tail` appended, without
/// re-encoding what `stored` holds. `stored` must be a non-empty array.
pub(crate) fn append(
    buf: &mut Vec<u8>,
    stored: &str,
    tail: &[Entry<'_>],
) -> Result<(), serde_json::Error> {
    buf.clear();
    let body = stored.trim_end();
    let body = body.strip_suffix(']').unwrap_or(body);
    buf.extend_from_slice(body.as_bytes());
    for entry in tail {
        buf.push(b',');
        serde_json::to_writer(&mut *buf, entry)?;
    }
    buf.push(b']');
    Ok(())
}

/// Reads a JSON array of entries.
///
/// Events written by this crate have `event` as their first key, and are read
/// straight into their variant; any other key order is read the slower, general way.
pub(crate) fn decode(text: &str) -> Result<Vec<(i64, EventKind)>, serde_json::Error> {
    let entries: Vec<StoredEntry> = serde_json::from_str(text)?;
    Ok(entries.into_iter().map(|e| (e.0, e.1)).collect())
}

/// `[at_ms, event]`.
struct StoredEntry(i64, EventKind);

impl<'de> Deserialize<'de> for StoredEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(EntryVisitor)
    }
}

struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = StoredEntry;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event as [at_ms, event]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StoredEntry, A::Error> {
        let at: i64 = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let kind: StoredKind = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        if seq.next_element::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(3, &self));
        }
        Ok(StoredEntry(at, kind.0))
    }
}

/// An event's JSON.
struct StoredKind(EventKind);

impl<'de> Deserialize<'de> for StoredKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(KindVisitor)
    }
}

struct KindVisitor;

/// The variants' fields, read once the tag is known (they mirror [`EventKind`];
/// a test checks every variant both ways).
#[derive(Deserialize)]
struct SubmittedBody {
    info: MessageInfo,
}
#[derive(Deserialize)]
struct ResentBody {
    attempt: u32,
}
#[derive(Deserialize)]
struct RespondedBody {
    msg_id: Option<String>,
    result: u32,
    class: Option<CauseClass>,
}
#[derive(Deserialize)]
struct ReportedBody {
    msg_id: String,
    stat: String,
    class: Option<CauseClass>,
    #[serde(default)]
    origin: Option<ReportOrigin>,
}
#[derive(Deserialize)]
struct ExpiredBody {
    reason: String,
}
#[derive(Deserialize)]
struct FailedBody {
    reason: String,
    class: CauseClass,
    maybe_accepted: bool,
}
#[derive(Deserialize)]
struct RefusedBody {
    info: MessageInfo,
    check: String,
    reason: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Tag {
    Sending,
    Expired,
    Submitted,
    Resent,
    Responded,
    Reported,
    Failed,
    Refused,
}

impl<'de> Visitor<'de> for KindVisitor {
    type Value = StoredKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StoredKind, A::Error> {
        let Some(first) = map.next_key::<Key<'de>>()? else {
            return Err(de::Error::missing_field("event"));
        };
        if first.0 != "event" {
            // Not this crate's key order: gather the object, then read it generally.
            let mut object = serde_json::Map::new();
            object.insert(first.0.into_owned(), map.next_value()?);
            while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                object.insert(k, v);
            }
            return EventKind::deserialize(serde_json::Value::Object(object))
                .map(StoredKind)
                .map_err(de::Error::custom);
        }
        let tag: Tag = map.next_value()?;
        let rest = de::value::MapAccessDeserializer::new(map);
        let kind = match tag {
            Tag::Sending => EventKind::Sending {
                info: SubmittedBody::deserialize(rest)?.info,
            },
            Tag::Expired => EventKind::Expired {
                reason: ExpiredBody::deserialize(rest)?.reason,
            },
            Tag::Submitted => {
                let b = SubmittedBody::deserialize(rest)?;
                EventKind::Submitted { info: b.info }
            }
            Tag::Resent => EventKind::Resent {
                attempt: ResentBody::deserialize(rest)?.attempt,
            },
            Tag::Responded => {
                let b = RespondedBody::deserialize(rest)?;
                EventKind::Responded {
                    msg_id: b.msg_id,
                    result: b.result,
                    class: b.class,
                }
            }
            Tag::Reported => {
                let b = ReportedBody::deserialize(rest)?;
                EventKind::Reported {
                    msg_id: b.msg_id,
                    stat: b.stat,
                    class: b.class,
                    origin: b.origin,
                }
            }
            Tag::Failed => {
                let b = FailedBody::deserialize(rest)?;
                EventKind::Failed {
                    reason: b.reason,
                    class: b.class,
                    maybe_accepted: b.maybe_accepted,
                }
            }
            Tag::Refused => {
                let b = RefusedBody::deserialize(rest)?;
                EventKind::Refused {
                    info: b.info,
                    check: b.check,
                    reason: b.reason,
                }
            }
        };
        Ok(StoredKind(kind))
    }
}

/// A map key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sms_records::Category;

    fn every_kind() -> Vec<EventKind> {
        let info = MessageInfo {
            src: "1065800".into(),
            dest: "13800000000".into(),
            category: Category::Verification,
            segment: 2,
            segments: 3,
            group_id: Some("G\"1\\\u{4e2d}".into()),
            carrier: sms_records::Carrier::ChinaMobile,
        };
        vec![
            EventKind::Sending { info: info.clone() },
            EventKind::Expired {
                reason: "no report within 72 h".into(),
            },
            EventKind::Reported {
                msg_id: "M2".into(),
                stat: "DELIVRD".into(),
                class: None,
                origin: Some(ReportOrigin {
                    dest: "13800000000".into(),
                    src: Some("1065".into()),
                    submitted_at: Some(chrono::DateTime::from_timestamp(1_772_323_200, 0).unwrap()),
                }),
            },
            EventKind::Submitted { info: info.clone() },
            EventKind::Resent { attempt: 3 },
            EventKind::Responded {
                msg_id: Some("M1".into()),
                result: 8,
                class: Some(CauseClass::Sp),
            },
            EventKind::Responded {
                msg_id: None,
                result: 0,
                class: None,
            },
            EventKind::Reported {
                msg_id: "M1".into(),
                stat: "MK:0024".into(),
                class: Some(CauseClass::User),
                origin: None,
            },
            EventKind::Failed {
                reason: "link lost\nafter the write".into(),
                class: CauseClass::Unknown,
                maybe_accepted: true,
            },
            EventKind::Refused {
                info,
                check: "opt_out".into(),
                reason: "the user opted out".into(),
            },
        ]
    }

    #[test]
    fn every_kind_reads_back_as_written_and_as_serde_reads_it() {
        let kinds = every_kind();
        let list: Vec<Entry<'_>> = kinds
            .iter()
            .enumerate()
            .map(|(i, k)| (i as i64 * 10, Cow::Borrowed(k)))
            .collect();
        let mut buf = Vec::new();
        encode(&mut buf, &list).unwrap();
        let text = std::str::from_utf8(&buf).unwrap();
        let fast = decode(text).unwrap();
        let general: Vec<(i64, EventKind)> = serde_json::from_str(text).unwrap();
        assert_eq!(fast, general);
        assert_eq!(
            fast.iter().map(|e| &e.1).collect::<Vec<_>>(),
            kinds.iter().collect::<Vec<_>>()
        );
    }

    #[test]
    fn other_key_orders_and_unknown_keys_are_read_too() {
        let text = r#"[[5,{"stat":"DELIVRD","msg_id":"M1","event":"reported","class":null}],
                       [6,{"event":"resent","attempt":2,"note":"from a newer writer"}]]"#;
        let got = decode(text).unwrap();
        assert_eq!(
            got,
            [
                (
                    5,
                    EventKind::Reported {
                        msg_id: "M1".into(),
                        stat: "DELIVRD".into(),
                        class: None,
                        origin: None
                    }
                ),
                (6, EventKind::Resent { attempt: 2 }),
            ]
        );
    }

    #[test]
    fn bad_entries_are_errors_not_panics() {
        for text in [
            "",
            "{}",
            "[[1]]",
            "[[1,{}]]",
            "[[1,{\"event\":\"nope\"}]]",
            "[[1,{\"event\":\"resent\"}]]",
            "[[1,{\"event\":\"resent\",\"attempt\":-1}]]",
            "[[\"x\",{\"event\":\"resent\",\"attempt\":1}]]",
            "[[1,{\"event\":\"resent\",\"attempt\":1},3]]",
            "[[1,{\"attempt\":1}]]",
        ] {
            assert!(decode(text).is_err(), "{text}");
        }
    }

    fn resent(at: i64, attempt: u32) -> Entry<'static> {
        (at, Cow::Owned(EventKind::Resent { attempt }))
    }

    #[test]
    fn merge_tells_an_append_from_an_insertion() {
        let mut list = Vec::new();
        assert_eq!(
            merge(&mut list, [resent(10, 2), resent(20, 3)]),
            Merge::Appended(0)
        );
        assert_eq!(
            merge(&mut list, [resent(20, 3), resent(10, 2)]),
            Merge::Unchanged
        );
        assert_eq!(
            merge(&mut list, [resent(20, 4), resent(30, 5)]),
            Merge::Appended(2)
        );
        assert_eq!(merge(&mut list, [resent(15, 6)]), Merge::Inserted);
        let order: Vec<i64> = list.iter().map(|e| e.0).collect();
        assert_eq!(order, [10, 15, 20, 20, 30]);
    }

    #[test]
    fn appending_gives_what_encoding_the_whole_list_gives() {
        let mut list = vec![resent(10, 2)];
        let mut stored = Vec::new();
        encode(&mut stored, &list).unwrap();
        let stored = String::from_utf8(stored).unwrap();
        let Merge::Appended(from) = merge(&mut list, [resent(20, 3), resent(30, 4)]) else {
            panic!("an append");
        };
        let (mut whole, mut spliced) = (Vec::new(), Vec::new());
        encode(&mut whole, &list).unwrap();
        append(&mut spliced, &stored, &list[from..]).unwrap();
        assert_eq!(
            String::from_utf8(spliced).unwrap(),
            String::from_utf8(whole).unwrap()
        );
    }
}
