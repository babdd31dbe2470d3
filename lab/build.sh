#!/usr/bin/env bash
# Builds the crash-lab programs, vendor DLLs and the dumper for x86 and x64 with mingw-w64.
#   outputs: fixtures/lab/bin/<arch>/*.exe|*.dll|*.map   (ground truth for symbol/stack tests)
#            $BUILD/<arch>/labdump.exe                    (the dumper; not a fixture)
# Usage: bash lab/build.sh [--dumper|--hang|--memory] [x86|x64 ...]   (--dumper: only the dumper, fixtures
#        untouched; --hang / --memory: only the hang / memory programs into fixtures/lab/{hang,memory}/bin/<arch>
#        and the dumper)
set -euo pipefail
DUMPER_ONLY=0
HANG_ONLY=0
MEM_ONLY=0
if [[ ${1:-} == --dumper ]]; then DUMPER_ONLY=1; shift; fi
if [[ ${1:-} == --hang ]]; then HANG_ONLY=1; shift; fi
if [[ ${1:-} == --memory ]]; then MEM_ONLY=1; shift; fi
LAB=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$LAB")
OUT=${OUT:-$ROOT/fixtures/lab/bin}
HANG_OUT=${HANG_OUT:-$ROOT/fixtures/lab/hang/bin}
MEM_OUT=${MEM_OUT:-$ROOT/fixtures/lab/memory/bin}
BUILD=${BUILD:-/tmp/coroner-lab-build}
ARCHES=("$@"); ((${#ARCHES[@]})) || ARCHES=(x86 x64)

CFLAGS=(-O2 -g0 -Wall -Wextra -Wno-unused-parameter -fno-omit-frame-pointer -fno-optimize-sibling-calls -fno-reorder-blocks-and-partition)

# mkrc OUT.rc FILETYPE(1=app,2=dll) "a,b,c,d" COMPANY PRODUCT DESCRIPTION ORIGINALNAME COPYRIGHT
mkrc() {
  local rc=$1 ftype=$2 ver=$3 company=$4 product=$5 desc=$6 orig=$7 copy=$8
  local dotted=${ver//,/.}
  cat > "$rc" <<EOF
#include <winver.h>
1 VERSIONINFO
FILEVERSION $ver
PRODUCTVERSION $ver
FILEFLAGSMASK 0x3fL
FILEFLAGS 0x0L
FILEOS 0x40004L
FILETYPE $ftype
FILESUBTYPE 0x0L
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904b0"
    BEGIN
      VALUE "CompanyName", "$company"
      VALUE "FileDescription", "$desc"
      VALUE "FileVersion", "$dotted"
      VALUE "InternalName", "${orig%.*}"
      VALUE "LegalCopyright", "$copy"
      VALUE "OriginalFilename", "$orig"
      VALUE "ProductName", "$product"
      VALUE "ProductVersion", "$dotted"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
EOF
}

# link ARCH KIND(exe|dll) NAME BASE "version resource args..." SOURCES... [-- EXTRA LDFLAGS]
build_one() {
  local arch=$1 kind=$2 name=$3 base=$4; shift 4
  local vinfo=("$1" "$2" "$3" "$4" "$5"); shift 5
  local srcs=() ldx=()
  while (($#)); do if [[ $1 == -- ]]; then shift; ldx=("$@"); break; fi; srcs+=("$1"); shift; done
  local cc=$TRIPLE-gcc
  for s in "${srcs[@]}"; do [[ $s == *.cpp ]] && cc=$TRIPLE-g++; done
  local b=$BUILD/$arch/$name o=$OUT/$arch
  mkdir -p "$b" "$o"
  local ftype=0x1L; [[ $kind == dll ]] && ftype=0x2L
  mkrc "$b/version.rc" "$ftype" "${vinfo[0]}" "${vinfo[1]}" "${vinfo[2]}" "${vinfo[3]}" "$name.$kind" "${vinfo[4]}"
  $TRIPLE-windres -F "$WINDRES_TARGET" "$b/version.rc" -O coff -o "$b/version.res.o"
  local objs=()
  for s in "${srcs[@]}"; do
    local obj=$b/$(basename "${s%.*}").o
    $cc "${CFLAGS[@]}" -c "$LAB/src/$s" -o "$obj"
    objs+=("$obj")
  done
  local kflags=(); [[ $kind == dll ]] && kflags=(-shared)
  # RSDS debug record with a Windows-looking PDB path (ld writes a stub PDB under that literal
  # name into the build dir; it is not kept)
  # PE TimeDateStamp: fixed per module via SOURCE_DATE_EPOCH (reproducible; labupload looks 2001-ish)
  ( cd "$b" && SOURCE_DATE_EPOCH=${EPOCH:-1704067200} $cc "${kflags[@]}" -o "$o/$name.$kind" "${objs[@]}" "$b/version.res.o" -s -static-libgcc \
      -Wl,-Map="$o/$name.map" -Wl,--image-base="$base" \
      "-Wl,--pdb=D:\\build\\$arch\\Release\\$name.pdb" "${ldx[@]}" )
  # map files: keep the build-dir independent part of paths stable
  # and drop the bulky parts no symbol lookup needs (discarded sections, empty input sections)
  sed -i "s#$BUILD/$arch/##g; s#$LAB/##g" "$o/$name.map"
  sed -i '/^Discarded input sections/,/^Memory Configuration/{/^Memory Configuration/!d}; /^ [^ ]\+ \+0x[0-9a-f]\+ \+0x0 /d' "$o/$name.map"
}

# the dumper (not a fixture)
build_dumper() {
  mkdir -p "$BUILD/$1"
  $TRIPLE-gcc -O1 -Wall -Wno-unused-variable -o "$BUILD/$1/labdump.exe" "$LAB/dumper/labdump.c" \
    -ldbghelp -lpsapi -static-libgcc -s
}

# the hang scenarios (lab/src/hang): host + vendor DLL, into fixtures/lab/hang/bin/<arch>
build_hang() {
  local OUT=$HANG_OUT
  rm -rf "${OUT:?}/$1"; mkdir -p "$OUT/$1"
  build_one $1 dll cohosync 0x62d00000 "3,2,1,0" "Coho Winery" "Coho Winery Inventory Sync" \
    "Coho Winery inventory synchronisation" "Copyright (C) 2013 Coho Winery" hang/cohosync.c
  build_one $1 exe labhang 0x00400000 \
    "1,0,0,0" "Coroner Lab Software" "Coroner Lab Hang Host" "Hang lab test host" \
    "(C) Coroner Lab Software. All rights reserved." \
    hang/labhang.c
}

# the memory scenarios (lab/src/memory): host + vendor DLL, into fixtures/lab/memory/bin/<arch>
build_memory() {
  local OUT=$MEM_OUT
  rm -rf "${OUT:?}/$1"; mkdir -p "$OUT/$1"
  build_one $1 dll alpsnow 0x62e00000 "2,4,0,17" "Alpine Ski House" "Alpine Ski House Snow Report" \
    "Alpine Ski House snow report cache" "Copyright (C) 2016 Alpine Ski House" memory/alpsnow.c
  build_one $1 exe labmem 0x00400000 \
    "1,0,0,0" "Coroner Lab Software" "Coroner Lab Memory Host" "Memory lab test host" \
    "(C) Coroner Lab Software. All rights reserved." \
    memory/labmem.c -- -lpsapi -lntdll
}

for arch in "${ARCHES[@]}"; do
  case $arch in
    x86) TRIPLE=i686-w64-mingw32; WINDRES_TARGET=pe-i386; SEH=reference/labupload_seh_x86.S ;;
    x64) TRIPLE=x86_64-w64-mingw32; WINDRES_TARGET=pe-x86-64; SEH=reference/labupload_seh_x64.S ;;
    *) echo "unknown arch $arch"; exit 2 ;;
  esac
  echo "[build] $arch"
  if ((DUMPER_ONLY)); then build_dumper "$arch"; continue; fi
  if ((HANG_ONLY)); then build_hang "$arch"; build_dumper "$arch"; continue; fi
  if ((MEM_ONLY)); then build_memory "$arch"; build_dumper "$arch"; continue; fi
  rm -rf "${OUT:?}/$arch"; mkdir -p "$OUT/$arch"
  LAB_SW="Coroner Lab Software"
  # ---- reference case
  build_one $arch exe labw3wp 0x00400000 \
    "6,0,3790,1830" "$LAB_SW" "Coroner Lab Web Server" "Lab Web Worker Process" \
    "(C) Coroner Lab Software. All rights reserved." \
    reference/labw3wp.c
  EPOCH=1003968000 build_one $arch dll labupload 0x10000000 \
    "4,1,0,2" "Fabrikam Upload Components Ltd." "Fabrikam Upload" "Fabrikam Upload COM Component" \
    "Copyright (C) 1999-2001 Fabrikam Upload Components Ltd." \
    reference/labupload.c "$SEH" -- -Wl,--kill-at
  # ---- generic host + vendor DLLs
  build_one $arch exe labhost 0x00400000 \
    "1,0,0,0" "$LAB_SW" "Coroner Lab Test Host" "Crash lab test host" \
    "(C) Coroner Lab Software. All rights reserved." \
    host/labhost.c -- -Wl,--stack,0x40000
  build_one $arch dll tsrecord 0x62000000 "2,3,1,0" "Tailspin Toys Data Systems" "Tailspin Record Store" \
    "Tailspin record store client" "Copyright (C) 2009 Tailspin Toys Data Systems" vendors/tsrecord.c
  build_one $arch dll adparse 0x62100000 "3,0,7,12" "Adventure Works Cycles" "AdventureWorks Document Parser" \
    "AdventureWorks document parser" "Copyright (C) 2012 Adventure Works Cycles" vendors/adparse.c
  build_one $arch dll wwcache 0x62200000 "1,8,0,44" "Wide World Importers" "WWI Object Cache" \
    "Wide World Importers object cache" "Copyright (C) 2015 Wide World Importers" vendors/wwcache.c
  if [[ $arch == x64 ]]; then
    build_one $arch dll lucerne 0x62300000 "5,2,0,1" "Lucerne Publishing" "Lucerne Layout Engine" \
      "Lucerne page layout engine" "Copyright (C) 2018 Lucerne Publishing" vendors/lucerne.cpp -- -static-libstdc++
  fi
  build_one $arch dll margie 0x62800000 "3,5,2,0" "Margie's Travel" "Margie's Travel Booking Engine" \
    "Margie's Travel booking engine" "Copyright (C) 2016 Margie's Travel" vendors/margie.c
  build_one $arch dll woodgrv 0x62400000 "9,1,4,0" "Woodgrove Bank" "Woodgrove Secure Token" \
    "Woodgrove secure token validator" "Copyright (C) 2020 Woodgrove Bank" vendors/woodgrv.c
  build_one $arch dll litware 0x62500000 "2,0,0,5" "Litware, Inc." "Litware Formatter Plug-in" \
    "Litware formatter plug-in" "Copyright (C) 2011 Litware, Inc." vendors/litware.c
  build_one $arch dll graphdsn 0x62600000 "1,2,3,4" "Graphic Design Institute" "GDI Image Scaler" \
    "Graphic Design Institute image scaler" "Copyright (C) 2007 Graphic Design Institute" vendors/graphdsn.c
  build_one $arch dll fourthcf 0x62700000 "7,0,1,3" "Fourth Coffee" "Fourth Coffee Instrument Driver" \
    "Fourth Coffee instrument driver" "Copyright (C) 2019 Fourth Coffee" vendors/fourthcf.c
  build_one $arch dll nwtrader 0x62900000 "2,2,0,9" "Northwind Traders" "Northwind Order Service" \
    "Northwind Traders order service" "Copyright (C) 2003 Northwind Traders" vendors/nwtrader.c
  build_one $arch dll contosrv 0x62a00000 "4,0,0,11" "Contoso, Ltd." "Contoso Script Runtime" \
    "Contoso script runtime" "Copyright (C) 2010 Contoso, Ltd." vendors/contosrv.c
  build_one $arch dll proseware 0x62b00000 "6,1,0,2" "Proseware, Inc." "Proseware Ring Buffer" \
    "Proseware ring buffer" "Copyright (C) 2014 Proseware, Inc." vendors/proseware.c
  build_one $arch dll fabmedia 0x62c00000 "11,0,4,7" "Fabrikam, Inc." "Fabrikam Media Decoder" \
    "Fabrikam media decoder" "Copyright (C) 2017 Fabrikam, Inc." vendors/fabrikam.c
  build_hang "$arch"
  build_memory "$arch"
  build_dumper "$arch"
done
echo "[build] ok"
