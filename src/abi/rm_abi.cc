#include "abi/rm_abi.h"

namespace rm {

#define RM_DEFINE(ret, name, params) ret(*name) params = nullptr;
RM_API_LIST(RM_DEFINE)
#undef RM_DEFINE

namespace {
// The server passes a context whose first word is its GetApi(name, out) lookup.
using GetApiFn = int (*)(const char*, void*);
}  // namespace

bool Init(Ctx* ctx, const char* module_name, int module_version) {
  auto get_api = reinterpret_cast<GetApiFn>(*reinterpret_cast<void**>(ctx));
  bool ok = true;
#define RM_BIND(ret, name, params) \
  ok = get_api("RedisModule_" #name, reinterpret_cast<void*>(&name)) == kOk && ok;
  RM_API_LIST(RM_BIND)
#undef RM_BIND
  if (!ok) return false;
  if (IsModuleNameBusy(module_name)) return false;
  SetModuleAttribs(ctx, module_name, module_version, kApiVersion1);
  return true;
}

}  // namespace rm
