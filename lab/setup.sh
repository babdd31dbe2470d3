#!/usr/bin/env bash
# Installs what the crash lab needs on a fresh Debian 12 (bookworm) machine. Idempotent.
#
#  * mingw-w64 cross compilers (i686 + x86_64, C and C++), windres
#  * Debian's Wine 8 (wine, wine64) for 64-bit targets
#  * a private 32-bit Wine under $LAB_ROOT/w32root (see /work/shared/lab/WINE-NOTES.md,
#    "32-bit Wine and WoW64"): the i386 packages are fetched with `apt-get download` using a
#    private apt state dir, so the system's dpkg architectures and apt lists stay untouched.
#  * two Wine prefixes: $LAB_ROOT/prefix64 (win64) and $LAB_ROOT/prefix32 (win32)
#
# Tests never need this; only regenerating fixtures/lab does (bash lab/run.sh).
set -euo pipefail

LAB_ROOT=${LAB_ROOT:-/opt/coroner-lab}
W32=$LAB_ROOT/w32root
LD32=$LAB_ROOT/ld32          # short, stable directory for the patched ELF interpreter
export DEBIAN_FRONTEND=noninteractive

need_pkgs=(gcc-mingw-w64-i686 gcc-mingw-w64-x86-64 g++-mingw-w64-i686 g++-mingw-w64-x86-64
           binutils-mingw-w64 wine wine64 libwine patchelf xz-utils python3)
missing=()
for p in "${need_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "[setup] installing: ${missing[*]}"
  apt-get update -q || true
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# ---------------------------------------------------------------- 32-bit Wine (private root)
if [[ ! -x $W32/usr/lib/wine/wine || ! -e $LD32/ld.so.2 ]]; then
  echo "[setup] building private 32-bit Wine root in $W32"
  APTDIR=$LAB_ROOT/apt-i386
  mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/debs"
  APTOPT=(-o "Dir::State::Lists=$APTDIR/lists" -o "Dir::Cache=$APTDIR/cache"
          -o "APT::Architectures::=i386" -o "Debug::NoLocking=1")
  # bookworm-security i386 index may be stale on the mirror (see WINE-NOTES); main suffices.
  if ! ls "$APTDIR"/debs/wine32_*_i386.deb >/dev/null 2>&1; then
    apt-get "${APTOPT[@]}" update -q || true
    ( cd "$APTDIR/debs" && rm -f ./*.deb &&
      apt-get "${APTOPT[@]}" download wine32:i386 libwine:i386 libc6:i386 libgcc-s1:i386 )
  fi
  rm -rf "$W32"; mkdir -p "$W32"
  for d in "$APTDIR"/debs/*.deb; do dpkg-deb -x "$d" "$W32"; done
  # zlib1.dll as libwine's postinst creates it (a "Wine builtin DLL" marked copy of libz-mingw)
  in=$(ls /usr/i686-w64-mingw32/lib/zlib*.dll 2>/dev/null | head -1 || true)
  out=$W32/usr/lib/i386-linux-gnu/wine/i386-windows/$(basename "${in:-zlib1.dll}")
  if [[ -n ${in} && -d $(dirname "$out") ]]; then
    { head -c 64 "$in"; printf "%b" "Wine builtin DLL"; printf "%b" "\0\0\0\0\0\0\0\0";
      printf "%b" "\0\0\0\0\0\0\0\0"; tail -c +97 "$in"; } > "$out"
  fi
  mkdir -p "$LD32"
  ln -sfn "$W32/lib/i386-linux-gnu/ld-linux.so.2" "$LD32/ld.so.2"
  [[ -e $W32/lib/i386-linux-gnu/ld-linux.so.2 ]] || ln -sfn "$W32/lib/ld-linux.so.2" "$LD32/ld.so.2"
  for b in "$W32/usr/lib/wine/wine" "$W32/usr/lib/wine/wineserver32" "$W32/usr/lib/wine/wine-preloader"; do
    [[ -e $b ]] && patchelf --set-interpreter "$LD32/ld.so.2" "$b" 2>/dev/null || true
  done
fi

# ---------------------------------------------------------------- prefixes
source "$(dirname "$0")/env.sh"
if [[ ! -f $LAB_ROOT/prefix64/system.reg ]]; then
  echo "[setup] creating win64 prefix"
  wine64_env wineboot -i >/dev/null 2>&1 || true
  wine64_env wineserver -w || true
fi
if [[ ! -f $LAB_ROOT/prefix32/system.reg ]]; then
  echo "[setup] creating win32 prefix"
  wine32_env wineboot -i >/dev/null 2>&1 || true
  wine32_env wineserver -w || true
fi
echo "[setup] ok: $(wine64_env wine --version 2>/dev/null || echo '?')"
