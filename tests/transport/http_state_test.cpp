#include "transport/http_state.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace understudy::web {
namespace {

struct FakeSubscriber : WsSubscriber {
  void Deliver(const std::shared_ptr<const std::string>& frame) override {
    frames.push_back(frame);
  }
  std::vector<std::shared_ptr<const std::string>> frames;
};

struct FakeConnection : Connection {
  void Close() override { ++closes; }
  int closes = 0;
};

TEST(WsHub, PublishReachesOnlyTheProjectsSubscribersAndSharesTheFrame) {
  WsHub hub;
  auto a1 = std::make_shared<FakeSubscriber>();
  auto a2 = std::make_shared<FakeSubscriber>();
  auto b = std::make_shared<FakeSubscriber>();
  ASSERT_TRUE(hub.Subscribe("a", a1.get(), a1));
  ASSERT_TRUE(hub.Subscribe("a", a2.get(), a2));
  ASSERT_TRUE(hub.Subscribe("b", b.get(), b));
  const auto frame = std::make_shared<const std::string>("{}");
  EXPECT_EQ(hub.Publish("a", frame), 2u);
  EXPECT_EQ(hub.Publish("nobody", frame), 0u);
  ASSERT_EQ(a1->frames.size(), 1u);
  EXPECT_EQ(a1->frames[0].get(), frame.get());  // the same string, not a copy
  EXPECT_EQ(a2->frames.size(), 1u);
  EXPECT_TRUE(b->frames.empty());
  EXPECT_EQ(hub.Count("a"), 2u);
  EXPECT_EQ(hub.Counts(), (std::map<std::string, std::size_t>{{"a", 2}, {"b", 1}}));
}

TEST(WsHub, UnsubscribeIsIdempotentAndEmptyProjectsDisappear) {
  WsHub hub;
  auto s = std::make_shared<FakeSubscriber>();
  hub.Subscribe("a", s.get(), s);
  EXPECT_TRUE(hub.Unsubscribe("a", s.get()));
  EXPECT_FALSE(hub.Unsubscribe("a", s.get()));
  EXPECT_FALSE(hub.Unsubscribe("other", s.get()));
  EXPECT_TRUE(hub.Counts().empty());
}

TEST(WsHub, SubscribersAlreadyDestroyedAreSkipped) {
  WsHub hub;
  auto gone = std::make_shared<FakeSubscriber>();
  const WsSubscriber* key = gone.get();
  hub.Subscribe("a", key, gone);
  gone.reset();  // destroyed before it could unsubscribe
  EXPECT_EQ(hub.Publish("a", std::make_shared<const std::string>("{}")), 0u);
}

TEST(WsHub, CloseRefusesSubscribersAndPublishes) {
  WsHub hub;
  auto s = std::make_shared<FakeSubscriber>();
  hub.Subscribe("a", s.get(), s);
  hub.Close();
  EXPECT_EQ(hub.Publish("a", std::make_shared<const std::string>("{}")), 0u);
  EXPECT_TRUE(s->frames.empty());
  auto late = std::make_shared<FakeSubscriber>();
  EXPECT_FALSE(hub.Subscribe("a", late.get(), late));
  // Existing subscriptions stay until their sessions leave, so gauges are decremented once.
  EXPECT_TRUE(hub.Unsubscribe("a", s.get()));
}

TEST(ConnectionSet, CloseAllClosesLiveConnectionsAndRefusesNewOnes) {
  ConnectionSet set;
  auto c1 = std::make_shared<FakeConnection>();
  auto c2 = std::make_shared<FakeConnection>();
  ASSERT_TRUE(set.Add(c1.get(), c1));
  ASSERT_TRUE(set.Add(c2.get(), c2));
  set.Remove(c2.get());
  EXPECT_EQ(set.size(), 1u);
  set.CloseAll();
  EXPECT_EQ(c1->closes, 1);
  EXPECT_EQ(c2->closes, 0);
  auto late = std::make_shared<FakeConnection>();
  EXPECT_FALSE(set.Add(late.get(), late));
  EXPECT_EQ(set.size(), 1u);  // c1 stays listed until it removes itself
}

TEST(ServerState, DefaultsWithoutCallbacks) {
  MetricsRegistry metrics;
  ServerState state(HttpConfig{}, HttpHandlers{}, metrics);
  EXPECT_TRUE(state.Healthy());
  EXPECT_FALSE(state.Snapshot("a").has_value());
  EXPECT_EQ(state.StatusJson(), "{\"ws_clients\":{}}");
  state.CountRequest("/healthz", 200, 0.001);
  EXPECT_NE(
      state.MetricsText().find("understudy_http_requests_total{path=\"/healthz\",code=\"200\"} 1"),
      std::string::npos);
}

}  // namespace
}  // namespace understudy::web
