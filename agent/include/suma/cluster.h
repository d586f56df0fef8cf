// Redis Cluster routing for the suma client library: the key-slot hash,
// the slot map from CLUSTER SLOTS, and the redirection replies.
//
// Debian packages no hiredis cluster library, so this layer is our own and
// kept small: the Client (client.h) connects to the primary owning its
// group's slot, follows MOVED by refreshing this map and reconnecting, runs
// an ASK'ed command once on the target after ASKING, and retries TRYAGAIN /
// CLUSTERDOWN with backoff.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/keyslot.h"
#include "suma/reply.h"

namespace suma {

struct Endpoint;

// Key slots (Crc16, KeySlot): the core's, shared with the module (core/keyslot.h).

// A redirection or retryable cluster error, parsed from an error reply.
struct Redirect {
  enum class Kind { None, Moved, Ask, TryAgain, ClusterDown };
  Kind kind = Kind::None;
  int slot = -1;
  std::string host;  // Moved / Ask
  int port = 0;
};
Redirect ParseRedirect(const Reply& r);

// The slot -> primary map of one CLUSTER SLOTS reply.
class SlotMap {
 public:
  // Replaces the map with `reply` (CLUSTER SLOTS); false (map unchanged)
  // when the reply is not a well-formed slot table. An empty host in the
  // reply means "the node you asked" (`asked_host`).
  bool Load(const Reply& reply, const std::string& asked_host);
  // The primary owning slot, nullopt when no range covers it.
  std::optional<std::pair<std::string, int>> Owner(int slot) const;
  // Every primary once, in slot order.
  std::vector<std::pair<std::string, int>> Primaries() const;
  bool empty() const { return ranges_.empty(); }
  // Records a MOVED answer: slot belongs to host:port from now on.
  void Move(int slot, const std::string& host, int port);

 private:
  struct Range {
    int first, last;
    std::string host;
    int port;
  };
  std::vector<Range> ranges_;  // sorted by first, disjoint
};

}  // namespace suma
