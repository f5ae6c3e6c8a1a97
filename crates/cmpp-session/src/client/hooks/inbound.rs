//! DELIVERs from the gateway: status reports and MO messages, duplicates, long-message
//! reassembly, and the ack handles that answer them once the application holds them.

use super::*;

impl CmppHooks {
    pub(super) fn on_deliver(
        &self,
        ctx: &Ctx<'_>,
        answer_now: &mut dyn FnMut(DeliverResult),
        sequence_id: u32,
        d: Deliver,
        out: &mut Vec<ClientEvent>,
    ) {
        let shared = &self.0;
        let now = ctx.now;
        let key = match &d.content {
            DeliverContent::Report(r) => {
                DeliverKey::report(r.msg_id, r.stat.raw(), r.dest_terminal_id.as_bytes())
            }
            DeliverContent::Message(_) => DeliverKey::message(d.msg_id),
        };
        let target: AckTarget = ctx.ack_target(sequence_id);
        // `Some` when the application answers (manual mode).
        let manual = if shared.config.auto_ack {
            // Opted in: answered on receipt; a crash before the application holds it loses it.
            answer_now(DeliverResult::Ok);
            if !lock(&shared.recent).first_time(key, now) {
                return;
            }
            None
        } else {
            let seen = lock(&shared.recent).observe(key, target, now);
            match seen {
                Seen::New => {}
                Seen::Pending => {
                    tracing::debug!(
                        connection = ctx.connection,
                        ?key,
                        "copy of a DELIVER not yet accepted"
                    );
                    return;
                }
                Seen::Accepted => {
                    answer_now(DeliverResult::Ok);
                    tracing::debug!(
                        connection = ctx.connection,
                        ?key,
                        "duplicate DELIVER answered and suppressed"
                    );
                    return;
                }
            }
            Some((key, target))
        };
        let ack = || match manual {
            Some((k, t)) => DeliverAck::new(shared, ctx.acks(), vec![k], vec![t]),
            None => DeliverAck::already_answered(),
        };
        let received_at = ctx.wall();
        let udhi = d.has_udh();
        match d.content {
            DeliverContent::Report(r) => {
                let dest = r.dest_terminal_id.to_str_lossy().into_owned();
                let found = lock(&shared.index).lookup(r.msg_id, &dest, now);
                let local_id = found.as_ref().map(|(l, _)| l.clone());
                out.extend(self.lifecycle(
                    ctx,
                    local_id.clone(),
                    0,
                    LifecycleKind::Reported {
                        msg_id: r.msg_id,
                        stat: r.stat,
                        dest: dest.clone(),
                    },
                ));
                out.push(ClientEvent::Report {
                    msg_id: r.msg_id,
                    stat: r.stat,
                    submit_time: r.submit_time.to_str_lossy().into_owned(),
                    done_time: r.done_time.to_str_lossy().into_owned(),
                    dest,
                    src_id: d.dest_id.to_str_lossy().into_owned(),
                    smsc_sequence: r.smsc_sequence,
                    local_id,
                    dest_index: found.map(|(_, i)| i),
                    connection: ctx.connection,
                    received_at,
                    ack: ack(),
                });
            }
            DeliverContent::Message(content) => {
                let from = d.src_terminal_id.to_str_lossy().into_owned();
                let to = d.dest_id.to_str_lossy().into_owned();
                let service_id = d.service_id.to_str_lossy().into_owned();
                let link_id = d.link_id.to_str_lossy().into_owned();
                let mkey = MessageKey::new(from.clone(), to.clone());
                // A part of a long message is answered when the whole message is accepted.
                let part_ref = text::parse_user_data(&content, udhi)
                    .ok()
                    .and_then(|(_, info)| info)
                    .map(|info| info.reference);
                if let (Some(reference), Some(part)) = (part_ref, manual) {
                    lock(&shared.mo_parts)
                        .entry((mkey.clone(), reference))
                        .or_default()
                        .push(part);
                }
                let pushed = lock(&shared.reassembler).push_content(
                    mkey,
                    &content,
                    udhi,
                    d.msg_fmt,
                    now.into_std(),
                );
                let (done, evicted) = match pushed {
                    Ok(Some(r)) => match r.outcome {
                        PushOutcome::Complete(m) => (Some(m), r.evicted),
                        _ => (None, r.evicted),
                    },
                    // Not a concatenated part, or a UDH that cannot be read: one whole message.
                    single => {
                        if let Err(e) = single {
                            tracing::warn!(connection = ctx.connection, error = %e, "bad UDH in MO message; delivering raw content");
                        }
                        if let (Some(reference), Some(part)) = (part_ref, manual) {
                            let mut parts = lock(&shared.mo_parts);
                            let k = (MessageKey::new(from.clone(), to.clone()), reference);
                            if let Some(list) = parts.get_mut(&k) {
                                list.retain(|p| *p != part);
                                if list.is_empty() {
                                    parts.remove(&k);
                                }
                            }
                        }
                        let c = text::decode_lossy(d.msg_fmt, &content);
                        out.push(ClientEvent::UserMessage {
                            msg_id: Some(d.msg_id),
                            from,
                            to,
                            service_id,
                            msg_fmt: d.msg_fmt,
                            content: c,
                            link_id,
                            parts: 1,
                            complete: true,
                            missing: Vec::new(),
                            connection: ctx.connection,
                            received_at,
                            ack: ack(),
                        });
                        return;
                    }
                };
                for m in evicted {
                    out.push(self.reassembled(ctx, m, None, String::new(), String::new()));
                }
                if let Some(m) = done {
                    out.push(self.reassembled(ctx, m, Some(d.msg_id), service_id, link_id));
                }
            }
        }
    }

    pub(super) fn reassembled(
        &self,
        ctx: &Ctx<'_>,
        m: ReassembledMessage,
        msg_id: Option<cmpp_codec::MsgId>,
        service_id: String,
        link_id: String,
    ) -> ClientEvent {
        let content = match m.decode() {
            Ok(c) => c,
            Err(_) => m.decode_lossy(),
        };
        let parts = lock(&self.0.mo_parts).remove(&(m.key.clone(), m.reference));
        let ack = if self.0.config.auto_ack {
            DeliverAck::already_answered()
        } else {
            let (keys, targets) = parts.unwrap_or_default().into_iter().unzip();
            DeliverAck::new(&self.0, ctx.acks(), keys, targets)
        };
        ClientEvent::UserMessage {
            msg_id,
            from: m.key.source.clone(),
            to: m.key.destination.clone(),
            service_id,
            msg_fmt: m.msg_fmt().unwrap_or(cmpp_codec::MsgFmt::Binary),
            missing: m.missing(),
            complete: m.complete,
            parts: m.total,
            content,
            link_id,
            connection: ctx.connection,
            received_at: ctx.wall(),
            ack,
        }
    }
}
