#include "module/command_table.h"

#include <deque>
#include <string>
#include <vector>

namespace suma::mod {
namespace {

// Redis keeps pointers into the info it is given for the life of the command,
// so the converted arrays live as long as the module.
std::deque<std::vector<rm::CommandArg>>& ArgStore() {
  static std::deque<std::vector<rm::CommandArg>> store;
  return store;
}
std::deque<std::vector<rm::CommandKeySpec>>& SpecStore() {
  static std::deque<std::vector<rm::CommandKeySpec>> store;
  return store;
}

bool SetInfo(rm::Ctx* ctx, const CommandRow& row, const std::string& full, const char* since) {
  rm::Command* cmd = rm::GetCommand(ctx, full.c_str());
  if (!cmd) return false;
  rm::CommandKeySpec* specs = nullptr;
  if (row.key_flags) {
    rm::CommandKeySpec spec{};
    spec.notes = "the group: its internal keys all share this key's cluster slot";
    spec.flags = row.key_flags;
    spec.begin_search_type = rm::kBeginSearchIndex;
    spec.bs.index.pos = 1;
    spec.find_keys_type = rm::kFindKeysRange;
    spec.fk.range = {0, 1, 0};
    specs = SpecStore().emplace_back(std::vector<rm::CommandKeySpec>{spec, {}}).data();
  }
  std::vector<rm::CommandArg> args;
  for (size_t i = 0; i < row.args.size(); ++i) {
    const ArgRow& a = row.args[i];
    rm::CommandArg out{};
    out.name = a.name;
    out.type = a.type;
    out.key_spec_index = (a.type == rm::kArgKey && i == 0 && row.key_flags) ? 0 : -1;
    out.token = a.token;
    out.flags = a.flags;
    args.push_back(out);
  }
  args.push_back(rm::CommandArg{});
  rm::CommandInfo info{};
  info.version = &rm::kCommandInfoVersion1;
  info.summary = row.summary;
  info.complexity = row.complexity;
  info.since = since;
  info.arity = row.arity;
  info.key_specs = specs;
  info.args = ArgStore().emplace_back(std::move(args)).data();
  return rm::SetCommandInfo(cmd, &info) == rm::kOk;
}

}  // namespace

bool RegisterCommands(rm::Ctx* ctx, std::span<const CommandRow> rows, const char* since) {
  for (const CommandRow& row : rows) {
    std::string full = std::string("sumavlib.") + row.name;
    int key = row.key_flags ? 1 : 0;
    if (rm::CreateCommand(ctx, full.c_str(), row.handler, row.flags, key, key, key) != rm::kOk ||
        !SetInfo(ctx, row, full, since))
      return false;
  }
  return true;
}

}  // namespace suma::mod
