// The HTTP API's shapes and errors (docs/fleet.md) over a real cpp-httplib
// server and client, with the in-memory engine behind the Fleet.
#include <gtest/gtest.h>
#include <httplib.h>
#include <rapidjson/document.h>

#include <thread>

#include "adapters/http_api.h"
#include "core/fleet.h"
#include "tests/fakes.h"

namespace fleet {
namespace {

using namespace fleet::testing;

class Api : public ::testing::Test {
 protected:
  void SetUp() override { Serve(""); }
  void TearDown() override { Stop(); }

  void Serve(const std::string& token) {
    cfg_.max_tenants = 3;
    fleet_ = std::make_unique<Fleet>(cfg_, engine_, control_, servers_, clock_, secrets_);
    srv_ = std::make_unique<httplib::Server>();
    InstallRoutes(*srv_, *fleet_, token);
    port_ = srv_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { srv_->listen_after_bind(); });
    while (!srv_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void Stop() {
    srv_->stop();
    thread_.join();
  }

  struct Reply {
    int status = 0;
    rapidjson::Document json;
    std::string body;
  };
  Reply Call(const std::string& method, const std::string& path, const std::string& body = "",
             const httplib::Headers& h = {}) {
    httplib::Client c("127.0.0.1", port_);
    httplib::Result r = method == "GET"      ? c.Get(path.c_str(), h)
                        : method == "DELETE" ? c.Delete(path.c_str(), h)
                                             : c.Post(path.c_str(), h, body, "application/json");
    Reply out;
    if (!r) return out;
    out.status = r->status;
    out.body = r->body;
    out.json.Parse(r->body.c_str());
    return out;
  }
  std::string ErrorCode(const Reply& r) {
    return r.json.IsObject() && r.json.HasMember("error") ? r.json["error"]["code"].GetString() : "";
  }

  FleetConfig cfg_;
  FakeEngine engine_;
  FakeControl control_;
  FakeServers servers_{engine_};
  FakeClock clock_;
  FakeSecrets secrets_;
  std::unique_ptr<Fleet> fleet_;
  std::unique_ptr<httplib::Server> srv_;
  std::thread thread_;
  int port_ = 0;
};

constexpr const char* kBody = R"({"owner":"agent.zy","business":"test","memory_mb":128,"cpus":0.5})";

TEST_F(Api, CreateShowsThePasswordOnceThenTheSameSpecIs200) {
  Reply r = Call("POST", "/v1/tenants", kBody);
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_STREQ(r.json["password"].GetString(), "pw1");
  const auto& t = r.json["tenant"];
  EXPECT_STREQ(t["name"].GetString(), "agent.zy_test");
  EXPECT_STREQ(t["state"].GetString(), "creating");
  EXPECT_EQ(t["spec"]["memory_mb"].GetInt(), 128);
  EXPECT_EQ(t["spec"]["replicas"].GetInt(), 0);
  EXPECT_STREQ(t["spec"]["persistence"].GetString(), "everysec");
  EXPECT_STREQ(t["connection"].GetString(), "redis://default@127.0.0.1:16000");
  EXPECT_STREQ(t["operation"]["kind"].GetString(), "create");
  EXPECT_STREQ(t["operation"]["state"].GetString(), "running");
  EXPECT_FALSE(t.HasMember("usage"));
  EXPECT_EQ(r.body.find("pw1"), r.body.rfind("pw1"));  // only in "password", never in the tenant

  fleet_->RunOne();
  Reply again = Call("POST", "/v1/tenants", kBody);
  EXPECT_EQ(again.status, 200);
  EXPECT_FALSE(again.json.HasMember("password"));
  Reply got = Call("GET", "/v1/tenants/agent.zy_test");
  ASSERT_EQ(got.status, 200);
  EXPECT_STREQ(got.json["state"].GetString(), "running");
  EXPECT_EQ(got.json["usage"]["connected_clients"].GetInt(), 1);
  Reply list = Call("GET", "/v1/tenants");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.json["tenants"].Size(), 1u);
  EXPECT_TRUE(list.json["unmanaged"].IsArray());
}

TEST_F(Api, ErrorsHaveTheirCodesAndStatuses) {
  EXPECT_EQ(Call("POST", "/v1/tenants", "{nope").status, 400);
  Reply unknown = Call("POST", "/v1/tenants", R"({"owner":"a","business":"b","memory_mb":64,"cpus":1,"x":1})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(ErrorCode(unknown), "BAD_REQUEST");
  EXPECT_NE(unknown.body.find("unknown field 'x'"), std::string::npos);
  Reply type = Call("POST", "/v1/tenants", R"({"owner":"a","business":"b","memory_mb":"64","cpus":1})");
  EXPECT_NE(type.body.find("invalid memory_mb: must be an integer"), std::string::npos);
  Reply nulls = Call("POST", "/v1/tenants", R"({"owner":"n","business":"b","memory_mb":64,"cpus":1,"replicas":null,"persistence":null})");
  EXPECT_EQ(nulls.status, 202) << nulls.body;  // null is "not given"
  fleet_->RunOne();
  EXPECT_EQ(Call("POST", "/v1/tenants", R"({"owner":null,"business":"b","memory_mb":64,"cpus":1})").status, 400);
  Reply small = Call("POST", "/v1/tenants", R"({"owner":"a","business":"b","memory_mb":16,"cpus":1})");
  EXPECT_NE(small.body.find("the minimum is 32 MB"), std::string::npos);
  EXPECT_EQ(Call("GET", "/v1/tenants/no_one").status, 404);
  EXPECT_EQ(ErrorCode(Call("POST", "/v1/tenants/no_one/scale", R"({"replicas":1})")), "NOT_FOUND");
  EXPECT_EQ(Call("DELETE", "/v1/tenants/no_one").status, 404);
  EXPECT_EQ(Call("POST", "/v1/tenants/no_one/credentials").status, 404);
  EXPECT_EQ(Call("GET", "/v2/nothing").status, 404);

  ASSERT_EQ(Call("POST", "/v1/tenants", kBody).status, 202);
  Reply busy = Call("POST", "/v1/tenants/agent.zy_test/scale", R"({"memory_mb":256})");
  EXPECT_EQ(busy.status, 409);
  EXPECT_EQ(ErrorCode(busy), "BUSY");
  fleet_->RunOne();
  Reply conflict = Call("POST", "/v1/tenants", R"({"owner":"agent.zy","business":"test","memory_mb":256,"cpus":0.5})");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(ErrorCode(conflict), "CONFLICT");
  Reply quota = Call("POST", "/v1/tenants", R"({"owner":"a","business":"b","memory_mb":9000,"cpus":1})");
  EXPECT_EQ(quota.status, 422);
  EXPECT_EQ(ErrorCode(quota), "QUOTA");
  EXPECT_EQ(Call("DELETE", "/v1/tenants/agent.zy_test?purge=yes").status, 400);
  engine_.down = true;
  Reply down = Call("POST", "/v1/tenants", R"({"owner":"a","business":"c","memory_mb":64,"cpus":1})");
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(ErrorCode(down), "ENGINE_DOWN");
}

TEST_F(Api, ScaleDeleteAndCredentials) {
  ASSERT_EQ(Call("POST", "/v1/tenants", kBody).status, 202);
  fleet_->RunOne();
  Reply s = Call("POST", "/v1/tenants/agent.zy_test/scale", R"({"memory_mb":256,"replicas":1})");
  ASSERT_EQ(s.status, 202) << s.body;
  EXPECT_STREQ(s.json["tenant"]["state"].GetString(), "changing");
  EXPECT_EQ(s.json["tenant"]["spec"]["memory_mb"].GetInt(), 256);
  fleet_->RunOne();
  Reply got = Call("GET", "/v1/tenants/agent.zy_test");
  EXPECT_EQ(got.json["replica_ports"].Size(), 1u);
  Reply c = Call("POST", "/v1/tenants/agent.zy_test/credentials");
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_TRUE(c.json["password"].IsString());
  EXPECT_STREQ(c.json["connection"].GetString(), "redis://default@127.0.0.1:16000");
  Reply d = Call("DELETE", "/v1/tenants/agent.zy_test?purge=1");
  ASSERT_EQ(d.status, 202);
  EXPECT_STREQ(d.json["tenant"]["state"].GetString(), "deleting");
  fleet_->RunOne();
  EXPECT_EQ(Call("GET", "/v1/tenants/agent.zy_test").status, 404);
  std::string m = Call("GET", "/metrics").body;
  EXPECT_NE(m.find("suma_fleet_operations_total{kind=\"delete\",result=\"done\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("suma_fleet_operation_duration_seconds_count{kind=\"create\"} 1"), std::string::npos);
}

TEST_F(Api, BearerTokenGuardsEverythingButHealthz) {
  Stop();
  Serve("s3cret");
  EXPECT_EQ(Call("GET", "/healthz").status, 200);
  EXPECT_EQ(Call("GET", "/v1/tenants").status, 401);
  EXPECT_EQ(Call("GET", "/metrics").status, 401);
  EXPECT_EQ(Call("GET", "/v1/tenants", "", {{"Authorization", "Bearer wrong"}}).status, 401);
  EXPECT_EQ(Call("GET", "/v1/tenants", "", {{"Authorization", "Bearer s3cret"}}).status, 200);
}

}  // namespace
}  // namespace fleet
