#!/bin/sh
# Rebuild styles/icc/GRACoL-TR006-TAC240.icc from the CGATS TR 006-2007 characterization data.
# Needs Debian's `argyll` and `icc-profiles-free` (apt-get install argyll icc-profiles-free).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp /usr/share/color/icc/TR006.ti3 "$work/TR006.ti3"
cd "$work"
colprof -v -qm -nc -kr -l240 -L95 -S /usr/share/color/argyll/ref/sRGB.icm -cmt -dpp -M "CGATS TR 006" \
  -D "GRACoL TR006 coated, TAC 240% (built from CGATS TR 006-2007 data with ArgyllCMS)" \
  -C "Characterization data: ANSI CGATS/GRACoL TR 006-2007, (c) 2007 NPES; redistributable per NPES terms" \
  -O GRACoL-TR006-TAC240.icc TR006
cp GRACoL-TR006-TAC240.icc "$top/styles/icc/GRACoL-TR006-TAC240.icc"
sha256sum "$top/styles/icc/GRACoL-TR006-TAC240.icc"
