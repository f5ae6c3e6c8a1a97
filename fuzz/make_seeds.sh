#!/usr/bin/env bash
# Regenerates the seed corpora in fuzz/seeds/<target>/ from the codec's public test vectors
# (crates/cmpp-codec/tests/vectors/*.hex, spec §10) plus a few hand-written scripts.
# Each seed is laid out as its target reads input (see the header of each target file).
# Usage: bash fuzz/make_seeds.sh   (needs xxd)
set -euo pipefail
cd "$(dirname "$0")"
vectors=../crates/cmpp-codec/tests/vectors
seeds=seeds

# hex (spaces allowed) on the command line -> binary file $1
put() {
    local out=$1
    shift
    printf '%s' "$*" | tr -d ' \n' | xxd -r -p >"$out"
}

rm -rf "$seeds"
mkdir -p "$seeds"/{frame_decode,status_report,reassembler,text_decode,packet_roundtrip}

# frame_decode: selector byte 00 (max frame length 4096) + one frame per vector, and the
# whole set as one stream.
stream=""
for f in "$vectors"/tv*.hex; do
    name=$(basename "$f" .hex)
    [ "$name" = tv21_report_content ] && continue
    hex=$(tr -d ' \n' <"$f")
    put "$seeds/frame_decode/$name" "00 $hex"
    stream="$stream$hex"
done
put "$seeds/frame_decode/all_vectors_stream" "00 $stream"
# selector 01 (max 12): only bodiless frames pass the limit.
put "$seeds/frame_decode/small_max_len" "01 $(tr -d ' \n' <"$vectors/tv15_active_test.hex")"

# status_report: flags byte (bit 0 = LinkID tail) + Msg_Content.
tv21=$(tr -d ' \n' <"$vectors/tv21_report_content.hex")
put "$seeds/status_report/tv21_60_bytes" "01 $tv21"
# 3.0 layout: Dest_terminal_Id padded to 32 bytes (TV-21 note).
prefix=${tv21:0:70}     # Msg_Id, Stat, Submit_time, Done_time (35 bytes)
dest=${tv21:70:42}      # 21-byte Dest_terminal_Id
smsc=${tv21:112:8}      # SMSC_sequence
put "$seeds/status_report/tv21_71_bytes" "00 $prefix $dest 0000000000000000000000 $smsc"
tv11=$(tr -d ' \n' <"$vectors/tv11_deliver_report_v20.hex")
put "$seeds/status_report/tv11_report" "00 ${tv11:154:120}"
# Stat "MK:0005" (a coded failure) in the TV-21 report.
put "$seeds/status_report/tv21_mk0005" "01 ${tv21:0:16} 4d4b3a30303035 ${tv21:30}"

# text_decode: Msg_Fmt byte, flags byte (bit 0 TP_udhi, bit 1 16-bit reference), content.
tv05=$(tr -d ' \n' <"$vectors/tv05_submit_v20.hex")
put "$seeds/text_decode/tv05_ucs2" "08 00 ${tv05:302:60}"
tv09=$(tr -d ' \n' <"$vectors/tv09_deliver_mo_v20.hex")
put "$seeds/text_decode/tv09_ascii" "00 00 ${tv09:154:36}"
put "$seeds/text_decode/gb_nihao" "0f 00 c4e3bac3"
put "$seeds/text_decode/udh8_ucs2_part" "08 01 0500032a0201 4f60597d"
put "$seeds/text_decode/udh16_ucs2_part" "08 03 0608041234020 1 d83dde00"
put "$seeds/text_decode/binary" "04 00 00ff10203040"

# reassembler: config (messages % 8, bytes / 4, timeout % 32 s), then operations:
#   op&3=0 push   [ref hi, ref lo, total, number, Msg_Fmt, len, payload]
#   op&3=1 push_content [udhi, Msg_Fmt, len, content]
#   op&3=2 advance clock [seconds] and expire
#   op&3=3 drain when op&0x80
put "$seeds/reassembler/two_parts_complete" \
    "04 40 0a" \
    "00 002a 02 01 08 04 4f60597d" \
    "00 002a 02 02 08 02 4e16"
put "$seeds/reassembler/content_then_expire" \
    "02 10 05" \
    "01 01 08 0a 0500032a0301 4f60597d" \
    "05 01 08 0a 0500032b0201 4f60597d" \
    "02 06" \
    "83"
put "$seeds/reassembler/eviction_by_bytes" \
    "07 02 1f" \
    "00 0001 03 01 00 06 616263646566" \
    "04 0002 03 01 00 06 676869707172" \
    "80 0003 02 02 00 04 73747576" \
    "02 1f"
# packet_roundtrip: any bytes are a packet description for `arbitrary`; the vectors give
# varied byte patterns, and runs of one byte value push every length to its minimum or
# maximum (0x00: empty strings, one destination; 0xff: full-width strings, 99 destinations).
for f in "$vectors"/tv0{2,6}*.hex "$vectors"/tv1{0,1}*.hex; do
    put "$seeds/packet_roundtrip/$(basename "$f" .hex)" "$(tr -d ' \n' <"$f")"
done
put "$seeds/packet_roundtrip/zeros" "$(printf '00%.0s' $(seq 64))"
put "$seeds/packet_roundtrip/ones_long" "$(printf 'ff%.0s' $(seq 4096))"
for kind in $(seq 0 14); do
    # Byte 5 (after the version flag and the 4-byte Sequence_Id) picks the message type.
    put "$seeds/packet_roundtrip/kind_$kind" "01 00000017 $(printf '%02x' "$kind") $(printf '5a%.0s' $(seq 600))"
done
echo "seeds written to fuzz/$seeds"
