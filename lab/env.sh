# Sourced by the lab scripts: environment for running targets under Wine (see WINE-NOTES.md).
LAB_ROOT=${LAB_ROOT:-/opt/coroner-lab}
W32=$LAB_ROOT/w32root
# A clean, minimal environment: the process environment block ends up in the target's
# memory, so nothing of the calling shell (tokens, paths) is passed to Windows programs.
_lab_env_common=(HOME=$LAB_ROOT/home USER=lab LANG=C.UTF-8 PATH=/usr/bin:/bin
                 WINEDEBUG=-all "WINEDLLOVERRIDES=mscoree,mshtml=")
wine64_env() {
  mkdir -p "$LAB_ROOT/home"
  local cmd=$1; shift
  case $cmd in
    wine|wine64) cmd=/usr/lib/wine/wine64 ;;
    wineboot|winedbg|wineconsole) set -- "$cmd" "$@"; cmd=/usr/lib/wine/wine64 ;;
    wineserver) cmd=/usr/lib/wine/wineserver64 ;;
  esac
  env -i "${_lab_env_common[@]}" WINEPREFIX=$LAB_ROOT/prefix64 WINEARCH=win64 \
    WINESERVER=/usr/lib/wine/wineserver64 "$cmd" "$@"
}
# 32-bit Wine from the private root; the 64-bit system wineserver serves the win32 prefix.
wine32_env() {
  mkdir -p "$LAB_ROOT/home"
  local cmd=$1; shift
  case $cmd in
    wine) cmd=$W32/usr/lib/wine/wine ;;
    wineboot|winedbg|wineconsole) set -- "$cmd" "$@"; cmd=$W32/usr/lib/wine/wine ;;
    wineserver) cmd=/usr/lib/wine/wineserver64 ;;
  esac
  env -i "${_lab_env_common[@]}" WINEPREFIX=$LAB_ROOT/prefix32 WINEARCH=win32 \
    WINESERVER=/usr/lib/wine/wineserver64 \
    LD_LIBRARY_PATH=$W32/lib/i386-linux-gnu:$W32/usr/lib/i386-linux-gnu \
    "$cmd" "$@"
}
