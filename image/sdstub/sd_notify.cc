// A stand-in libsystemd.so.0 for the image: Debian's redis-server links
// libsystemd only for sd_notify() (readiness under systemd). A container has
// no systemd, and the real library drags in libgcrypt, liblzma, libzstd, liblz4,
// libcap and libgpg-error (3.5 MB of the 15 MB budget). This library exports
// the one symbol, with the version redis-server asks for (LIBSYSTEMD_209, see
// sd_notify.map), and reports "not running under systemd" (0) as sd_notify
// does when $NOTIFY_SOCKET is unset.
extern "C" __attribute__((visibility("default"))) int sd_notify(int /*unset_environment*/,
                                                                const char* /*state*/) {
  return 0;
}
