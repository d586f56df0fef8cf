// The leader lease as stored in G:meta ("<vip> <lease_until> <lease_ms>", or
// "" after a resign): DecodeLease on arbitrary bytes, and the election core
// (TryLeader, RenewIfLeader, EpochIsCurrent) on the decoded state.
//  - Decode accepts exactly "" or "<vip> <int> <int>" with a non-empty vip
//    (no space), and Encode(Decode(x)) decodes to the same state;
//  - a new term gets epoch + 1, a renewal keeps the epoch, the holder of an
//    unexpired lease is never replaced, only the current epoch passes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/leader.h"
#include "core/series.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int64_t now = 0, lease = 0, epoch = 0;
  if (size >= 24) {
    std::memcpy(&now, data, 8);
    std::memcpy(&lease, data + 8, 8);
    std::memcpy(&epoch, data + 16, 8);
    data += 24;
    size -= 24;
  }
  // The module's clock is ms since the epoch and leases are 100..86400000 ms.
  now = static_cast<int64_t>(static_cast<uint64_t>(now) % (int64_t{1} << 50));
  lease = 100 + static_cast<int64_t>(static_cast<uint64_t>(lease) % 86400000);
  epoch = static_cast<int64_t>(static_cast<uint64_t>(epoch) % (int64_t{1} << 62));
  auto parts = suma::fuzz::SplitNul(suma::fuzz::View(data, size), 2);
  const std::string& text = parts[0];
  std::string vip = parts.size() > 1 ? parts[1] : std::string("10.0.0.7:9001");

  suma::LeaderState s;
  s.epoch = epoch;
  bool ok = suma::DecodeLease(text, &s);
  if (!ok) return 0;
  if (text.empty()) {
    FUZZ_CHECK(s.vip.empty() && s.lease_until == 0 && s.lease_ms == 0);
  } else {
    FUZZ_CHECK(!s.vip.empty() && s.vip.find(' ') == std::string::npos);
    suma::LeaderState again;
    FUZZ_CHECK(suma::DecodeLease(suma::EncodeLease(s), &again));
    FUZZ_CHECK(again.vip == s.vip && again.lease_until == s.lease_until &&
               again.lease_ms == s.lease_ms);
  }
  FUZZ_CHECK(s.epoch == epoch);  // the lease never carries the epoch
  if (s.lease_until > (int64_t{1} << 52) || s.lease_until < -(int64_t{1} << 52)) return 0;

  std::string_view holder = s.Current(now);
  auto decided = suma::TryLeader(s, vip, now, lease);
  // Refused only when a new term has no epoch left below 2^53 (core/series.h).
  if (!decided.ok()) {
    FUZZ_CHECK(holder.empty() && epoch >= (int64_t{1} << 53) - 1);
    return 0;
  }
  const suma::LeaderDecision& d = *decided;
  if (!holder.empty() && holder != vip) {
    FUZZ_CHECK(!d.leader);
  } else {
    FUZZ_CHECK(d.leader && d.next.vip == vip && d.next.lease_until == now + lease);
    // A new term's epoch is above the last one and at or above the time floor.
    if (holder.empty())
      FUZZ_CHECK(d.next.epoch > epoch && d.next.epoch >= suma::TimeFloor(now));
    else
      FUZZ_CHECK(d.next.epoch == epoch);
    FUZZ_CHECK(d.new_term == holder.empty());
    if (!vip.empty()) {
      FUZZ_CHECK(suma::EpochIsCurrent(d.next, d.next.epoch, now));
      FUZZ_CHECK(!suma::EpochIsCurrent(d.next, d.next.epoch - 1, now));
    }
  }
  suma::LeaderState renewed;
  bool r = suma::RenewIfLeader(s, vip, now, &renewed);
  FUZZ_CHECK(r == (!vip.empty() && holder == vip));
  if (r) FUZZ_CHECK(renewed.epoch == epoch && renewed.vip == s.vip);
  FUZZ_CHECK(suma::LeaseLeft(s, now) >= 0);
  return 0;
}
