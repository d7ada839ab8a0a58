#include "node/event_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace tss::node {
namespace {

TEST(EventLoop, RunsPostedTasksInOrderOnItsThread) {
  EventLoop loop;
  loop.Start();
  std::vector<int> seen;
  std::promise<void> done;
  for (int i = 0; i < 100; ++i)
    loop.Post([&, i] {
      EXPECT_TRUE(loop.InLoopThread());
      seen.push_back(i);
      if (i == 99) done.set_value();
    });
  done.get_future().wait();
  loop.Stop();
  ASSERT_EQ(seen.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[i], i);
}

TEST(EventLoop, TimersFireRepeatedly) {
  EventLoop loop;
  std::atomic<int> ticks{0};
  std::promise<void> done;
  loop.Every(std::chrono::milliseconds(5), [&] {
    if (++ticks == 5) done.set_value();
  });
  loop.Start();
  ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  loop.Stop();
  EXPECT_GE(ticks.load(), 5);
}

TEST(EventLoop, PostsFromManyThreadsAllRunAndStopIsIdempotent) {
  EventLoop loop;
  loop.Start();
  std::atomic<int> count{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) loop.Post([&] { ++count; });
    });
  for (auto& t : threads) t.join();
  loop.Stop();  // drains what was queued
  EXPECT_EQ(count.load(), 4000);
  loop.Stop();
  loop.Post([&] { ++count; });  // dropped after stop
  EXPECT_EQ(count.load(), 4000);
}

}  // namespace
}  // namespace tss::node
