#include "coordinator/ports.h"

#include <chrono>

namespace tss::coordinator {

const char* EventStatusName(EventStatus s) {
  switch (s) {
    case EventStatus::kPending:
      return "PENDING";
    case EventStatus::kInProgress:
      return "IN_PROGRESS";
    case EventStatus::kSuccess:
      return "SUCCESS";
    case EventStatus::kFailed:
      return "FAILED";
    case EventStatus::kExpired:
      return "EXPIRED";
  }
  return "UNKNOWN";
}

uint64_t ClockBlockSource::CurrentBlock() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace tss::coordinator
