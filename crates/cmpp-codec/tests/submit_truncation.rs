//! A SUBMIT cut short at every byte fails at the field the cut falls in, with that field's
//! name, offset and the bytes that remained; cuts inside the trailing LinkID are tolerated.
//!
//! The expected layout is written out here from the spec, independently of the decoder (which
//! reads the fixed part after one length check and must still report the exact field).

use bytes::Bytes;
use cmpp_codec::{decode, DecodeError, DecodeProblem, Packet, Pdu, Submit, Version};

/// (field, wire width) in order, from Msg_Id to LinkID, for one destination and `content_len`
/// content bytes.
fn layout(version: Version, content_len: usize) -> Vec<(&'static str, usize)> {
    let tw = version.terminal_id_width();
    let mut fields = vec![
        ("Msg_Id", 8),
        ("Pk_total", 1),
        ("Pk_number", 1),
        ("Registered_Delivery", 1),
        ("Msg_level", 1),
        ("Service_Id", 10),
        ("Fee_UserType", 1),
        ("Fee_terminal_Id", tw),
    ];
    if version == Version::V30 {
        fields.push(("Fee_terminal_type", 1));
    }
    fields.extend([
        ("TP_pId", 1),
        ("TP_udhi", 1),
        ("Msg_Fmt", 1),
        ("Msg_src", 6),
        ("FeeType", 2),
        ("FeeCode", 6),
        ("ValId_Time", 17),
        ("At_Time", 17),
        ("Src_Id", 21),
        ("DestUsr_tl", 1),
        ("Dest_terminal_Id", tw),
    ]);
    if version == Version::V30 {
        fields.push(("Dest_terminal_type", 1));
    }
    fields.extend([
        ("Msg_Length", 1),
        ("Msg_Content", content_len),
        ("LinkID", version.link_id_width()),
    ]);
    fields
}

fn sample() -> Submit {
    Submit {
        registered_delivery: 1,
        service_id: "test".parse().unwrap(),
        fee_terminal_id: "13500002696".parse().unwrap(),
        msg_src: "900001".parse().unwrap(),
        fee_type: "02".parse().unwrap(),
        fee_code: "10".parse().unwrap(),
        valid_time: "151112095500032+".parse().unwrap(),
        src_id: "10690001".parse().unwrap(),
        dest_terminal_ids: vec!["13800138000".parse().unwrap()],
        msg_content: Bytes::from_static(b"hello, world"),
        link_id: "link0123".parse().unwrap(),
        ..Submit::default()
    }
}

/// The frame with its body cut to `cut` bytes and Total_Length fixed up.
fn cut_frame(full: &[u8], cut: usize) -> Bytes {
    let mut f = full[..12 + cut].to_vec();
    f[..4].copy_from_slice(&((12 + cut) as u32).to_be_bytes());
    Bytes::from(f)
}

#[test]
fn every_cut_names_the_field_it_falls_in() {
    let submit = sample();
    let content_len = submit.msg_content.len();
    for version in [Version::V30, Version::V20] {
        let full = Packet::new(7, submit.clone()).to_bytes(version).unwrap();
        let fields = layout(version, content_len);
        let body_len: usize = fields.iter().map(|&(_, w)| w).sum();
        assert_eq!(
            full.len(),
            12 + body_len,
            "{version}: layout disagrees with encoder"
        );

        let mut start = 0;
        for &(field, width) in &fields {
            for cut in start..start + width {
                let frame = cut_frame(&full, cut);
                let result = decode(frame, version);
                let remaining = cut - start;
                let expected = match field {
                    // A short or missing LinkID is accepted; it keeps the bytes present.
                    "LinkID" => {
                        let packet = result.unwrap_or_else(|e| panic!("{version} cut {cut}: {e}"));
                        let Pdu::Submit(got) = packet.pdu else {
                            panic!("not a SUBMIT")
                        };
                        assert_eq!(
                            got.link_id.as_bytes(),
                            &submit.link_id.as_bytes()[..remaining.min(submit.link_id.len())],
                            "{version} cut {cut}"
                        );
                        assert_eq!(got.msg_content, submit.msg_content);
                        assert_eq!(got.dest_terminal_ids, submit.dest_terminal_ids);
                        continue;
                    }
                    // Length/count fields that are present but promise more than remains.
                    "Dest_terminal_Id" => DecodeError {
                        command: "SUBMIT",
                        field: "DestUsr_tl",
                        offset: 12 + start - 1,
                        problem: DecodeProblem::DeclaredTooLong {
                            declared: width,
                            remaining,
                        },
                    },
                    "Msg_Content" => DecodeError {
                        command: "SUBMIT",
                        field: "Msg_Length",
                        offset: 12 + start - 1,
                        problem: DecodeProblem::DeclaredTooLong {
                            declared: width,
                            remaining,
                        },
                    },
                    _ => DecodeError {
                        command: "SUBMIT",
                        field,
                        offset: 12 + start,
                        problem: DecodeProblem::Truncated {
                            needed: width,
                            remaining,
                        },
                    },
                };
                assert_eq!(result, Err(expected), "{version}: body cut to {cut} bytes");
            }
            start += width;
        }
        // And the uncut frame decodes to the message.
        assert_eq!(
            decode(full, version).unwrap().pdu,
            Pdu::Submit(submit.clone())
        );
    }
}

