// The wait before a delivery's next attempt: what retry: { backoff, max_backoff, jitter } means
// in send, and the floor that keeps a peer failing at once from becoming a busy loop.

#include <catch2/catch.hpp>
#include <chrono>
#include <climits>
#include <random>

#include "core/delivery/delivery_service.hpp"

using namespace qiao;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

namespace {

milliseconds wait(const RetryPolicy& retry, int failed, double draw = 1.0) {
  return DeliveryService::backoff(retry, failed, draw);
}

RetryPolicy policy(milliseconds backoff, milliseconds max_backoff, bool jitter) {
  RetryPolicy r;
  r.backoff = backoff;
  r.max_backoff = max_backoff;
  r.jitter = jitter;
  return r;
}

}  // namespace

TEST_CASE("backoff: doubles after each failed attempt, from backoff before the second", "[delivery][backoff]") {
  const RetryPolicy r = policy(1s, 5min, false);
  CHECK(wait(r, 1) == 1000ms);
  CHECK(wait(r, 2) == 2000ms);
  CHECK(wait(r, 3) == 4000ms);
  CHECK(wait(r, 4) == 8000ms);
  CHECK(wait(r, 9) == 256'000ms);
  // Without jitter the draw does not matter.
  CHECK(wait(r, 3, 0.0) == 4000ms);
  CHECK(wait(r, 3, 0.37) == 4000ms);
  // No failure yet (a fresh replay) waits the first backoff, not less.
  CHECK(wait(r, 0) == 1000ms);
  CHECK(wait(r, -5) == 1000ms);
}

TEST_CASE("backoff: is capped at max_backoff however many attempts failed", "[delivery][backoff]") {
  const RetryPolicy r = policy(1s, 5min, false);
  CHECK(wait(r, 10) == 300'000ms);  // 512 s would be next
  CHECK(wait(r, 11) == 300'000ms);
  CHECK(wait(r, 1000) == 300'000ms);
  CHECK(wait(r, INT_MAX) == 300'000ms);
  // A cap that is not a doubling of backoff is reached exactly.
  const RetryPolicy odd = policy(300ms, 1000ms, false);
  CHECK(wait(odd, 2) == 600ms);
  CHECK(wait(odd, 3) == 1000ms);
  // max_backoff equal to backoff: a constant wait.
  const RetryPolicy constant = policy(2s, 2s, false);
  for (int failed : {1, 2, 5, 50}) CHECK(wait(constant, failed) == 2s);
  // A long cap does not overflow on the way.
  const RetryPolicy years =
      policy(1s, std::chrono::duration_cast<milliseconds>(std::chrono::hours(24 * 365 * 100)), false);
  CHECK(wait(years, 1'000'000) == years.max_backoff);
  CHECK(wait(years, 20) == milliseconds(1000LL << 19));
}

TEST_CASE("backoff: jitter draws from half to all of the wait", "[delivery][backoff]") {
  const RetryPolicy r = policy(1s, 5min, true);
  CHECK(wait(r, 1, 0.0) == 500ms);
  CHECK(wait(r, 1, 1.0) == 1000ms);
  CHECK(wait(r, 1, 0.5) == 750ms);
  CHECK(wait(r, 3, 0.0) == 2000ms);
  CHECK(wait(r, 3, 1.0) == 4000ms);
  CHECK(wait(r, 20, 0.0) == 150'000ms);  // half of the cap
  CHECK(wait(r, 20, 1.0) == 300'000ms);
  // Draws outside [0, 1] are held to it.
  CHECK(wait(r, 1, -3.0) == 500ms);
  CHECK(wait(r, 1, 7.0) == 1000ms);

  std::mt19937_64 random(12345);
  std::uniform_real_distribution<double> draw(0.0, 1.0);
  milliseconds lowest = milliseconds::max();
  milliseconds highest = milliseconds::min();
  for (int i = 0; i < 10'000; ++i) {
    const int failed = 1 + i % 12;
    const milliseconds full = wait(policy(1s, 5min, false), failed);
    const milliseconds jittered = wait(r, failed, draw(random));
    INFO("failed " << failed << ", without jitter " << full.count() << " ms, with " << jittered.count() << " ms");
    REQUIRE(jittered >= full / 2);
    REQUIRE(jittered <= full);
    if (failed == 1) {
      lowest = std::min(lowest, jittered);
      highest = std::max(highest, jittered);
    }
  }
  // The draws spread over the range rather than sitting at one end.
  CHECK(lowest < 550ms);
  CHECK(highest > 950ms);
}

TEST_CASE("backoff: never less than 10 ms, whatever the policy", "[delivery][backoff]") {
  CHECK(wait(policy(0ms, 0ms, false), 1) == 10ms);
  CHECK(wait(policy(0ms, 0ms, true), 1, 0.0) == 10ms);
  CHECK(wait(policy(1ms, 5min, false), 1) == 10ms);
  CHECK(wait(policy(1ms, 5min, false), 2) == 20ms);       // doubling starts from the floor
  CHECK(wait(policy(15ms, 5min, true), 1, 0.0) == 10ms);  // half of 15 is below the floor
  CHECK(wait(policy(15ms, 5min, true), 1, 1.0) == 15ms);
  CHECK(wait(policy(40ms, 5min, true), 1, 0.0) == 20ms);
  // A cap under the floor is the floor.
  CHECK(wait(policy(1ms, 2ms, false), 30) == 10ms);
  CHECK(wait(policy(1ms, 2ms, true), 30, 0.0) == 10ms);
  for (int failed = -1; failed < 40; ++failed)
    for (double d : {0.0, 0.25, 1.0}) CHECK(wait(policy(0ms, 5ms, true), failed, d) >= 10ms);
}
