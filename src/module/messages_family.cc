// Messages family: message_publish (broadcast) and events (catch-up by seq).
#include "core/errors.h"
#include "core/json.h"
#include "core/numbers.h"
#include "module/command_table.h"
#include "module/common.h"
#include "module/group_state.h"
#include "module/txn.h"

namespace suma::mod {
namespace {

constexpr int64_t kMaxEventsPerCall = 10000;

// suma_message_publish <channel> <json> -> 1
int CmdMessagePublish(rm::Ctx* ctx, rm::Str** argv, int argc) {
  auto g = OpenGroup(ctx, argv[1], kMembershipKeys);
  if (!g.ok()) return ReplyStatus(ctx, g.status());
  std::string_view json = Arg(argv[2]);
  if (json.size() > static_cast<size_t>(rt().cfg.max_payload))
    return ReplyStatus(ctx, err::PayloadTooLarge("message", rt().cfg.max_payload));
  Status s = ValidateJson("message", json);
  if (!s.ok()) return ReplyStatus(ctx, s);
  Txn txn(ctx);
  Emit(txn, *g, "message", NowMs(), [&](EventBuilder& b) { b.Raw("data", json); });
  s = txn.Finish();
  if (!s.ok()) return ReplyStatus(ctx, s);
  return rm::ReplyWithLongLong(ctx, 1);
}

// suma_events <channel> <after_seq> [COUNT n] -> array of event JSON, oldest
// first. If the first returned seq is above after_seq + 1, the log was trimmed
// past the caller's position (event-log-len) and it should resynchronise.
int CmdEvents(rm::Ctx* ctx, rm::Str** argv, int argc) {
  if (argc != 3 && argc != 5) return rm::WrongArity(ctx);
  auto g = ResolveGroup(ctx, argv[1]);
  if (!g.ok()) return ReplyStatus(ctx, g.status());
  auto after = ParseInt("after_seq", Arg(argv[2]), 0, INT64_MAX - 1);
  if (!after.ok()) return ReplyStatus(ctx, after.status());
  int64_t count = 1000;
  if (argc == 5) {
    if (!EqualsIgnoreCase(Arg(argv[3]), "COUNT"))
      return ReplyStatus(ctx, err::UnknownOption(Arg(argv[3])));
    auto c = ParseInt("count", Arg(argv[4]), 1, kMaxEventsPerCall);
    if (!c.ok()) return ReplyStatus(ctx, c.status());
    count = *c;
  }
  std::string log = g->Key("events");
  Status s = CheckTypes(ctx, {{log, rm::kKeyStream}});
  if (!s.ok()) return ReplyStatus(ctx, s);
  std::string start = std::to_string(*after + 1) + "-0";
  Num n(count);
  Reply r(rm::Call(ctx, "XRANGE", "ccccc", log.c_str(), start.c_str(), "+", "COUNT", n.c_str()));
  if (r.type() != rm::kReplyArray) return rm::ReplyWithArray(ctx, 0);
  size_t len = r.length();
  rm::ReplyWithArray(ctx, static_cast<long>(len));
  for (size_t i = 0; i < len; ++i) {
    // Each entry is [id, [field, value]]; the value is the event JSON.
    rm::CallReply* fields = rm::CallReplyArrayElement(r.at(i), 1);
    rm::CallReply* value = fields ? rm::CallReplyArrayElement(fields, 1) : nullptr;
    ReplyBuf(ctx, Reply::Text(value));
  }
  return rm::kOk;
}

}  // namespace

namespace {

constexpr ArgRow kPublishArgs[] = {{"channel", rm::kArgKey}, {"json", rm::kArgString}};
constexpr ArgRow kEventsArgs[] = {{"channel", rm::kArgKey},
                                  {"after_seq", rm::kArgInteger},
                                  {"count", rm::kArgInteger, rm::kArgOptional, "COUNT"}};

constexpr CommandRow kCommands[] = {
    {"suma_message_publish", CmdMessagePublish, "write deny-oom", 3, kWritesGroup,
     "Broadcasts a JSON message to the group as an event (logged, published on the channel).",
     "O(1)", kPublishArgs},
    {"suma_events", CmdEvents, "readonly", -3, kReadsGroup,
     "The group's events after after_seq, oldest first (catch-up).", "O(count)", kEventsArgs},
};

}  // namespace

std::span<const CommandRow> MessagesCommands() { return kCommands; }

}  // namespace suma::mod