#[test]
fn fixed_fields_land_at_their_offsets() {
    // Distinct bytes in every fixed field, so a field read from a wrong offset shows.
    for version in [Version::V30, Version::V20] {
        let fields = layout(version, 3);
        let mut body = Vec::new();
        for (k, &(field, width)) in fields.iter().enumerate() {
            let value: Vec<u8> = match field {
                "DestUsr_tl" => vec![1],
                "Msg_Length" => vec![3],
                // Full-width strings (no NUL) of a letter per field.
                _ => (0..width).map(|_| b'A' + k as u8).collect(),
            };
            body.extend(value);
        }
        let mut f = ((body.len() + 12) as u32).to_be_bytes().to_vec();
        f.extend_from_slice(&4u32.to_be_bytes());
        f.extend_from_slice(&9u32.to_be_bytes());
        f.extend_from_slice(&body);
        let packet = decode(Bytes::from(f), version).unwrap();
        let Pdu::Submit(m) = packet.pdu else {
            panic!("not a SUBMIT")
        };
        let letter = |name: &str| {
            let k = fields.iter().position(|&(f, _)| f == name).unwrap();
            b'A' + k as u8
        };
        let text = |name: &str| {
            let width = fields.iter().find(|&&(f, _)| f == name).unwrap().1;
            vec![letter(name); width]
        };
        assert_eq!(m.msg_id.as_u64().to_be_bytes(), [letter("Msg_Id"); 8]);
        assert_eq!(m.pk_total, letter("Pk_total"));
        assert_eq!(m.pk_number, letter("Pk_number"));
        assert_eq!(m.registered_delivery, letter("Registered_Delivery"));
        assert_eq!(m.msg_level, letter("Msg_level"));
        assert_eq!(m.service_id.as_bytes(), text("Service_Id"));
        assert_eq!(m.fee_user_type, letter("Fee_UserType"));
        assert_eq!(m.fee_terminal_id.as_bytes(), text("Fee_terminal_Id"));
        assert_eq!(m.tp_pid, letter("TP_pId"));
        assert_eq!(m.tp_udhi, letter("TP_udhi"));
        assert_eq!(m.msg_fmt.to_byte(), letter("Msg_Fmt"));
        assert_eq!(m.msg_src.as_bytes(), text("Msg_src"));
        assert_eq!(m.fee_type.as_bytes(), text("FeeType"));
        assert_eq!(m.fee_code.as_bytes(), text("FeeCode"));
        assert_eq!(m.valid_time.as_bytes(), text("ValId_Time"));
        assert_eq!(m.at_time.as_bytes(), text("At_Time"));
        assert_eq!(m.src_id.as_bytes(), text("Src_Id"));
        assert_eq!(m.dest_terminal_ids.len(), 1);
        assert_eq!(m.dest_terminal_ids[0].as_bytes(), text("Dest_terminal_Id"));
        assert_eq!(&m.msg_content[..], text("Msg_Content"));
        assert_eq!(m.link_id.as_bytes(), text("LinkID"));
        match version {
            Version::V30 => {
                assert_eq!(m.fee_terminal_type, letter("Fee_terminal_type"));
                assert_eq!(m.dest_terminal_type, letter("Dest_terminal_type"));
            }
            Version::V20 => {
                assert_eq!(m.fee_terminal_type, 0);
                assert_eq!(m.dest_terminal_type, 0);
            }
        }
    }
}
